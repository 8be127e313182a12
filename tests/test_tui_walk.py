"""One packet walk for both faces (core/walk.py): the TUI's walk box shows what `netui walk`
prints — the FORWARD walk between the nat hooks, the verdict, and the note when the destination
sits in two clusters' networks."""

from __future__ import annotations

import asyncio
import dataclasses

from textual.widgets import Static

from netui.core.walk import PacketQuery, walk_packet
from netui.errors import UserError
from netui.model.iptables import parse
from netui.model.networks import KnownNetwork, NetworkMap

from .tui_data import fixed_app, snapshots, until_ready, wait_until

FILTER = """*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -s 10.9.0.0/16 -j ACCEPT
COMMIT
"""
NESTED = NetworkMap(
    [KnownNetwork("10.200.0.0/16", "pods", "a"), KnownNetwork("10.200.1.0/24", "pods", "b")]
)


def _forwarder():
    snap = snapshots()["a-master"]
    return dataclasses.replace(snap, filter=parse(FILTER).table("filter"))


def test_the_walk_goes_through_forward_and_says_where_nested_networks_send_the_packet():
    walked = walk_packet(_forwarder(), PacketQuery.parse("10.1.3.10 10.200.1.3 tcp 8080"), NESTED)
    text = "\n".join(walked.lines())
    assert walked.forward is not None and walked.forward.verdict == "DROP"
    # FORWARD comes between the two nat hooks, as the kernel takes them
    assert text.index("PREROUTING:") < text.index("FORWARD:") < text.index("POSTROUTING:")
    assert "tcp 10.1.3.10 -> 10.200.1.3:8080" in text
    assert text.splitlines()[-1].startswith("10.200.1.3 is in both")
    assert "longest match sends it to cluster b" in text
    assert walked.as_json()["forward"] == walked.forward.lines()


def test_a_bad_packet_is_one_clear_refusal():
    for text, said in (
        ("10.1.3.10", "give a source and a destination"),
        ("10.1.3.10 10.200.1.999", "10.200.1.999"),
        ("10.1.3.10 10.200.1.3 tcp http", "'http' is not a port"),
    ):
        try:
            walk_packet(_forwarder(), PacketQuery.parse(text), NESTED)
        except UserError as e:
            assert said in str(e)
        else:
            raise AssertionError(f"{text!r} was walked")


def test_the_walk_box_shows_the_cores_walk_line_for_line():
    from netui.core.inventory import network_map
    from netui.screens.walk import WalkScreen

    snap = _forwarder()
    query = "10.1.3.10 10.200.1.3 tcp 80"

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await app.push_screen(WalkScreen(snap))
            await pilot.press(*query, "enter")
            await wait_until(pilot, lambda: "FORWARD:" in _steps(app))
            networks = network_map(app.env, app.inventory or {})
            assert _steps(app) == "\n".join(
                walk_packet(snap, PacketQuery.parse(query), networks).lines()
            )

    asyncio.run(scenario())


def _steps(app) -> str:
    return str(app.screen.query_one("#steps", Static).render())


CANNED_ENV = """office: {cidrs: [10.1.3.0/24]}
hosts: {fw: local}
clusters:
  a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12], dns_ip: 10.96.0.10, forwarder: fw}
  b: {pod_cidrs: [10.200.1.0/24], service_cidrs: [10.97.0.0/16], dns_ip: 10.97.0.10, forwarder: fw}
"""


def _canned_host(monkeypatch, tmp_path):
    """The local host answers the snapshot script with _forwarder()'s tables (framed output
    through the real parse path), so `netui walk` reads the host the test walks."""
    import json

    from netui.backends.base import CommandResult
    from netui.backends.local import LocalBackend
    from netui.model.frames import frames

    nat = snapshots()["a-master"].nat
    assert nat is not None
    answer = frames(
        {
            "hostname": "fw\n",
            "ip_forward": "1\n",
            "iptables-version": "iptables v1.8.9 (nf_tables)\n",
            "tables": "\n".join(nat.render()) + "\n" + FILTER,
            "other-variant": "0\n",
            "routes": json.dumps(
                [{"dst": "10.200.0.0/16", "gateway": "192.168.1.110", "dev": "eth0"}]
            ),
            "addresses": json.dumps(
                [
                    {
                        "ifname": "eth0",
                        "addr_info": [
                            {"family": "inet", "local": "192.168.1.109", "prefixlen": 24}
                        ],
                    }
                ]
            ),
        }
    )
    real = LocalBackend.run

    def run(self, argv, *, stdin=None, timeout=30.0, limit=None):
        if list(argv)[:2] == ["sh", "-s"] and stdin and b"netui-frames" in stdin:
            return CommandResult(tuple(argv), 0, answer, b"")
        return real(self, argv, stdin=stdin, timeout=timeout)

    monkeypatch.setattr(LocalBackend, "run", run)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    env = tmp_path / "env.yaml"
    env.write_text(CANNED_ENV)
    return env


def test_netui_walk_prints_the_cores_walk_line_for_line(monkeypatch, tmp_path, capsys):
    """The CLI prints what the walk box shows: the same PacketWalk, FORWARD and the nesting
    note included (one walk, core/walk.py, for both faces)."""
    import json

    from netui.backends.snapshot import snapshot_hosts
    from netui.cli import main
    from netui.core.session import Session
    from netui.core.walk import walk_host
    from netui.model.envfile import load

    env_file = _canned_host(monkeypatch, tmp_path)
    argv = ["walk", "fw", "10.1.3.10", "10.200.1.3", "--dport", "8080", "--env", str(env_file)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    with Session(load(env_file)) as s:
        assert snapshot_hosts(s.hosts, ["fw"])["fw"].filter is not None
        walked = walk_host(s, "fw", PacketQuery("10.1.3.10", "10.200.1.3", "tcp", 8080))
    assert printed == "\n".join(walked.lines()) + "\n"
    assert "FORWARD:" in printed and "longest match sends it to cluster b" in printed
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == walked.as_json()
