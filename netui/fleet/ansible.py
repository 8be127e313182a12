"""An Ansible project that applies exactly what `netui plan` shows, and its undo.

netui renders a plan's commands from each host's live state (`Session.preview`); this module
turns those very commands into tasks of Ansible's builtin modules, each with the state check
its step gave it (`Command.guards`) — one play per host, one host
at a time, the rollout stopping at the first host that fails — and the undo from the same
commands played over the host's state (`render.undo_commands`, as `netui undo` would run it).
Every step checks the host's state first, so a second run changes nothing (`changed=0`), and in
`--check` mode each step says whether it would change, printing the commands `netui plan`
prints. netui's own chains and its `netui:<plan-id>` comments stay, so the doctor sees the
result as netui's.

No Ansible import here: the project is plain YAML; `run_playbook` starts `ansible-playbook`
(the `fleet` extra: `pip install 'netui[fleet]'`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from netui.errors import UserError
from netui.model.envfile import Environment
from netui.model.iptables import Table, parse
from netui.model.snapshot import HostSnapshot
from netui.plan.command import Command, Guard
from netui.plan.diff import play_restore, rule_texts
from netui.plan.model import Plan
from netui.plan.render import undo_commands
from netui.plan.restore import RESTORE, restore_text, sections
from netui.plan.step import HostState

CHANGED = "'netui-changed' in {r}.stdout or 'netui-would-change' in {r}.stdout"
MODE = "{{ 'check' if ansible_check_mode else 'run' }}"


def check_exportable(env: Environment, plan: Plan) -> None:
    """What the export covers: connecting plans on hosts Ansible can reach."""
    problems = []
    for name, hp in plan.hosts.items():
        if any(step.foreign for step in hp.steps):
            problems.append(
                f"{name}: fixes of foreign rules and files (fix-all) are not exported; apply those with netui"
            )
        scheme = env.hosts[name].scheme
        if scheme not in ("ssh", "local"):
            problems.append(
                f"{name} is {env.hosts[name].uri}: Ansible reaches hosts over SSH (or local); "
                "use an environment file with ssh:// hosts (the lab's: env-ssh.yaml)"
            )
    if plan.taints:
        problems.append(
            "taints go through the clusters' APIs, not a host: run the plan with netui, or leave out --taint-forwarder"
        )
    if problems:
        raise UserError("; ".join(problems))


def inventory(env: Environment, hosts: list[str]) -> dict[str, Any]:
    """The inventory: hosts as the environment file reaches them (user, port, sudo → become),
    with its key, known_hosts (strict) and ssh config."""
    entries: dict[str, Any] = {}
    for name in hosts:
        h = env.hosts[name]
        if h.scheme == "local":
            entries[name] = {"ansible_connection": "local"}
            continue
        entry: dict[str, Any] = {"ansible_host": h.hostname}
        if h.user:
            entry["ansible_user"] = h.user
        if h.port:
            entry["ansible_port"] = h.port
        if h.sudo and h.user != "root":
            entry |= {"ansible_become": True, "ansible_become_method": "sudo"}
        entries[name] = entry
    ssh = env.ssh
    args = ["-o StrictHostKeyChecking=yes"]
    if ssh.known_hosts:
        args.append(f"-o UserKnownHostsFile={_quoted(ssh.known_hosts)}")
    if ssh.config:
        args.append(f"-F {_quoted(ssh.config)}")
    if ssh.connect_timeout:
        args.append(f"-o ConnectTimeout={int(ssh.connect_timeout)}")
    group: dict[str, Any] = {
        "ansible_ssh_common_args": " ".join(args),
        # the distribution's Python (Debian, Ubuntu, RHEL 8+); change it here for other hosts
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    if ssh.identity:
        group["ansible_ssh_private_key_file"] = ssh.identity
    return {"all": {"hosts": entries, "vars": group}}


def _quoted(path: str) -> str:
    """A path inside ssh's own option string (ssh splits it like a shell)."""
    return "'" + path.replace("'", "'\\''") + "'"


def _after(table: Table | None, name: str, commands: list[Command]) -> Table | None:
    """A table as it will be after the plan's restore for it."""
    chains = rule_texts(table)
    policies = {c: ch.policy for c, ch in (table.chains.items() if table else [])}
    touched = False
    for cmd in commands:
        if cmd.argv == RESTORE and cmd.stdin and name in sections(cmd.stdin):
            play_restore(chains, sections(cmd.stdin)[name])
            touched = True
    if not touched:
        return table
    lines = [f":{c} {policies.get(c, '-')} [0:0]" for c in chains]
    lines += [f"-A {c} {r}" for c, rules in chains.items() for r in rules]
    return parse(restore_text({name: lines})).table(name)


def undo_of(plan: Plan, name: str, snap: HostSnapshot, commands: list[Command]) -> list[Command]:
    """What `netui undo` would run on `name` right after this plan was applied: its steps'
    inverse over the state `commands` leave (found: the state they were rendered from)."""
    found = HostState.of(snap)
    after = HostState.of(snap)
    after.tables = {t: _after(tab, t, commands) for t, tab in found.tables.items()}
    for cmd in commands:
        if cmd.write:
            after.files[cmd.write[0]] = cmd.write[1]
        elif cmd.remove:
            after.files[cmd.remove] = None
        elif cmd.argv[:3] == ("ip", "-batch", "-") and cmd.stdin:
            for line in cmd.stdin.splitlines():
                words = line.split()
                if words[:2] == ["route", "replace"] and len(words) >= 3:
                    after.routes[words[2]] = " ".join(words[2:])  # as `netui undo` reads them
    return undo_commands(plan.hosts[name], plan.id, after, found)


def tasks(plan: Plan, commands: list[Command], undo: bool = False) -> list[dict[str, Any]]:
    """Ansible tasks (builtin modules only) running `commands` with the state checks their
    steps gave them (`Command.guards`). `undo` is kept for the callers' symmetry: each guard
    says itself whether it runs while netui's mark is absent or present."""
    out: list[dict[str, Any]] = []
    wrote: list[str] = []  # registers of file steps: a reload runs when one changed
    for i, cmd in enumerate(commands, 1):
        reg = f"netui_step_{i}"
        task: dict[str, Any] = {"name": f"{i}. {cmd.summary}", "register": reg}
        if cmd.write:
            path, content = cmd.write
            task["ansible.builtin.copy"] = {"dest": path, "content": content, "mode": "0644"}
            wrote.append(reg)
        elif cmd.remove:
            task["ansible.builtin.file"] = {"path": cmd.remove, "state": "absent"}
            wrote.append(reg)
        elif cmd.role == "reload":
            task |= {
                "ansible.builtin.command": {"argv": list(cmd.argv)},
                "when": _any_changed(wrote),
            }
        elif cmd.role in ("check", "verify"):
            # a check netui runs (dnsmasq --test of the new drop-in before it is written, the
            # names resolving after the reload): changes nothing, runs in check mode too
            task |= {
                "ansible.builtin.command": {"argv": list(cmd.argv)}
                | ({"stdin": cmd.stdin, "stdin_add_newline": False} if cmd.stdin else {}),
                "changed_when": False,
                "check_mode": False,
            }
            if cmd.role == "verify":
                task["when"] = f"not ansible_check_mode and ({_any_changed(wrote)})"
        elif len(cmd.guards) == 1 and not cmd.guards[0].name:  # one guard for the command
            task |= _guarded(cmd.guards[0], reg)
            out += [task, _shown(reg, cmd.preview())]
            continue
        elif cmd.guards:  # a guard per line of a batch, each its own task
            for j, guard in enumerate(cmd.guards, 1):
                sub = f"{reg}_{j}"
                out.append(
                    {"name": f"{i}.{j} {guard.name}", "register": sub} | _guarded(guard, sub)
                )
                out.append(_shown(sub, guard.shown))
            continue
        else:
            raise UserError(f"the Ansible export has no task for `{cmd.preview()[:80]}`")
        out.append(task)
    return out


def _any_changed(registers: list[str]) -> str:
    """An Ansible condition: one of these steps changed something."""
    return " or ".join(f"{r} is changed" for r in registers) or "false"


def _guarded(guard: Guard, reg: str) -> dict[str, Any]:
    argv = ["sh", "-c", guard.script, "netui-step", MODE, *guard.args]
    command: dict[str, Any] = {"argv": argv}
    if guard.stdin is not None:
        command |= {"stdin": guard.stdin, "stdin_add_newline": False}
    return {
        "ansible.builtin.command": command,
        "changed_when": CHANGED.format(r=reg),
        "check_mode": False,  # the step itself tells check from run ($1)
    }


def _shown(reg: str, text: str) -> dict[str, Any]:
    """In --check mode, the commands netui plan shows, for each step that would change."""
    return {
        "name": "would run",
        "ansible.builtin.debug": {"msg": text},
        "when": f"ansible_check_mode and {reg} is changed",
    }


def playbook(plan: Plan, per_host: dict[str, list[dict[str, Any]]], undo: bool) -> list[Any]:
    """One play per host, in the plan's order: the rollout stops at the first host that fails."""
    return [
        {
            "name": f"netui plan {plan.id}{' undo' if undo else ''}: {host}",
            "hosts": host,
            "gather_facts": False,
            "any_errors_fatal": True,
            "max_fail_percentage": 0,
            "tasks": steps,
        }
        for host, steps in per_host.items()
    ]


CFG = """[defaults]
inventory = inventory.yml
retry_files_enabled = False
interpreter_python = auto_silent
host_key_checking = True
stdout_callback = default

[ssh_connection]
pipelining = True
"""


def write_project(
    folder: Path,
    env: Environment,
    plan: Plan,
    commands: dict[str, list[Command]],
    snapshots: dict[str, HostSnapshot],
) -> list[Path]:
    """The project's files; the paths written."""
    check_exportable(env, plan)
    folder.mkdir(parents=True, exist_ok=True)
    hosts = list(plan.hosts)
    apply_tasks = {h: tasks(plan, commands[h]) for h in hosts}
    undo_tasks = {
        h: tasks(plan, undo_of(plan, h, snapshots[h], commands[h]), undo=True) for h in hosts
    }
    files = {
        "ansible.cfg": CFG,
        "inventory.yml": _yaml(inventory(env, hosts)),
        "apply.yml": _yaml(playbook(plan, apply_tasks, undo=False)),
        "undo.yml": _yaml(playbook(plan, dict(reversed(undo_tasks.items())), undo=True)),
        "README.md": (
            f"# netui plan {plan.id}\n\nMade by `netui export ansible` from {env.path}.\n\n"
            "    ansible-playbook apply.yml --check --diff   # what would change (as `netui plan`)\n"
            "    ansible-playbook apply.yml                  # apply, one host at a time\n"
            "    ansible-playbook undo.yml                   # put every host back\n"
        ),
    }
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text)
        written.append(path)
    return written


def _yaml(doc: Any) -> str:
    return "---\n" + yaml.safe_dump(doc, sort_keys=False, width=1000, allow_unicode=True)


def ansible_playbook() -> str:
    found = shutil.which("ansible-playbook") or str(
        Path(sys.executable).parent / "ansible-playbook"
    )
    if not os.path.exists(found):
        raise UserError(
            "ansible-playbook is not installed: pip install 'netui[fleet]' (ansible-core) in netui's environment"
        )
    return found


def run_playbook(folder: Path, name: str, check: bool = False) -> int:
    argv = [ansible_playbook(), name] + (["--check", "--diff"] if check else [])
    return subprocess.run(
        argv, cwd=folder, env=dict(os.environ, ANSIBLE_CONFIG=str(folder / "ansible.cfg"))
    ).returncode
