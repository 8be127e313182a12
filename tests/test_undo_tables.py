"""Undo leaves no table it did not find (issue 25, item 9), on plain data: a host that had no
nat table gets it dropped again on iptables-nft once nothing else is in it; iptables-legacy
cannot drop a table (kinds/jump.py says why), and the restore text never holds a table
without lines."""

from __future__ import annotations

from netui.model.iptables import parse_table
from netui.plan.kinds.jump import Jump
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.model import HostPlan
from netui.plan.render import rollback_script, undo_commands
from netui.plan.restore import RESTORE, RestoreBuilder, restore_text
from netui.plan.step import HostState

EMPTY = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
AFTER = (
    EMPTY + ":NETUI-POSTROUTING - [0:0]\n"
    '-A POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\n'
    '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE\n'
)
PLAN = HostPlan("f", [Jump("nat"), Masquerade("10.1.3.0/24", "10.200.0.0/16")])


def undo(now: str, variant: str, absent: frozenset[str] = frozenset({"nat"})):
    live = HostState({"nat": parse_table(now + "COMMIT\n"), "filter": None}, variant=variant)
    return undo_commands(PLAN, "p1", live, HostState(variant=variant, absent=absent))


def test_a_nat_table_the_host_did_not_have_is_dropped_after_the_restore_on_nft():
    cmds = undo(AFTER, "nft")
    assert [c.argv[:1] for c in cmds] == [RESTORE[:1], ("sh",)]
    assert "-X NETUI-POSTROUTING" in (cmds[0].stdin or "")
    drop = cmds[1]
    assert drop.argv[-1] == "nat" and "nft delete table ip" in drop.argv[2]
    assert drop.guards and drop.guards[0].args == ("nat",)  # the Ansible export runs it once
    # a retry after the restore ran: the table is empty, only the drop is left to do
    assert [c.argv[-1] for c in undo(EMPTY, "nft")] == ["nat"]


def test_the_table_stays_when_the_host_had_it_or_anything_else_is_in_it_or_on_legacy():
    assert len(undo(AFTER, "nft", absent=frozenset())) == 1  # the host had it: only the restore
    kube = AFTER + "-A POSTROUTING -j KUBE-POSTROUTING\n"
    assert len(undo(kube.replace(":NETUI", ":KUBE-POSTROUTING - [0:0]\n:NETUI"), "nft")) == 1
    drop_policy = AFTER.replace(":OUTPUT ACCEPT", ":OUTPUT DROP")
    assert len(undo(drop_policy, "nft")) == 1
    other_plan = AFTER + AFTER.splitlines(keepends=True)[-1].replace("p1", "p0")
    assert len(undo(other_plan, "nft")) == 1  # p0's rule keeps netui's chain, so the table
    assert len(undo(AFTER, "legacy")) == 1  # legacy cannot drop a table


def test_the_confirm_timer_drops_it_too_on_nft_only():
    found = HostState(variant="nft", absent=frozenset({"nat"}))
    assert "nft delete table ip" in rollback_script(PLAN, "p1", found)
    legacy = HostState(variant="legacy", absent=frozenset({"nat"}))
    assert "nft delete table" not in rollback_script(PLAN, "p1", legacy)


def test_the_restore_text_never_holds_a_table_without_lines():
    assert restore_text({"nat": [], "filter": ["-A NETUI-FORWARD -j ACCEPT"]}) == (
        "*filter\n-A NETUI-FORWARD -j ACCEPT\nCOMMIT\n"
    )
    only_notes = RestoreBuilder("p1", "undo", {"nat": None})
    only_notes.note("nat", "remove this plan's rules")
    only_notes.sweep("nat", "NETUI-POSTROUTING")
    assert only_notes.command() is None
