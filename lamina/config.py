"""Declarative boot configurations: which domains a board boots, with what, bound to what.

In the spirit of seL4 Microkit's system description, a whole system is data: a TOML file
in configs/ names the domains to create, the program each runs, its CPU share, its page
quota and its device bindings. This module reads and checks such a file and returns
plain frozen records; it never boots anything. It sits in the `lamina` layer, above the
kernel, and takes only the kernel's ABI (`Device`, `DomState`) from below.

Every way a file can be wrong is refused with a `ConfigError` naming the file and the
field, e.g. `configs/demo.toml: domain[1].share: must be an integer from 1 to 1000000,
got -3`. configs/README.md documents every key.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kernel.abi import Device, DomState

CONFIG_DIR_ENV = "LAMINA_CONFIG_DIR"  # overrides the repository's configs/ folder
SHARE_RANGE = (1, 1_000_000)
PAGE_QUOTA_RANGE = (16, 1 << 20)
RAM_MIB_RANGE = (16, 4096)
MIN_QUANTUM = 100
PORT_RANGE = (0, 65535)
NIC_PROTOCOLS = {0: "any", 1: "icmp", 6: "tcp", 17: "udp"}
PROGRAM_NAME = re.compile(r"[A-Za-z0-9_-]+")  # a program's name (userland/<kind>/<name>.c), no path
DOMAIN_NAME = re.compile(r"[A-Za-z0-9_.#-]+")  # '#' for the "spin#2" names made below
NAME_RULES = {PROGRAM_NAME: "letters, digits, _ and -", DOMAIN_NAME: "letters, digits, _ . # and -"}
DEVICE_NAMES = tuple(d.name.lower() for d in Device)  # "console", "disk", "nic"


@dataclass(frozen=True)
class BindingSpec:
    """Authority over (part of) one device, given to a domain at boot."""

    device: str  # "console" | "disk" | "nic"
    lo: int = 0  # disk: first block of the extent; nic: protocol (6 tcp, 17 udp, 1 icmp, 0 any)
    hi: int = 0  # disk: one past the last block; nic: port (0 any)

    @property
    def kind(self) -> Device:
        """The ABI's Device number for this binding's device name."""
        return Device[self.device.upper()]


@dataclass(frozen=True)
class DomainSpec:
    """One domain the board creates at boot."""

    name: str  # unique within the config; how traces and stats label it
    program: str  # userland program name (userland/<kind>/<program>.c)
    args: tuple[str, ...] = ()  # argv[1:]
    share: int = 100  # CPU tickets for proportional-share scheduling
    page_quota: int = 8192  # frames this domain's subtree may hold
    bindings: tuple[BindingSpec, ...] = ()
    start: bool = True  # runnable at boot, or created stopped
    caps: tuple[str, ...] = ()  # names of domains it has authority over from boot (as cap_grant gives)

    @property
    def initial_state(self) -> DomState:
        """The state the domain is created in: RUNNABLE if it starts, else STOPPED."""
        return DomState.RUNNABLE if self.start else DomState.STOPPED


@dataclass(frozen=True)
class SystemConfig:
    """A whole boot configuration: the board's size and the domains it starts with."""

    name: str  # the file's stem ("hello" for configs/hello.toml)
    description: str = ""
    ram_mib: int = 128
    quantum: int = 100_000  # guest instructions per slice
    disk: str | None = None  # disk image; load_config makes a relative path absolute
    domains: tuple[DomainSpec, ...] = ()


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the field."""

    def __init__(self, source: str, field: str | None, problem: str) -> None:
        self.source, self.field, self.problem = source, field, problem
        super().__init__(f"{source}: {field}: {problem}" if field else f"{source}: {problem}")


class _Invalid(Exception):
    """A bad field (args: field, problem), raised by the checks below; parse_config adds the file."""


# ---- where configurations live ----

def config_dir() -> Path:
    """The folder of named configurations: $LAMINA_CONFIG_DIR, else <repo>/configs."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(__file__).resolve().parent.parent / "configs"


def list_configs() -> list[str]:
    """The names (file stems) of the configurations in config_dir(), sorted."""
    folder = config_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def load_config(name_or_path: str) -> SystemConfig:
    """Read and check a config: a bare name from config_dir(), or a path ending in .toml."""
    if name_or_path.endswith(".toml"):
        path = Path(name_or_path)
    elif PROGRAM_NAME.fullmatch(name_or_path):
        path = config_dir() / f"{name_or_path}.toml"
        if not path.is_file():
            known = list_configs()
            problem = f"no such configuration{_hint(name_or_path, tuple(known))} in {config_dir()}"
            raise ConfigError(name_or_path, None, f"{problem} (have: {', '.join(known) or 'none'})")
    else:
        problem = f"not a configuration name ({NAME_RULES[PROGRAM_NAME]}) nor a path ending in .toml"
        raise ConfigError(name_or_path, None, problem)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(_display(path), None, f"cannot read: {e}") from None
    config = parse_config(text, _display(path))
    if config.disk is not None and not Path(config.disk).is_absolute():
        config = replace(config, disk=str((path.parent / config.disk).resolve()))
    return config


def _display(path: Path) -> str:
    """The path as a reader would like to see it: relative to the cwd when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---- parsing and checking ----

def parse_config(text: str, source: str) -> SystemConfig:
    """Parse and check TOML text; source names it in errors, and its stem names the config."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, None, f"TOML syntax: {e}") from None
    try:
        return _system(data, Path(source).stem)
    except _Invalid as e:
        raise ConfigError(source, *e.args) from None


def _system(data: dict[str, Any], name: str) -> SystemConfig:
    """The whole file: an optional [system] table and one or more [[domain]] tables."""
    _known_keys(data, ("system", "domain"), (), "")
    system = data.get("system", {})
    if not isinstance(system, dict):
        raise _Invalid("system", f"must be a table ([system]), got {_describe(system)}")
    _known_keys(system, ("description", "ram_mib", "quantum", "disk"), (), "system")
    disk = _typed(system, "disk", None, str, "a path (a string)", "system")
    if disk == "":
        raise _Invalid("system.disk", "must be a path, got an empty string")
    return SystemConfig(
        name=name,
        description=_typed(system, "description", "", str, "a string", "system"),
        ram_mib=_int_in(system, "ram_mib", 128, RAM_MIB_RANGE, "system"),
        quantum=_int_in(system, "quantum", 100_000, (MIN_QUANTUM, None), "system"),
        disk=disk,
        domains=_domains(data.get("domain")),
    )


def _domains(tables: Any) -> tuple[DomainSpec, ...]:
    """The [[domain]] array: at least one, names unique, at least one that starts."""
    if tables is None or tables == []:
        raise _Invalid("domain", "at least one [[domain]] is required")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise _Invalid("domain", f"must be an array of tables ([[domain]]), got {_describe(tables)}")
    domains = tuple(_domain(t, f"domain[{i}]") for i, t in enumerate(tables))
    seen: dict[str, int] = {}
    for i, d in enumerate(domains):
        if d.name in seen:
            raise _Invalid(f"domain[{i}].name", f"duplicate domain name {d.name!r} (also domain[{seen[d.name]}])")
        seen[d.name] = i
    for i, d in enumerate(domains):
        for j, name in enumerate(d.caps):
            if name not in seen or name == d.name:
                why = "is this domain itself" if name == d.name else f"names no domain{_hint(name, tuple(seen))}"
                raise _Invalid(f"domain[{i}].caps[{j}]", f"{name!r} {why}")
    if not any(d.start for d in domains):
        raise _Invalid("domain", "no domain has start = true, so nothing would ever run")
    return domains


def _domain(table: dict[str, Any], where: str) -> DomainSpec:
    """One [[domain]] table."""
    keys = ("name", "program", "args", "share", "page_quota", "bindings", "start", "caps")
    _known_keys(table, keys, ("name", "program"), where)
    program = _name(table, "program", PROGRAM_NAME, where)  # first: ad-hoc names derive from it
    return DomainSpec(
        name=_name(table, "name", DOMAIN_NAME, where),
        program=program,
        args=_args(table.get("args", []), f"{where}.args"),
        share=_int_in(table, "share", 100, SHARE_RANGE, where),
        page_quota=_int_in(table, "page_quota", 8192, PAGE_QUOTA_RANGE, where),
        bindings=_bindings(table.get("bindings", []), f"{where}.bindings"),
        start=_typed(table, "start", True, bool, "true or false", where),
        caps=_args(table.get("caps", []), f"{where}.caps"),
    )


def _bindings(value: Any, where: str) -> tuple[BindingSpec, ...]:
    """The bindings array of inline tables; a domain may not name one binding twice."""
    if not isinstance(value, list):
        raise _Invalid(where, f"must be an array of tables like {{ device = \"console\" }}, got {_describe(value)}")
    bindings: list[BindingSpec] = []
    for i, table in enumerate(value):
        binding = _binding(table, f"{where}[{i}]")
        if binding in bindings:
            raise _Invalid(f"{where}[{i}]", f"duplicate binding (same as {where}[{bindings.index(binding)}])")
        bindings.append(binding)
    return tuple(bindings)


def _binding(table: Any, where: str) -> BindingSpec:
    """One binding: the device name, then lo/hi checked as that device reads them."""
    if not isinstance(table, dict):
        raise _Invalid(where, f"must be a table like {{ device = \"console\" }}, got {_describe(table)}")
    _known_keys(table, ("device", "lo", "hi"), ("device",), where)
    device = table["device"]
    if device not in DEVICE_NAMES:
        known = ", ".join(DEVICE_NAMES)
        raise _Invalid(f"{where}.device", f"unknown device {_describe(device)}{_hint(device, DEVICE_NAMES)}; devices: {known}")
    if device == "console":
        lo = _int_in(table, "lo", 0, (0, 0), where)
        hi = _int_in(table, "hi", 0, (0, 0), where)
    elif device == "disk":
        lo = _int_in(table, "lo", 0, (0, None), where)
        hi = _int_in(table, "hi", 0, (0, None), where)
        if lo >= hi:
            raise _Invalid(f"{where}.hi", f"a disk extent [lo, hi) needs lo < hi, got lo={lo}, hi={hi}")
    else:
        lo = _int_in(table, "lo", 0, (0, 255), where)
        if lo not in NIC_PROTOCOLS:
            known = ", ".join(f"{n} {p}" for n, p in NIC_PROTOCOLS.items())
            raise _Invalid(f"{where}.lo", f"must be a protocol number ({known}), got {lo}")
        hi = _int_in(table, "hi", 0, PORT_RANGE, where)
    return BindingSpec(device, lo, hi)


# ---- one field each ----

def _known_keys(table: dict[str, Any], allowed: tuple[str, ...], required: tuple[str, ...], where: str) -> None:
    """Refuse keys not in allowed (suggesting the nearest) and required keys not present."""
    prefix = f"{where}." if where else ""
    for key in table:
        if key not in allowed:
            raise _Invalid(prefix + key, f"unknown key{_hint(key, allowed)}")
    for key in required:
        if key not in table:
            raise _Invalid(prefix + key, "missing (this key is required)")


def _hint(word: Any, choices: tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' if none is close."""
    close = difflib.get_close_matches(str(word), choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _int_in(table: dict[str, Any], key: str, default: int, bounds: tuple[int, int | None], where: str) -> int:
    """table[key] (or default) as an int within bounds (inclusive; None: no upper bound)."""
    value = table.get(key, default)
    lo, hi = bounds
    wanted = f"an integer >= {lo}" if hi is None else f"{lo}" if lo == hi else f"an integer from {lo} to {hi}"
    is_int = isinstance(value, int) and not isinstance(value, bool)  # TOML true is not 1
    if not is_int or value < lo or (hi is not None and value > hi):
        raise _Invalid(f"{where}.{key}", f"must be {wanted}, got {_describe(value)}")
    return value


def _typed(table: dict[str, Any], key: str, default: Any, kind: type, wanted: str, where: str) -> Any:
    """table[key] if present and a `kind` (wanted says so in words), else default."""
    value = table.get(key, default)
    if key in table and not isinstance(value, kind):
        raise _Invalid(f"{where}.{key}", f"must be {wanted}, got {_describe(value)}")
    return value


def _name(table: dict[str, Any], key: str, pattern: re.Pattern[str], where: str) -> str:
    """table[key] as a string matching pattern (a plain name, no spaces or slashes)."""
    value = table[key]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _Invalid(f"{where}.{key}", f"must be a plain name ({NAME_RULES[pattern]}), got {_describe(value)}")
    return value


def _args(value: Any, where: str) -> tuple[str, ...]:
    """The args array: strings only."""
    if not isinstance(value, list):
        raise _Invalid(where, f"must be an array of strings, got {_describe(value)}")
    for i, arg in enumerate(value):
        if not isinstance(arg, str):
            raise _Invalid(f"{where}[{i}]", f"must be a string, got {_describe(arg)}")
    return tuple(value)


def _describe(value: Any) -> str:
    """A value as the TOML author wrote it, with its type unless it is an integer."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int):
        return str(value)
    kinds = {str: "a string", float: "a float", list: "an array", dict: "a table"}
    return f"{value!r} ({kinds.get(type(value), type(value).__name__)})"


# ---- configurations made from code ----

def config_for_programs(commands: list[list[str]], ram_mib: int = 128, quantum: int = 100_000) -> SystemConfig:
    """The ad-hoc config of `lamina run P ARGS + Q ...`: one console-bound domain per command."""
    if any(not c for c in commands):
        raise ConfigError("command line", None, "every command needs a program name")
    # Built as the TOML would be, so the ad-hoc config passes the very checks a file does.
    domains = [{"name": name, "program": c[0], "args": c[1:], "bindings": [{"device": "console"}]}
               for name, c in zip(_unique_names([c[0] for c in commands]), commands)]
    description = " + ".join(" ".join(c) for c in commands)
    data = {"system": {"description": description, "ram_mib": ram_mib, "quantum": quantum}, "domain": domains}
    try:
        return _system(data, "adhoc")
    except _Invalid as e:
        raise ConfigError("command line", *e.args) from None


def _unique_names(programs: list[str]) -> list[str]:
    """Domain names for programs: the program name, then 'name#2', 'name#3' for repeats."""
    counts: dict[str, int] = {}
    names = []
    for program in programs:
        counts[program] = counts.get(program, 0) + 1
        names.append(program if counts[program] == 1 else f"{program}#{counts[program]}")
    return names

