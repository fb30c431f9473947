"""Boot configurations: shipped files load, every kind of mistake is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.abi import Device, DomState
from lamina.config import (
    BindingSpec,
    ConfigError,
    DomainSpec,
    SystemConfig,
    config_dir,
    config_for_programs,
    list_configs,
    load_config,
    parse_config,
)

MINIMAL = '[[domain]]\nname = "a"\nprogram = "hello"\n'


def with_domain(*lines: str) -> str:
    """A one-domain config with extra `key = value` lines in its [[domain]] table."""
    return MINIMAL + "\n".join(lines) + "\n"


# ---- shipped configurations ----

def test_shipped_configs_include_hello_and_spin2() -> None:
    assert {"hello", "spin2"} <= set(list_configs())


@pytest.mark.parametrize("name", list_configs())
def test_every_shipped_config_loads(name: str) -> None:
    config = load_config(name)
    assert config.name == name
    assert config.domains


def test_hello_config_passes_its_arguments_and_binds_the_console() -> None:
    (hello,) = load_config("hello").domains
    assert (hello.program, hello.args) == ("hello", ("from", "a", "config"))
    assert hello.bindings == (BindingSpec("console"),)


def test_spin2_gives_two_spin_domains_different_shares() -> None:
    domains = load_config("spin2").domains
    assert [d.program for d in domains] == ["spin", "spin"]
    assert sorted(d.share for d in domains) == [100, 300]


def test_a_path_ending_in_toml_is_read_directly() -> None:
    assert load_config(str(config_dir() / "hello.toml")) == load_config("hello")


# ---- defaults ----

def test_a_minimal_config_takes_every_default() -> None:
    assert parse_config(MINIMAL, "tiny.toml") == SystemConfig(name="tiny", domains=(DomainSpec("a", "hello"),))


def test_defaults_written_out_read_back_the_same() -> None:
    text = """
        [system]
        description = ""
        ram_mib = 128
        quantum = 100000
        [[domain]]
        name = "a"
        program = "hello"
        args = []
        share = 100
        page_quota = 8192
        bindings = []
        start = true
    """
    assert parse_config(text, "x.toml") == parse_config(MINIMAL, "x.toml")


def test_specs_translate_to_abi_values() -> None:
    text = with_domain('bindings = [{ device = "nic", lo = 17, hi = 53 }]', "start = false")
    stopped, running = parse_config(text + '[[domain]]\nname = "b"\nprogram = "spin"\n', "x.toml").domains
    assert stopped.bindings[0].kind is Device.NIC
    assert stopped.initial_state is DomState.STOPPED
    assert running.initial_state is DomState.RUNNABLE


def test_every_device_binding_form_is_accepted() -> None:
    bindings = ('bindings = [{ device = "console" }, { device = "disk", lo = 8, hi = 16 },'
                ' { device = "nic", lo = 6, hi = 80 }, { device = "nic" }]')
    (d,) = parse_config(with_domain(bindings), "x.toml").domains
    assert d.bindings == (BindingSpec("console"), BindingSpec("disk", 8, 16), BindingSpec("nic", 6, 80), BindingSpec("nic"))


# ---- refusals: each names the field ----

REFUSALS = [
    # (what is wrong, file text, field named, words in the problem)
    ("share negative", with_domain("share = -3"), "domain[0].share", "must be an integer from 1 to 1000000, got -3"),
    ("share too big", with_domain("share = 1000001"), "domain[0].share", "from 1 to 1000000"),
    ("share a bool", with_domain("share = true"), "domain[0].share", "got true (a boolean)"),
    ("share a float", with_domain("share = 1.5"), "domain[0].share", "(a float)"),
    ("quota too small", with_domain("page_quota = 15"), "domain[0].page_quota", "from 16 to 1048576"),
    ("quota too big", with_domain("page_quota = 1048577"), "domain[0].page_quota", "from 16 to 1048576"),
    ("ram too small", "[system]\nram_mib = 8\n" + MINIMAL, "system.ram_mib", "from 16 to 4096"),
    ("ram a string", '[system]\nram_mib = "128"\n' + MINIMAL, "system.ram_mib", "(a string)"),
    ("quantum too small", "[system]\nquantum = 99\n" + MINIMAL, "system.quantum", ">= 100"),
    ("disk not a string", "[system]\ndisk = 3\n" + MINIMAL, "system.disk", "string"),
    ("disk empty", '[system]\ndisk = ""\n' + MINIMAL, "system.disk", "empty"),
    ("description not a string", "[system]\ndescription = 1\n" + MINIMAL, "system.description", "string"),
    ("start an int", with_domain("start = 1"), "domain[0].start", "true or false"),
    ("typo in a domain key", with_domain("shares = 3"), "domain[0].shares", "unknown key (did you mean 'share'?)"),
    ("typo in a system key", "[system]\nram_mb = 64\n" + MINIMAL, "system.ram_mb", "did you mean 'ram_mib'?"),
    ("unknown top-level table", "[sytem]\n" + MINIMAL, "sytem", "did you mean 'system'?"),
    ("unknown binding key", with_domain('bindings = [{ device = "disk", lo = 0, high = 8 }]'), "domain[0].bindings[0].high", "did you mean 'hi'?"),
    ("missing program", '[[domain]]\nname = "a"\n', "domain[0].program", "missing"),
    ("missing name", '[[domain]]\nprogram = "hello"\n', "domain[0].name", "missing"),
    ("missing device", with_domain("bindings = [{ lo = 1 }]"), "domain[0].bindings[0].device", "missing"),
    ("program with a path", with_domain('program = "../etc/x"').replace('program = "hello"\n', ""), "domain[0].program", "plain name"),
    ("name with a space", MINIMAL.replace('"a"', '"a b"'), "domain[0].name", "plain name"),
    ("args not strings", with_domain("args = [1]"), "domain[0].args[0]", "must be a string"),
    ("args not an array", with_domain('args = "x"'), "domain[0].args", "array of strings"),
    ("duplicate names", MINIMAL + MINIMAL, "domain[1].name", "duplicate domain name 'a'"),
    ("unknown device", with_domain('bindings = [{ device = "dsik" }]'), "domain[0].bindings[0].device", "did you mean 'disk'?"),
    ("disk lo == hi", with_domain('bindings = [{ device = "disk", lo = 8, hi = 8 }]'), "domain[0].bindings[0].hi", "lo < hi"),
    ("disk lo > hi", with_domain('bindings = [{ device = "disk", lo = 9, hi = 8 }]'), "domain[0].bindings[0].hi", "lo < hi"),
    ("disk without hi", with_domain('bindings = [{ device = "disk" }]'), "domain[0].bindings[0].hi", "lo < hi"),
    ("disk negative lo", with_domain('bindings = [{ device = "disk", lo = -1, hi = 8 }]'), "domain[0].bindings[0].lo", ">= 0"),
    ("console with an extent", with_domain('bindings = [{ device = "console", hi = 4 }]'), "domain[0].bindings[0].hi", "must be 0"),
    ("nic bad protocol", with_domain('bindings = [{ device = "nic", lo = 5 }]'), "domain[0].bindings[0].lo", "protocol"),
    ("nic bad port", with_domain('bindings = [{ device = "nic", lo = 6, hi = 70000 }]'), "domain[0].bindings[0].hi", "0 to 65535"),
    ("binding not a table", with_domain('bindings = ["console"]'), "domain[0].bindings[0]", "must be a table"),
    ("binding twice", with_domain('bindings = [{ device = "console" }, { device = "console" }]'), "domain[0].bindings[1]", "duplicate binding"),
    ("no domains", "[system]\nram_mib = 64\n", "domain", "at least one"),
    ("domain as a single table", '[domain]\nname = "a"\nprogram = "hello"\n', "domain", "array of tables"),
    ("nothing starts", with_domain("start = false"), "domain", "nothing would ever run"),
    ("cap on an unknown domain", with_domain('caps = ["fds"]'), "domain[0].caps[0]", "names no domain"),
    ("cap on itself", with_domain('caps = ["a"]'), "domain[0].caps[0]", "this domain itself"),
    ("caps not strings", with_domain("caps = [1]"), "domain[0].caps[0]", "must be a string"),
]


@pytest.mark.parametrize(("text", "field", "problem"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_invalid_config_is_refused_naming_file_and_field(text: str, field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "configs/demo.toml")
    assert caught.value.field == field
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"configs/demo.toml: {field}: ")


def test_toml_syntax_error_is_reported_with_the_file_name() -> None:
    with pytest.raises(ConfigError, match=r"^configs/demo\.toml: TOML syntax: .*line 2"):
        parse_config('[[domain]]\nname = \n', "configs/demo.toml")


def test_error_from_a_file_names_that_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(with_domain("share = 0"))
    with pytest.raises(ConfigError, match=r"bad\.toml: domain\[0\]\.share: must be an integer from 1 to 1000000, got 0"):
        load_config(str(path))


def test_unknown_config_name_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"did you mean 'hello'\?"):
        load_config("helo")


def test_missing_toml_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(str(tmp_path / "absent.toml"))


# ---- where configurations are found ----

def test_config_dir_can_be_overridden_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mine.toml").write_text(MINIMAL)
    monkeypatch.setenv("LAMINA_CONFIG_DIR", str(tmp_path))
    assert config_dir() == tmp_path
    assert list_configs() == ["mine"]
    assert load_config("mine").domains == (DomainSpec("a", "hello"),)


def test_relative_disk_path_is_taken_from_the_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "withdisk.toml"
    path.write_text('[system]\ndisk = "images/disk.img"\n' + MINIMAL)
    assert load_config(str(path)).disk == str((tmp_path / "images" / "disk.img").resolve())


def test_absolute_disk_path_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "withdisk.toml"
    path.write_text('[system]\ndisk = "/srv/disk.img"\n' + MINIMAL)
    assert load_config(str(path)).disk == "/srv/disk.img"


# ---- ad-hoc configurations from the command line ----

def test_programs_on_the_command_line_get_unique_names() -> None:
    config = config_for_programs([["spin", "5"], ["hello"], ["spin"], ["spin", "7"]])
    assert [d.name for d in config.domains] == ["spin", "hello", "spin#2", "spin#3"]
    assert [d.args for d in config.domains] == [("5",), (), (), ("7",)]


def test_programs_on_the_command_line_are_bound_to_the_console() -> None:
    config = config_for_programs([["hello", "x"], ["spin", "1"]], ram_mib=64, quantum=500)
    assert all(d.bindings == (BindingSpec("console"),) for d in config.domains)
    assert all(d.start and d.share == 100 for d in config.domains)
    assert (config.ram_mib, config.quantum) == (64, 500)


def test_command_line_config_is_checked_like_a_file() -> None:
    with pytest.raises(ConfigError, match=r"domain\[1\]\.program: must be a plain name"):
        config_for_programs([["hello"], ["../x"]])
    with pytest.raises(ConfigError, match=r"system\.quantum"):
        config_for_programs([["hello"]], quantum=10)
    with pytest.raises(ConfigError, match="at least one"):
        config_for_programs([])
