"""Several machines in one process, joined by a virtual Ethernet switch, run in lockstep.

Each machine is a whole system (a board with a NIC, a kernel, the domains of its boot
configuration), booted by lamina/system.py. The cluster runs them in steps of virtual
time: every machine runs until the common time T (Kernel.run(until=T)), then the
switch carries the frames sent by T, and the next step begins. A frame therefore
crosses the switch only at a step boundary, and the order of everything depends only on
virtual time: the same cluster exchanges the same frames at the same times on every
run, so its pcap files are identical byte for byte.

The step is the switch's latency: a frame sent during a step arrives at or after the
end of that step, never in a receiver's past. When no machine has anything to run, the
cluster skips ahead to the next step in which something happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from emulator.pcap import PcapWriter
from emulator.switch import LATENCY, Switch
from kernel import devices
from kernel.kernel import Kernel
from lamina.config import SystemConfig
from lamina.system import RunOptions, RunResult, boot_config


def mac_address(index: int) -> bytes:
    """The MAC address of machine `index`: locally administered, 02:00:00:00:00:index+1."""
    return bytes([2, 0, 0, 0, (index + 1) >> 8, (index + 1) & 0xFF])


class SwitchNode(Protocol):
    """A switch port that is not a machine (the host bridge, emulator/hostnet): stepped
    at each step boundary, and able to block on the host when nothing else can happen."""

    def step(self, now: int) -> None: ...
    def next_event(self, now: int) -> int | None: ...
    def wait(self, timeout: float | None = None) -> bool: ...


HOST_WAIT = 0.25  # seconds a blocked cluster waits on the host before looking at done() again


@dataclass
class Cluster:
    """Booted machines, the switch between them, and the common virtual time."""

    machines: list[RunResult]
    switch: Switch
    step: int
    now: int = 0
    pcaps: list[PcapWriter] = field(default_factory=list)
    nodes: list[SwitchNode] = field(default_factory=list)

    @property
    def kernels(self) -> list[Kernel]:
        return [m.kernel for m in self.machines]

    def run(self, max_time: int | None = None, done: Callable[[], bool] | None = None) -> None:
        """Run every machine in lockstep until none has anything left to do (nothing
        runnable, no device event pending, no frame on its way), max_time passes or
        done() says so. While only the host can bring work (a node has host sockets),
        block on the host instead of ending: virtual time stands still meanwhile."""
        while (max_time is None or self.now < max_time) and not (done is not None and done()):
            for node in self.nodes:
                node.step(self.now)
            wake = self.next_activity()
            if wake is None:
                if not any(node.wait(HOST_WAIT) for node in self.nodes):
                    break
                continue
            target = max(self.now + self.step, -(-wake // self.step) * self.step)
            for k in self.kernels:
                k.run(until=target)
            self.switch.exchange(target)
            self.now = target

    def next_activity(self) -> int | None:
        """Virtual time at which some machine next has work: now if a domain is runnable,
        else the earliest device event or transmitted frame; None if there is none."""
        times = []
        for k in self.kernels:
            k.until = None  # the end of the last step is no event
            nic = k.board.nic
            if k.scheduler.has_runnable() or (nic is not None and nic.tx_pending):
                return self.now
            event = devices.next_event(k)
            if event is not None:
                times.append(event)
        for node in self.nodes:
            event = node.next_event(self.now)
            if event is not None:
                times.append(event)
        return min(times) if times else None

    def shutdown(self) -> None:
        """Power every machine off and close the capture files."""
        for k in self.kernels:
            k.shutdown()
        for w in self.pcaps:
            w.close()


def boot_cluster(configs: list[SystemConfig], options: list[RunOptions] | None = None,
                 pcap: Path | None = None, latency: int = LATENCY) -> Cluster:
    """Boot one machine per configuration, each with a NIC on one switch; record every
    frame the switch carries to `pcap` if given."""
    options = options or [RunOptions() for _ in configs]
    switch = Switch(latency)
    machines = []
    for i, (config, opts) in enumerate(zip(configs, options, strict=True)):
        machine = boot_config(config, replace(opts, nic_mac=mac_address(i)))
        switch.attach(machine.kernel.board.nic)
        machines.append(machine)
    cluster = Cluster(machines, switch, step=latency)
    if pcap is not None:
        cluster.pcaps.append(PcapWriter(pcap))
        switch.record(cluster.pcaps[-1])
    return cluster


def run_cluster(configs: list[SystemConfig], options: list[RunOptions] | None = None,
                pcap: Path | None = None, max_time: int | None = None) -> Cluster:
    """Boot the machines, run them in lockstep until they are done, and power them off."""
    cluster = boot_cluster(configs, options, pcap)
    try:
        cluster.run(max_time)
    finally:
        cluster.shutdown()
    return cluster
