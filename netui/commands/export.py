"""`netui export ansible DIR`: the plan as an Ansible project (apply.yml, undo.yml)."""

from __future__ import annotations

import argparse

from netui.commands import session
from netui.commands.arguments import number
from netui.commands.registry import Command
from netui.output import print_json


def ansible_command(args: argparse.Namespace) -> int:
    from netui.core.fleet import export_ansible, run_playbook

    with session(args) as s:
        if args.run and not args.check:
            s.refuse_writes("export ansible --run")
        plan, written = export_ansible(s, args.folder, args.cluster, args.position)
    if args.json:
        print_json({"plan": plan.id, "files": [str(p) for p in written], "hosts": list(plan.hosts)})
    else:
        print(f"plan {plan.id} for {', '.join(plan.hosts) or 'no host'} written to {args.folder}:")
        for p in written:
            print(f"  {p}")
        print(f"then: cd {args.folder} && ansible-playbook apply.yml --check --diff")
    if args.run:
        return run_playbook(args.folder, "apply.yml", check=args.check)
    return 0


def _ansible_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", metavar="DIR", help="where to write the project")
    p.add_argument("--cluster")
    p.add_argument("--position", type=number(int, 1, 10000), default=1)
    p.add_argument("--run", action="store_true", help="then run ansible-playbook apply.yml")
    p.add_argument(
        "--check", action="store_true", help="with --run: ansible-playbook --check --diff"
    )


COMMANDS = (
    Command(
        "export",
        "hand the plan to another engine (Ansible)",
        dest="export_command",
        metavar="FORMAT",
        actions=(
            Command(
                "ansible",
                "an Ansible project that applies exactly what `netui plan` shows, and its undo",
                ansible_command,
                _ansible_arguments,
            ),
        ),
    ),
)
