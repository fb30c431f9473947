"""The disk device: DMA through a binding, completions as notifications, data on the host."""

from __future__ import annotations

from emulator.disk import LATENCY, PER_SECTOR
from guest import boot, run, run_system
from kernel.abi import Errno
from kernel.devices import sys_timer
from lamina.config import BindingSpec, DomainSpec, SystemConfig, config_for_programs
from lamina.trace import ChromeTrace, parse_categories
from reported import reported

SECTORS = 2048


def disk_config(image, binding=(0, SECTORS), program="disktest", args=("100",)) -> SystemConfig:
    bindings = [BindingSpec("console")]
    if binding is not None:
        bindings.append(BindingSpec("disk", *binding))
    return SystemConfig("disk-test", disk=str(image),
                        domains=(DomainSpec("t", program, tuple(args), bindings=tuple(bindings)),))


def blank_image(tmp_path):
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(SECTORS * 512))
    return image


def test_written_sectors_read_back_and_reach_the_host_file(tmp_path):
    image = blank_image(tmp_path)
    r = run_system(disk_config(image))
    assert "2048 sectors" in r.text and ": ok" in r.text, r.text
    data = image.read_bytes()[100 * 512:108 * 512]
    assert data == bytes((i * 7 + 100) & 0xFF for i in range(8 * 512))


def test_a_domain_without_the_disk_binding_gets_eperm(tmp_path):
    r = run_system(disk_config(blank_image(tmp_path), binding=None))
    assert f"error {1}" in r.text  # EPERM from disk_info
    assert r.domain().exit_status == 1


def test_a_binding_covers_only_its_extent(tmp_path):
    r = run_system(disk_config(blank_image(tmp_path), binding=(0, 104)))
    assert "disk_io: error 1" in r.text  # sectors 100..107 reach past 104


def test_disk_time_passes_in_virtual_time_deterministically(tmp_path):
    a = run_system(disk_config(blank_image(tmp_path)))
    b = run_system(disk_config(blank_image(tmp_path)))
    assert a.result.kernel.board.now == b.result.kernel.board.now
    assert a.result.kernel.board.idle > 0  # waiting for the disk let virtual time skip ahead


def test_sleep_wakes_when_its_timer_expires_and_idle_time_skips_ahead():
    r = run("sleep 500000")
    asked, slept = (int(w.rstrip(",")) for w in r.text.split()[2:5:2])
    assert slept >= asked and slept - asked < 1000
    assert r.result.kernel.board.idle >= asked - 2000  # nobody else ran: time skipped


def test_a_sleeper_does_not_stop_others_from_running():
    r = run("sleep 200000", "spin 100000", quantum=1000)
    assert [d.exit_status for d in r.result.domains] == [0, 0]
    assert r.result.kernel.board.idle == 0  # the spinner filled the time


def test_re_arming_a_timer_does_not_pile_up_kernel_state():
    b = boot(config_for_programs([["hello"]]))
    k, d = b.result.kernel, b.result.domains[0]
    for i in range(1, 1000):
        assert sys_timer(k, d, 10**9 + i) == 0
        assert (10**9 + i, d.id) in k.timers, "dropping stale entries dropped the live one"
        assert len(k.timers) <= 2 * len(k.domains) + 16, "stale entries are dropped past 2 per domain + 16"
    assert d.timer == 10**9 + 999 and (10**9 + 999, d.id) in k.timers


# --- the calls at their edges (docs/abi.md, disk_io and disk_info) ---------------------

def edges(tmp_path, binding=(0, SECTORS), disk=True) -> dict:
    if not disk:
        return reported(run("disktest -e").text)
    r = run_system(disk_config(blank_image(tmp_path), binding=binding, args=("-e",)))
    assert r.domain().exit_status == 0, r.text
    return reported(r.text)


def test_disk_io_accepts_its_largest_request_and_the_last_sector_and_refuses_past_them(tmp_path):
    e = edges(tmp_path)
    assert e["info"] == SECTORS
    assert e["flush"] == e["count_max"] == e["last_sector"] == 0
    assert e["bad_op"] == e["count_0"] == e["count_above_max"] == e["past_the_end"] == -Errno.EINVAL
    assert e["read_into_read_only"] == -Errno.EFAULT, "a read needs the buffer writable"
    assert e["write_from_read_only"] == 0, "a write needs it only readable"
    assert e["write_from_unmapped"] == -Errno.EFAULT


def test_two_requests_in_flight_each_complete_with_their_own_data(tmp_path):
    e = edges(tmp_path)
    assert (e["two.submitted"], e["two.read_back"], e["two.match"], e["flush_again"]) == (1, 0, 1, 0)


def test_without_a_disk_binding_every_disk_call_is_eperm(tmp_path):
    e = edges(tmp_path, binding=None)
    assert e["info"] == e["flush"] == e["count_max"] == -Errno.EPERM
    assert e["bad_op"] == e["count_0"] == -Errno.EINVAL  # the arguments are checked first


def test_on_a_board_without_a_disk_every_disk_call_is_enodev(tmp_path):
    e = edges(tmp_path, disk=False)
    assert e["info"] == e["bad_op"] == e["flush"] == e["count_max"] == -Errno.ENODEV


def test_the_trace_shows_each_request_for_as_long_as_the_disk_worked_on_it(tmp_path):
    tracer = ChromeTrace(parse_categories("device"))
    run_system(disk_config(blank_image(tmp_path)), tracer=tracer)
    work = [(e["name"], e["dur"], e["args"]["for"]) for e in tracer.document()["traceEvents"]
            if e.get("cat") == "device" and e.get("ph") == "X"]
    assert work == [("write 8 @ 100", LATENCY + 8 * PER_SECTOR, "domain 1 (t)"),
                    ("read 8 @ 100", LATENCY + 8 * PER_SECTOR, "domain 1 (t)"),
                    ("flush 0 @ 0", LATENCY, "domain 1 (t)")]
