"""The plan as an Ansible project, run for real: `ansible-playbook` from the jump host against
the lab's hosts over their sshd (b-master as `ops` with sudo → become)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .conftest import host_state, in_ns, netui

HOSTS = ("a-master", "b-master", "router")


def state() -> dict[str, str]:
    return host_state(HOSTS)


def playbook(folder: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    ansible = str(Path(sys.executable).parent / "ansible-playbook")
    return subprocess.run(
        ["ip", "netns", "exec", "nu-jump", ansible, name, *extra],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def recap(output: str) -> dict[str, dict[str, int]]:
    out = {}
    for m in re.finditer(r"^(\S+)\s+: ((?:\w+=\d+\s*)+)$", output, re.M):
        out[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return out


def test_the_exported_playbook_connects_the_office_runs_idempotently_and_its_undo_is_byte_exact(
    lab, tmp_path
):
    before = state()
    folder = tmp_path / "ansible"
    exported = netui("export", "ansible", str(folder), netns="nu-jump", env_file=lab.env_ssh)
    assert exported.returncode == 0, exported.stderr
    plan_id = exported.stdout.split()[1]
    inventory = (folder / "inventory.yml").read_text()
    assert "ansible_become: true" in inventory and "ansible_user: ops" in inventory  # ?sudo=1
    assert "StrictHostKeyChecking=yes" in inventory and "known_hosts" in inventory

    check = playbook(folder, "apply.yml", "--check", "--diff")
    assert check.returncode == 0, check.stdout[-3000:]
    assert f'--comment \\"netui:{plan_id}\\" -j MASQUERADE' in check.stdout  # netui plan's commands
    assert state() == before  # --check changed nothing

    first = playbook(folder, "apply.yml")
    assert first.returncode == 0, first.stdout[-3000:]
    assert all(r["changed"] > 0 and r["failed"] == 0 for r in recap(first.stdout).values())
    doctor = netui("doctor", "--json", env_file=lab.env)
    assert '"severity": "error"' not in doctor.stdout, doctor.stdout[:2000]
    assert f"netui:{plan_id}" in in_ns("nu-a-master", "iptables-save", "-t", "nat").stdout

    again = playbook(folder, "apply.yml")
    assert again.returncode == 0
    assert {h: r["changed"] for h, r in recap(again.stdout).items()} == dict.fromkeys(HOSTS, 0)

    undo = playbook(folder, "undo.yml")
    assert undo.returncode == 0, undo.stdout[-3000:]
    assert state() == before
    # netui's journal knows the plan: history lists it, and undo points to the playbook
    history = netui("history", env_file=lab.env)
    assert plan_id in history.stdout and "exported to Ansible" in history.stdout
    told = netui("undo", plan_id, "--yes", env_file=lab.env)
    assert "ansible-playbook undo.yml" in told.stdout + told.stderr
    undo_again = playbook(folder, "undo.yml")
    assert {h: r["changed"] for h, r in recap(undo_again.stdout).items()} == dict.fromkeys(HOSTS, 0)
