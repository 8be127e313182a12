"""The journal: every plan, each host's state before the change, and each step's outcome,
written durably *before* the step runs, so undo works from the journal alone after a crash.

Files live under $XDG_STATE_HOME/netui/ with mode 0600; each write goes to a temporary file
that is fsync'd and renamed over the old one, then the directory is fsync'd.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netui.errors import UserError
from netui.paths import state_home
from netui.plan.journal_check import FORMAT, problem
from netui.plan.journaled import plan_from_dict
from netui.plan.model import Plan
from netui.plan.states import HostOutcome, PlanState

PENDING, DONE, UNDONE, SKIPPED = "pending", "done", "undone", "skipped"
FAILED = "failed"  # a step's outcome (the plan's and a host's are PlanState / HostOutcome)
# kept as names: what the rest of netui and the tests import
EXPORTED = PlanState.EXPORTED
TIMER_FIRED = PlanState.TIMER_FIRED
PLAN_ID_RE = re.compile(r"p\d{8}-\d{6}-[0-9a-f]{4}\Z")


class JournalError(UserError):
    """A plan id, journal file or state directory netui cannot use; the message says what to
    do (a one-line refusal in both faces, exit 2)."""


class JournalWriteError(JournalError):
    """The journal could not be written (a full disk): what already ran must be rolled back."""


MIN_FREE = 16 * 1024 * 1024  # a 100k-rule host's pre-change tables are ~10 MB


def check_space() -> None:
    """Refuse to start changing hosts when the journal could not record it."""
    import shutil

    free = shutil.disk_usage(plans_dir()).free
    if free < MIN_FREE:
        raise JournalError(
            f"the journal's filesystem ({plans_dir()}) has {free // 1024} KB free; netui needs "
            f"{MIN_FREE // (1024 * 1024)} MB to record what it changes before it changes anything: "
            "free some space (or set XDG_STATE_HOME elsewhere)"
        )


def _private_dir(path: Path) -> Path:
    """Create `path` (and its parents) 0700, and tighten it if it is ours and too open: other
    users must not swap journal files or the audit log for links."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = path.stat()
    if not stat.S_ISDIR(st.st_mode):
        raise FileExistsError(path)
    if st.st_uid == os.geteuid() and st.st_mode & 0o077:
        with contextlib.suppress(OSError):  # a read-only state directory is still readable
            os.chmod(path, 0o700)
    return path


def plans_dir() -> Path:
    where = state_home() / "plans"
    try:
        _private_dir(state_home())
        return _private_dir(where)
    except FileExistsError:
        raise JournalError(f"{where} (the journal) is not a directory: move it away") from None
    except OSError as e:
        raise _unwritable(where, e) from None


def check_plan_id(plan_id: str) -> str:
    """A plan id as netui makes them, checked before any path is built from it."""
    if not PLAN_ID_RE.match(plan_id):
        raise JournalError(
            f"{plan_id!r} is not a plan id (they look like p20261125-125818-2fd4; see `netui history`)"
        )
    return plan_id


def _unwritable(where: Path, e: OSError) -> JournalError:
    return JournalError(
        f"the state directory {where} cannot be written ({e.strerror or e}): netui records every "
        "change there before it makes it, so nothing was done — make it writable and free "
        "(or set XDG_STATE_HOME elsewhere)"
    )


@contextlib.contextmanager
def writer_lock(action: str) -> Iterator[None]:
    """One netui changing hosts at a time (per journal): taken before the state a plan is made
    from is read, held until the last step is journaled. A second one is refused with who
    holds it; the kernel drops the lock when its holder dies, so a crash leaves none behind."""
    path = state_home() / "writer.lock"
    try:
        _private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as e:  # a read-only or full state directory
        raise _unwritable(path.parent, e) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 400, 0).decode(errors="replace").strip() or "another netui"
            raise JournalError(
                f"another netui is changing hosts right now ({holder}); nothing was done — "
                "wait for it to finish, then look again (`netui history`)"
            ) from None
        user = os.environ.get("SUDO_USER") or os.environ.get("USER") or str(os.getuid())
        since = time.strftime("%H:%M:%S")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{action} by {user}, pid {os.getpid()}, since {since}".encode(), 0)
        except OSError as e:
            raise _unwritable(path.parent, e) from None
        yield
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
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
        self.data = data or {
            "format": FORMAT,
            "seq": next_sequence(),  # the journal's own order: a clock stepped back is no matter
            "plan": plan.to_dict(),
            "status": PlanState.PLANNED,
            "hosts": {},
            "events": [],
        }
        self.path = plans_dir() / f"{plan.id}.json"
        self.lock = threading.RLock()
        # Set when a write failed: the record goes on in memory only (the rollback of what ran
        # must not fail on the same full disk), and the operator is told.
        self.write_error: str | None = None

    @classmethod
    def load(cls, plan_id: str) -> Journal:
        path = plans_dir() / f"{check_plan_id(plan_id)}.json"
        if not path.exists() and not path.is_symlink():
            raise FileNotFoundError(path)
        data, wrong = read_journal(path)
        if wrong is None:
            try:
                return cls(plan_from_dict(data["plan"]), data)
            except (ValueError, KeyError, TypeError) as e:
                wrong = f"its plan cannot be read ({e})"
        raise JournalError(
            f"{path}: the journal of plan {plan_id} cannot be used: {wrong}; nothing of it is "
            f"undone (its pre-change tables are in {path.parent}/{plan_id}.*.pre.json)"
        )

    def save(self) -> None:
        with self.lock:
            if self.write_error is not None:
                return
            try:
                write_json(self.path, self.data)
            except OSError as e:
                self.write_error = f"{self.path}: {e.strerror or e}"
                raise JournalWriteError(
                    f"the journal cannot be written ({self.write_error})"
                ) from None

    @property
    def status(self) -> PlanState:
        return PlanState(self.data["status"])

    def host_outcome(self, name: str) -> HostOutcome:
        """A host's (or a cluster API's) state within this plan."""
        return HostOutcome(self.host(name).get("status", HostOutcome.PLANNED))

    def set_status(self, status: PlanState) -> None:
        with self.lock:
            self.data["status"] = status
            self.data["events"].append({"time": time.time(), "status": status})
            self.save()

    def host(self, name: str) -> dict[str, Any]:
        with self.lock:
            return self.data["hosts"].setdefault(
                name, {"pre": {}, "steps": [], "status": HostOutcome.PLANNED}
            )

    def record_pre(self, name: str, pre: dict[str, Any]) -> None:
        """The host's state before any change. The full iptables-save texts (megabytes on a
        kube-proxy host) go to their own file, written once, so each step's journal write
        stays small; the journal keeps the rest and the file's name."""
        with self.lock:
            big = {k: pre[k] for k in ("nat", "filter") if k in pre}
            path = self.path.with_name(f"{self.plan.id}.{name}.pre.json")
            try:
                write_json(path, big)
            except OSError as e:
                self.write_error = f"{path}: {e.strerror or e}"
                raise JournalWriteError(
                    f"the journal cannot be written ({self.write_error})"
                ) from None
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
            if self.write_error is not None and phase == "apply":
                # nothing more is changed once it cannot be recorded first
                raise JournalWriteError(f"the journal cannot be written ({self.write_error})")
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

    def set_host_status(self, name: str, status: HostOutcome, **extra: Any) -> None:
        with self.lock:
            self.host(name)["status"] = status
            self.host(name).update(extra)
            self.save()


MAX_JOURNAL = 64 * 1024 * 1024  # a 100k-rule host's journal is ~1 MB; its tables are apart


def read_journal(path: Path) -> tuple[Any, str | None]:
    """A journal file's content, or what is wrong with it (not a regular file, not JSON, a
    format or a field netui does not write)."""
    try:
        st = path.lstat()
    except OSError as e:
        return None, f"cannot be read ({e.strerror or e})"
    if not stat.S_ISREG(st.st_mode):
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "a link or a special file"
        return None, f"is not a regular file ({what})"
    if st.st_size > MAX_JOURNAL:
        return None, f"is {st.st_size // (1024 * 1024)} MB, more than a journal can be"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        return None, f"is not JSON ({e})"
    wrong = problem(data)
    if wrong is None:
        try:  # its steps too: an unknown kind is refused here, not half-undone later
            plan_from_dict(data["plan"])
        except (ValueError, KeyError, TypeError) as e:
            wrong = f"its plan cannot be read ({e})"
    return data, wrong


def scan() -> tuple[list[dict[str, Any]], list[str]]:
    """Every journal netui can use, oldest first (by the journal's own sequence; files of
    earlier netui, which have none, come first by their time), and one line naming each file
    it cannot use and why."""
    good, bad = [], []
    for path in sorted(plans_dir().glob("p*.json")):
        if path.name.endswith(".pre.json"):
            continue  # a host's pre-change tables, not a journal
        data, wrong = read_journal(path)
        if wrong is None:
            good.append(data)
        else:
            bad.append(f"{path}: {wrong}")
    return sorted(good, key=order), bad


def order(d: dict[str, Any]) -> tuple[bool, int, float]:
    seq = d.get("seq")
    return (seq is not None, seq or 0, d["plan"]["created"])


def list_journals() -> list[dict[str, Any]]:
    return scan()[0]


def journal_problems() -> list[str]:
    return scan()[1]


def next_sequence() -> int:
    """One more than any plan the journal holds or ever held (the counter survives a removed
    file). Taken under the writer lock by the callers that apply or export."""
    counter = plans_dir() / "sequence"
    try:
        last = int(counter.read_text().strip() or 0)
    except (OSError, ValueError):
        last = 0
    last = max([last, *(d.get("seq") or 0 for d in list_journals())])
    try:
        write_json(counter, last + 1)
    except OSError as e:
        raise JournalWriteError(
            f"the journal cannot be written ({counter}: {e.strerror or e})"
        ) from None
    return last + 1


def later_standing(journal: Journal) -> list[tuple[str, list[str]]]:
    """(plan id, shared hosts) of every newer plan (by the journal's sequence) whose changes
    may still stand on a host this plan touched: undoing this one first would put back state
    that plan built on."""
    mine = set(journal.plan.hosts)
    out = []
    for d in list_journals():
        if order(d) <= order(journal.data) or d["plan"]["id"] == journal.plan.id:
            continue
        if not PlanState(d["status"]).standing:
            continue
        shared = sorted(mine & set(d["plan"].get("hosts", {})))
        if shared:
            out.append((d["plan"]["id"], shared))
    return out


def audit(action: str, plan: Plan, hosts: list[str], outcome: str) -> None:
    """One line per action: time, local user, where the operator came from, plan, hosts, outcome."""
    path = _private_dir(state_home()) / "audit.log"
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
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
