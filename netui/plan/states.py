"""A plan's state and a host's state in the journal, as typed values with the questions both
faces ask of them (awaiting confirmation? rolled back? may an undo run under it?), so no face
compares status strings. Each value is the text the journal stores and history shows."""

from __future__ import annotations

from enum import StrEnum


class PlanState(StrEnum):
    PLANNED = "planned"
    APPLYING = "applying"
    APPLIED = "applied"
    PARTLY_APPLIED = "partly applied"
    FAILED = "failed"
    AWAITING = "awaiting confirmation"
    PARTLY_AWAITING = "partly applied, awaiting confirmation"
    TIMER_FIRED = "rolled back by the confirm timer"
    # never confirmed, and every host rolled back: some (or all) by a reboot, whose boot unit
    # ran the plan's rollback (the host's timer died with it)
    NOT_CONFIRMED = "rolled back before it was confirmed"
    UNDOING = "undoing"
    UNDONE = "undone"
    UNDO_FAILED = "undo-failed"
    EXPORTED = "exported to Ansible"

    @property
    def awaiting_confirmation(self) -> bool:
        """Armed on its hosts: `netui confirm` keeps it, silence rolls it back."""
        return self in (PlanState.AWAITING, PlanState.PARTLY_AWAITING)

    @property
    def rolled_back(self) -> bool:
        """Its confirm timers fired (or a reboot ran their rollback): nothing of it is left on
        its hosts."""
        return self in (PlanState.TIMER_FIRED, PlanState.NOT_CONFIRMED)

    @property
    def partly(self) -> bool:
        """Some hosts failed (and were rolled back), others applied."""
        return self in (PlanState.PARTLY_APPLIED, PlanState.PARTLY_AWAITING)

    @property
    def succeeded(self) -> bool:
        """Every host applied (confirmed or still awaiting its confirmation)."""
        return self in (PlanState.APPLIED, PlanState.AWAITING)

    @property
    def failed(self) -> bool:
        """Failed on every host: nothing of it was left (each host was rolled back)."""
        return self is PlanState.FAILED

    @property
    def exported(self) -> bool:
        """Written as an Ansible project: netui did not run it."""
        return self is PlanState.EXPORTED

    @property
    def undone(self) -> bool:
        return self is PlanState.UNDONE

    @property
    def standing(self) -> bool:
        """Its changes may still stand on a host (what a later undo must not run under)."""
        return self in STANDING

    @property
    def undoable(self) -> bool:
        """A candidate for `netui undo` (it may have changed something; an exported plan is
        undone by its own undo.yml)."""
        return self in STANDING or self is PlanState.FAILED


STANDING = frozenset(
    {
        PlanState.APPLIED,
        PlanState.PARTLY_APPLIED,
        PlanState.AWAITING,
        PlanState.PARTLY_AWAITING,
        PlanState.APPLYING,
        PlanState.UNDOING,
        PlanState.UNDO_FAILED,
    }
)


class HostOutcome(StrEnum):
    """One host's (or one cluster API's) state within a plan."""

    PLANNED = "planned"
    ARMED = "armed"
    APPLYING = "applying"
    APPLIED = "applied"
    FAILED = "failed"
    ROLLED_BACK = "rolled-back"
    TIMER_FIRED = "rolled back by the confirm timer"
    REBOOTED = "rolled back by a reboot"  # its boot unit ran the armed rollback
    TIMER_GONE = "confirm timer gone, not rolled back"  # killed, or a boot that ran nothing
    UNDONE = "undone"
    UNDO_FAILED = "undo-failed"

    @property
    def applied(self) -> bool:
        return self is HostOutcome.APPLIED

    @property
    def stands_confirmed(self) -> bool:
        """Not undone by what a confirm keeps it from: its timer, a reboot, or a timer that
        vanished (the plan's state there is unknown)."""
        return not self.rolled_back and self is not HostOutcome.TIMER_GONE

    @property
    def rolled_back(self) -> bool:
        """Its armed rollback ran (its timer, or its boot unit): nothing of the plan is left."""
        return self in (HostOutcome.TIMER_FIRED, HostOutcome.REBOOTED)
