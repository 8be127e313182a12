"""A host's nat table: chains, rules in order with counters, rate and owner; follow jumps.

Rows are drawn by RuleList (only the visible lines), keyed by the rule's identity (chain, text,
occurrence), so refreshes keep the cursor on the same rule however kube-proxy reorders things.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from netui.core.plans import Plan
from netui.core.poller import age_text
from netui.model.iptables import Rule
from netui.model.rule_index import RuleIndex, matches
from netui.model.snapshot import HostSnapshot
from netui.screens.netui_app import keep_showing, netui_app
from netui.widgets.firewall_text import other_tables_line
from netui.widgets.footer import KeyFooter
from netui.widgets.rule_list import RuleList, RuleRow
from netui.widgets.safe import Plain, safe_text


def rule_matches(rule: Rule, needle: str) -> bool:
    """Text filter, or address filter: a rule whose -s/-d overlaps the address or CIDR matches
    (`10.200.1.3` finds `-d 10.200.0.0/16`)."""
    return matches(rule, needle)


def _sentence(label: str) -> str:
    """The first letter up, the rest as written (str.capitalize lowercased the rule's text)."""
    return label[:1].upper() + label[1:]


# Per-service chains are thousands on a kube-proxy host: they are reached by following jumps,
# not listed (an OptionList of 40,000 names alone takes seconds to build).
_UNLISTED = ("KUBE-SVC-", "KUBE-SEP-", "KUBE-FW-", "KUBE-XLB-", "KUBE-EXT-", "KUBE-SVL-")


def listed_chains(names: list[str]) -> list[str]:
    shown = [n for n in names if not n.startswith(_UNLISTED)]
    hidden = len(names) - len(shown)
    return shown + ([f"… {hidden} per-service chains (follow a jump)"] if hidden else [])


def keyed(rules: list[Rule], chain: str) -> list[tuple[str, Rule]]:
    """Each rule with its stable key: chain, text and how many identical rules precede it."""
    seen: dict[str, int] = {}
    out = []
    for r in rules:
        k = seen.get(r.text, 0)
        seen[r.text] = k + 1
        out.append((f"{chain}\0{r.text}\0{k}", r))
    return out


def rows_of(
    keyed_rules: list[tuple[str, Rule]],
    needle: str,
    rates: dict[str, float],
    index: RuleIndex | None = None,
) -> tuple[list[RuleRow], dict[str, Rule]]:
    """The rows shown for a chain (filtered through its index), and each row's rule by key."""
    index = index or RuleIndex([r for _, r in keyed_rules])
    rows, by_key = [], {}
    for i in index.positions(needle):
        key, r = keyed_rules[i]
        rows.append(RuleRow(key, r, rates.get(key, 0.0)))
        by_key[key] = r
    return rows, by_key


class NatScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("r", "refresh", "Refresh", id="refresh_nat"),
        Binding("w", "walk", "Walk a packet", id="walk"),
        Binding("i", "host_detail", "Host & routes", id="nat_host_detail"),
        Binding("d", "doctor", "Doctor", id="nat_doctor"),
        Binding("c", "toggle_chains", "Chains", id="toggle_chains"),
        Binding("x", "delete_rule", "Delete rule", id="delete_rule"),
        Binding("m", "move_rule_top", "Move rule to top", id="move_rule"),
        Binding("D", "stage_delete", "Stage delete", id="stage_delete"),
        Binding("M", "stage_move", "Stage move", id="stage_move"),
    ]

    def __init__(self, host: str, chain: str = "POSTROUTING", highlight: str | None = None) -> None:
        super().__init__()
        self.host = host
        self.chain = chain
        self.highlight = highlight  # rule text to put the cursor on (from a finding)
        self.history: list[str] = []
        self.needle = ""
        self.previous: dict[str, int] = {}  # row key -> packets at the last refresh
        self.rates: dict[str, float] = {}
        self.by_key: dict[str, Rule] = {}
        self._shown_at = 0.0
        self._good_at = 0.0  # when the rules on screen were read (a host down keeps them)
        self._keyed: tuple[float, str, list[tuple[str, Rule]]] | None = None
        self._index: RuleIndex | None = None  # the shown chain's filter index, with _keyed
        self._chain_names: tuple[float, list[str], int] | None = None  # per snapshot
        self.chains_wanted: bool | None = None  # None: shown when the terminal is wide enough

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield OptionList(id="chains")
            yield RuleList(id="rules")
        yield Input(
            placeholder="filter as you type: text, an address or a CIDR (10.200.1.3, 10.1.3.0/24); escape clears",
            id="filter",
        )
        yield Plain("", id="raw")
        yield Plain("", id="other-tables")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"netui — {self.host} nat"
        self.query_one("#filter", Input).display = False
        self.query_one("#other-tables", Static).display = False
        self._show_chains()
        self.query_one(RuleList).focus()
        keep_showing(self, self._maybe_update, self.host)

    def on_resize(self) -> None:
        self._show_chains()

    def _show_chains(self) -> None:
        # Below 100 columns the rules need the room: the chain list hides until `c` asks for it.
        wide = self.app.size.width >= 100
        self.query_one("#chains", OptionList).display = (
            wide if self.chains_wanted is None else self.chains_wanted
        )

    def action_toggle_chains(self) -> None:
        chains = self.query_one("#chains", OptionList)
        self.chains_wanted = not chains.display
        self._show_chains()
        (chains if self.chains_wanted else self.query_one(RuleList)).focus()

    def _keyed_rules(self, snap: HostSnapshot) -> list[tuple[str, Rule]]:
        """The shown chain's rules with their keys, built once per snapshot and chain: rates,
        rows and every filter keystroke reuse them (20,000 KUBE-SERVICES rules take ~0.1 s)."""
        assert snap.nat is not None
        if self._keyed is None or self._keyed[:2] != (snap.taken_at, self.chain):
            # an empty nat table (office PC, router) has no chains at all: nothing to show
            chain = snap.nat.chains.get(self.chain)
            rules = keyed(chain.rules, self.chain) if chain is not None else []
            self._keyed = (snap.taken_at, self.chain, rules)
            self._index = RuleIndex([r for _, r in rules])
        return self._keyed[2]

    def _names(self, snap: HostSnapshot) -> tuple[list[str], int]:
        """The listed chain names and the rule count, once per snapshot (not per keystroke:
        40,000 chain names and 100,000 rules on a kube-proxy host)."""
        assert snap.nat is not None
        if self._chain_names is None or self._chain_names[0] != snap.taken_at:
            names = listed_chains(list(snap.nat.chains))
            self._chain_names = (snap.taken_at, names, snap.nat.rule_count())
        return self._chain_names[1], self._chain_names[2]

    def _counts(self, snap: HostSnapshot) -> dict[str, int]:
        """Packets per rule key of the chain on screen: the baseline rates are measured from."""
        return {key: r.packets for key, r in self._keyed_rules(snap)}

    def _snapshot(self) -> HostSnapshot | None:
        return netui_app(self).snapshots.get(self.host)

    def _maybe_update(self) -> None:
        snap = self._snapshot()
        if snap is None or snap.taken_at == self._shown_at:
            return
        if snap.nat is not None and self.chain in snap.nat.chains:
            # rates for the chain on screen only: the other 100k rules need not be built
            dt = max(snap.taken_at - self._shown_at, 1e-3) if self._shown_at else 0
            counts = self._counts(snap)
            if dt:
                self.rates = {
                    k: (p - self.previous[k]) / dt for k, p in counts.items() if k in self.previous
                }
            self.previous = counts
        self._shown_at = snap.taken_at
        self._show_rules(snap)
        other = other_tables_line(snap)
        box = self.query_one("#other-tables", Static)
        box.display = other is not None
        box.update(other or "")

    def _show_rules(self, snap: HostSnapshot) -> None:
        rules_view = self.query_one(RuleList)
        chains = self.query_one("#chains", OptionList)
        if not snap.ok or snap.nat is None:
            down = f"✗ {snap.state}: {snap.reason or 'no nat table'}"
            self.sub_title = (  # the rules stay, said to be the last read (the header cuts its end)
                f"{self.chain}: last known, read {time.strftime('%H:%M:%S', time.localtime(self._good_at))} · {down}"
                if self._good_at and rules_view.row_count
                else down
            )
            return
        self._good_at = snap.taken_at
        names, rule_count = self._names(snap)
        if chains.option_count != len(names) or [o.id for o in chains.options] != names:
            chains.clear_options()
            # a chain name is the host's: shown escaped, never markup; the id is the real name
            chains.add_options([Option(safe_text(n), id=n) for n in names])
        if self.chain in names and chains.highlighted != names.index(self.chain):
            chains.highlighted = names.index(self.chain)  # the list shows which chain this is
        if self.chain not in snap.nat.chains:
            self.chain = "POSTROUTING"
        rows, self.by_key = rows_of(self._keyed_rules(snap), self.needle, self.rates, self._index)
        keep = None
        if self.highlight is not None:
            keep = next((r.key for r in rows if r.text == self.highlight), None)
            if keep:
                self.notify(f"{self.chain}: the rule the finding is about", timeout=4)
            self.highlight = None
        rules_view.set_rows(rows, keep)
        self._mark_staged()
        self._watch()
        age = snap.age
        self.sub_title = (
            # the chain first: on a narrow terminal the header cuts from the end
            f"{self.chain} ({len(rows)} shown)"
            + (f" · filter {self.needle}" if self.needle else "")
            + f" · iptables {snap.variant} · {rule_count} rules · data {age_text(age)}"
        )

    def _watch(self) -> None:
        """Tell the poller which chain is on screen: between rule changes it reads only the
        counters looked at (a light touch on a 100,000-rule host)."""
        netui_app(self).watch_counters(self, self.host, [("nat", self.chain)])

    def on_unmount(self) -> None:
        netui_app(self).unwatch_counters(self)

    def on_rule_list_highlighted(self, event: RuleList.Highlighted) -> None:
        rule = self.by_key.get(event.row.key) if event.row else None
        self.query_one("#raw", Static).update(rule.line if rule else "")

    def on_rule_list_selected(self, event: RuleList.Selected) -> None:
        self.action_follow()

    def _rule_at_cursor(self) -> Rule | None:
        row = self.query_one(RuleList).current
        return self.by_key.get(row.key) if row else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id or ""
        if not name.startswith("…"):
            self._go(name)

    def _go(self, chain: str) -> None:
        self.history.append(self.chain)
        self._show_chain(chain)

    def _show_chain(self, chain: str) -> None:
        """Switch to `chain`. Its counters in the snapshot on screen are the baseline, so the
        next refresh already shows which of its rules are being hit."""
        self.chain = chain
        snap = self._snapshot()
        self.rates = {}
        self.previous = (
            self._counts(snap)
            if snap is not None and snap.nat is not None and chain in snap.nat.chains
            else {}
        )
        self._redraw()

    def _redraw(self, focus: bool = True) -> None:
        """Show the current chain/filter from the latest snapshot and give the rules the focus
        (not while the operator types a filter)."""
        snap = self._snapshot()
        if snap:
            self._show_rules(snap)
        if focus:
            self.query_one(RuleList).focus()

    def action_follow(self) -> None:
        rule = self._rule_at_cursor()
        snap = self._snapshot()
        if rule and snap and snap.nat and rule.target in snap.nat.chains:
            self._go(str(rule.target))

    def action_back(self) -> None:
        flt = self.query_one("#filter", Input)
        if flt.display or self.needle:
            # escape clears the filter (as its prompt says), then goes back
            flt.value = ""
            flt.display = False
            self.needle = ""
            self._redraw()
            self.query_one(RuleList).focus()
            return
        if self.history:
            self._show_chain(self.history.pop())
            return
        self.app.pop_screen()

    def action_filter(self) -> None:
        flt = self.query_one("#filter", Input)
        flt.display = True
        flt.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the operator types (the rows are keyed once per snapshot: cheap)."""
        self.needle = event.value.strip()
        self._redraw(focus=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.needle = event.value.strip()
        event.input.display = False
        self._redraw()
        self.query_one(RuleList).focus()

    def action_walk(self) -> None:
        snap = self._snapshot()
        if snap is None or snap.nat is None:
            return
        from netui.screens.walk import WalkScreen

        env = netui_app(self).env
        office = env.office.cidrs[0].split("/")[0].rsplit(".", 1)[0] + ".10"
        self.app.push_screen(WalkScreen(snap, office))

    def _rule_change(self, move_to: int | None) -> None:
        """Delete (or move) the selected rule: previewed, journaled, undoable from history."""
        rule = self._rule_at_cursor()
        if rule is None:
            return
        from netui.core.plans import change_label
        from netui.screens.apply_flow import offer_plan

        plan = self._rule_plan(rule, move_to)
        if plan is None:
            return
        offer_plan(
            self,
            plan,
            f"{_sentence(change_label(self.host, rule, move_to))}?  {rule.line}",
            "Move" if move_to else "Delete",
            lambda outcome, status: self.action_refresh(),
        )

    def _rule_plan(self, rule: Rule, move_to: int | None) -> Plan | None:
        """The plan changing `rule`, or None (and why, on screen) when netui refuses it."""
        from netui.core.plans import refusal, rule_change_plan

        # the owner is in the dialog the operator confirms: a controller's rule may be changed
        # here after reading it; netui's own never (its journal would lie)
        why_not = refusal(rule, force_foreign=True)
        if why_not:
            self.notify(f"{why_not}; history is h", severity="warning", timeout=8)
            return None
        return rule_change_plan(netui_app(self).env.path, self.host, rule, move_to)

    def _mark_staged(self) -> None:
        marks = netui_app(self).session.stage.rule_marks(self.host, "nat", self.chain)
        self.query_one(RuleList).set_marks(marks)

    def on_screen_resume(self) -> None:
        self._mark_staged()  # back from the staged screen: dropped or applied changes unmarked

    def _stage(self, move_to: int | None) -> None:
        """Put the change with the others picked so far: one preview, one diff, one apply."""
        from netui.core.plans import change_label

        rule = self._rule_at_cursor()
        plan = self._rule_plan(rule, move_to) if rule is not None else None
        if rule is None or plan is None:
            return
        from netui.screens.staged import stage

        stage(self, change_label(self.host, rule, move_to), plan)
        self._mark_staged()

    def action_stage_delete(self) -> None:
        self._stage(None)

    def action_stage_move(self) -> None:
        self._stage(1)

    def action_delete_rule(self) -> None:
        self._rule_change(None)

    def action_move_rule_top(self) -> None:
        self._rule_change(1)

    def action_host_detail(self) -> None:
        netui_app(self).switch_view("host", self.host)

    def action_doctor(self) -> None:
        """The doctor, this host's findings first (Escape comes back here)."""
        netui_app(self).open_view("doctor", self.host)

    def action_refresh(self) -> None:
        netui_app(self).refresh_hosts(self.host)
