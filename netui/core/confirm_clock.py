"""Commit-confirmed as the operator follows it: one account of each armed plan that the header,
the toast, `y` and history all read, so they never disagree.

A plan is *armed* until its deadline, then *due*: the hosts' own timers fire a second or two
after netui's clock says so (they poll once a second, from the host's last heartbeat), so
netui asks them until they say they fired — it never reports "fired" or "awaiting" on a guess.
Once a host answers, the plan is *fired* with the time the host's timer ran (the host's clock),
and that one sentence is what every face shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# How long after the deadline netui keeps asking the hosts before it says it cannot tell.
SETTLE_FOR = 30.0
# How long the header keeps saying a rollback fired (the toast may have been missed).
SHOW_FIRED_FOR = 60.0


@dataclass
class ArmedPlan:
    plan_id: str
    deadline: float  # time.time() when the operator's confirm time ends
    fired: str | None = None  # the sentence once the hosts said their rollback fired
    fired_seen: float | None = None
    gave_up: bool = False
    rebooted: bool = False  # a reboot ran some host's rollback (not its timer)


@dataclass
class ConfirmClock:
    plans: dict[str, ArmedPlan] = field(default_factory=dict)

    def arm(self, plan_id: str, seconds: float, now: float | None = None) -> None:
        self.plans[plan_id] = ArmedPlan(plan_id, (now or time.time()) + seconds)

    def awaiting(self, now: float) -> list[ArmedPlan]:
        """Plans the operator can still confirm, soonest deadline first."""
        live = [p for p in self.plans.values() if p.fired is None and p.deadline > now]
        return sorted(live, key=lambda p: p.deadline)

    def due(self, now: float) -> list[ArmedPlan]:
        """Plans past their deadline whose hosts have not said yet that they rolled back."""
        return [
            p
            for p in self.plans.values()
            if p.fired is None and not p.gave_up and p.deadline <= now
        ]

    def confirmed(self, plan_id: str) -> None:
        self.plans.pop(plan_id, None)

    def record_fired(
        self,
        plan_id: str,
        fired: dict[str, str],
        now: float,
        rebooted: frozenset[str] = frozenset(),
    ) -> str:
        """The hosts said their rollback ran (host -> their time; `rebooted`: the hosts whose
        boot ran it, their timer having died with them): the one sentence for all."""
        plan = self.plans.get(plan_id) or ArmedPlan(plan_id, now)
        self.plans[plan_id] = plan
        at = ", ".join(
            f"{host} {'by a reboot ' if host in rebooted else ''}at {when[-8:]}"
            for host, when in sorted(fired.items())
        )
        by = "rolled back" if rebooted else "rolled back by its timer"
        plan.rebooted = bool(rebooted)
        plan.fired = f"plan {plan_id} was not confirmed in time: {by} ({at})"
        plan.fired_seen = now
        return plan.fired

    def give_up(self, plan_id: str) -> str:
        """No host has said its rollback ran, SETTLE_FOR after the deadline."""
        plan = self.plans.get(plan_id)
        if plan is not None:
            plan.gave_up = True
        return (
            f"plan {plan_id}: its confirm time ran out, but no host has reported its rollback "
            "yet (unreachable?); history shows what the hosts say once they answer"
        )

    def header(self, now: float) -> str | None:
        """The mark every screen's title carries, or None."""
        waiting = self.awaiting(now)
        if waiting:
            return f"⏱ {waiting[0].deadline - now:.0f} s to confirm (y)"
        due = self.due(now)
        if due:
            return f"⏱ plan {due[0].plan_id}: time is up, rolling back (asking the hosts)"
        shown = [
            p
            for p in self.plans.values()
            if p.fired and p.fired_seen is not None and now - p.fired_seen < SHOW_FIRED_FOR
        ]
        if shown:
            by = "" if shown[-1].rebooted else " by its timer"
            return f"↶ plan {shown[-1].plan_id} rolled back{by}"
        return None

    def y_refusal(self, now: float) -> str:
        """What `y` says when nothing can be confirmed — the same account as the header."""
        due = self.due(now)
        if due:
            return (
                f"plan {due[0].plan_id}: its confirm time ran out at "
                f"{time.strftime('%H:%M:%S', time.localtime(due[0].deadline))}; "
                "its hosts are rolling it back"
            )
        fired = [p for p in self.plans.values() if p.fired]
        if fired:
            return f"nothing awaits confirmation: {fired[-1].fired}"
        return "nothing awaits confirmation"

    def forget_old(self, now: float) -> None:
        for plan_id, p in list(self.plans.items()):
            if p.fired_seen is not None and now - p.fired_seen > 10 * SHOW_FIRED_FOR:
                del self.plans[plan_id]
