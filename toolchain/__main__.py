"""`python -m toolchain [--build-dir DIR] [PROGRAM ...]`: build user programs from a shell.

A thin command line over toolchain.build, printing one line per step; `lamina build`
offers the same through the main CLI. Exit status 1 and the compiler's own messages on
failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from toolchain.build import build_all, build_program
from toolchain.zig import BuildError


def print_progress(done: int, total: int, what: str) -> None:
    """Show one finished build step as `[done/total] what`."""
    print(f"[{done:>2}/{total}] {what}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Build the named programs (all of them if none are named); return an exit status."""
    parser = argparse.ArgumentParser(prog="python -m toolchain", description=__doc__)
    parser.add_argument("programs", nargs="*", help="programs to build (default: all)")
    parser.add_argument("--build-dir", type=Path, default=None, help="default: $LAMINA_BUILD_DIR or ./build")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.programs:
            built = {name: build_program(name, args.build_dir, print_progress) for name in args.programs}
        else:
            built = build_all(args.build_dir, print_progress)
    except BuildError as error:
        message = str(error)
        sys.stderr.write(message if message.endswith("\n") else message + "\n")
        return 1
    print(f"built {len(built)} program(s) in {time.monotonic() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
