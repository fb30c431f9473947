"""Device bindings: the only way a domain reaches a device.

A binding names a device and the part of it the domain may use: the whole console, a
disk extent of blocks [lo, hi), or the frames a NIC filter (IP protocol lo, TCP/UDP
port hi; 0 = any) accepts: kernel/net.py says how a frame is matched. The kernel checks the binding on every device call, which is all the
protection a device needs; what the domain does with the device is its own business.
Bindings come from the boot configuration and can be passed on, never widened, with
bind_grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernel.abi import CONSOLE_WRITE_MAX, Device, Errno, Notify, Perm
from kernel.errors import require
from kernel.notify import notify

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel


@dataclass(frozen=True)
class Binding:
    """The right to use part of one device."""

    device: Device
    lo: int = 0
    hi: int = 0

    def covers(self, other: Binding) -> bool:
        """True if this binding allows everything `other` allows."""
        if self.device != other.device:
            return False
        if self.device == Device.DISK:
            return self.lo <= other.lo and other.hi <= self.hi
        if self.device == Device.NIC:
            return self.lo in (0, other.lo) and self.hi in (0, other.hi)
        return True


def well_formed(b: Binding) -> bool:
    """True if the binding's range makes sense for its device."""
    if b.device == Device.DISK:
        return 0 <= b.lo < b.hi
    if b.device == Device.NIC:
        return 0 <= b.lo <= 255 and 0 <= b.hi <= 65535
    return b.lo == 0 and b.hi == 0


def holds(d: Domain, wanted: Binding) -> bool:
    """True if d has a binding covering `wanted`."""
    return any(b.covers(wanted) for b in d.bindings)


def sys_bind_grant(k: Kernel, d: Domain, dom: int, device: int, lo: int, hi: int) -> int:
    """bind_grant(dom, device, lo, hi): give dom part of a binding the caller holds."""
    target = k.resolve(d, dom)
    try:
        wanted = Binding(Device(device), lo, hi)
    except ValueError:
        return -Errno.EINVAL
    require(well_formed(wanted), Errno.EINVAL)
    require(holds(d, wanted), Errno.EPERM)
    if not holds(target, wanted):
        target.bindings.append(wanted)
    return 0


CONSOLE = Binding(Device.CONSOLE)


def sys_console_write(k: Kernel, d: Domain, buf: int, length: int) -> int:
    """console_write(buf, len): send len bytes at buf to the console; returns len."""
    require(holds(d, CONSOLE), Errno.EPERM)
    require(length <= CONSOLE_WRITE_MAX, Errno.EINVAL)
    data = d.space.copy_in(buf, length)
    require(data is not None, Errno.EFAULT)
    k.board.console.write(data)
    return length


def sys_console_read(k: Kernel, d: Domain, buf: int, length: int) -> int:
    """console_read(buf, len): queued input bytes; 0 at end of input; -EAGAIN if none yet
    (a Notify.CONSOLE notification follows when input arrives)."""
    require(holds(d, CONSOLE), Errno.EPERM)
    require(0 < length <= CONSOLE_WRITE_MAX, Errno.EINVAL)
    require(d.space.pieces(buf, length, Perm.W) is not None, Errno.EFAULT)
    console = k.board.console
    if console.input_ready == 0:
        if console.input_closed:
            return 0
        k.console_readers.add(d.id)
        return -Errno.EAGAIN
    data = console.read(length)
    d.space.copy_out(buf, data)
    return len(data)


def console_input_arrived(k: Kernel) -> None:
    """Tell the domains that found no console input that some (or its end) is here."""
    for did in sorted(k.console_readers):  # live domains: one that ends leaves the set
        notify(k, k.domains[did], Notify.CONSOLE)
    k.console_readers.clear()
