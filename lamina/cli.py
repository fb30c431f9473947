"""The `lamina` command line.

    lamina run [--stats] [--stats-json FILE] [--quantum N] PROGRAM [ARGS...] [+ PROGRAM [ARGS...]]...
    lamina run --config NAME
    lamina run                  (no program: boot configs/default.toml to the shell)
    lamina run --forward tcp:8080:80 [--forward udp:7007:7] PROGRAM [ARGS...]   (with fsd and netd)
    lamina net [--pcap FILE] PROGRAM [ARGS...] [+ PROGRAM [ARGS...]]...   (one machine each)
    lamina net --config NAME --config NAME ... [--pcap FILE]
    lamina programs             (what PROGRAM may be, by kind)
    lamina build
    lamina stats [--loc]
    lamina bench [--json [FILE]]
    lamina bloat [--json [FILE]] [--html FILE]
    lamina image create|ls|cat|put|get|rm|mkdir|fsck DISK ...
    lamina lab list|handout|grade|autograder ...   (lamina/labkit/cli.py)
    lamina --version

run and net are here; the commands about Lamina itself are in lamina/commands.py.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from rich.console import Console

from emulator.console import write_to_host_stdout
from emulator.disk import DiskError
from emulator.elf import ElfError
from lamina.loader import LoadError
from lamina.commands import cmd_bench, cmd_bloat, cmd_build, cmd_programs, cmd_stats
from lamina.labkit.cli import add_lab_commands, run_lab_command
from lamina.flame import FlameProfiler
from lamina.flamesvg import flame_svg
from lamina.outputs import OutputError, check_output, write_output
from toolchain.imagecmd import add_image_commands, run_image_command
from lamina.insntrace import InstructionListing, WindowError, parse_window
from lamina.report import print_stats, stats_json
from lamina.runreport import RunRecorder, report_html
from lamina.vmprint import PageTablePrinter
from lamina.watch import LiveView, PauseKey, TeeTracer
from lamina.trace import CATEGORIES, ChromeTrace, TraceError, parse_categories
from lamina.config import ConfigError, SystemConfig, config_for_programs, load_config
from lamina.hostconsole import host_stdin
from lamina.system import RunOptions, run_config, shell_system

SEPARATOR = "+"


def split_commands(words: list[str]) -> list[list[str]]:
    """Split 'a 1 + b 2' into [['a', '1'], ['b', '2']]; an empty command is an error."""
    commands: list[list[str]] = [[]]
    for word in words:
        if word == SEPARATOR:
            commands.append([])
        else:
            commands[-1].append(word)
    if any(not c for c in commands):
        raise ValueError(f"empty program around '{SEPARATOR}': write PROGRAM [ARGS...] {SEPARATOR} PROGRAM [ARGS...]")
    return commands


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (accepts 100_000 and 1e5-free plain digits)."""
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def benchmark_names() -> list[str]:
    """What `lamina bench --only` accepts."""
    from bench.suite import BENCHMARKS

    return [name for name, _ in BENCHMARKS]


def make_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="lamina", description="Lamina, a layered teaching OS on an emulated RISC-V board.",
                                     epilog="Start with: lamina run hello world; lamina run (the shell); lamina programs.")
    parser.add_argument("--version", action="version", version=f"lamina {lamina_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="boot the board and run programs, each in its own domain")
    run.add_argument("--stats", action="store_true", help="print per-domain counters at the end (on stderr)")
    run.add_argument("--stats-json", metavar="FILE", type=Path, help="write the counters as JSON to FILE")
    run.add_argument("--quantum", type=positive_int, default=None, metavar="N", help="preemption quantum in guest instructions")
    run.add_argument("--ram", type=positive_int, default=None, metavar="MIB", help="RAM size in MiB (default: the configuration's, 128)")
    run.add_argument("--trace", metavar="FILE", type=Path, help="write a Chrome trace (Perfetto, chrome://tracing) in virtual time")
    run.add_argument("--trace-cats", metavar="CATS", help=f"trace only these categories, comma-separated ({', '.join(CATEGORIES)})")
    run.add_argument("--watch", action="store_true", help="show the domains live in the terminal as the machine runs")
    run.add_argument("--watch-speed", type=float, default=None, metavar="N",
                     help="with --watch: run at N instructions of virtual time per second of wall time (space pauses)")
    run.add_argument("--report", metavar="FILE", type=Path, help="write one self-contained HTML page of the run: "
                     "a timeline per domain, frames held, the statistics (no network needed to view it)")
    run.add_argument("--flame-root", choices=("layer", "domain"), default="layer",
                     help="with --flame: stacks start with the layer (default) or with the domain")
    run.add_argument("--flame", metavar="FILE", type=Path, help="write folded stacks weighted by guest instructions "
                     "(speedscope, flamegraph.pl), or, for FILE.svg, the flame graph itself")
    run.add_argument("--vmprint", metavar="DOMAIN", help="print a domain's page table (by id or name) when it exits, as xv6's vmprint")
    run.add_argument("--trace-insns", metavar="DOMAIN:START-END", help="list the instructions a domain executes in a window of its instruction count (on stderr)")
    run.add_argument("--disk", metavar="IMAGE", type=Path, help="attach IMAGE as the disk (overrides the configuration's)")
    run.add_argument("--config", metavar="NAME", help="boot a named system configuration (configs/NAME.toml) instead of PROGRAMs")
    run.add_argument("--max-instructions", type=positive_int, default=None, metavar="N", help="stop the machine after N guest instructions")
    run.add_argument("--no-native", action="store_true", help="use the pure-Python instruction clock (slower, same counts)")
    run.add_argument("--forward", metavar="PROTO:HOSTPORT:GUESTPORT", action="append", help="forward 127.0.0.1:HOSTPORT "
                     "(tcp or udp) to the guest's port through the host bridge; boots fsd and netd first (lamina/hostfwd.py)")
    run.add_argument("program", nargs=argparse.REMAINDER, help="PROGRAM [ARGS...] [+ PROGRAM [ARGS...]]...; none: boot to the shell (configs/default.toml)")

    net = sub.add_parser("net", help="run several machines in lockstep, joined by a virtual Ethernet switch")
    net.add_argument("--pcap", metavar="FILE", type=Path, help="record every frame the switch carries (libpcap, virtual time)")
    net.add_argument("--config", metavar="NAME", action="append", help="a machine booting configs/NAME.toml (repeat for each)")
    net.add_argument("--max-time", type=positive_int, default=None, metavar="N", help="stop at virtual time N")
    net.add_argument("--forward", metavar="PROTO:HOSTPORT:GUESTPORT", action="append",
                     help="forward 127.0.0.1:HOSTPORT to the one machine's port through the host bridge")
    net.add_argument("program", nargs=argparse.REMAINDER, help="PROGRAM [ARGS...] [+ PROGRAM [ARGS...]]...: one machine each, "
                     "its one domain bound to the console and the whole NIC")

    sub.add_parser("build", help="build every userland program")
    sub.add_parser("programs", help="list the programs lamina run can start, by kind")

    add_image_commands(sub)
    add_lab_commands(sub)

    bench = sub.add_parser("bench", help="run the benchmark suite (ratios to same-run baselines)")
    bench.add_argument("--json", metavar="FILE", type=Path, nargs="?", const=Path("-"),
                       help="also write the figures as JSON to FILE (without FILE: to standard output, instead of the table)")
    bench.add_argument("--pairs", type=positive_int, default=5,
                       help="measured/baseline sample pairs per figure (the median ratio is reported; default 5)")
    bench.add_argument("--only", metavar="NAME", action="append", choices=benchmark_names(),
                       help="run only this benchmark (repeatable): " + ", ".join(benchmark_names()))

    bloat = sub.add_parser("bloat", help="the cost of one operation under each layering, split by layer")
    bloat.add_argument("--json", metavar="FILE", type=Path, nargs="?", const=Path("-"),
                       help="also write the figures as JSON to FILE (without FILE: to standard output, instead of the table)")
    bloat.add_argument("--html", metavar="FILE", type=Path, help="write a self-contained report with charts")

    stats = sub.add_parser("stats", help="facts about Lamina itself (lines of code per layer)")
    stats.add_argument("--loc", action="store_true", help="lines of code of each layer (the default)")
    return parser


def build_progress(stderr: Console):
    """A progress callback that prints one line per build step that does work, on stderr."""
    def progress(done: int, total: int, what: str) -> None:
        if not what.endswith("up to date"):
            stderr.print(f"[dim][{done}/{total}] {what}[/dim]", highlight=False)
    return progress


def choose_config(args: argparse.Namespace) -> SystemConfig:
    """The system to boot: --config NAME, or one domain per PROGRAM on the command line."""
    if args.config:
        if args.program:
            raise ConfigError("command line", None, "give either --config NAME or PROGRAMs, not both")
        return load_config(args.config)
    try:
        return config_for_programs(split_commands(args.program))
    except ValueError as err:
        raise ConfigError("command line", None, str(err)) from None


def boot_to_shell(options: RunOptions) -> SystemConfig:
    """The default system, init and the shell (configs/default.toml), with the host's
    standard input as console input: all of it if piped, line by line from a terminal."""
    piped, terminal = host_stdin()
    options.console_input, options.console_terminal = piped, terminal
    return shell_system(options, interactive=terminal is not None)


def cmd_run(args: argparse.Namespace, stderr: Console) -> int:
    """lamina run: boot, run the programs, report."""
    from toolchain.build import BuildError, UnknownProgram

    if args.forward:
        from lamina.hostfwd import cmd_forward

        return cmd_forward(args, stderr)

    profilers: list[FlameProfiler] = []
    options = RunOptions(ram_mib=args.ram, quantum=args.quantum, native=not args.no_native, disk=args.disk,
                         max_instructions=args.max_instructions, progress=build_progress(stderr))
    try:
        for path, option in ((args.stats_json, "--stats-json"), (args.trace, "--trace"), (args.flame, "--flame"),
                             (args.report, "--report")):
            check_output(path, option)
        tracers = []
        if args.trace or args.trace_cats:
            tracers.append(ChromeTrace(parse_categories(args.trace_cats)))
        if args.watch:  # the guest's output goes into the view's pane, and is printed again at the end
            view = LiveView(stderr, args.watch_speed, PauseKey() if args.program else None)
            options.console_sink = view.console_sink
            tracers.append(view)
        if args.vmprint:
            tracers.append(PageTablePrinter(args.vmprint, sys.stderr))
        recorder = RunRecorder() if args.report else None
        if recorder is not None:
            tracers.append(recorder)
        options.tracer = tracers[0] if len(tracers) == 1 else TeeTracer(*tracers) if tracers else None
        attach = []
        if args.trace_insns:
            window = parse_window(args.trace_insns)
            attach.append(lambda kernel: InstructionListing(kernel, window, sys.stderr))
        if args.flame:
            attach.append(lambda kernel: profilers.append(FlameProfiler(kernel)))
        options.before_run = lambda kernel: [f(kernel) for f in attach]
        config = choose_config(args) if args.config or args.program else boot_to_shell(options)
        if args.watch:
            with view:
                result = run_config(config, options)
            write_to_host_stdout(bytes(view.transcript))
        else:
            result = run_config(config, options)
    except (ConfigError, TraceError, WindowError, OutputError) as err:
        stderr.print(f"lamina run: {err}", highlight=False, markup=False)
        return 2
    except UnknownProgram as err:
        stderr.print(f"lamina run: {err}", highlight=False)
        return 2
    except (BuildError, ElfError, LoadError, DiskError, ValueError) as err:
        stderr.print(f"lamina run: {err}", highlight=False, markup=False)
        return 1
    except NotImplementedError as err:  # a lab's stub, met while booting (lamina/labkit)
        stderr.print(f"lamina run: {err} ({raised_at(err)})", highlight=False, markup=False)
        return 1
    except KeyboardInterrupt:
        stderr.print("lamina run: interrupted", highlight=False)
        return 130
    if args.stats:
        print_stats(result, stderr)
    try:
        if args.stats_json:
            write_output(args.stats_json, stats_json(result), "--stats-json")
        if args.trace:
            write_output(args.trace, tracers[0].text(), "--trace")
        if args.flame and args.flame.suffix == ".svg":
            write_output(args.flame, flame_svg(profilers[0].stacks(args.flame_root), "lamina run: where the instructions went"),
                         "--flame")
        elif args.flame:
            write_output(args.flame, profilers[0].folded(args.flame_root), "--flame")
        if args.report:
            command = " ".join(["lamina run", *sys.argv[2:]]) if sys.argv[1:2] == ["run"] else "lamina run"
            write_output(args.report, report_html(result, recorder, command), "--report")
    except OutputError as err:
        stderr.print(f"lamina run: {err}", highlight=False, markup=False)
        return 1
    return result.exit_status


class MachineConsole:
    """A console sink that prints each whole line of machine `index` as '[index] line'."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.partial = b""

    def __call__(self, data: bytes) -> None:
        *lines, self.partial = (self.partial + data).split(b"\n")
        for line in lines:
            write_to_host_stdout(f"[{self.index}] {line.decode(errors='replace')}\n".encode())


def net_configs(args: argparse.Namespace) -> list[SystemConfig]:
    """The machines of `lamina net`: configurations, or one per PROGRAM command."""
    from lamina.config import BindingSpec, DomainSpec

    if args.config and args.program:
        raise ConfigError("command line", None, "give either --config NAMEs or PROGRAMs, not both")
    if args.config:
        return [load_config(name) for name in args.config]
    if not args.program:
        raise ConfigError("command line", None, "name the programs, e.g. 'lamina net nicping ping 3 + nicping echo 3'")
    try:
        commands = split_commands(args.program)
    except ValueError as err:
        raise ConfigError("command line", None, str(err)) from None
    bindings = (BindingSpec("console"), BindingSpec("nic"))
    return [SystemConfig(f"machine{i}", domains=(DomainSpec(argv[0], argv[0], tuple(argv[1:]), bindings=bindings),))
            for i, argv in enumerate(commands)]


def cmd_net(args: argparse.Namespace, stderr: Console) -> int:
    """lamina net: boot one machine per configuration or command, run them in lockstep."""
    from lamina.cluster import run_cluster
    from toolchain.build import BuildError, UnknownProgram

    if args.forward:
        from lamina.hostfwd import cmd_forward

        return cmd_forward(args, stderr)

    try:
        check_output(args.pcap, "--pcap")
        configs = net_configs(args)
        sinks = [MachineConsole(i) for i in range(len(configs))]
        options = [RunOptions(console_sink=s, progress=build_progress(stderr)) for s in sinks]
        cluster = run_cluster(configs, options, pcap=args.pcap, max_time=args.max_time)
    except (ConfigError, UnknownProgram, OutputError) as err:
        stderr.print(f"lamina net: {err}", highlight=False, markup=False)
        return 2
    except (BuildError, ElfError, LoadError, DiskError, ValueError, OSError) as err:
        stderr.print(f"lamina net: {err}", highlight=False, markup=False)
        return 1
    for sink in sinks:
        if sink.partial:
            sink(b"\n")  # a last line without its newline
    for i, k in enumerate(cluster.kernels):
        nic = k.board.nic
        stderr.print(f"[{i}] nic {nic.mac.hex(':')}: sent {nic.tx_frames}, received {nic.rx_frames}, dropped "
                     f"{nic.rx_dropped} (receive ring full) + {k.nic_dropped} (no filter, or queue full)", highlight=False)
    frames = cluster.pcaps[0].frames if cluster.pcaps else None
    stderr.print(f"lamina net: {len(configs)} machines, virtual time {cluster.now:,}"
                 + (f", {frames} frames in {args.pcap}" if frames is not None else ""), highlight=False)
    return max((m.exit_status for m in cluster.machines), default=0)


def raised_at(err: BaseException) -> str:
    """file:line where err was raised, relative to the working directory if under it."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    path = Path(tb.tb_frame.f_code.co_filename)
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    return f"{shown.as_posix()}:{tb.tb_lineno}"


def lamina_version() -> str:
    """The installed package's version (the source tree's, when run from a checkout)."""
    try:
        return metadata.version("lamina")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lamina` console script."""
    parser = make_parser()
    args = parser.parse_args(argv)
    # Rich wraps at 80 columns when not on a terminal; a log file or CI can afford more.
    stderr = Console(stderr=True, width=None if sys.stderr.isatty() else 120, soft_wrap=True)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "run":
        return cmd_run(args, stderr)
    if args.command == "net":
        return cmd_net(args, stderr)
    if args.command == "build":
        return cmd_build(stderr, build_progress(stderr))
    if args.command == "programs":
        return cmd_programs(Console())
    if args.command == "stats":
        return cmd_stats(args, Console())
    if args.command == "image":
        return run_image_command(args)
    if args.command == "lab":
        return run_lab_command(args, Console(), stderr)
    if args.command == "bloat":
        return cmd_bloat(args, stderr)
    if args.command == "bench":
        return cmd_bench(args, stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
