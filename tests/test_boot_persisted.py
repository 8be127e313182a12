"""netui's persistence for boot as a kind of change, on plain data: the plan's file holds what
its other steps say must come back, the unit is installed and enabled once, undo removes the
plan's file and the unit with the last one, the confirm timer's script does the same."""

from __future__ import annotations

from netui.model.bootstate import (
    PLANS_DIR,
    RESTORE_SCRIPT,
    RESTORE_SCRIPT_PATH,
    TIMER_LINK,
    UNIT_PATH,
    UNIT_TEXT,
    WANTS_LINK,
    parse_plan_file,
    plan_path,
)
from netui.plan import render
from netui.plan.journaled import plan_from_dict, step_from_dict
from netui.plan.kinds.boot_persisted import BootPersisted
from netui.plan.kinds.jump import Jump
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.kinds.route import RouteChange
from netui.plan.model import HostPlan, Plan
from netui.plan.step import HostState


def _plan() -> HostPlan:
    return HostPlan(
        "f",
        [
            Jump("nat", 2),
            Masquerade("10.1.3.0/24", "10.200.0.0/16"),
            RouteChange("10.96.0.0/12", "192.168.1.109"),
            BootPersisted(("route 10.1.3.0/24 via 192.168.1.1",)),
        ],
    )


def _written(commands) -> dict[str, str]:
    return {c.write[0]: c.write[1] for c in commands if c.write}


def test_the_plan_file_holds_every_step_that_must_come_back_and_the_unit_is_enabled():
    commands = render.apply_commands(_plan(), "p1", HostState())
    files = _written(commands)
    persisted = parse_plan_file("p1", files[plan_path("p1")])
    assert [r.rule for r in persisted.rules] == [
        '-s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE'
    ]
    assert [(j.table, j.builtin, j.position, j.chain) for j in persisted.jumps] == [
        ("nat", "POSTROUTING", 2, "NETUI-POSTROUTING")
    ]
    assert {(r.cidr, r.via) for r in persisted.routes} == {
        ("10.96.0.0/12", "192.168.1.109"),
        ("10.1.3.0/24", "192.168.1.1"),
    }
    assert files[UNIT_PATH] == UNIT_TEXT and files[RESTORE_SCRIPT_PATH] == RESTORE_SCRIPT
    assert any(c.argv and WANTS_LINK in c.argv for c in commands)


def test_applying_on_a_host_that_has_it_all_writes_nothing():
    first = render.apply_commands(_plan(), "p1", HostState())
    live = HostState(files={**_written(first), WANTS_LINK: UNIT_TEXT, TIMER_LINK: "x"})
    again = render.apply_commands(
        HostPlan("f", [BootPersisted(("route 10.1.3.0/24 via 192.168.1.1",))]), "p1", live
    )
    assert [c for c in again if c.write or (c.argv and WANTS_LINK in c.argv)] == [
        c for c in again if c.write and c.write[0] == plan_path("p1")
    ]


def test_undo_removes_the_plans_file_and_the_unit_only_with_the_last_plan():
    files = _written(render.apply_commands(_plan(), "p1", HostState()))
    live = HostState(files={**files, WANTS_LINK: UNIT_TEXT, TIMER_LINK: "x"})
    hp = HostPlan("f", [BootPersisted()])
    undone = render.undo_commands(hp, "p1", live, HostState())
    removed = {c.remove for c in undone if c.remove}
    assert plan_path("p1") in removed and UNIT_PATH in removed
    other = HostState(
        files={**live.files, f"{PLANS_DIR}/p2.conf": "route 10.9.0.0/16 via 1.2.3.4\n"}
    )
    removed = {c.remove for c in render.undo_commands(hp, "p1", other, HostState()) if c.remove}
    assert removed == {plan_path("p1")}


def test_the_confirm_timers_script_removes_the_plans_file_and_the_unit_when_last():
    script = render.rollback_script(_plan(), "p1", HostState())
    assert f"rm -f {plan_path('p1')} /etc/netui/armed/p1.sh" in script
    assert UNIT_PATH in script
    assert "systemctl --no-block stop netui-restore-check.timer" in script  # with the last plan


def test_it_goes_through_the_journal_and_merges_when_staged():
    step = BootPersisted(("route 10.1.3.0/24 via 192.168.1.1",))
    assert step_from_dict(step.to_dict()) == step
    assert step.merge(BootPersisted(("route 10.9.0.0/16 via 1.2.3.4",))).lines == (
        "route 10.1.3.0/24 via 192.168.1.1",
        "route 10.9.0.0/16 via 1.2.3.4",
    )
    plan = Plan("p1", {"f": _plan()})
    assert plan_from_dict(plan.to_dict()).hosts["f"].steps == _plan().steps


def _boot(tmp_path, plan_files: dict[str, str]) -> tuple[list[str], str]:
    """The real restore script at boot, against stand-ins for iptables and iptables-restore
    that record what they are asked (its directory and PATH under tmp_path: nothing of the
    machine is touched). (iptables calls, what iptables-restore read)."""
    import os
    import subprocess

    plans = tmp_path / "plans"
    plans.mkdir()
    for name, text in plan_files.items():
        (plans / f"{name}.conf").write_text(text)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log, fed = tmp_path / "calls", tmp_path / "restored"
    # -C: the jump is there once it was inserted; -S: two rules in POSTROUTING
    (bin_dir / "iptables").write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        'case "$*" in *" -C "*) grep -q -- " -I " ' + str(log) + " && exit 0; exit 1;; esac\n"
        'case "$*" in *" -S "*) printf -- "-A POSTROUTING -j A\\n-A POSTROUTING -j B\\n";; esac\n'
        "exit 0\n"
    )
    (bin_dir / "iptables-restore").write_text(f"#!/bin/sh\ncat >> {fed}\n")
    for tool in ("iptables", "iptables-restore"):
        (bin_dir / tool).chmod(0o755)
    script = RESTORE_SCRIPT.replace("dir=/etc/netui", f"dir={tmp_path}")
    assert script != RESTORE_SCRIPT
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    subprocess.run(["sh", "-c", script, "netui-restore", "boot"], env=env, check=True, timeout=20,
                   stdin=subprocess.DEVNULL, capture_output=True)  # fmt: skip
    calls = log.read_text().splitlines() if log.exists() else []
    return calls, fed.read_text() if fed.exists() else ""


def _plan_file(plan_id: str, *steps) -> str:
    cmds = render.apply_commands(HostPlan("f", [*steps, BootPersisted()]), plan_id, HostState())
    return _written(cmds)[plan_path(plan_id)]


def test_at_boot_a_jump_a_later_plan_moved_comes_back_where_that_plan_put_it(tmp_path):
    from netui.plan.kinds.jump_move import JumpMove

    p2 = _plan_file("p2", JumpMove("nat", 3, 1))
    assert "jump nat POSTROUTING 1 NETUI-POSTROUTING" in p2
    calls, _ = _boot(tmp_path, {"p1": _plan_file("p1", Jump("nat", 3)), "p2": p2})
    inserts = [line for line in calls if " -I " in line]
    assert inserts == [
        "-w 5 -t nat -I POSTROUTING 1 -m comment --comment netui: owned chain -j NETUI-POSTROUTING"
    ]


def test_at_boot_a_rule_two_plans_hold_comes_back_once(tmp_path):
    """Two plans' files hold the same masquerade (an older netui planned it twice; fix-all
    deleted the copy at runtime): the boot restores it once, not the copy with it."""
    rule = Masquerade("10.1.3.0/24", "10.200.0.0/16")
    other = Masquerade("10.1.3.0/24", "10.96.0.0/12")
    _, fed = _boot(tmp_path, {"p1": _plan_file("p1", Jump("nat", 1), rule),
                              "p2": _plan_file("p2", rule, other)})  # fmt: skip
    added = [line for line in fed.splitlines() if line.startswith("-A NETUI-POSTROUTING")]
    assert added == [
        '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE',
        '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.96.0.0/12 -m comment --comment "netui:p2" -j MASQUERADE',
    ]
