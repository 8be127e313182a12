"""An Ansible project that applies exactly what `netui plan` shows, and its undo.

netui renders a plan's commands from each host's live state (`Session.preview`); this module
turns those very commands into tasks of Ansible's builtin modules — one play per host, one host
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
from netui.plan.diff import play_restore, rule_texts
from netui.plan.model import PERSIST_FILE, Plan, comment
from netui.plan.render import RESTORE, Command, undo_commands

# Each guarded step: $1 is "check" (say whether it would change, change nothing) or "run".
RESTORE_STEP = r"""
mode=$1 table=$2 mark=$3 when=$4
if iptables-save -t "$table" 2>/dev/null | grep -qF -- "$mark"; then have=present; else have=absent; fi
[ "$have" = "$when" ] || { echo netui-unchanged; exit 0; }
[ "$mode" = check ] && { echo netui-would-change; exit 0; }
iptables-restore --noflush -w 5 && echo netui-changed
"""
SYSCTL_STEP = r"""
mode=$1 key=$2 value=$3
now=$(cat "/proc/sys/$(printf %s "$key" | tr . /)" 2>/dev/null)
[ "$now" = "$value" ] && { echo netui-unchanged; exit 0; }
[ "$mode" = check ] && { echo netui-would-change; exit 0; }
sysctl -qw "$key=$value" && echo netui-changed
"""
ROUTE_STEP = r"""
mode=$1 op=$2 cidr=$3; shift 3
now=$(ip -4 route show exact "$cidr" table main 2>/dev/null | head -n 1)
case "$op" in
  del) [ -z "$now" ] && { echo netui-unchanged; exit 0; } ;;
  *) case " $now " in *" $* "*) echo netui-unchanged; exit 0 ;; esac ;;
esac
[ "$mode" = check ] && { echo netui-would-change; exit 0; }
ip route "$op" "$cidr" "$@" && echo netui-changed
"""
CHANGED = "'netui-changed' in {r}.stdout or 'netui-would-change' in {r}.stdout"
MODE = "{{ 'check' if ansible_check_mode else 'run' }}"


def check_exportable(env: Environment, plan: Plan) -> None:
    """What the export covers: connecting plans on hosts Ansible can reach."""
    problems = []
    for name, hp in plan.hosts.items():
        if hp.delete_rules or hp.move_rules or hp.file_edits:
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
    """A table as it will be after the plan's restore scripts for it."""
    chains = rule_texts(table)
    policies = {c: ch.policy for c, ch in (table.chains.items() if table else [])}
    touched = False
    for cmd in commands:
        if cmd.argv == RESTORE and cmd.stdin and cmd.stdin.startswith(f"*{name}\n"):
            play_restore(chains, cmd.stdin)
            touched = True
    if not touched:
        return table
    lines = [f"*{name}"]
    lines += [f":{c} {policies.get(c, '-')} [0:0]" for c in chains]
    lines += [f"-A {c} {r}" for c, rules in chains.items() for r in rules]
    return parse("\n".join(lines) + "\nCOMMIT\n").table(name)


def undo_of(plan: Plan, name: str, snap: HostSnapshot, commands: list[Command]) -> list[Command]:
    """What `netui undo` would run on `name` right after this plan was applied."""
    hp = plan.hosts[name]
    routes_now = {r.dst: r.line for r in snap.routes.routes}  # as `netui undo` reads them
    for change in hp.routes:
        routes_now[change.cidr] = f"{change.cidr} via {change.via}"
    dns_previous = snap.files.get(hp.dns.path) if hp.dns else None
    return undo_commands(
        hp,
        plan.id,
        _after(snap.nat, "nat", commands),
        _after(snap.filter, "filter", commands),
        routes_now,
        snap.ip_forward,
        snap.files.get(PERSIST_FILE),
        dns_live=hp.dns.content if hp.dns else None,
        dns_previous=dns_previous,
    )


def tasks(plan: Plan, commands: list[Command], undo: bool = False) -> list[dict[str, Any]]:
    """Ansible tasks (builtin modules only) running `commands` with their state checks."""
    out: list[dict[str, Any]] = []
    mark = comment(plan.id)
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
        elif cmd.argv == RESTORE and cmd.stdin:
            table = cmd.stdin.split("\n", 1)[0].lstrip("*")
            task |= _guarded(
                [
                    "sh",
                    "-c",
                    RESTORE_STEP,
                    "netui-restore",
                    MODE,
                    table,
                    mark,
                    "present" if undo else "absent",
                ],
                reg,
                cmd.stdin,
            )
        elif cmd.argv[:2] == ("sysctl", "-qw"):
            key, _, value = cmd.argv[2].partition("=")
            task |= _guarded(["sh", "-c", SYSCTL_STEP, "netui-sysctl", MODE, key, value], reg)
        elif cmd.argv[:3] == ("ip", "-batch", "-") and cmd.stdin:
            for j, line in enumerate(cmd.stdin.splitlines(), 1):
                words = line.split()
                if words[:1] != ["route"] or len(words) < 3:
                    continue
                sub = f"{reg}_{j}"
                out.append(
                    {"name": f"{i}.{j} ip {line}", "register": sub}
                    | _guarded(["sh", "-c", ROUTE_STEP, "netui-route", MODE, *words[1:]], sub)
                )
                out.append(_shown(sub, f"ip {line}"))
            continue
        elif cmd.argv[:2] == ("sh", "-c") and cmd.summary.startswith("reload"):
            task |= {
                "ansible.builtin.command": {"argv": list(cmd.argv)},
                "when": _any_changed(wrote),
            }
        elif cmd.argv[:2] == ("sh", "-c"):
            # a check netui runs (dnsmasq --test of the new drop-in before it is written, the
            # names resolving after the reload): changes nothing, runs in check mode too
            task |= {
                "ansible.builtin.command": {"argv": list(cmd.argv)}
                | ({"stdin": cmd.stdin, "stdin_add_newline": False} if cmd.stdin else {}),
                "changed_when": False,
                "check_mode": False,
            }
            if "verify" in (cmd.argv[3] if len(cmd.argv) > 3 else ""):
                task["when"] = f"not ansible_check_mode and ({_any_changed(wrote)})"
        else:
            raise UserError(f"the Ansible export has no task for `{cmd.preview()[:80]}`")
        out.append(task)
        if "changed_when" in task and task["changed_when"] is not False:
            out.append(_shown(reg, cmd.preview()))
    return out


def _any_changed(registers: list[str]) -> str:
    """An Ansible condition: one of these steps changed something."""
    return " or ".join(f"{r} is changed" for r in registers) or "false"


def _guarded(argv: list[str], reg: str, stdin: str | None = None) -> dict[str, Any]:
    command: dict[str, Any] = {"argv": argv}
    if stdin is not None:
        command |= {"stdin": stdin, "stdin_add_newline": False}
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
