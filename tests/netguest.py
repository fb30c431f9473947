"""Running netd clusters for the network tests: machines with netd and its clients.

`machine(...)` describes one machine: netd (bound to the NIC's catch-all filter)
followed by client programs, each given "-N @netd" (and "-F @fsd" for those that
also need the file server, on a machine with a disk). `run_net` runs the machines
in lockstep on one switch and returns their console texts and the capture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lamina.cluster import Cluster, boot_cluster
from lamina.config import BindingSpec, DomainSpec, SystemConfig
from lamina.system import RunOptions

CONSOLE, NIC = BindingSpec("console"), BindingSpec("nic")
MAX_TIME = 400_000_000  # virtual instructions: a safety net, far beyond any test


def ip(n: int) -> str:
    """The address of machine n (0-based): 10.0.0.(n+1)."""
    return f"10.0.0.{n + 1}"


def machine(name: str, *clients: list[str], fsd: bool = False) -> SystemConfig:
    """netd and the client commands (lists of words), each told where netd is."""
    domains = [DomainSpec("netd", "netd", (), bindings=(CONSOLE, NIC))]
    if fsd:
        domains.append(DomainSpec("fsd", "fsd", (), bindings=(CONSOLE, BindingSpec("disk", 0, 1 << 30))))
    for i, (program, *args) in enumerate(clients):
        prefix = ("-N", "@netd") + (("-F", "@fsd") if fsd else ())
        domains.append(DomainSpec(f"c{i}", program, prefix + tuple(args), bindings=(CONSOLE,)))
    return SystemConfig(name, domains=tuple(domains))


@dataclass
class NetRun:
    cluster: Cluster
    texts: list[str]
    outputs: list[bytes]
    pcap: bytes


def run_net(tmp_path: Path, *configs: SystemConfig, inputs: list[bytes | None] | None = None,
            disks: list[Path | None] | None = None, pcap_name: str = "net.pcap",
            drop_every: int = 0, before=None) -> NetRun:
    """Run the machines in lockstep until all is quiet (the switch losing every
    drop_every-th frame if given; before(cluster) called first if given); their
    consoles and the capture."""
    outs = [bytearray() for _ in configs]
    inputs = inputs or [None] * len(configs)
    disks = disks or [None] * len(configs)
    options = [RunOptions(console_sink=o.extend, log=lambda line: None, console_input=i, disk=d)
               for o, i, d in zip(outs, inputs, disks)]
    path = tmp_path / pcap_name
    cluster = boot_cluster(list(configs), options, pcap=path)
    cluster.switch.drop_every = drop_every
    try:
        if before is not None:
            before(cluster)
        cluster.run(MAX_TIME)
    finally:
        cluster.shutdown()
    return NetRun(cluster, [o.decode(errors="replace") for o in outs], [bytes(o) for o in outs],
                  path.read_bytes())
