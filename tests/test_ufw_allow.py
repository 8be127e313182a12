"""The office's DNS let in on a ufw host in ufw's own terms (plan/kinds/ufw_allow.py)."""

from __future__ import annotations

import os
import subprocess

from netui.plan.kinds.ufw_allow import GUARD, USER_RULES, UfwAllowDns, tuple_line
from netui.plan.model import Plan
from netui.plan.render import apply_commands, undo_commands
from netui.plan.step import HostState, Rollback

STEP = UfwAllowDns(("10.1.3.0/24",))
ALLOWED = "\n".join(
    f"{tuple_line(p, '10.1.3.0/24')} comment=6e65\n-A ufw-user-input -p {p} --dport 53 -s 10.1.3.0/24 -j ACCEPT"
    for p in ("udp", "tcp")
)


def _host():
    hp = Plan("p1").host("dns")
    hp.steps.append(STEP)
    return hp


def test_udp_and_tcp_53_are_allowed_from_the_office_through_ufw():
    cmds = apply_commands(_host(), "p1", HostState(files={USER_RULES: "*filter\nCOMMIT\n"}))
    assert [c.argv for c in cmds] == [
        ("ufw", "allow", "proto", p, "from", "10.1.3.0/24", "to", "any", "port", "53", "comment", "netui: office DNS")
        for p in ("udp", "tcp")
    ]  # fmt: skip


def test_rules_the_host_had_are_neither_added_nor_deleted():
    had = HostState(files={USER_RULES: ALLOWED})
    assert apply_commands(_host(), "p1", had) == []
    assert undo_commands(_host(), "p1", had, had) == []
    out = Rollback("p1")
    STEP.rollback(had, out)
    assert out.lines == []


def test_undo_deletes_exactly_what_it_added():
    cmds = undo_commands(_host(), "p1", HostState(files={USER_RULES: ALLOWED}), HostState())
    assert [c.argv[:4] for c in cmds] == [("ufw", "delete", "allow", "proto")] * 2


def test_the_ansible_guard_reads_ufws_own_file(tmp_path):
    """Against a stand-in ufw and the file path moved under tmp_path."""
    rules = tmp_path / "user.rules"
    rules.write_text("*filter\nCOMMIT\n")
    (tmp_path / "ufw").write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/calls\n')
    (tmp_path / "ufw").chmod(0o755)
    script = GUARD.replace("/etc/ufw/user.rules", str(rules))
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")

    def guard(*args: str) -> str:
        done = subprocess.run(["sh", "-c", script, "g", *args], env=env, capture_output=True,
                              text=True, timeout=10)  # fmt: skip
        return done.stdout.strip()

    assert guard("check", "add", "udp", "10.1.3.0/24") == "netui-would-change"
    assert guard("run", "add", "udp", "10.1.3.0/24") == "netui-changed"
    assert "allow proto udp from 10.1.3.0/24" in (tmp_path / "calls").read_text()
    rules.write_text(ALLOWED)
    assert guard("run", "add", "udp", "10.1.3.0/24") == "netui-unchanged"
    assert guard("run", "delete", "tcp", "10.1.3.0/24") == "netui-changed"
    rules.write_text("*filter\nCOMMIT\n")
    assert guard("run", "delete", "tcp", "10.1.3.0/24") == "netui-unchanged"


def test_a_rule_of_one_interface_is_not_the_rule_netui_adds():
    one_iface = f"{tuple_line('udp', '10.1.3.0/24')}_eth0 comment=6e65\n"
    cmds = apply_commands(_host(), "p1", HostState(files={USER_RULES: one_iface}))
    assert [c.argv[3] for c in cmds] == ["udp", "tcp"]
