"""Domain calls: exofork, registers and run state, destruction, information, authority.

A new domain is made exofork-style (MIT's Aegis and JOS): an empty address space and a
copy of the caller's registers. The parent fills it with page calls, sets its
registers, and makes it runnable. A domain acts on another only with authority: it is
the other's ancestor, or was granted a capability for it with cap_grant.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from emulator.riscv import A0
from kernel.abi import DOMAIN_NAME_MAX, INSN_ALIGN, DomState, Errno, struct_format
from kernel.errors import require
from kernel.sched import MAX_SHARE

if TYPE_CHECKING:
    from emulator.elf import ElfImage
    from kernel.domain import Domain
    from kernel.kernel import Kernel

USER_REGS = struct.Struct(struct_format("user_regs"))
DOMAIN_INFO = struct.Struct(struct_format("domain_info"))


def sys_domain_create(k: Kernel, d: Domain) -> int:
    """domain_create(): a stopped child with an empty address space and the caller's
    registers; it will see 0 in a0, the caller sees the child's id."""
    require(k.can_charge(d, 1), Errno.ENOMEM)
    cpu = k.board.cpu
    child = k.create_domain(d.name, d.argv, d.image, parent=d)
    child.context = cpu.clone_context(child.space.satp, cpu.pc, {A0: 0})
    return child.id


def sys_domain_set_regs(k: Kernel, d: Domain, dom: int, regs: int) -> int:
    """domain_set_regs(dom, struct user_regs *): set every register and pc of a stopped domain."""
    target = k.resolve(d, dom)
    require(target is not d, Errno.EINVAL)
    require(target.state == DomState.STOPPED, Errno.EBUSY)
    data = d.space.copy_in(regs, USER_REGS.size)
    require(data is not None, Errno.EFAULT)
    words = USER_REGS.unpack(data)
    require(words[32] % INSN_ALIGN == 0, Errno.EINVAL)  # no instruction starts at an odd address
    for n in range(1, 32):
        k.board.cpu.set_context_reg(target.context, n, words[n])
    target.context.pc = words[32]
    return 0


def sys_domain_set_state(k: Kernel, d: Domain, dom: int, state: int) -> int:
    """domain_set_state(dom, STOPPED or RUNNABLE): stop or start another domain."""
    target = k.resolve(d, dom)
    require(target is not d and state in (DomState.STOPPED, DomState.RUNNABLE), Errno.EINVAL)
    require(target.state != DomState.BLOCKED, Errno.EBUSY)
    if state == DomState.RUNNABLE:
        k.wake(target)
    else:
        target.state = DomState.STOPPED
    return 0


def sys_domain_destroy(k: Kernel, d: Domain, dom: int) -> int:
    """domain_destroy(dom): dom and all its descendants end; every frame they held is freed."""
    target = k.resolve(d, dom, allow_exited=True)
    require(target is not d, Errno.EINVAL)
    k.destroy_domain(target)
    return 0


def sys_domain_info(k: Kernel, d: Domain, dom: int, info: int) -> int:
    """domain_info(dom, struct domain_info *): state and counters of any existing domain."""
    target = d if dom == 0 else k.domains.get(dom)
    require(target is not None and not target.reaped, Errno.ESRCH)
    s = target.stats
    status = target.exit_status if target.exit_status is not None else 0
    data = DOMAIN_INFO.pack(
        target.id, target.parent.id if target.parent else 0, int(target.state), status,
        s.instructions, s.crossings, s.syscalls, s.faults, target.subtree_pages,
        target.page_quota, target.share, len(target.children), target.name.encode()[:DOMAIN_NAME_MAX],
    )
    require(d.space.copy_out(info, data), Errno.EFAULT)
    return 0


def sys_set_share(k: Kernel, d: Domain, dom: int, tickets: int) -> int:
    """set_share(dom, tickets): dom's CPU share (1..1,000,000 tickets), not above the caller's."""
    target = k.resolve(d, dom)
    require(1 <= tickets <= MAX_SHARE and (target is d or tickets <= d.share), Errno.EINVAL)
    require(target is not d or tickets <= d.share, Errno.EPERM)
    target.share = tickets
    return 0


def sys_cap_grant(k: Kernel, d: Domain, target_id: int, recipient_id: int) -> int:
    """cap_grant(target, recipient): recipient gains authority over target."""
    target = k.resolve(d, target_id)
    recipient = k.domains.get(recipient_id)
    require(recipient is not None and recipient.alive, Errno.ESRCH)
    recipient.caps.add(target.id)
    return 0


def sys_cap_check(k: Kernel, d: Domain, holder_id: int, dom: int) -> int:
    """cap_check(holder, dom): 1 if holder may act on dom (it is dom or an ancestor, or
    holds a capability for it), else 0. How a server decides who may ask it for what:
    the kernel's authority is the access list, so the server keeps none of its own."""
    target = k.resolve(d, dom)
    holder = k.domains.get(holder_id)
    require(holder is not None and not holder.reaped, Errno.ESRCH)
    return int(k.has_authority(holder, target))


def sys_domain_name(k: Kernel, d: Domain, dom: int, name: int) -> int:
    """domain_name(dom, name): dom is called by the NUL-terminated name at `name` (1 to
    DOMAIN_NAME_MAX printable characters) in logs, traces and domain_info. Its pcs are then
    described with the symbols of the built program of that name, if that program's
    text is what dom has mapped (the kernel never trusts a name for symbols)."""
    target = k.resolve(d, dom)
    text = read_name(d, name)
    # The arguments it was created with are its parent's (exofork copies them); now it
    # runs the named program, whose own arguments live in its memory: show the name.
    target.name, target.argv, target._symbolizer, image = text, [text], None, k.find_program(text)
    target.image = image if image is not None and runs_image(target, image) else None
    return 0


def read_name(d: Domain, va: int) -> str:
    """The name at va in d's memory; the call fails if it is not one."""
    raw = b""
    while (byte := d.space.copy_in(va + len(raw), 1)) not in (None, b"\0") and len(raw) <= DOMAIN_NAME_MAX:
        raw += byte
    require(byte is not None, Errno.EFAULT)
    require(len(raw) <= DOMAIN_NAME_MAX, Errno.ENAMETOOLONG)
    text = raw.decode("latin-1")
    require(text.isascii() and text.isprintable() and text, Errno.EINVAL)
    return text


def runs_image(d: Domain, image: ElfImage) -> bool:
    """True if d maps, at the first executable segment's address, that segment's bytes."""
    seg = next(s for s in image.segments if s.executable)  # read_elf made sure there is one
    return d.space.copy_in(seg.vaddr, len(seg.data)) == seg.data
