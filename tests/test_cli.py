from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netui.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_help_imports_neither_textual_nor_paramiko_nor_kubernetes():
    code = "import sys; from netui.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\nprint(sorted(m for m in ('textual','paramiko','kubernetes') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().endswith("[]")


def test_bad_input_gets_one_clear_message_and_no_traceback(tmp_path):
    bad = tmp_path / "env.yaml"
    bad.write_text("office: {cidrs: [10.1.3.7/24]}\nhosts: {h: local}\nclusters: {a: {}}\n")
    r = _run("hosts", "--env", str(bad))
    assert r.returncode == 2
    assert (
        r.stderr
        == f"netui: {bad}:1: office.cidrs[0]: 10.1.3.7/24 has host bits set — the network address 10.1.3.0/24\n"
    )
    r = _run("show", "nat", "nohost", "--env", str(bad).replace("env.yaml", "missing.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "does not exist" in r.stderr


def test_unknown_host_names_the_known_ones(tmp_path):
    env = tmp_path / "env.yaml"
    env.write_text(
        "office: {cidrs: [10.1.3.0/24]}\nhosts: {me: local, you: local}\nclusters: {a: {}}\n"
    )
    r = _run("show", "routes", "them", "--env", str(env))
    assert r.returncode == 2
    assert r.stderr.strip() == f"netui: {env}: hosts: no host named 'them' — one of: me, you"


def test_show_on_the_local_host_works_without_root_tricks(tmp_path):
    env = tmp_path / "env.yaml"
    env.write_text(
        "office: {cidrs: [10.1.3.0/24]}\nhosts: {me: local}\nclusters: {a: {pod_cidrs: [10.200.0.0/16]}}\n"
    )
    r = _run("show", "routes", "me", "--env", str(env), "--json")
    assert r.returncode == 0, r.stderr
    assert '"uncovered"' in r.stdout


def _leaves(commands, path=()):
    for c in commands:
        if c.actions:
            yield from _leaves(c.actions, (*path, c.name))
        else:
            yield (*path, c.name), c


def test_every_command_is_declared_once_and_each_one_that_runs_has_a_run():
    from netui.cli import commands

    top = [c.name for c in commands()]
    assert len(top) == len(set(top))
    for c in commands():
        assert len({a.name for a in c.actions}) == len(c.actions)
        # a group runs nothing itself (its action does): no second dispatch inside a module
        assert (c.run is None) == bool(c.actions), c.name
    assert all(c.run is not None and c.help for _, c in _leaves(commands()))


def test_the_writers_are_exactly_the_commands_that_change_hosts_files_or_the_lab():
    from netui.cli import commands

    writers = {" ".join(path) for path, c in _leaves(commands()) if c.writes}
    assert writers == {
        "apply",
        "undo",
        "confirm",
        "rule delete",
        "rule move",
        "dns switch",
        "trust",
        "lab up",
        "lab down",
        "lab reboot",
    }


def test_help_reads_the_declarations_only_and_a_command_line_only_its_own_options():
    code = (
        "import sys; from netui.cli import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('netui.core.session', 'netui.model.envfile', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().endswith("[]")
    from netui.cli import build_parser

    sub = next(a for a in build_parser({"plan"})._actions if a.dest == "command")
    options = {
        name: {o for a in p._actions for o in a.option_strings} for name, p in sub.choices.items()
    }
    assert "--router-syntax" in options["plan"] and "--max-hops" not in options["trace"]
    full = next(a for a in build_parser()._actions if a.dest == "command")
    assert "--max-hops" in {o for a in full.choices["trace"]._actions for o in a.option_strings}


def test_the_tui_commands_open_the_app_on_their_screen_with_theme_and_readonly(
    tmp_path, monkeypatch
):
    """`netui`, `netui tui` and `netui migrate` start the other face (declared in cli.py, so no
    command module imports the TUI)."""
    import netui.app
    from netui.cli import main

    env = tmp_path / "env.yaml"
    env.write_text("office: {cidrs: [10.1.3.0/24]}\nhosts: {me: local}\nclusters: {a: {}}\n")
    opened = []

    class App:
        def __init__(self, env, *, theme, readonly, start):
            opened.append((str(env.path), theme, readonly, start))

        def run_fast_exit(self):
            return 0

    monkeypatch.setattr(netui.app, "NetuiApp", App)
    assert main(["--env", str(env)]) == 0
    assert main(["tui", "--env", str(env), "--theme", "light"]) == 0
    assert main(["migrate", "--readonly", "--env", str(env)]) == 0
    assert opened == [
        (str(env), None, False, None),
        (str(env), "light", False, None),
        (str(env), None, True, "migrate"),
    ]


HEAVY = ("textual", "kubernetes", "paramiko")


def test_help_and_the_full_parser_import_no_textual_kubernetes_or_paramiko():
    """`python -m netui --help` (every module it imports, as -X importtime lists them) and the
    whole parser, every command's options included (what shell completion builds)."""
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "netui", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and "usage: netui" in r.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if "|" in line}
    assert "netui.cli" in imported  # the listing is the one of this run
    assert sorted(m for m in imported if m.split(".")[0] in HEAVY) == []
    code = (
        "import sys; from netui.cli import build_parser; build_parser()\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_lab_status_and_reboot_print_the_cores_typed_status(monkeypatch, capsys):
    """No lab needed: the core's answers stand in (core/lab.py's LabStatus, HostReboot)."""
    import json

    from netui.cli import main
    from netui.core import lab
    from netui.lab.reboot import HostReboot
    from netui.lab.topology import Planted

    st = lab.LabStatus(
        up=True,
        healthy=False,
        broken=True,
        services=3,
        firewall="firewalld",
        kube_proxy="ipvs",
        namespaces=["nu-a", "nu-b"],
        missing_namespaces=["nu-c"],
        processes={"sshd:jump": True, "daemon": False},
        env="/x/env.yaml",
        env_ssh="/x/env-ssh.yaml",
        plan="classic",
        extra_hosts=0,
        planted=[Planted("masq-missing", "a-master", "no MASQUERADE")],
    )
    monkeypatch.setattr(lab, "status", lambda: st)
    assert main(["lab", "status"]) == 1  # partly up
    assert capsys.readouterr().out.splitlines() == [
        "lab: partly up — run `netui lab up` again or `netui lab down`, plan classic (broken)",
        "firewall firewalld, kube-proxy ipvs (recorded state: no IPVS in this kernel)",
        "namespaces: nu-a nu-b",
        "  ✓ sshd:jump",
        "  ✗ daemon",
        "  planted masq-missing on a-master: no MASQUERADE",
        "environment: /x/env.yaml (netns) / /x/env-ssh.yaml (from the jump host)",
    ]
    assert main(["lab", "status", "--json"]) == 1
    shown = json.loads(capsys.readouterr().out)
    assert shown["planted"] == [
        {"code": "masq-missing", "host": "a-master", "what": "no MASQUERADE"}
    ]
    assert list(shown) == [
        "up", "healthy", "broken", "services", "firewall", "kube_proxy", "namespaces",
        "missing_namespaces", "processes", "env", "env_ssh", "plan", "extra_hosts", "planted",
    ]  # fmt: skip
    reports = [HostReboot("a-master", ["networkd: 2 files"], ["sysctl: no such file"])]
    monkeypatch.setattr(lab, "reboot", lambda hosts: reports)
    assert main(["lab", "reboot", "a-master"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "a-master: rebooted",
        "  networkd: 2 files",
        "  ✗ sysctl: no such file",
    ]
