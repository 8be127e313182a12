"""A kind of change is one object: every kind round-trips through the journal by its name, the
plan package never names a kind, one restore per host carries every table it changes, and
journals written before steps are still read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netui.model.iptables import parse
from netui.model.snapshot import HostSnapshot
from netui.plan import kinds  # noqa: F401
from netui.plan.diff import host_diff
from netui.plan.journaled import plan_from_dict, step_from_dict
from netui.plan.kinds.boot_persisted import BootPersisted
from netui.plan.kinds.dns_drop_in import DnsCheck, DnsDropIn
from netui.plan.kinds.file_edit import FileEdit
from netui.plan.kinds.firewalld_policy import FirewalldPolicies
from netui.plan.kinds.foreign_delete import ForeignDelete
from netui.plan.kinds.foreign_move import ForeignMove
from netui.plan.kinds.forward_accept import ForwardAccept
from netui.plan.kinds.forwarding_on import ForwardingOn
from netui.plan.kinds.forwarding_persisted import PERSIST_FILE, ForwardingPersisted
from netui.plan.kinds.jump import Jump
from netui.plan.kinds.jump_move import JumpMove
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.kinds.nft_accept import NftAccept
from netui.plan.kinds.route import RouteChange
from netui.plan.kinds.ufw_allow import UfwAllowDns
from netui.plan.model import Plan
from netui.plan.render import apply_commands, undo_commands
from netui.plan.restore import RESTORE, sections
from netui.plan.step import KINDS, HostState, StepError

NETUI = Path(__file__).resolve().parent.parent / "netui"
ONE_OF_EACH = [
    Jump("nat", 2),
    Masquerade("10.1.3.0/24", "10.200.0.0/16"),
    Jump("filter", 2),
    ForwardAccept("10.1.3.0/24", "10.200.0.0/16"),
    ForeignDelete("nat", "POSTROUTING", "-s 10.9.0.0/16 -j RETURN", 2),
    JumpMove("nat", 3, 1),
    ForeignMove("nat", "POSTROUTING", "-s 10.8.0.0/16 -j RETURN", 3, 1),
    ForwardingOn(),
    ForwardingPersisted(),
    FileEdit("/etc/dnsmasq.d/office.conf", "a\nb\n", "a\n", "true", "remove line 2"),
    DnsDropIn("/etc/dnsmasq.d/netui.conf", "x\n", "true", (DnsCheck("n", "1.2.3.4", "5.6.7.8"),)),
    RouteChange("10.200.0.0/16", "192.168.1.109", "10.200.0.0/16 via 192.168.1.1 dev eth0"),
    NftAccept("inet", "filter", "forward", "10.1.3.0/24", "10.200.0.0/16"),
    BootPersisted(("route 10.1.3.0/24 via 192.168.1.1",)),
    FirewalldPolicies(("10.1.3.0/24",), ("10.200.0.0/16",), True),
    UfwAllowDns(("10.1.3.0/24",)),
]


def test_every_registered_kind_round_trips_through_the_journal_by_its_name():
    assert {s.kind for s in ONE_OF_EACH} == set(KINDS)  # the list above covers every kind
    plan = Plan("p20261202-120000-abcd")
    plan.host("f").steps += ONE_OF_EACH
    back = plan_from_dict(plan.to_dict())
    assert back == plan and back.hosts["f"].steps == ONE_OF_EACH


def test_an_unknown_kind_or_a_wrong_field_is_refused_by_name():
    with pytest.raises(StepError, match="unknown kind of change 'reboot-unit'"):
        step_from_dict({"kind": "reboot-unit", "path": "/x"})
    with pytest.raises(StepError, match="a route step cannot be read"):
        step_from_dict({"kind": "route", "cidr": "10.0.0.0/8"})
    with pytest.raises(StepError, match="not a mapping with a kind"):
        step_from_dict(["route"])
    with pytest.raises(StepError, match="unknown plan format 7"):
        plan_from_dict({"format": 7, "id": "p", "created": 0, "user": "u", "came_from": "x"})


def test_the_plan_package_never_names_a_kind_outside_its_own_module():
    """The executor, journal, diff, staging, undo, render and export iterate over steps."""
    names = [cls.__name__ for cls in KINDS.values()]
    generic = [
        NETUI / "plan" / f
        for f in ("executor.py", "journal.py", "diff.py", "staging.py", "undoing.py", "render.py")
    ] + [NETUI / "fleet" / "ansible.py", NETUI / "plan" / "step.py", NETUI / "plan" / "model.py"]
    for path in generic:
        text = path.read_text()
        for name in names:
            assert not re.search(rf"\b{name}\b", text), f"{path.name} names the kind {name}"


def test_no_restore_text_is_written_by_hand_outside_the_builder():
    for path in [*(NETUI / "plan").rglob("*.py"), *(NETUI / "fleet").rglob("*.py")]:
        if path.name != "restore.py":
            assert "COMMIT" not in path.read_text(), path


def _tables() -> HostState:
    nat = parse(
        "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.9.0.0/16 -j RETURN\nCOMMIT\n"
    ).table("nat")
    filt = parse("*filter\n:FORWARD DROP [0:0]\nCOMMIT\n").table("filter")
    return HostState({"nat": nat, "filter": filt}, {}, 1, {})


def test_both_tables_change_in_one_restore_each_between_its_own_commit():
    plan = Plan("p1")
    hp = plan.host("f")
    hp.steps += ONE_OF_EACH[:5]
    cmds = apply_commands(hp, "p1", _tables())
    restores = [c for c in cmds if c.argv == RESTORE]
    assert len(restores) == 1 and cmds[0] is restores[0]
    body = restores[0].stdin or ""
    assert list(sections(body)) == ["nat", "filter"] and body.count("COMMIT\n") == 2
    assert sections(body)["nat"].startswith("*nat\n:NETUI-POSTROUTING - [0:0]\n-I POSTROUTING 2 ")
    assert "-D POSTROUTING -s 10.9.0.0/16 -j RETURN" in sections(body)["nat"]
    assert sections(body)["filter"].count("-A NETUI-FORWARD") == 2
    assert restores[0].summary == (
        "nat table: 1 MASQUERADE rule(s) in NETUI-POSTROUTING, rule fixes; "
        "filter table: accept forwarding office <-> cluster in NETUI-FORWARD"
    )
    assert restores[0].guards[0].args[0] == "nat filter"  # the export checks both tables
    # the diff plays both tables from that one command
    snap = HostSnapshot("f", nat=_tables().tables["nat"], filter=_tables().tables["filter"])
    text = "\n".join(host_diff(snap, cmds, lambda path: None))
    assert (
        "+++ nat NETUI-POSTROUTING (after)" in text and "+++ filter NETUI-FORWARD (after)" in text
    )


def test_undo_of_both_tables_is_one_restore_too_and_stays_surgical():
    hp = Plan("p1").host("f")
    hp.steps += ONE_OF_EACH[:4]
    live = _tables()
    after = apply_commands(hp, "p1", live)[0].stdin or ""
    # the host as the apply left it, with another plan's rule in the nat chain
    other = '-A NETUI-POSTROUTING -s 10.1.4.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p0" -j MASQUERADE\n'
    nat_after = sections(after)["nat"].replace("-I POSTROUTING 2 ", "-A POSTROUTING ")
    nat_after = nat_after.replace("COMMIT\n", other + "COMMIT\n")
    nat = parse(
        "*nat\n:POSTROUTING ACCEPT [0:0]\n"
        + nat_after.split("\n", 1)[1].replace("-A POSTROUTING -s 10.9", "-A POSTROUTING -s 10.9")
    ).table("nat")
    filt_text = sections(after)["filter"].replace("*filter\n", "*filter\n:FORWARD DROP [0:0]\n")
    filt = parse(filt_text.replace("-I FORWARD 1 ", "-A FORWARD ")).table("filter")
    cmds = undo_commands(hp, "p1", HostState({"nat": nat, "filter": filt}), HostState())
    assert len(cmds) == 1
    body = cmds[0].stdin or ""
    nat_undo, filt_undo = sections(body)["nat"], sections(body)["filter"]
    assert '"netui:p0"' not in nat_undo and "-X NETUI-POSTROUTING" not in nat_undo  # p0 stays
    assert "-X NETUI-FORWARD" in filt_undo  # only p1's rules were in it: the chain goes
    assert cmds[0].guards[0].args[2] == "present"


def test_a_journal_of_the_nine_field_format_is_still_read_as_steps():
    old = {
        "id": "p20261125-120000-abcd",
        "created": 1.0,
        "user": "op",
        "came_from": "local",
        "hosts": {
            "f": {
                "host": "f",
                "forwarding_on": True,
                "persist_forwarding": True,
                "masquerade": [{"source": "10.1.3.0/24", "destination": "10.200.0.0/16"}],
                "jump_position": 3,
                "forward_accept": [],
                "routes": [{"cidr": "10.200.0.0/16", "via": "192.168.1.9", "previous": None}],
                "delete_rules": [],
                "move_rules": [],
                "dns": {"path": "/etc/dnsmasq.d/netui.conf", "content": "x\n", "reload": "true"},
                "file_edits": [],
            }
        },
    }
    plan = plan_from_dict(old)
    assert plan.hosts["f"].steps == [
        Jump("nat", 3),
        Masquerade("10.1.3.0/24", "10.200.0.0/16"),
        ForwardingOn(),
        ForwardingPersisted(),
        DnsDropIn("/etc/dnsmasq.d/netui.conf", "x\n", "true"),
        RouteChange("10.200.0.0/16", "192.168.1.9"),
    ]
    # its pre-change record named the files; undo reads them by path
    from netui.plan.legacy import found_files

    files = found_files({"persisted": "old\n", "dns_conf": None}, plan.hosts["f"].steps)
    assert files == {PERSIST_FILE: "old\n", "/etc/dnsmasq.d/netui.conf": None}


def _run_guard(tmp_path, guard, saved: str, mode: str = "run") -> str:
    """The guard's script against stand-ins for iptables-save/-restore (PATH under tmp_path)."""
    import os
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (tmp_path / "saved").write_text(saved)
    for name, body in (
        ("iptables-save", f"cat {tmp_path}/saved"),
        ("iptables-restore", "cat >/dev/null"),
    ):
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    done = subprocess.run(["sh", "-c", guard.script, "guard", mode, *guard.args], input=guard.stdin,
                          env=env, capture_output=True, text=True, timeout=20)  # fmt: skip
    return done.stdout.strip()


def test_a_jump_move_only_plan_is_unchanged_on_a_second_ansible_run(tmp_path):
    """Its restore holds no rule with the plan's comment: the guard looks where the jump stands."""
    live = parse(
        "*nat\n:POSTROUTING ACCEPT [0:0]\n:NETUI-POSTROUTING - [0:0]\n"
        "-A POSTROUTING -s 10.9.0.0/16 -j RETURN\n"
        '-A POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\nCOMMIT\n'
    ).table("nat")
    hp = Plan("p1").host("f")
    hp.steps.append(JumpMove("nat", 2, 1))
    restore = next(
        c for c in apply_commands(hp, "p1", HostState({"nat": live})) if c.argv == RESTORE
    )
    guard = restore.guards[0]
    assert guard.args[3:] == ("nat:POSTROUTING:NETUI-POSTROUTING:1",)
    before = '-A POSTROUTING -s 10.9.0.0/16 -j RETURN\n-A POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\n'
    after = "\n".join(reversed(before.strip().splitlines())) + "\n"
    assert _run_guard(tmp_path, guard, before, "check") == "netui-would-change"
    assert _run_guard(tmp_path, guard, before) == "netui-changed"
    assert _run_guard(tmp_path, guard, after) == "netui-unchanged"
