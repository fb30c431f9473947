"""The `lamina` command: builds userland, boots the board, runs programs, reports.

This package sits above every layer (emulator, kernel, toolchain) and only wires them
together for the command line and for tests.
"""
