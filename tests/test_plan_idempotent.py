"""The planner against the live state (plain data): a rule netui's chain holds already is not
planned again, whichever plan wrote it; a foreign rule above netui's jump is answered by moving
the jump above it (and back on undo); a second copy in netui's chain is a finding."""

from __future__ import annotations

from netui.doctor import diagnose
from netui.model.iptables import parse_table
from netui.plan.diff import play_restore, rule_texts
from netui.plan.kinds.foreign_delete import ForeignDelete
from netui.plan.kinds.forward_accept import ForwardAccept
from netui.plan.kinds.jump import Jump
from netui.plan.kinds.jump_move import JumpMove
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.model import HostPlan
from netui.plan.planner import make_plan, plan_for_finding
from netui.plan.render import apply_commands, rollback_script, undo_commands
from netui.plan.restore import RESTORE
from netui.plan.step import HostState

from .test_doctor import GOOD_NAT, doctor_input, nat_text

JUMP = '-m comment --comment "netui: owned chain" -j NETUI-POSTROUTING'
RETURN = "-s 10.1.3.0/24 -j RETURN"
PODS = '-s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:{}" -j MASQUERADE'


def played(nat: str, cmds) -> str:
    """The nat table after the restores of `cmds` (as diff.py plays them), as iptables-save text."""
    chains = rule_texts(parse_table(nat))
    for c in cmds:
        if c.argv == RESTORE:
            play_restore(chains, c.stdin or "")
    builtins = ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")
    decls = "".join(f":{name} - [0:0]\n" for name in chains if name not in builtins)
    rules = "".join(f"-A {name} {text}\n" for name, texts in chains.items() for text in texts)
    return nat_text(rules, decls)


def live(nat: str) -> HostState:
    return HostState({"nat": parse_table(nat), "filter": None}, {}, 1, {})


def test_a_rule_an_earlier_plan_wrote_is_neither_planned_nor_rendered_again():
    # `x` on masquerade-reversed added the pods rule (plan p1); `F` then plans from the findings
    # the screen still showed, which ask for that rule again
    reversed_rule = "-A POSTROUTING -s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE\n"
    services_only = "".join(GOOD_NAT.splitlines(keepends=True)[0::2])
    stale = diagnose(doctor_input(nat_text(services_only + reversed_rule)))
    assert any(c.kind == "masquerade-add" for f in stale for c in f.fixes)
    after_x = nat_text(
        GOOD_NAT.replace('"netui:p1" -j MASQUERADE\n-A', '"netui:x1" -j MASQUERADE\n-A', 1)
    )
    plan = make_plan(doctor_input(after_x), stale, fix_all=True)
    assert plan.hosts["f"].of(Masquerade) == []  # no preview line for it
    # and a step asked for it anyway renders nothing: compared without the plan's comment
    cmds = apply_commands(
        HostPlan("f", [Masquerade("10.1.3.0/24", "10.200.0.0/16")]), "p9", live(after_x)
    )
    assert cmds == []


def test_one_plan_writes_each_rule_once_even_when_two_steps_ask():
    steps = [
        Jump("filter"),
        ForwardAccept("10.1.3.0/24", "10.200.0.0/16"),
        ForwardAccept("10.200.0.0/16", "10.1.3.0/24"),
    ]
    state = HostState(
        {"nat": None, "filter": parse_table("*filter\n:FORWARD DROP [0:0]\nCOMMIT\n")}
    )
    body = apply_commands(HostPlan("f", steps), "p1", state)[0].stdin or ""
    assert body.count("-A NETUI-FORWARD") == 2, body


def test_a_foreign_return_above_netuis_jump_is_fixed_by_moving_the_jump_and_undone_exactly():
    before = nat_text(f"-A POSTROUTING {RETURN}\n" + GOOD_NAT)
    inp = doctor_input(before)
    findings = diagnose(inp)
    assert [f.code for f in findings if f.severity == "error"] == ["rule-shadowed", "rule-shadowed"]
    # `x` on the finding plans the same move
    one = plan_for_finding(inp, findings[0]).hosts["f"]
    assert one.of(JumpMove) == [JumpMove("nat", 2, 1)] and one.of(Masquerade) == []
    plan = make_plan(inp, findings, fix_all=True)
    hp = plan.hosts["f"]
    assert hp.of(JumpMove) == [JumpMove("nat", 2, 1)]
    assert hp.of(Masquerade) == []  # not another MASQUERADE behind the same RETURN
    cmds = apply_commands(hp, plan.id, live(before))
    restore = next(c for c in cmds if c.argv == RESTORE)
    assert f"-D POSTROUTING {JUMP}\n-I POSTROUTING 1 {JUMP}\n" in (restore.stdin or "")
    after = played(before, cmds)
    assert after.index(JUMP) < after.index(RETURN)
    assert not [f for f in diagnose(doctor_input(after)) if f.severity == "error"]
    # undo puts the jump back where it stood: the table reads as before
    back = played(after, undo_commands(hp, plan.id, live(after), HostState()))
    assert rule_texts(parse_table(back)) == rule_texts(parse_table(before))
    # the confirm timer's script moves it back too (jump deleted, inserted at #2)
    script = rollback_script(hp, plan.id, HostState())
    assert (
        "-I POSTROUTING 2 -m comment --comment 'netui: owned chain' -j NETUI-POSTROUTING" in script
    )


def test_a_jump_that_is_gone_or_in_place_is_not_moved():
    no_jump = nat_text(f"-A POSTROUTING {RETURN}\n", "")
    assert apply_commands(HostPlan("f", [JumpMove("nat", 2, 1)]), "p1", live(no_jump)) == []
    in_place = nat_text(GOOD_NAT + f"-A POSTROUTING {RETURN}\n")
    assert apply_commands(HostPlan("f", [JumpMove("nat", 2, 1)]), "p1", live(in_place)) == []


def test_a_second_copy_in_netuis_chain_is_a_warning_whose_fix_deletes_the_copy():
    copy = "-A NETUI-POSTROUTING " + PODS.format("p2") + "\n"
    inp = doctor_input(nat_text(GOOD_NAT + copy))
    dup = [f for f in diagnose(inp) if f.code == "netui-rule-duplicate"]
    assert [(f.severity, f.host, f.rule) for f in dup] == [
        ("warning", "f", ("NETUI-POSTROUTING", PODS.format("p2")))
    ]
    assert "#3 repeats #1" in dup[0].title
    plan = make_plan(inp, diagnose(inp), fix_all=True)
    assert plan.hosts["f"].of(ForeignDelete) == [
        ForeignDelete("nat", "NETUI-POSTROUTING", PODS.format("p2"), 3)
    ]
    # one copy of each rule: nothing to say
    assert not [f for f in diagnose(doctor_input()) if f.code == "netui-rule-duplicate"]


def test_a_shadowed_foreign_masquerade_with_netuis_jump_below_the_winner_moves_both():
    chains = ":NETUI-POSTROUTING - [0:0]\n"
    before = nat_text(
        f"-A POSTROUTING {RETURN}\n"
        "-A POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE\n"
        f"-A POSTROUTING {JUMP}\n" + GOOD_NAT.splitlines(keepends=True)[2],
        chains,
    )
    inp = doctor_input(before)
    findings = diagnose(inp)
    pods = next(f for f in findings if f.code == "rule-shadowed" and "10.200" in f.title)
    assert [c.kind for c in pods.fixes] == ["rule-move", "jump-move"]
    hp = make_plan(inp, findings).hosts["f"]
    assert hp.of(JumpMove) == [JumpMove("nat", 3, 1)]
    assert hp.of(Masquerade) == [Masquerade("10.1.3.0/24", "10.200.0.0/16")]  # services held
    after = played(before, apply_commands(hp, "p2", live(before)))
    assert not [f for f in diagnose(doctor_input(after)) if f.code == "rule-shadowed"]
