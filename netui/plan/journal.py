"""The journal: every plan, each host's state before the change, and each step's outcome,
written durably *before* the step runs, so undo works from the journal alone after a crash.

Files live under $XDG_STATE_HOME/netui/ with mode 0600; each write goes to a temporary file
that is fsync'd and renamed over the old one, then the directory is fsync'd.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from netui.paths import state_home
from netui.plan.model import Plan

PENDING, DONE, FAILED, UNDONE, SKIPPED = "pending", "done", "failed", "undone", "skipped"


def plans_dir() -> Path:
    d = state_home() / "plans"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Journal:
    """One plan's record. `hosts[name]` holds `pre` (state before), `steps` and `status`.

    Hosts are applied in parallel threads: every change and every write holds `lock`.
    """

    def __init__(self, plan: Plan, data: dict[str, Any] | None = None) -> None:
        self.plan = plan
        self.data = data or {"plan": plan.to_dict(), "status": "planned", "hosts": {}, "events": []}
        self.path = plans_dir() / f"{plan.id}.json"
        self.lock = threading.RLock()

    @classmethod
    def load(cls, plan_id: str) -> Journal:
        path = plans_dir() / f"{plan_id}.json"
        data = json.loads(path.read_text())
        return cls(Plan.from_dict(data["plan"]), data)

    def save(self) -> None:
        with self.lock:
            write_json(self.path, self.data)

    @property
    def status(self) -> str:
        return str(self.data["status"])

    def set_status(self, status: str) -> None:
        with self.lock:
            self.data["status"] = status
            self.data["events"].append({"time": time.time(), "status": status})
            self.save()

    def host(self, name: str) -> dict[str, Any]:
        with self.lock:
            return self.data["hosts"].setdefault(
                name, {"pre": {}, "steps": [], "status": "planned"}
            )

    def record_pre(self, name: str, pre: dict[str, Any]) -> None:
        """The host's state before any change. The full iptables-save texts (megabytes on a
        kube-proxy host) go to their own file, written once, so each step's journal write
        stays small; the journal keeps the rest and the file's name."""
        with self.lock:
            big = {k: pre[k] for k in ("nat", "filter") if k in pre}
            path = self.path.with_name(f"{self.plan.id}.{name}.pre.json")
            write_json(path, big)
            small = {k: v for k, v in pre.items() if k not in big}
            small["saved_tables"] = path.name
            self.host(name)["pre"] = small
            self.save()

    def pre_tables(self, name: str) -> dict[str, str]:
        """The full pre-change iptables-save texts of a host (for emergencies and audits)."""
        ref = self.host(name)["pre"].get("saved_tables")
        if not ref:
            return {}
        return dict(json.loads((self.path.parent / ref).read_text()))

    def step(self, name: str, summary: str, preview: str, phase: str = "apply") -> int:
        with self.lock:
            steps = self.host(name)["steps"]
            steps.append(
                {
                    "phase": phase,
                    "summary": summary,
                    "command": preview,
                    "status": PENDING,
                    "time": time.time(),
                }
            )
            self.save()
            return len(steps) - 1

    def finish_step(self, name: str, index: int, status: str, error: str | None = None) -> None:
        with self.lock:
            s = self.host(name)["steps"][index]
            s["status"] = status
            if error:
                s["error"] = error
            self.save()

    def set_host_status(self, name: str, status: str, **extra: Any) -> None:
        with self.lock:
            self.host(name)["status"] = status
            self.host(name).update(extra)
            self.save()


def list_journals() -> list[dict[str, Any]]:
    out = []
    for path in sorted(plans_dir().glob("p*.json")):
        if path.name.endswith(".pre.json"):
            continue  # a host's pre-change tables, not a journal
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda d: d["plan"]["created"])


def audit(action: str, plan: Plan, hosts: list[str], outcome: str) -> None:
    """One line per action: time, local user, where the operator came from, plan, hosts, outcome."""
    path = state_home() / "audit.log"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps(
        {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "user": plan.user,
            "from": os.environ.get("SSH_CLIENT", "").split(" ")[0] or "local",
            "action": action,
            "plan": plan.id,
            "hosts": hosts,
            "outcome": outcome,
        }
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
