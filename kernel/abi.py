"""The kernel's user ABI: the one source of truth for everything both sides must agree on.

Syscall numbers, error codes, page permissions and the user address-space layout are
defined here, in Python, and nowhere else. `toolchain.abi_header` turns this module into
the C header `lamina/abi.h` that userland includes, and docs/abi.md describes each call.

Calling convention (the RISC-V Linux one, so students recognise it): the syscall number
goes in a7, up to six arguments in a0..a5, `ecall` traps into the kernel, and the result
comes back in a0. A negative result is an error: -Errno.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag


class Sys(IntEnum):
    """System call numbers (register a7)."""

    EXIT = 1  # exit(status): end the calling domain; never returns
    YIELD = 2  # yield(): give up the rest of this quantum
    CONSOLE_WRITE = 3  # console_write(buf, len) -> bytes written
    PAGE_ALLOC = 4  # page_alloc(va, npages, perm) -> 0: fresh zeroed frames at va
    GETID = 5  # getid() -> the caller's domain id (also the "null" system call)


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
    EBUSY = 16  # resource busy
    EEXIST = 17  # already exists (for instance a page already mapped at that address)
    ENOTDIR = 20  # not a directory
    EISDIR = 21  # is a directory
    EINVAL = 22  # invalid argument
    EMFILE = 24  # too many open files
    ENOSPC = 28  # no space left on device
    ESPIPE = 29  # illegal seek
    EPIPE = 32  # broken pipe
    ERANGE = 34  # result out of range
    ENAMETOOLONG = 36  # name too long
    ENOSYS = 38  # no such system call
    ENOTEMPTY = 39  # directory not empty


class Perm(IntFlag):
    """Page permissions a domain may ask for (page_alloc's perm argument)."""

    R = 1
    W = 2
    X = 4


PAGE_SIZE = 4096

# User address-space layout (Sv39 user half). Programs are linked at USER_TEXT_BASE
# (userland/user.ld); the kernel maps the initial stack just below USER_STACK_TOP and
# writes argc/argv at its top. Everything between the end of the program (the linker's
# `_end`) and the stack is the domain's to manage: malloc grows its heap there.
USER_TEXT_BASE = 0x0001_0000
USER_STACK_TOP = 0x4000_0000
USER_STACK_PAGES = 16
USER_VA_LIMIT = 1 << 38  # first address past the Sv39 user half

MAX_ARGS = 32  # most argv entries the kernel copies into a new domain
MAX_ARG_BYTES = 4096  # most bytes of argv strings (with their NULs)
CONSOLE_WRITE_MAX = 1 << 20  # longest single console_write
