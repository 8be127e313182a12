"""`netui export ansible DIR`: the plan as an Ansible project (apply.yml, undo.yml)."""

from __future__ import annotations

import argparse
from pathlib import Path

from netui.commands import session
from netui.output import print_json


def run(args: argparse.Namespace) -> int:
    from netui.core.fleet import export_ansible
    from netui.fleet.ansible import run_playbook

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
        return run_playbook(Path(args.folder), "apply.yml", check=args.check)
    return 0
