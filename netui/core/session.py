"""One operator's session: the environment, its hosts (one connection each, shared by the TUI's
poller and every action), discovery, and the operations both faces call."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netui.errors import UserError
from netui.model.envfile import Environment
from netui.model.findings import Finding
from netui.plan.states import HostOutcome as HostOutcome  # the journal's states: both faces
from netui.plan.states import PlanState as PlanState  # ask them, never compare their text

if TYPE_CHECKING:
    from netui.backends import Hosts
    from netui.discovery.model import ClusterInventory
    from netui.doctor.context import DoctorInput
    from netui.model.snapshot import HostSnapshot
    from netui.plan.journal import Journal
    from netui.plan.model import Plan
    from netui.plan.render import Command
    from netui.plan.staging import Stage

Progress = Callable[[str, str], None]


@dataclass
class Diagnosis:
    """What the doctor saw: its input, the findings, and warnings for the operator (an API that
    could not be asked, DNS left out of a plan) — data, shown by both faces."""

    inp: DoctorInput
    findings: list[Finding]
    warnings: list[str] = field(default_factory=list)


@dataclass
class PlannedChange:
    plan: Plan
    commands: dict[str, list[Command]]
    diagnosis: Diagnosis
    # the hosts as the commands were rendered from them (with the files the plan writes)
    snapshots: dict[str, HostSnapshot] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryRow:
    plan: str
    when: str
    who: str
    status: str  # as both faces show it (with when a rollback fired)
    hosts: str
    created: float
    # the journal's own words, for `netui history --json`
    user: str = ""
    came_from: str = ""
    state: str = ""
    host_states: tuple[tuple[str, str | None], ...] = ()
    # what a reboot of its hosts does to the plan, as both faces show it ("" when nothing of it
    # stands), and the same for `--json` (None then)
    at_boot: str = ""
    at_boot_json: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "created": self.created,
            "user": self.user,
            "from": self.came_from,
            "status": self.state,
            "shown": self.status,
            "hosts": dict(self.host_states),
            "at_boot": self.at_boot_json,
        }


class Session:
    def __init__(
        self,
        env: Environment,
        *,
        discover: Callable[[Environment], dict[str, ClusterInventory]] | None = None,
        gather: Callable[[Environment], DoctorInput] | None = None,
        hosts: Hosts | None = None,
    ) -> None:
        self.env = env
        self.readonly = env.readonly
        # screen tests and benchmarks hand in a fixed world here
        self._discover = discover
        self._gather = gather
        self._hosts: Hosts | None = hosts
        self._lock = threading.Lock()
        self._writer: int | None = None  # the thread holding the writer lock
        self._stage: Stage | None = None
        # every change this session made, (time, what): the migration cockpit's timeline
        self.changes: list[tuple[float, str]] = []

    @property
    def stage(self) -> Stage:
        """Fixes and rule changes picked on any screen, applied as one. Made when first asked:
        the plan model behind it (~0.1 s of imports) stays out of the TUI's first paint."""
        if self._stage is None:
            from netui.plan.staging import Stage

            self._stage = Stage()
        return self._stage

    # --- hosts ---------------------------------------------------------------------------

    @property
    def hosts(self) -> Hosts:
        """One connection per host for the whole session (the poller's too)."""
        with self._lock:
            if self._hosts is None:
                from netui.backends import Hosts

                self._hosts = Hosts(self.env)
            return self._hosts

    def close(self, wait: bool = True) -> None:
        """Close every connection; without `wait`, in the background (quitting never waits on
        a connect in progress)."""
        with self._lock:
            hosts, self._hosts = self._hosts, None
        if hosts is None:
            return
        if wait:
            hosts.close()
        else:
            threading.Thread(target=hosts.close, daemon=True, name="close-hosts").start()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def refuse_writes(self, what: str) -> None:
        if self.readonly:
            raise UserError(f"read-only: {what} changes things; nothing was done")

    # --- seeing --------------------------------------------------------------------------

    def discover(self, only: str | None = None) -> dict[str, ClusterInventory]:
        if self._discover is not None:
            found = self._discover(self.env)
            return {n: i for n, i in found.items() if only in (None, n)}
        from netui.discovery.kube import discover

        return discover(self.env, only)

    def gather(self, cluster: str | None = None) -> Diagnosis:
        """Snapshot every host and ask every cluster's API, at the same time; the findings of
        every cluster, or of one."""
        if self._gather is not None:
            inp = self._gather(self.env)
            from netui.doctor import diagnose

            return Diagnosis(inp, diagnose(inp, cluster), _api_warnings(inp.inventory))
        from netui.backends.snapshot import snapshot_hosts
        from netui.doctor import diagnose
        from netui.doctor.context import build_input
        from netui.doctor.dns import DNSMASQ_CONF, dns_hosts

        draft = build_input(self.env, {}, {})
        extra = {h: [d, DNSMASQ_CONF] for h, d in dns_hosts(draft).items()}
        with ThreadPoolExecutor(max_workers=1) as pool:
            inv_future = pool.submit(self.discover)
            snaps = snapshot_hosts(self.hosts, self.env.hosts, extra)
            inventory = inv_future.result()
        inp = build_input(self.env, snaps, inventory)
        return Diagnosis(inp, diagnose(inp, cluster), _api_warnings(inventory))

    def diagnose(self, cluster: str | None = None) -> Diagnosis:
        self.check_cluster(cluster)
        return self.gather(cluster)

    def check_cluster(self, cluster: str | None) -> None:
        if cluster is not None and cluster not in self.env.clusters:
            raise UserError(
                f"no cluster {cluster!r} in {self.env.path}; clusters: {', '.join(self.env.clusters)}"
            )

    # --- changing ------------------------------------------------------------------------

    def plan(
        self,
        cluster: str | None = None,
        position: int = 1,
        taint_forwarders: bool = False,
        fix_all: bool = False,
    ) -> PlannedChange:
        """The plan and the exact commands it would run now (from each host's live state).
        Raises PlanRefused with every reason."""
        from netui.plan.planner import make_plan

        self.check_cluster(cluster)
        if position < 1:
            raise UserError(
                f"position {position}: positions count from 1 (1 = first in POSTROUTING/FORWARD)"
            )
        from netui.plan import executor

        d = self.gather()
        plan = make_plan(d.inp, d.findings, cluster, position, taint_forwarders, fix_all)
        snaps = self.read_for(plan)
        return PlannedChange(plan, executor.preview_from(plan, snaps), d, snaps)

    def read_for(self, plan: Plan) -> dict[str, HostSnapshot]:
        """Each host of `plan` as it is now, with the files the plan writes: what its commands,
        its diff and its export are rendered from."""
        from netui.plan import executor

        if self._gather is not None:  # a fixed world: its hosts' states stand for the live ones
            return self._gather(self.env).snapshots
        return executor.read_for(plan, self.hosts)

    def diff(self, plan: Plan) -> dict[str, list[str]]:
        """Per host, what the plan's exact commands change, before → after (unified diffs)."""
        from netui.plan import executor
        from netui.plan.diff import host_diff

        snaps = self.read_for(plan)
        commands = executor.preview_from(plan, snaps)
        # the snapshot holds the files the plan writes (read with it): no second read
        return {n: host_diff(snaps[n], commands[n], snaps[n].files.get) for n in plan.hosts}

    def preview(self, plan: Plan) -> dict[str, list[Command]]:
        from netui.plan import executor

        return executor.preview_from(plan, self.read_for(plan))

    @contextlib.contextmanager
    def writing(self, action: str) -> Iterator[None]:
        """One writer at a time (the journal's lock), and never in read-only mode."""
        from netui.plan.journal import JournalError, writer_lock

        self.refuse_writes(action)
        if self._writer == threading.get_ident():
            yield  # already this thread's (an apply holds it from before its plan was made)
            return
        try:
            # another thread of this session (a second TUI worker) opens the lock file anew
            # and is refused like any other writer
            with writer_lock(action):
                self._writer = threading.get_ident()
                try:
                    yield
                finally:
                    self._writer = None
        except JournalError as e:
            raise UserError(str(e)) from None

    def apply(
        self, plan: Plan, confirm_timeout: float | None = None, progress: Progress | None = None
    ) -> Journal:
        from netui.plan import executor

        with self.writing("apply"):
            self._refuse_over_armed(plan)
            journal = executor.apply(plan, self.hosts, confirm_timeout, progress)
        what = self._what(plan)
        self.changes.append((time.time(), f"plan {plan.id} {journal.status}: {what}"))
        return journal

    def _refuse_over_armed(self, plan: Plan) -> None:
        """An older plan still armed on a host of this one: its rollback, when it fires (or
        runs after a reboot), puts back what it found there and would undo this plan's files
        with it. Its hosts are asked first (a plan a reboot or its deadline settled is not in
        the way); one that is still armed is confirmed, or rolled back, before this applies."""
        from netui.model.envfile import EnvironmentProblem
        from netui.plan import executor, undoing

        shared_armed = []
        for journal in undoing.candidates(lambda s: s.awaiting_confirmation, None):
            records = journal.data["hosts"]  # read, not journal.host(): that adds a record
            shared = [n for n in plan.hosts if (records.get(n) or {}).get("rollback")]
            if journal.plan.id == plan.id or not shared:
                continue
            try:
                executor.settle_timers(journal, self.hosts)
            except EnvironmentProblem:
                pass  # some of its hosts are another environment's: as the journal saw them
            still = [n for n in shared if (records.get(n) or {}).get("rollback")]
            if still:
                shared_armed.append(f"plan {journal.plan.id} on {', '.join(still)}")
        if shared_armed:
            raise UserError(
                f"not applying plan {plan.id}: {'; '.join(shared_armed)} still awaits "
                "confirmation, and its rollback would undo this plan there too; confirm it "
                "first (`netui confirm`, `y`), or let it roll back"
            )

    @staticmethod
    def _what(plan: Plan) -> str:
        """A plan in a few words, for the timeline: per host, what kinds of change."""
        parts = []
        for name, hp in plan.hosts.items():
            kinds: list[str] = []
            for step in hp.steps:
                label = step.label()
                if label and label not in kinds:
                    kinds.append(label)
            parts.append(f"{name} ({', '.join(kinds)})")
        return "; ".join(parts) or "nothing"

    def confirm(self, plan_id: str | None = None) -> tuple[Journal | None, dict[str, str]]:
        from netui.plan import executor, undoing

        with self.writing("confirm"):
            try:
                found = undoing.candidates(lambda s: s.awaiting_confirmation, plan_id)
            except undoing.UndoRefused as e:
                raise UserError(str(e)) from None
            if not found:
                return None, {}
            result = executor.confirm(found[0], self.hosts)
        self.changes.append((time.time(), f"plan {found[0].plan.id} confirmed"))
        return found[0], result

    def settle(self, plan_id: str) -> tuple[PlanState, dict[str, str]]:
        """Ask an armed plan's hosts whether their rollback fired: (the plan's status now,
        host -> when it fired)."""
        from netui.plan import executor

        journal = load_journal(plan_id)
        fired = executor.settle_timers(journal, self.hosts)
        return journal.status, fired

    def rolled_back_by_reboot(self, plan_id: str) -> frozenset[str]:
        """The hosts of a plan whose boot ran its rollback (their timer died with them)."""
        journal = load_journal(plan_id)
        return frozenset(
            n for n in journal.plan.hosts if journal.host_outcome(n) is HostOutcome.REBOOTED
        )

    def undo_target(self, plan_id: str | None = None) -> tuple[Journal | None, list[str]]:
        """The plan an undo would revert (checked: nothing newer stands on its hosts, its timer
        did not fire already) and notes on the plans passed over. Raises UserError."""
        from netui.plan import undoing

        try:
            journal, notes = undoing.choose(self.hosts, plan_id)
            if journal is not None:
                undoing.check(journal)
        except undoing.UndoRefused as e:
            raise UserError(str(e)) from None
        return journal, notes

    def undo(self, journal: Journal, progress: Progress | None = None) -> bool:
        from netui.plan import executor, undoing

        with self.writing("undo"):
            try:
                undoing.check(journal)  # again, under the lock: another netui may have applied
            except undoing.UndoRefused as e:
                raise UserError(str(e)) from None
            ok = executor.undo(journal, self.hosts, progress)
        self.changes.append(
            (time.time(), f"plan {journal.plan.id} {'undone' if ok else 'undo failed'}")
        )
        return ok

    def rule_plan(
        self,
        host: str,
        chain: str,
        spec: str | None,
        position: int | None,
        action: str,
        to: int | None = None,
        force_foreign: bool = False,
    ) -> tuple[Plan, str]:
        """The plan that deletes (or moves to `to`) one foreign nat rule, named by its text
        (`position` a cross-check) or — after the operator saw it — by number; and the rule's
        description with its owner. Raises UserError for what netui refuses."""
        from netui.backends.snapshot import snapshot_hosts
        from netui.plan.foreign import RuleRefused, describe, pick_rule, refusal, rule_change_plan

        self.env.host(host)
        snap = snapshot_hosts(self.hosts, [host])[host]
        if not snap.ok or snap.nat is None:
            raise UserError(f"{host}: {snap.reason or 'no nat table'}")
        try:
            rule = pick_rule(snap.nat, host, chain, spec, position)
        except RuleRefused as e:
            raise UserError(str(e)) from None
        why_not = refusal(rule, force_foreign)
        if why_not:
            raise UserError(f"{host}: {why_not}")
        to_position = None
        if action != "delete":
            size = len(snap.nat.chains[chain])
            if to is None or not 1 <= to <= size:
                raise UserError(f"{host}: {chain} positions are 1 to {size}, not {to}")
            to_position = to
        plan = rule_change_plan(self.env.path, host, rule, to_position)
        return plan, describe(rule)

    def plan_detail(self, plan_id: str) -> list[str]:
        return plan_detail(plan_id)

    def history(self) -> list[HistoryRow]:
        return history()

    def settle_awaiting(self) -> list[str]:
        """Ask the hosts of every plan awaiting confirmation what became of their timers (the
        deadline passed, a host rebooted), so history says what the hosts hold rather than
        what the journal last saw. Returns the plans whose state changed."""
        from netui.plan import executor, undoing

        if self.readonly:
            # settling clears what a fired timer or a reboot left on the host, and writes the
            # journal: a read-only session shows the journal as it last saw it, and says so
            raise UserError("read-only: settling a timer changes its host")
        changed = []
        for journal in undoing.candidates(lambda s: s.awaiting_confirmation, None):
            if not set(journal.plan.hosts) <= set(self.env.hosts):
                continue  # applied through another environment: its hosts are not known here
            before = journal.status
            executor.settle_timers(journal, self.hosts)
            if journal.status != before:
                changed.append(journal.plan.id)
        return changed

    def history_problems(self) -> list[str]:
        return history_problems()


def _api_warnings(inventory: dict[str, Any]) -> list[str]:
    out = []
    for inv in inventory.values():
        out += list(getattr(inv, "warnings", ()))
        if getattr(inv, "error", None):
            out.append(inv.error)
    return out


# --- the journal alone (no environment, no hosts): `netui history` reads only this -------------


def load_journal(plan_id: str) -> Journal:
    from netui.plan import undoing

    try:
        return undoing.load(plan_id)
    except undoing.UndoRefused as e:
        raise UserError(str(e)) from None


def plan_detail(plan_id: str) -> list[str]:
    """What one plan changed, host by host: each step with its outcome, then its undo's
    steps; the same lines in both faces."""
    journal = load_journal(plan_id)
    mark = {"done": "✓", "failed": "✗", "pending": "…", "undone": "↶", "skipped": "-"}
    lines = [f"plan {journal.plan.id}: {journal.status}"]
    boot = _at_boot(journal.data)
    if boot:
        lines.append(f"at boot: {boot[0]}")
    for name, record in journal.data["hosts"].items():
        extra = f" — {record['error']}" if record.get("error") else ""
        lines.append(f"{name}: {record.get('status')}{extra}")
        for s in record.get("steps", []):
            undo = "undo: " if s.get("phase") == "undo" else ""
            err = f" ({s['error']})" if s.get("error") else ""
            lines.append(f"  {mark.get(s['status'], '?')} {undo}{s['summary']}{err}")
        outcome = journal.host_outcome(name) if name in journal.plan.hosts else None
        if outcome is not None and outcome.rolled_back:
            # the rollback ran on the host alone: what it did is every step above, undone
            by = (
                "the confirm timer's script"
                if outcome is HostOutcome.TIMER_FIRED
                else "the host's boot (netui-restore.service)"
                if "note" not in record
                else "netui, after the reboot"
            )
            when = f" at {record['fired_at']}" if record.get("fired_at") else ""
            lines.append(f"  ↶ rollback by {by}{when}: every step above undone on the host")
            if record.get("note"):
                lines.append(f"    ({record['note']})")
    for t in journal.plan.taints:
        lines.append(f"cluster {t.cluster} (API): taint {t.text} on {t.node}")
    lines += [f"note: {n}" for n in journal.plan.notes]
    return lines


def history_problems() -> list[str]:
    """Each journal file netui cannot use, named with what is wrong (both faces show them: an
    undo is refused while one is there, since it may stand on the same hosts)."""
    from netui.plan.journal import journal_problems

    return [f"{p}; netui undoes nothing while it is there" for p in journal_problems()]


def _at_boot(d: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """What a reboot does to a journaled plan: (history's words, its JSON), None when nothing
    of it stands."""
    from netui.plan.kinds.boot_persisted import at_boot

    found = at_boot(d["plan"].get("hosts", {}), d.get("hosts", {}))
    return (found.text(), found.to_json()) if found is not None else None


def history() -> list[HistoryRow]:
    """Every plan, newest first (both faces show this order)."""
    from netui.plan.journal import list_journals

    rows = []
    for d in reversed(list_journals()):
        p = d["plan"]
        status = d["status"]
        fired = sorted(h["fired_at"] for h in d["hosts"].values() if "fired_at" in h)
        if fired:
            status += f" at {fired[-1]}"
        boot = _at_boot(d) if PlanState(d["status"]).standing else None
        rows.append(
            HistoryRow(
                p["id"],
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(p["created"])),
                f"{p['user']}@{p['came_from']}",
                status,
                " ".join(f"{n}:{h.get('status')}" for n, h in d["hosts"].items()),
                p["created"],
                p["user"],
                p["came_from"],
                d["status"],
                tuple((n, h.get("status")) for n, h in d["hosts"].items()),
                boot[0] if boot else "",
                boot[1] if boot else None,
            )
        )
    return rows


def awaiting_confirmation() -> list[str]:
    """The plans the journal last saw awaiting confirmation, newest first."""
    from netui.plan.journal import list_journals

    return [
        d["plan"]["id"]
        for d in reversed(list_journals())
        if PlanState(d["status"]).awaiting_confirmation
    ]


def no_plans_yet() -> bool:
    """The journal holds no plan, not even one netui cannot read."""
    from netui.plan.journal import scan

    return scan() == ([], [])
