"""`netui plan`, `apply`, `confirm`, `undo`, `history`, `rule delete/move`: parse and print;
the work is the core's (netui/core/session.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from netui.commands import operator_agrees, session, warn
from netui.commands.arguments import number, position
from netui.commands.registry import Command
from netui.errors import UserError
from netui.output import print_json, table

TYPE_CHECKING = False  # not typing's: importing typing slows `netui --help` (registry.py)
if TYPE_CHECKING:
    from typing import Any

    from netui.core.plans import Plan
    from netui.core.session import Session


def _in_session(
    work: Callable[[Session, argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """The command's work on a core session; a refused plan is the same lines as `netui plan`'s."""

    def run(args: argparse.Namespace) -> int:
        from netui.core.errors import PlanRefused

        with session(args) as s:
            try:
                return work(s, args)
            except PlanRefused as e:
                for r in e.reasons:
                    print(f"netui: refusing to plan: {r}", file=sys.stderr)
                return 2

    return run


def _progress(host: str, message: str) -> None:
    print(f"  {host}: {message}", flush=True)


def show_plan(plan: Plan, commands: dict[str, list[Any]], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "plan": plan.id,
                "hosts": {
                    h: [{"summary": c.summary, "command": c.preview()} for c in cmds]
                    for h, cmds in commands.items()
                },
                "taints": [
                    {"cluster": t.cluster, "node": t.node, "taint": t.text} for t in plan.taints
                ],
                "notes": plan.notes,
            }
        )
        return
    if plan.empty:
        print("nothing to change: the office is connected to every cluster as far as netui can see")
    from netui.core.plans import plan_text

    text = plan_text(commands, plan)
    if text:
        print(text)
    for n in plan.notes:
        print(f"note: {n}")


def plan_or_apply(s: Session, args: argparse.Namespace) -> int:
    from netui.core.router import check_router_syntax

    check_router_syntax(getattr(args, "router_syntax", None))
    if args.command == "apply":
        # one writer at a time, from before the state the plan is made from is read
        with s.writing("apply"):
            return _plan_or_apply(s, args)
    return _plan_or_apply(s, args)


def _plan_or_apply(s: Session, args: argparse.Namespace) -> int:
    from netui.core.router import router_routes

    planned = s.plan(args.cluster, args.position, args.taint_forwarder, args.fix_all)
    warn(planned.diagnosis.warnings)
    plan, commands = planned.plan, planned.commands
    if args.command == "plan":
        show_plan(plan, commands, args.json)
        if args.router_syntax:
            print(f"\n# office router routes ({args.router_syntax}):")
            print("\n".join(router_routes(planned.diagnosis, args.router_syntax)))
        return 0
    show_plan(plan, commands, False)
    if plan.empty:
        return 0
    if not operator_agrees("Apply these changes?", args.yes, "applying"):
        print("nothing changed")
        return 1
    print(f"applying plan {plan.id}")
    if args.confirm_timeout and plan.taints:
        print(
            "  note: the confirm timers run on the hosts, which cannot reach the Kubernetes "
            "API: they do not remove the taint (`netui undo` does)"
        )
    journal = s.apply(plan, args.confirm_timeout, _progress)
    print(f"plan {plan.id}: {journal.status}")
    if journal.write_error:
        print(
            f"  the journal could not be written ({journal.write_error}): every host this plan "
            "had changed was rolled back; free some space before the next apply"
        )
        return 1
    for name, h in journal.data["hosts"].items():
        if not journal.host_outcome(name).applied:
            print(f"  {name}: {h.get('status')}: {h.get('error', '')}".rstrip(": "))
    if args.confirm_timeout and journal.status.awaiting_confirmation:
        print(
            f"run `netui confirm {plan.id}` within {args.confirm_timeout:g} s, or every host rolls back by itself"
        )
    else:
        print(f"undo with `netui undo {plan.id}`")
    return 0 if journal.status.succeeded else 1


def confirm_command(s: Session, args: argparse.Namespace) -> int:
    journal, result = s.confirm(args.plan_id)
    if journal is None:
        print("nothing awaits confirmation")
        return 0
    for host, what in result.items():
        print(f"  {host}: {what}")
    # a host whose rollback ran before (its timer, a reboot) is no success of this confirm,
    # also when history had already asked it: named, not left out
    lost = [n for n in journal.plan.hosts if not journal.host_outcome(n).stands_confirmed]
    for host in [n for n in lost if n not in result]:
        print(f"  {host}: not confirmed: {journal.host_outcome(host)} (before this confirm)")
    print(f"plan {journal.plan.id}: {journal.status}")
    return 0 if all(v == "confirmed" for v in result.values()) and not lost else 1


def undo_command(s: Session, args: argparse.Namespace) -> int:
    from netui.core.session import no_plans_yet

    if args.plan_id is None and no_plans_yet():
        raise UserError("no plan to undo yet; see `netui history`")
    with s.writing("undo"):
        return _undo(s, args)


def _undo(s: Session, args: argparse.Namespace) -> int:
    from netui.core.plans import undo_preview

    try:
        journal, notes = s.undo_target(args.plan_id)
    except UserError as e:
        if "already undone" in str(e):
            print(e)
            return 0
        raise
    for n in notes:
        print(n)
    if journal is None:
        if not notes:
            print("nothing to undo: every plan in the journal is undone or was rolled back")
        return 0
    print(f"undoing plan {journal.plan.id} ({journal.status}):")
    for line in undo_preview(journal):
        print(f"  {line}")
    if not operator_agrees("Undo this plan?", args.yes, "undoing"):
        print("nothing changed")
        return 1
    ok = s.undo(journal, _progress)
    print(f"plan {journal.plan.id}: {journal.status}")
    return 0 if ok else 1


def _settle_armed(args: argparse.Namespace) -> None:
    """A plan awaiting confirmation may have been rolled back since (its deadline passed, a
    host rebooted): its hosts are asked, through the environment, before history is shown."""
    from netui.core.errors import EXPECTED
    from netui.core.session import awaiting_confirmation
    from netui.model.envfile import EnvironmentProblem

    waiting = awaiting_confirmation()
    if not waiting:
        return
    try:
        with session(args) as s:
            s.settle_awaiting()
    except (*EXPECTED, EnvironmentProblem) as e:
        said = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(
            f"netui: {', '.join(waiting)}: awaiting confirmation as the journal last saw it; "
            f"its hosts were not asked ({said})",
            file=sys.stderr,
        )


def history(args: argparse.Namespace) -> int:
    from netui.core.session import history as history_rows
    from netui.core.session import plan_detail

    # history reads the journal: no environment file needed (but for asking armed hosts)
    _settle_armed(args)
    if args.plan_id:
        lines = plan_detail(args.plan_id)
        if args.json:
            print_json({"plan": args.plan_id, "lines": lines})
        else:
            print("\n".join(lines))
        return 0
    rows = history_rows()
    from netui.core.session import history_problems

    problems = history_problems()
    for problem in problems:  # named, never skipped silently
        print(f"netui: {problem}", file=sys.stderr)
    if args.json:
        print_json([r.as_json() for r in rows])
        return 0
    print(
        table(
            [[r.plan, r.when, r.who, r.status, r.hosts, r.at_boot] for r in rows],
            ["PLAN", "WHEN", "WHO", "STATUS", "HOSTS", "AT BOOT"],
        )
        if rows
        else (
            f"no readable plans ({len(problems)} not read: said above)"
            if problems
            else "no plans yet"
        )
    )
    return 0


def rule_command(s: Session, args: argparse.Namespace) -> int:
    """Delete or move one foreign rule: explicit, previewed, journaled, undoable."""
    by_number = args.rule.strip().isdigit()
    spec = None if by_number else args.rule
    position = int(args.rule) if by_number else args.at
    if by_number and args.at is not None and args.at != position:
        raise UserError(f"{args.rule} and --at {args.at} name two different positions")
    if by_number and args.yes:
        # a script cannot see which rule sits at that number by the time it runs
        raise UserError(
            f"a rule named by its number alone is not changed with --yes (the number may "
            f"name another rule by now): give its text, e.g. `netui rule {args.rule_action} "
            f"{args.host} {args.chain} '<rule>' --at {args.rule}` (see `netui show nat {args.host} --raw`)"
        )
    with s.writing(f"rule {args.rule_action}"):
        return _rule(s, args, spec, position)


def _rule(s: Session, args: argparse.Namespace, spec: str | None, position: int | None) -> int:
    plan, what = s.rule_plan(
        args.host,
        args.chain,
        spec,
        position,
        args.rule_action,
        getattr(args, "to", None),
        args.force_foreign,
    )
    print(f"{args.host}: {args.rule_action} {what}")
    show_plan(plan, s.preview(plan), False)
    if not operator_agrees("Change this rule?", args.yes, "changing a rule"):
        print("nothing changed")
        return 1
    journal = s.apply(plan, None, _progress)
    print(f"plan {plan.id}: {journal.status}; undo with `netui undo {plan.id}`")
    return 0 if journal.status.succeeded else 1


def _planning_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", help="only this cluster")
    p.add_argument(
        "--position",
        type=position,
        default=1,
        help="where POSTROUTING/FORWARD jump to netui's chains (1 = first, ahead of kube-proxy and CNI rules)",
    )
    p.add_argument(
        "--fix-all",
        action="store_true",
        help="also every fix the doctor proposes: wrong foreign rules, looping dnsmasq lines (one plan, one undo)",
    )
    p.add_argument(
        "--taint-forwarder",
        action="store_true",
        help="also taint each forwarder node netui.io/forwarder=true:NoSchedule through the cluster's API",
    )


def _plan_arguments(p: argparse.ArgumentParser) -> None:
    _planning_arguments(p)
    p.add_argument(
        "--router-syntax",
        help="also print the office router's routes as linux, cisco, juniper, mikrotik or openwrt commands",
    )


def _apply_arguments(p: argparse.ArgumentParser) -> None:
    _planning_arguments(p)
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument(
        "--confirm-timeout",
        type=number(float, 1, 86400, " seconds"),
        metavar="S",
        help="arm a rollback on each target that fires unless `netui confirm` runs within S seconds",
    )


def _plan_id_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan_id", nargs="?")
    p.add_argument("--yes", action="store_true", help="do not ask")


def _history_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan_id", nargs="?", help="one plan: what it changed, host by host")


def _rule_arguments(p: argparse.ArgumentParser, move: bool) -> None:
    p.add_argument("host")
    p.add_argument("chain")
    p.add_argument(
        "rule",
        help="the rule's text as `netui show nat HOST --raw` prints it after -A CHAIN "
        "(e.g. '-s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE'), or its number",
    )
    if move:
        p.add_argument("to", type=position, help="the new position")
    p.add_argument(
        "--at",
        type=position,
        metavar="N",
        help="cross-check: the rule must stand at this position, or nothing changes",
    )
    p.add_argument(
        "--force-foreign",
        action="store_true",
        help="also change a rule kube-proxy, a CNI or Docker owns (it will re-create it)",
    )
    p.add_argument("--yes", action="store_true")


def _rule_action(name: str) -> Command:
    return Command(
        name,
        f"{name} a rule of a host's nat table",
        _in_session(rule_command),
        lambda p: _rule_arguments(p, name == "move"),
        writes=True,
    )


COMMANDS = (
    Command(
        "plan",
        "the changes that would connect the office to every cluster",
        _in_session(plan_or_apply),
        _plan_arguments,
    ),
    Command(
        "apply",
        "apply the plan after showing it",
        _in_session(plan_or_apply),
        _apply_arguments,
        writes=True,
    ),
    Command(
        "confirm",
        "keep a plan applied with --confirm-timeout (disarm its rollbacks)",
        _in_session(confirm_command),
        _plan_id_arguments,
        writes=True,
    ),
    Command(
        "undo",
        "revert a plan (default: the last), also after a crash",
        _in_session(undo_command),
        _plan_id_arguments,
        writes=True,
    ),
    Command(
        "history",
        "every plan with who, when, from where and its outcome (asks the hosts of a plan "
        "awaiting confirmation first and settles what became of their timers; --readonly: "
        "the journal only)",
        history,
        _history_arguments,
    ),
    Command(
        "rule",
        "delete or move one foreign nat rule (journaled, undoable)",
        dest="rule_action",
        actions=(_rule_action("delete"), _rule_action("move")),
    ),
)
