"""Reading what the system-call test programs print: one "name = value" line per result.

Programs such as memcalls and ipcping (userland/tests/) print each result as a line
`name = value`, the value a decimal number (a return value or -errno), a 0x-prefixed
hex number (an address), or text. `reported` turns a run's console text into a dict.
"""

from __future__ import annotations


def reported(text: str) -> dict[str, int | str]:
    """{name: value} for every "name = value" line of text; numbers become ints."""
    values: dict[str, int | str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(" = ")
        if not sep or " " in name:
            continue
        try:
            values[name] = int(value, 0)
        except ValueError:
            values[name] = value
    return values
