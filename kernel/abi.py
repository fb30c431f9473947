"""The kernel's user ABI: the one source of truth for everything both sides must agree on.

Syscall numbers, error codes, page permissions and the user address-space layout are
defined here, in Python, and nowhere else. `toolchain.abi_header` turns this module into
the C header `lamina/abi.h` that userland includes, and docs/abi.md describes each call.

Calling convention (the RISC-V Linux one, so students recognise it): the syscall number
goes in a7, up to seven arguments in a0..a6, `ecall` traps into the kernel, and the result
comes back in a0 (the IPC calls also return a message in a1..a5). A negative result is
an error: -Errno.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag


class Sys(IntEnum):
    """System call numbers (register a7). A `dom` argument of 0 means the caller."""

    EXIT = 1  # exit(status): end the calling domain; never returns
    YIELD = 2  # yield(): give up the rest of this quantum
    CONSOLE_WRITE = 3  # console_write(buf, len) -> len; needs the console binding
    PAGE_ALLOC = 4  # page_alloc(dom, va, npages, perm) -> 0: fresh zeroed frames at va
    GETID = 5  # getid() -> the caller's domain id (also the "null" system call)
    PAGE_MAP = 6  # page_map(src_dom, src_va, dst_dom, dst_va, perm) -> 0: share a frame
    PAGE_UNMAP = 7  # page_unmap(dom, va) -> 0
    PAGE_QUERY = 8  # page_query(dom, va) -> Perm bits | PAGE_OWNED | PAGE_SHARED
    DOMAIN_CREATE = 9  # domain_create() -> child id in the caller, 0 in the child (exofork)
    DOMAIN_SET_REGS = 10  # domain_set_regs(dom, struct user_regs *) -> 0
    DOMAIN_SET_STATE = 11  # domain_set_state(dom, DomState) -> 0
    DOMAIN_DESTROY = 12  # domain_destroy(dom) -> 0: dom and its descendants are gone
    DOMAIN_INFO = 13  # domain_info(dom, struct domain_info *) -> 0
    SET_FAULT_HANDLER = 14  # set_fault_handler(dom, entry, xstack_top) -> 0
    FAULT_RETURN = 15  # fault_return(struct fault_frame *): resume the interrupted code
    IPC_CALL = 16  # ipc_call(dest, w0, w1, w2, w3, send_page, recv_window) -> reply
    IPC_RECV = 17  # ipc_recv(recv_window) -> sender (0: notification), words, page
    IPC_REPLY = 18  # ipc_reply(caller, w0, w1, w2, w3, send_page) -> 0
    IPC_REPLY_RECV = 19  # ipc_reply_recv(caller, w0..w3, send_page, recv_window) -> as recv
    NOTIFY = 20  # notify(dest, bits) -> 0: set user notification bits of dest
    SET_SHARE = 21  # set_share(dom, tickets) -> 0: proportional CPU share
    SET_QUOTA = 22  # set_quota(dom, pages) -> 0: frame quota of dom's subtree
    CAP_GRANT = 23  # cap_grant(target, recipient) -> 0: recipient gains authority over target
    BIND_GRANT = 24  # bind_grant(dom, device, lo, hi) -> 0: pass on part of a device binding
    CONSOLE_READ = 25  # console_read(buf, len) -> n, 0 at end of input, -EAGAIN if none yet
    DISK_IO = 26  # disk_io(op, sector, count, va) -> 0: DMA queued; Notify.DISK when done
    DISK_INFO = 27  # disk_info() -> number of sectors of the disk (needs a disk binding)
    CLOCK = 28  # clock() -> virtual time now, in instructions
    TIMER = 29  # timer(deadline) -> 0: Notify.TIMER at that virtual time (0 cancels)
    NIC_SEND = 30  # nic_send(buf, len) -> len: transmit one Ethernet frame; needs a NIC binding
    NIC_RECV = 31  # nic_recv(buf, len) -> frame length, -EAGAIN if none; Notify.NIC on arrival
    NIC_INFO = 32  # nic_info() -> the NIC's MAC address as a 48-bit number
    DOMAIN_NAME = 33  # domain_name(dom, name) -> 0: dom is called name (exec and spawn name their program)
    CAP_CHECK = 34  # cap_check(holder, dom) -> 1 if holder has authority over dom, else 0
    # BEGIN LAB syscall:
    SYSINFO = 35  # sysinfo(struct sysinfo *) -> 0: free frames and live domains
    # END LAB syscall
    PAGE_MAP_RANGE = 36  # page_map_range(src_dom, src_va, dst_dom, dst_va, npages, mask) -> pages mapped
    PAGE_QUERY_RANGE = 37  # page_query_range(dom, va, npages, buf) -> pages mapped; a byte per page in buf
    PAGE_UNMAP_RANGE = 38  # page_unmap_range(dom, va, npages) -> pages unmapped
    ALARM = 39  # alarm(interval) -> 0: a CAUSE_ALARM upcall every interval of the caller's own instructions


class DomState(IntEnum):
    """Run states a domain can be put in with domain_set_state, and read with domain_info."""

    STOPPED = 0  # exists, not scheduled (a new child starts here)
    RUNNABLE = 1
    BLOCKED = 2  # waiting in IPC (read-only)
    EXITED = 3  # ended; waits for its parent to destroy it (read-only)


class Device(IntEnum):
    """Devices a binding can name."""

    CONSOLE = 1
    DISK = 2  # bound by block extent [lo, hi)
    NIC = 3  # bound by packet filter (lo: IP protocol, hi: TCP/UDP port; 0 = any)


class Notify(IntFlag):
    """Notification bits. The kernel sets the low ones; notify() may set only USER ones."""

    CHILD = 1 << 0  # a child domain exited
    CONSOLE = 1 << 1  # console input arrived
    DISK = 1 << 2  # a disk request completed
    NIC = 1 << 3  # a packet arrived
    TIMER = 1 << 4  # the domain's timer expired


class DiskOp(IntEnum):
    """disk_io operations."""

    READ = 0  # device to memory
    WRITE = 1  # memory to device
    FLUSH = 2  # make every completed write durable on the host (count and va ignored)


SECTOR_SIZE = 512  # disk_io moves whole sectors; disk bindings are sector extents
DISK_IO_MAX_SECTORS = 256  # at most 128 KiB per request
NIC_FRAME_MIN = 14  # nic_send frames: an Ethernet header (destination, source, ethertype)
NIC_FRAME_MAX = 1514  # up to a 1500-byte payload; no preamble, no checksum

NOTIFY_USER_SHIFT = 16  # notify() bits must be at or above 1 << NOTIFY_USER_SHIFT

# Custom exception cause (RISC-V reserves 24..31 for custom use): the kernel asks the
# domain to give back pages (visible revocation); stval is how many.
CAUSE_REVOKE = 24
# Another (Lamina's alarm): the domain has run another interval of its own instructions.
CAUSE_ALARM = 25

# page_query result bits, beside the Perm bits.
PAGE_OWNED = 1 << 8  # the domain queried owns (is charged for) the frame
PAGE_SHARED = 1 << 9  # the frame is mapped in more than one place
# page_query_range's byte per page: the Perm bits and these (0: nothing mapped).
QUERY_OWNED = 1 << 4
QUERY_SHARED = 1 << 5
PAGE_MOVE = 1 << 4  # in page_map_range's mask: remove each source mapping once the page is placed

IPC_WORDS = 4  # message words per IPC (a1..a4)
XSTACK_SIZE = 4096  # the exception stack is the page below xstack_top
INSN_ALIGN = 2  # instructions start on even addresses (compressed ones are 2 bytes)

class Errno(IntEnum):
    """Error codes; a failing call returns the negated value. Numbers follow Linux."""

    EPERM = 1  # operation not permitted: the caller lacks authority
    ENOENT = 2  # no such file or directory
    ESRCH = 3  # no such domain
    EIO = 5  # device error
    E2BIG = 7  # argument list too long
    ENOEXEC = 8  # not an executable
    EBADF = 9  # bad descriptor or handle
    ECHILD = 10  # no child to wait for
    EAGAIN = 11  # try again: would block
    ENOMEM = 12  # out of memory, or over quota
    EACCES = 13  # permission denied
    EFAULT = 14  # a pointer argument is not mapped with the rights the call needs
    EBUSY = 16  # resource busy (for instance a domain that is not stopped)
    EEXIST = 17  # already exists (for instance a page already mapped at that address)
    ENODEV = 19  # no such device (for instance no disk attached)
    ENOTDIR = 20  # not a directory
    EISDIR = 21  # is a directory
    EINVAL = 22  # invalid argument
    ENFILE = 23  # too many open files in the system (a server's table is full)
    EMFILE = 24  # too many open files (the caller's own limit)
    ENOSPC = 28  # no space left on device
    ESPIPE = 29  # illegal seek
    EPIPE = 32  # broken pipe
    ERANGE = 34  # result out of range
    EDEADLK = 35  # the call would wait on itself
    ENAMETOOLONG = 36  # name too long
    ENOSYS = 38  # no such system call
    ENOTEMPTY = 39  # directory not empty


class Perm(IntFlag):
    """Page permissions a domain may ask for (page_alloc's perm argument)."""

    R = 1
    W = 2
    X = 4
    MARK = 8  # no right: a bit kept with the mapping for the library OS (fork's copy-on-write mark)


PAGE_SIZE = 4096

# User address-space layout (Sv39 user half). Programs are linked at USER_TEXT_BASE
# (userland/user.ld); the kernel maps the initial stack just below USER_STACK_TOP and
# writes argc/argv at its top. Everything between the end of the program (the linker's
# `_end`) and the stack is the domain's to manage: malloc grows its heap there.
USER_TEXT_BASE = 0x0001_0000
USER_STACK_TOP = 0x4000_0000
USER_STACK_PAGES = 16
USER_VA_LIMIT = 1 << 38  # first address past the Sv39 user half

DOMAIN_NAME_MAX = 15  # longest domain name, without its NUL
TIMER_MAX = (1 << 63) - 1  # latest deadline timer() takes: virtual time never nears 2^64, so never wraps

# Structures passed through memory: (C type, field) in order, no padding needed.
STRUCTS: dict[str, list[tuple[str, str]]] = {
    "user_regs": [("uint64_t", "x[32]"), ("uint64_t", "pc")],
    "fault_frame": [("uint64_t", "x[32]"), ("uint64_t", "pc"), ("uint64_t", "cause"),
                    ("uint64_t", "tval"), ("uint64_t", "pad")],
    "domain_info": [("uint64_t", f) for f in (
        "id", "parent", "state", "exit_status", "instructions", "crossings",
        "syscalls", "faults", "pages", "page_quota", "share", "children")] + [("char", f"name[{DOMAIN_NAME_MAX + 1}]")],
    # BEGIN LAB syscall:
    "sysinfo": [("uint64_t", "free_frames"), ("uint64_t", "domains")],
    # END LAB syscall
}



def struct_format(name: str) -> str:
    """The struct module's format of STRUCTS[name], little-endian: how the kernel packs it."""
    codes = {"uint64_t": "Q", "int64_t": "q", "char": "s"}
    parts = [(decl.split("[")[1].rstrip("]") if "[" in decl else "") + codes[c_type] for c_type, decl in STRUCTS[name]]
    return "<" + "".join(parts)


MAX_ARGS = 32  # most argv entries the kernel copies into a new domain
MAX_ARG_BYTES = 4096  # most bytes of argv strings (with their NULs)
CONSOLE_WRITE_MAX = 1 << 20  # longest single console_write
