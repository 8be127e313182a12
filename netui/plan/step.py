"""A kind of change is one object: the protocol every kind follows, the registry of kinds by
name, and what a kind sees of its host.

A `Step` says *what* (a MASQUERADE pair, a route, forwarding on). Everything else in the plan
package — the executor, the journal, the diff, staging, undo, the rollback timer and the Ansible
export — iterates over a host plan's steps and asks them; none of it names a kind. Adding a
kind is one module in `netui/plan/kinds/` and one line in its `__init__.py`
(docs/adding-a-kind.md).

Order: steps render in `rank` order (ties in plan order) when applied, and in the reverse when
undone, so what came last goes first; the confirm timer's script has its own (`rollback_rank`).
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from netui.model.iptables import Table
from netui.model.snapshot import TABLES, HostSnapshot
from netui.plan.command import Command, Guard
from netui.plan.model import comment
from netui.plan.restore import RestoreBuilder


@dataclass
class HostState:
    """A host as a step sees it: its tables, its routes (table main, by destination), its
    forwarding switch and the files steps asked for (None: the file does not exist)."""

    tables: dict[str, Table | None] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)
    ip_forward: int | None = None
    files: dict[str, str | None] = field(default_factory=dict)
    variant: str | None = None  # iptables' "nft" or "legacy"
    absent: frozenset[str] = frozenset()  # tables iptables-save did not print (nat, filter)

    @classmethod
    def of(cls, snap: HostSnapshot) -> HostState:
        return cls(
            {"nat": snap.nat, "filter": snap.filter},
            {r.dst: r.line for r in snap.routes.routes},
            snap.ip_forward,
            dict(snap.files),
            snap.variant,
            absent_tables({"nat": snap.nat_text, "filter": snap.filter_text})
            if snap.readable(TABLES)
            else frozenset(),
        )

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def has_rule(self, table: str, chain: str, text: str) -> bool:
        """Is `-A chain text` in the live table (by a rule's stable text)?"""
        t = self.tables.get(table)
        return bool(t and any(rid.chain == chain and rid.spec == text for rid in t.ids()))


def absent_tables(texts: dict[str, Any]) -> frozenset[str]:
    """The tables a host did not have, from each table's iptables-save text ("" when it printed
    none; a journal of an older netui may hold no text: not known, so not absent)."""
    return frozenset(name for name, text in texts.items() if text == "")


class Script:
    """What one host's steps render into, in order: commands, the one restore (first when
    applied, last when undone), batches (one `ip -batch` for every route), reloads (each
    once, after the steps that asked; dropped when a later step runs the same reload itself)
    and, after all of it, the late commands (a firewall manager's reload)."""

    def __init__(
        self, plan_id: str, phase: str, live: HostState, retry_of: frozenset[str] = frozenset()
    ) -> None:
        self.plan_id, self.phase, self.live = plan_id, phase, live
        self.retry_of = retry_of  # summaries of commands that failed in the previous attempt
        self.restore = RestoreBuilder(plan_id, phase, live.tables)
        self._out: list[Command | str] = []  # a str is a batch's or a reload's place
        self._batches: dict[
            str, tuple[tuple[str, ...], Callable[[int], str], list[str], list[Guard]]
        ] = {}
        self._pending: list[str] = []
        self._reloaded: set[str] = set()
        self._kind: str | None = None
        self._late: list[Command] = []
        self.boot: list[str] = []

    def begin(self, step: Step) -> None:
        """The renderer moves on to `step`: reloads asked for by the steps before it (of
        another kind) take their place here."""
        if step.kind != self._kind:
            self._flush()
        self._kind = step.kind
        # what the steps so far say must come back at boot (kinds/boot_persisted.py reads it)
        self.boot += [line for line in step.at_boot(self.plan_id) if line not in self.boot]

    def _flush(self) -> None:
        for text in self._pending:
            self._out.append("reload:" + text)
        self._pending = []

    def add(self, cmd: Command) -> None:
        self._out.append(cmd)

    def late(self, cmd: Command) -> None:
        """A command that runs after everything else of the host, the restore included, when
        applied and when undone: a firewall manager's reload, which flushes the tables."""
        self._late.append(cmd)

    def reload(self, text: str, *, now: bool = False) -> None:
        """dnsmasq (or another daemon) must re-read its files: `text` is the operator's reload
        command. `now`: run it here (a step's own reload); else once, after this kind's steps."""
        if now:
            self._reloaded.add(text)
            self._out.append(reload_command(text))
        elif text not in self._pending and ("reload:" + text) not in self._out:
            self._pending.append(text)

    def batch(
        self, argv: tuple[str, ...], line: str, summary: Callable[[int], str], guard: Guard
    ) -> None:
        """One line of a batch command (`ip -batch -`): every line of it runs in one call."""
        key = shlex.join(argv)
        if key not in self._batches:
            self._batches[key] = (argv, summary, [], [])
            self._out.append("batch:" + key)
        self._batches[key][2].append(line)
        self._batches[key][3].append(guard)

    def commands(self) -> list[Command]:
        self._flush()
        out: list[Command] = []
        for item in self._out:
            if isinstance(item, Command):
                out.append(item)
            elif item.startswith("batch:"):
                argv, summary, lines, guards = self._batches[item[6:]]
                stdin = "".join(f"{line}\n" for line in lines)
                out.append(Command(summary(len(lines)), argv, stdin, guards=tuple(guards)))
            elif item[7:] not in self._reloaded:
                out.append(reload_command(item[7:]))
        restore = self.restore.command()
        if restore is not None:
            out = [*out, restore] if self.phase == "undo" else [restore, *out]
        return out + self.restore.after() + self._late


def reload_command(text: str) -> Command:
    return Command(f"reload dnsmasq: {text}", ("sh", "-c", text), role="reload")


class Rollback:
    """The lines of a rollback script (POSIX sh, error-tolerant: each line on its own)."""

    def __init__(self, plan_id: str) -> None:
        self.plan_id, self.tag = plan_id, comment(plan_id)
        self.lines: list[str] = []

    def run(self, *argv: str) -> None:
        self.lines.append(shlex.join(argv) + " 2>/dev/null")

    def line(self, text: str) -> None:
        self.lines.append(text)


S = TypeVar("S", bound="Step")
KINDS: dict[str, type[Step]] = {}


def register(cls: type[S]) -> type[S]:
    """Make a kind known by its name (the journal stores steps by it)."""
    if cls.kind in KINDS and KINDS[cls.kind] is not cls:
        raise ValueError(f"two kinds of change are named {cls.kind!r}")
    KINDS[cls.kind] = cls
    return cls


class StepError(ValueError):
    """A journaled step netui cannot read back (an unknown kind, a wrong field)."""


@dataclass(frozen=True)
class Step:
    """One change on one host. Subclasses are frozen dataclasses of plain values (what the
    journal stores) and override what their kind does."""

    kind: ClassVar[str] = ""
    rank: ClassVar[int] = 50  # apply order; undo runs in the reverse
    # the confirm timer's script: rules out of netui's chains first, then the chains, then what
    # was removed put back, then the rest (each line on its own there)
    rollback_rank: ClassVar[int] = 50
    foreign: ClassVar[bool] = False  # an edit of someone else's rule or file (fix-all, x/m)
    # the host's boot runs an armed plan's rollback (a reboot kills the confirm timer): the
    # executor leaves a copy of it where the boot unit finds it (model/bootstate.py)
    boot_runs_armed: ClassVar[bool] = False
    topic: ClassVar[str] = ""  # a few words for the session's timeline ("routes")

    def files(self) -> tuple[str, ...]:
        """The files the host's snapshot must read for this step (what it writes)."""
        return ()

    def apply(self, live: HostState, out: Script) -> None:
        """The commands that make this change, rendered from the host's live state."""
        raise NotImplementedError

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        """The exact inverse: from the state this step found before it ran (`found`) and the
        host's state now (`live`); nothing when its effect is gone already or someone else
        changed it since."""
        raise NotImplementedError

    def rollback(self, found: HostState, out: Rollback) -> None:
        """The inverse as sh lines for the confirm timer's script (runs on the target alone)."""
        raise NotImplementedError

    def arming_commands(self, live: HostState) -> tuple[Command, ...]:
        """What must stand on the host before its armed rollback is left there for the boot
        (boot_runs_armed): the unit that runs it, on a host's first plan. The executor runs them
        first, journaled, so a reboot at any later point of the apply rolls the plan back."""
        return ()

    def at_boot(self, plan_id: str) -> tuple[str, ...]:
        """Lines of the plan's file under /etc/netui/plans that bring this change back at every
        boot (model/bootstate.py: `rule TABLE CHAIN TEXT`, `jump TABLE BUILTIN POS CHAIN`,
        `route CIDR via GW`); none for a change that is a file or gone at boot by design."""
        return ()

    def undo_order(self) -> int:
        """A tie-break among steps of one kind when undone (a rule's old position: lowest first)."""
        return 0

    def undo_words(self) -> tuple[str, ...]:
        """What undoing this step does, line by line, for the undo's preview (read from the
        journal, before any host is asked): the rules it removes or puts back, by their text."""
        return ()

    def label(self) -> str:
        """The timeline's words for this step (its kind's topic unless it says more)."""
        return self.topic

    # --- staging: several picks merged into one plan ---

    def key(self) -> tuple[Any, ...] | None:
        """What this step changes, when two different steps of it cannot both be in one plan
        (one route per range, one edit per file). None: any number may be."""
        return None

    def merge(self, other: Step) -> Step | None:
        """One step doing both (`other` has the same key), or None: they cannot be one plan."""
        return None

    def conflict(self, other: Step) -> str:
        return f"two different {self.kind} changes of the same thing staged"

    def staged_mark(self, table: str, chain: str) -> tuple[str, str] | None:
        """Someone else's rule of `chain` this step deletes or moves, as (its text, "del" or
        "move"): what a view marks so a staged rule is seen as such before the apply."""
        return None

    # --- the journal ---

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}

    @classmethod
    def from_fields(cls: type[S], fields: dict[str, Any]) -> S:
        """Back from the journal's fields; a kind with nested values overrides it."""
        return cls(**fields)


def apply_order(steps: list[Step]) -> list[Step]:
    return [s for _, s in sorted(enumerate(steps), key=lambda p: (p[1].rank, p[0]))]


def rollback_order(steps: list[Step]) -> list[Step]:
    indexed = list(enumerate(steps))
    return [
        s for _, s in sorted(indexed, key=lambda p: (p[1].rollback_rank, p[1].undo_order(), p[0]))
    ]


def undo_order(steps: list[Step]) -> list[Step]:
    indexed = list(enumerate(steps))
    return [s for _, s in sorted(indexed, key=lambda p: (-p[1].rank, p[1].undo_order(), -p[0]))]
