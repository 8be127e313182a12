"""`netui plan`, `apply`, `confirm`, `undo`, `history`, `rule delete/move`."""

from __future__ import annotations

import argparse
import sys
import time

from netui.commands import environment, operator_agrees
from netui.errors import UserError
from netui.model.envfile import Environment
from netui.output import print_json, table
from netui.plan.journal import JournalError
from netui.plan.model import ForeignRule, Plan, PlanRefused, new_plan_id


def run(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "history":
        return history(args)
    env = environment(args)
    try:
        if cmd in ("plan", "apply"):
            return plan_or_apply(env, args)
        if cmd == "confirm":
            return confirm_command(env, args)
        if cmd == "undo":
            return undo_command(env, args)
        if cmd == "rule":
            return rule_command(env, args)
    except PlanRefused as e:
        for r in e.reasons:
            print(f"netui: refusing to plan: {r}", file=sys.stderr)
        return 2
    except JournalError as e:
        raise UserError(str(e)) from None
    raise AssertionError(cmd)


def _progress(host: str, message: str) -> None:
    print(f"  {host}: {message}", flush=True)


def build_plan(env: Environment, args: argparse.Namespace) -> tuple[Plan, object]:
    from netui.commands.doctor import gather
    from netui.doctor import diagnose
    from netui.plan.planner import make_plan

    if args.cluster and args.cluster not in env.clusters:
        raise UserError(
            f"no cluster {args.cluster!r} in {env.path}; clusters: {', '.join(env.clusters)}"
        )
    if args.position < 1:
        raise UserError(
            f"--position {args.position}: positions count from 1 (1 = first in POSTROUTING/FORWARD)"
        )
    inp = gather(env)
    findings = diagnose(inp)
    return make_plan(inp, findings, args.cluster, args.position, args.taint_forwarder), inp


def show_plan(plan: Plan, commands: dict[str, list], as_json: bool) -> None:
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
    from netui.plan.render import plan_text

    text = plan_text(commands, plan)
    if text:
        print(text)
    for n in plan.notes:
        print(f"note: {n}")


def plan_or_apply(env: Environment, args: argparse.Namespace) -> int:
    import contextlib

    from netui.plan.journal import writer_lock

    # apply: one writer at a time, from before the state the plan is made from is read
    with writer_lock("apply") if args.command == "apply" else contextlib.nullcontext():
        return _plan_or_apply(env, args)


def _plan_or_apply(env: Environment, args: argparse.Namespace) -> int:
    from netui.backends import Hosts
    from netui.plan import executor
    from netui.plan.planner import ROUTER_SYNTAX, router_snippets

    plan, inp = build_plan(env, args)
    with Hosts(env) as hosts:
        commands = executor.preview(plan, hosts)
        if args.command == "plan":
            show_plan(plan, commands, args.json)
            if args.router_syntax:
                if args.router_syntax not in ROUTER_SYNTAX:
                    raise UserError(
                        f"--router-syntax {args.router_syntax}: one of {', '.join(ROUTER_SYNTAX)}"
                    )
                print(f"\n# office router routes ({args.router_syntax}):")
                print("\n".join(router_snippets(inp, args.router_syntax)))  # type: ignore[arg-type]
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
        journal = executor.apply(plan, hosts, args.confirm_timeout, _progress)
    print(f"plan {plan.id}: {journal.status}")
    failed = [n for n, h in journal.data["hosts"].items() if h.get("status") not in ("applied",)]
    for name in failed:
        print(
            f"  {name}: {journal.data['hosts'][name].get('status')}: {journal.data['hosts'][name].get('error', '')}"
        )
    if args.confirm_timeout and "awaiting confirmation" in journal.status:
        print(
            f"run `netui confirm {plan.id}` within {args.confirm_timeout:g} s, or every host rolls back by itself"
        )
    else:
        print(f"undo with `netui undo {plan.id}`")
    return 0 if journal.status in ("applied", "awaiting confirmation") else 1


def confirm_command(env: Environment, args: argparse.Namespace) -> int:
    from netui.backends import Hosts
    from netui.plan import executor, undoing
    from netui.plan.journal import writer_lock

    with writer_lock("confirm"):
        try:
            found = undoing.candidates(undoing.AWAITING, args.plan_id)
        except undoing.UndoRefused as e:
            raise UserError(str(e)) from None
        if not found:
            print("nothing awaits confirmation")
            return 0
        journal = found[0]
        with Hosts(env) as hosts:
            result = executor.confirm(journal, hosts)
    for host, what in result.items():
        print(f"  {host}: {what}")
    print(f"plan {journal.plan.id}: {journal.status}")
    return 0 if not any(v.startswith("already fired") for v in result.values()) else 1


def undo_command(env: Environment, args: argparse.Namespace) -> int:
    from netui.backends import Hosts
    from netui.plan import executor, undoing
    from netui.plan.journal import list_journals, writer_lock

    if args.plan_id is None and not list_journals():
        raise UserError("no plan to undo yet; see `netui history`")
    with writer_lock("undo"), Hosts(env) as hosts:
        try:
            journal, notes = undoing.choose(hosts, args.plan_id)
            for n in notes:
                print(n)
            if journal is None:
                if not notes:
                    print("nothing to undo: every plan in the journal is already undone")
                return 0
            undoing.check(journal)
        except undoing.UndoRefused as e:
            if "already undone" in str(e):
                print(e)
                return 0
            raise UserError(str(e)) from None
        print(f"undoing plan {journal.plan.id} ({journal.status}):")
        for line in undoing.preview(journal):
            print(f"  {line}")
        if not operator_agrees("Undo this plan?", args.yes, "undoing"):
            print("nothing changed")
            return 1
        ok = executor.undo(journal, hosts, _progress)
    print(f"plan {journal.plan.id}: {journal.status}")
    return 0 if ok else 1


def history(args: argparse.Namespace) -> int:
    from netui.plan.journal import list_journals

    items = list_journals()
    if args.json:
        print_json(
            [
                {
                    "plan": d["plan"]["id"],
                    "created": d["plan"]["created"],
                    "user": d["plan"]["user"],
                    "from": d["plan"]["came_from"],
                    "status": d["status"],
                    "hosts": {n: h.get("status") for n, h in d["hosts"].items()},
                }
                for d in items
            ]
        )
        return 0
    rows = [
        [
            d["plan"]["id"],
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d["plan"]["created"])),
            f"{d['plan']['user']}@{d['plan']['came_from']}",
            d["status"],
            " ".join(f"{n}:{h.get('status')}" for n, h in d["hosts"].items()),
        ]
        for d in items
    ]
    print(table(rows, ["PLAN", "WHEN", "WHO", "STATUS", "HOSTS"]) if rows else "no plans yet")
    return 0


def rule_command(env: Environment, args: argparse.Namespace) -> int:
    """Delete or move one foreign rule: explicit, previewed, journaled, undoable."""
    from netui.plan.journal import writer_lock

    with writer_lock(f"rule {args.rule_action}"):
        return _rule_command(env, args)


def _rule_command(env: Environment, args: argparse.Namespace) -> int:
    from netui.backends import Hosts
    from netui.backends.snapshot import snapshot_hosts
    from netui.plan import executor
    from netui.plan.foreign import RuleRefused, describe, pick_rule, refusal

    env.host(args.host)
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
    with Hosts(env) as hosts:
        snap = snapshot_hosts(hosts, [args.host])[args.host]
        if not snap.ok or snap.nat is None:
            raise UserError(f"{args.host}: {snap.reason or 'no nat table'}")
        try:
            rule = pick_rule(snap.nat, args.host, args.chain, spec, position)
        except RuleRefused as e:
            raise UserError(str(e)) from None
        why_not = refusal(rule, args.force_foreign)
        if why_not:
            raise UserError(f"{args.host}: {why_not}")
        print(f"{args.host}: {args.rule_action} {describe(rule)}")
        chain = snap.nat.chains[args.chain]
        plan = Plan(new_plan_id(), env=env.path)
        hp = plan.host(args.host)
        if args.rule_action == "delete":
            hp.delete_rules.append(ForeignRule("nat", args.chain, rule.text, rule.position))
        else:
            if not 1 <= args.to <= len(chain):
                raise UserError(
                    f"{args.host}: {args.chain} positions are 1 to {len(chain)}, not {args.to}"
                )
            hp.move_rules.append(ForeignRule("nat", args.chain, rule.text, rule.position, args.to))
        commands = executor.preview(plan, hosts)
        show_plan(plan, commands, False)
        if not operator_agrees("Change this rule?", args.yes, "changing a rule"):
            print("nothing changed")
            return 1
        journal = executor.apply(plan, hosts, None, _progress)
    print(f"plan {plan.id}: {journal.status}; undo with `netui undo {plan.id}`")
    return 0 if journal.status == "applied" else 1
