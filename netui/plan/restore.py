"""The one place that writes `iptables-restore` input (kube-proxy's way): steps hand in chain
and rule lines per table, and the builder writes them once — one `iptables-restore --noflush`
per host, each table between its own `*table` and `COMMIT` (atomic per table).

Undo stays surgical: a step asks for its chain to be swept of this plan's rules (found by the
plan's comment in the live table, so a rule kube-proxy re-ordered since is still found), and the
chain's own step asks for the chain and its jump to go once nothing else is left in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netui.model.iptables import Table, quote
from netui.model.owners import untagged
from netui.plan.command import Command, Guard
from netui.plan.model import comment

RESTORE = ("iptables-restore", "--noflush", "-w", "5")
# Tables in the order iptables-save prints them; the restore text follows it.
TABLE_ORDER = ("raw", "mangle", "nat", "filter", "security")

# The Ansible guard of a restore: $2 the tables it touches, $3 the plan's comment, $4 when to
# run (absent: apply; present: undo). A restore that only moves netui's jumps holds no rule with
# the plan's comment: $5 then lists TABLE:BUILTIN:CHAIN:POSITION, and it is done when each jump
# stands there.
RESTORE_GUARD = r"""
mode=$1 tables=$2 mark=$3 when=$4 moves=$5
if [ -n "$moves" ]; then
  done=yes
  for m in $moves; do
    t=${m%%:*}; r=${m#*:}; b=${r%%:*}; r=${r#*:}; c=${r%%:*}; p=${r#*:}
    at=$(iptables-save -t "$t" 2>/dev/null | grep -- "^-A $b " | grep -n -- "-j $c\( \|$\)" | head -n 1 | cut -d: -f1)
    [ "$at" = "$p" ] || done=no
  done
  [ "$done" = yes ] && { echo netui-unchanged; exit 0; }
else
  have=absent
  for t in $tables; do iptables-save -t "$t" 2>/dev/null | grep -qF -- "$mark" && have=present; done
  [ "$have" = "$when" ] || { echo netui-unchanged; exit 0; }
fi
[ "$mode" = check ] && { echo netui-would-change; exit 0; }
iptables-restore --noflush -w 5 && echo netui-changed
"""


def restore_text(tables: dict[str, list[str]]) -> str:
    """`iptables-restore` input for these tables' lines (chains first, as the caller gives)."""
    order = sorted(tables, key=lambda t: (TABLE_ORDER.index(t) if t in TABLE_ORDER else 99, t))
    return "".join(
        f"*{t}\n" + "".join(f"{line}\n" for line in tables[t]) + "COMMIT\n"
        for t in order
        if tables[t]
    )


def sections(text: str) -> dict[str, str]:
    """A restore input split per table: table -> its `*table … COMMIT` text."""
    out: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines(keepends=True):
        if line.startswith("*"):
            current = line[1:].strip()
            out[current] = ""
        if current is not None:
            out[current] += line
        if line.strip() == "COMMIT":
            current = None
    return out


# Dropping a table the host did not have before a plan (undo, iptables-nft only): $1 the table.
# What iptables-nft leaves of a table nobody uses is its base chains, empty, policy accept; any
# other line (a rule, a chain of someone's, a drop policy, a set) keeps the table as it is.
DROP_EMPTY_TABLE = r"""
t=$1
listing=$(nft list table ip "$t" 2>/dev/null) || exit 0
printf '%s\n' "$listing" | grep -Eqv '^[[:space:]]*(table ip [a-z]+ [{]|chain (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) [{]|type [a-z]+ hook [a-z]+ priority [^;]+; policy accept;|[}]|)$' && exit 0
nft delete table ip "$t"
"""
# Its Ansible guard: $1 check|run, $2 the table.
DROP_GUARD = r"""
mode=$1 t=$2
listing=$(nft list table ip "$t" 2>/dev/null) || { echo netui-unchanged; exit 0; }
printf '%s\n' "$listing" | grep -Eqv '^[[:space:]]*(table ip [a-z]+ [{]|chain (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) [{]|type [a-z]+ hook [a-z]+ priority [^;]+; policy accept;|[}]|)$' && { echo netui-unchanged; exit 0; }
[ "$mode" = check ] && { echo netui-would-change; exit 0; }
nft delete table ip "$t" && echo netui-changed
"""


def _emptied(live: Table | None, lines: list[str]) -> bool:
    """Whether `live` holds nothing once these restore lines ran: no rule, no chain but the
    built-in ones, every policy ACCEPT (what iptables-save prints for a table no one uses)."""
    if live is None:
        return False
    chains = {name: [r.text for r in c.rules] for name, c in live.chains.items()}
    for line in lines:
        op, _, rest = line.partition(" ")
        chain, _, spec = rest.partition(" ")
        if op == "-X":
            chains.pop(chain, None)
        elif op == "-D" and spec in chains.get(chain, []):
            chains[chain].remove(spec)
        else:
            return False  # something is added (or a deletion not understood): not empty
    return all(not rules and live.chains[name].policy == "ACCEPT" for name, rules in chains.items())


def tagged(table: Table | None, chain: str, plan_id: str) -> list[str]:
    """The texts of this plan's rules in `chain` (by the plan's comment)."""
    c = table.chain(chain) if table else None
    if c is None:
        return []
    tag = quote(comment(plan_id))
    return [r.text for r in c.rules if f"--comment {tag} " in r.text + " "]


@dataclass
class _Table:
    chains: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    sweeps: list[str] = field(default_factory=list)
    drops: list[tuple[str, str]] = field(default_factory=list)  # (builtin, chain)
    moves: list[tuple[str, str, int]] = field(default_factory=list)  # (builtin, chain, to)
    drop_table: bool = False
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _moved(live: Table | None, builtin: str, chain: str, to: int) -> list[str]:
    """The lines that move the (first) jump to `chain` in `builtin` to position `to`: deleted
    by its text, inserted at `to` (clamped to the chain's length without it)."""
    bi = live.chain(builtin) if live else None
    jump = next((r for r in (bi.rules if bi else []) if r.target == chain), None)
    if bi is None or jump is None or jump.position == to:
        return []
    at = max(1, min(to, len(bi.rules)))
    if at == jump.position:
        return []
    return [f"-D {builtin} {jump.text}", f"-I {builtin} {at} {jump.text}"]


class RestoreBuilder:
    """Collects what steps want of each table; `command()` writes it once."""

    def __init__(self, plan_id: str, phase: str, tables: dict[str, Table | None]) -> None:
        self.plan_id, self.phase, self.live = plan_id, phase, tables
        self._tables: dict[str, _Table] = {}

    def _t(self, table: str) -> _Table:
        return self._tables.setdefault(table, _Table())

    def chain(self, table: str, name: str) -> None:
        """Create a chain of netui's (a no-op when it exists: --noflush keeps its rules)."""
        line = f":{name} - [0:0]"
        if line not in self._t(table).chains:
            self._t(table).chains.append(line)

    def rule(self, table: str, line: str) -> None:
        """One `-A`/`-I`/`-D` line, after the lines asked for before it."""
        self._t(table).rules.append(line)

    def added(self, table: str, chain: str) -> set[str]:
        """The rules asked to be appended to `chain` so far, without netui's plan comment."""
        head, t = f"-A {chain} ", self._tables.get(table)
        return {
            untagged(line[len(head) :]) for line in (t.rules if t else []) if line.startswith(head)
        }

    def note(self, table: str, text: str) -> None:
        """A part of the command's summary for this table (once)."""
        if text not in self._t(table).notes:
            self._t(table).notes.append(text)
            self._t(table).counts.setdefault(text, 0)

    def count(self, table: str, what: str) -> None:
        """A counted part of the summary: "2 MASQUERADE rule(s) in …"."""
        self.note(table, what)
        self._t(table).counts[what] += 1

    def sweep(self, table: str, chain: str) -> None:
        """Undo: delete every rule of this plan in `chain`."""
        if chain not in self._t(table).sweeps:
            self._t(table).sweeps.append(chain)

    def drop_if_emptied(self, table: str, builtin: str, chain: str) -> None:
        """Undo: remove `chain` and its jump from `builtin` when only this plan's rules are in it."""
        if (builtin, chain) not in self._t(table).drops:
            self._t(table).drops.append((builtin, chain))

    def move_jump(self, table: str, builtin: str, chain: str, to: int) -> None:
        """The jump from `builtin` to netui's `chain` moved to position `to` (1-based, as the
        chain reads once it stands there); nothing when it stands there already, is gone, or
        this restore drops it (undo: the chain emptied)."""
        if (builtin, chain, to) not in self._t(table).moves:
            self._t(table).moves.append((builtin, chain, to))

    def drop_table_if_emptied(self, table: str) -> None:
        """Undo on iptables-nft: the host had no `table` before the plan (iptables-restore made
        it); once this restore leaves it empty, `nft delete table` drops it again (`after`)."""
        self._t(table).drop_table = True

    def _lines(self, name: str, t: _Table) -> list[str]:
        live = self.live.get(name)
        lines = list(t.chains)
        swept: dict[str, list[str]] = {}
        for chain in t.sweeps:
            swept[chain] = tagged(live, chain, self.plan_id)
            lines += [f"-D {chain} {text}" for text in swept[chain]]
        dropped = set()
        for builtin, chain in t.drops:
            c = live.chain(chain) if live else None
            if c is None or len(swept.get(chain, [])) != len(c.rules):
                continue
            bi = live.chain(builtin) if live else None
            lines += [
                f"-D {builtin} {r.text}" for r in (bi.rules if bi else []) if r.target == chain
            ]
            lines.append(f"-X {chain}")
            dropped.add((builtin, chain))
        for builtin, chain, to in t.moves:
            if (builtin, chain) not in dropped:
                lines += _moved(live, builtin, chain, to)
        return lines + t.rules

    def _summary(self, name: str, t: _Table) -> str:
        parts = [f"{t.counts[n]} {n}" if t.counts[n] else n for n in t.notes]
        return f"{name} table: {', '.join(parts) or 'rules'}"

    def after(self) -> list[Command]:
        """What runs once the restore ran: the tables it leaves empty that the host did not
        have (asked for by `drop_table_if_emptied`)."""
        return [
            Command(
                f"{name} table: dropped again (the host had none before this plan)",
                ("sh", "-c", DROP_EMPTY_TABLE, "netui-drop-table", name),
                shown=f"nft delete table ip {name}  # when nothing else is in it",
                guards=(Guard(DROP_GUARD, (name,)),),
            )
            for name, t in self._tables.items()
            if t.drop_table and _emptied(self.live.get(name), self._lines(name, t))
        ]

    def command(self) -> Command | None:
        """The one restore of this host (None when no table changes)."""
        lines = {name: self._lines(name, t) for name, t in self._tables.items()}
        lines = {name: ls for name, ls in lines.items() if ls}
        if not lines:
            return None
        text = restore_text(lines)
        order = list(sections(text))
        summary = "; ".join(self._summary(n, self._tables[n]) for n in order)
        when = "present" if self.phase == "undo" else "absent"
        moves = [
            f"{name}:{builtin}:{chain}:{to}"
            for name in order
            for builtin, chain, to in self._tables[name].moves
        ]
        args: tuple[str, ...] = (" ".join(order), comment(self.plan_id), when)
        if moves and comment(self.plan_id) not in text:
            args += (" ".join(moves),)  # only jumps move: the guard looks where they stand
        guard = Guard(RESTORE_GUARD, args, text)
        return Command(summary, RESTORE, text, guards=(guard,))
