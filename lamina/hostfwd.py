"""`--forward`: running a guest server reachable from the host through the host bridge.

`lamina run --forward tcp:8080:80 httpd` boots one machine with the file server (fsd,
bound to the disk) and the network server (netd, bound to the NIC), then the programs
of the command line, each given their ids as `-F ID -N ID`; the machine and the host
bridge (emulator/hostnet) share a switch and run in the cluster's lockstep loop
(lamina/cluster.py) until the programs of the command line have ended, or Ctrl-C.
With `--config NAME` the configuration is booted as it is (it must have netd).

This module parses the forward specs, builds that configuration and runs it; the
command line (lamina/cli.py) only adds the option and calls `run_forwarded`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from emulator.hostnet.bridge import BRIDGE_IP, Forward, ForwardError, HostBridge
from emulator.hostnet.packets import ip_text
from emulator.switch import LATENCY
from lamina.cluster import Cluster, boot_cluster, mac_address
from lamina.config import BindingSpec, DomainSpec, SystemConfig
from lamina.system import RunOptions

PROTOCOLS = ("tcp", "udp")
FILE_SERVER, NET_SERVER = "fsd", "netd"
CONSOLE = BindingSpec("console")
WHOLE_DISK = BindingSpec("disk", 0, 1 << 30)  # fsd asks disk_info how large the disk is
WHOLE_NIC = BindingSpec("nic")  # the catch-all filter: every frame nobody else takes
UNSUPPORTED = ("stats", "stats_json", "trace", "trace_cats", "watch", "flame", "trace_insns")  # run's, not here
DRAIN = 100 * LATENCY  # virtual time the network runs on after the programs have ended


def parse_forward(text: str) -> Forward:
    """'tcp:8080:80' -> Forward('tcp', 8080, 80); ForwardError saying what is wrong.
    Host port 0 asks for any free port (the run prints which)."""
    parts = text.split(":")
    if len(parts) != 3:
        raise ForwardError(f"--forward {text!r}: write PROTO:HOSTPORT:GUESTPORT, e.g. tcp:8080:80")
    proto, host, guest = parts
    if proto.lower() not in PROTOCOLS:
        raise ForwardError(f"--forward {text!r}: protocol must be tcp or udp, not {proto!r}")
    return Forward(proto.lower(), port_number(text, "host", host, 0), port_number(text, "guest", guest, 1))


def port_number(spec: str, which: str, text: str, lowest: int) -> int:
    """A port from its decimal text, lowest..65535, or a ForwardError naming it."""
    if not (text.isascii() and text.isdigit()):
        raise ForwardError(f"--forward {spec!r}: {which} port {text!r} is not a number")
    port = int(text)
    if not lowest <= port <= 65535:
        raise ForwardError(f"--forward {spec!r}: {which} port {port} is out of range {lowest}..65535")
    return port


def check_forwards(forwards: list[Forward]) -> None:
    """Refuse two forwards of one host port (port 0 excepted: each gets its own)."""
    seen = set()
    for fwd in forwards:
        key = (fwd.proto, fwd.host_port)
        if fwd.host_port and key in seen:
            raise ForwardError(f"--forward {fwd}: {fwd.proto} host port {fwd.host_port} is forwarded twice")
        seen.add(key)


def default_disk() -> Path:
    """The disk `lamina build` makes (programs in /bin, /www/index.html)."""
    from toolchain.build import default_build_dir
    from toolchain.diskimage import IMAGE_NAME

    return default_build_dir() / IMAGE_NAME


def network_config(commands: list[list[str]], disk: Path | None = None) -> SystemConfig:
    """fsd + netd + one domain per command, told both servers' ids (-F ID -N ID)."""
    servers = (DomainSpec(FILE_SERVER, "fsd", bindings=(CONSOLE, WHOLE_DISK)),
               DomainSpec(NET_SERVER, "netd", bindings=(CONSOLE, WHOLE_NIC)))
    names = {FILE_SERVER, NET_SERVER}
    programs = []
    for argv in commands:
        name, n = argv[0], 2
        while name in names:
            name, n = f"{argv[0]}#{n}", n + 1
        names.add(name)
        args = ("-F", f"@{FILE_SERVER}", "-N", f"@{NET_SERVER}", *argv[1:])
        programs.append(DomainSpec(name, argv[0], args, bindings=(CONSOLE,)))
    description = "network: " + " + ".join(" ".join(c) for c in commands)
    return SystemConfig("forward", description, disk=str(disk or default_disk()), domains=servers + tuple(programs))


@dataclass
class ForwardedRun:
    """The outcome: the cluster (machine 0 is the guest) and the bridge."""

    cluster: Cluster
    bridge: HostBridge

    @property
    def exit_status(self) -> int:
        """The first program's exit status (not a server's), 1 if it did not exit."""
        domains = self.cluster.machines[0].domains
        first = next((d for d in domains if d.name not in (FILE_SERVER, NET_SERVER)), domains[0])
        return first.exit_status if first.exit_status is not None else 1


def start_forwarded(config: SystemConfig, forwards: list[Forward], options: RunOptions,
                    pcap: Path | None = None) -> ForwardedRun:
    """Open the host ports (first: a port in use is refused before anything boots),
    boot the machine as machine 0 of a cluster and plug the bridge into its switch."""
    check_forwards(forwards)
    bridge = HostBridge(forwards, guest_ip=bytes([10, 0, 0, mac_address(0)[5]]))
    try:
        cluster = boot_cluster([config], [options], pcap)
    except BaseException:
        bridge.close()
        raise
    cluster.switch.attach(bridge.nic)
    cluster.nodes.append(bridge)
    return ForwardedRun(cluster, bridge)


def programs_done(run: ForwardedRun) -> bool:
    """True once every domain of the guest but the servers has ended (every domain, if
    the guest runs nothing but servers)."""
    domains = run.cluster.machines[0].domains
    programs = [d for d in domains if d.name not in (FILE_SERVER, NET_SERVER)] or domains
    return all(not d.alive for d in programs)


def run_forwarded(config: SystemConfig, forwards: list[Forward], options: RunOptions,
                  say: Callable[[str], None] = print, pcap: Path | None = None, max_time: int | None = None,
                  on_start: Callable[[ForwardedRun], None] | None = None) -> ForwardedRun:
    """Boot, announce the forwards (and call on_start: the host ports are open), run
    until the programs end (or Ctrl-C), power off."""
    run = start_forwarded(config, forwards, options, pcap)
    guest = ip_text(run.bridge.guest_ip)
    for fwd, port in run.bridge.host_ports.items():
        say(f"forwarding {fwd.proto} 127.0.0.1:{port} -> {guest}:{fwd.guest_port} "
            f"(bridge {ip_text(BRIDGE_IP)})")
    try:
        if on_start is not None:
            on_start(run)
        run.cluster.run(max_time, done=lambda: programs_done(run))
        # Let the last frames reach the host (a reply sent just before the program
        # ended), for a bounded virtual time: servers may keep timers forever.
        end = run.cluster.now + DRAIN if max_time is None else min(run.cluster.now + DRAIN, max_time)
        run.cluster.run(end, done=lambda: run.cluster.next_activity() is None)
    except KeyboardInterrupt:
        say("interrupted")
    finally:
        run.bridge.close()
        run.cluster.shutdown()
    return run


def cmd_forward(args, stderr) -> int:
    """`lamina run --forward ...` and `lamina net --forward ...`: parse, boot, run, report.
    (The command line's glue, kept here so that lamina/cli.py only calls it.)"""
    from emulator.disk import DiskError
    from emulator.elf import ElfError
    from lamina.cli import build_progress, choose_config, net_configs, split_commands
    from lamina.config import ConfigError
    from lamina.loader import LoadError
    from toolchain.build import BuildError, UnknownProgram

    name = f"lamina {args.command}"

    def say(line: str) -> None:
        stderr.print(f"{name}: {line}", highlight=False, markup=False)
    try:
        forwards = [parse_forward(text) for text in args.forward]
        unsupported = [f"--{o.replace('_', '-')}" for o in UNSUPPORTED if getattr(args, o, None)]
        if unsupported:
            raise ConfigError("command line", None, f"{', '.join(unsupported)} cannot be combined with --forward")
        if args.command == "net":
            configs = net_configs(args)
            if len(configs) != 1:
                raise ConfigError("command line", None, "--forward runs one machine: give one config or program")
            config = configs[0]
        elif args.config:
            config = choose_config(args)
        elif args.program:
            try:
                config = network_config(split_commands(args.program))
            except ValueError as err:
                raise ConfigError("command line", None, str(err)) from None
        else:
            raise ConfigError("command line", None, "name the server to forward to, e.g. "
                              "'lamina run --forward tcp:8080:80 httpd', or --config NAME")
        options = RunOptions(progress=build_progress(stderr), disk=getattr(args, "disk", None),
                             ram_mib=getattr(args, "ram", None), quantum=getattr(args, "quantum", None),
                             native=not getattr(args, "no_native", False))
        max_time = getattr(args, "max_time", None) or getattr(args, "max_instructions", None)
        run = run_forwarded(config, forwards, options, say, getattr(args, "pcap", None), max_time)
    except (ForwardError, ConfigError, UnknownProgram) as err:
        say(str(err))
        return 2
    except (BuildError, ElfError, LoadError, DiskError, ValueError, OSError) as err:
        say(str(err))
        return 1
    bridge = run.bridge
    say(f"virtual time {run.cluster.now:,}; bridge: {bridge.accepted} tcp connections, "
        f"{bridge.datagrams_in} udp datagrams in, {bridge.datagrams_out} out"
        + (f"; dropped {dict(bridge.stack.dropped)}" if bridge.stack.dropped else ""))
    return run.exit_status
