"""`lamina run --vmprint DOMAIN`: a domain's page table, printed as it exits.

What xv6's vmprint shows for the first process, for any domain (by id or name): the
root table, then every valid entry of each level (`AddressSpace.describe`, which the
page-table lab has students write). It is printed when the domain exits, the last
moment its address space is whole.
"""

from __future__ import annotations

from typing import TextIO

from kernel.domain import Domain
from kernel.tracing import Tracer


class PageTablePrinter(Tracer):
    """Prints the page table of the domain named `which` when it exits."""

    def __init__(self, which: str, out: TextIO) -> None:
        self.which = which
        self.out = out

    def exited(self, d: Domain, at: int) -> None:
        if self.which in (str(d.id), d.name):
            self.out.write(f"{d.label} at exit, virtual time {at:,}:\n")
            self.out.write("".join(line + "\n" for line in d.space.describe()))
