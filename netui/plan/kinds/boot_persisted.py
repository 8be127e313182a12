"""netui's state kept across a reboot: the plan's file under /etc/netui/plans (what its other
steps say must come back at boot: rules in netui's chains, jumps, routes), and the boot unit
`netui-restore.service` with its restore script and check timer, installed and enabled while any
plan file is there. Undo removes the plan's file, and the unit once no plan file is left.
Formats and the script: model/bootstate.py."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from netui.doctor.context import DoctorInput
from netui.model.bootstate import (
    ARMED_DIR,
    CHECK_SERVICE_PATH,
    CHECK_SERVICE_TEXT,
    PLANS_DIR,
    RESTORE_LOG,
    RESTORE_SCRIPT,
    RESTORE_SCRIPT_PATH,
    TIMER_LINK,
    TIMER_NAME,
    TIMER_PATH,
    TIMER_TEXT,
    UNIT_NAME,
    UNIT_PATH,
    UNIT_TEXT,
    WANTS_LINK,
    armed_path,
    parse_plan_file,
    plan_path,
)
from netui.plan.command import Command, Guard
from netui.plan.model import HostPlan, Plan
from netui.plan.states import HostOutcome
from netui.plan.step import HostState, Rollback, Script, Step, register

INSTALLED = (
    (RESTORE_SCRIPT_PATH, RESTORE_SCRIPT, 0o755),
    (UNIT_PATH, UNIT_TEXT, 0o644),
    (CHECK_SERVICE_PATH, CHECK_SERVICE_TEXT, 0o644),
    (TIMER_PATH, TIMER_TEXT, 0o644),
)
# $1 unit, $2 its wants link, $3 timer, $4 its link: what `systemctl enable` makes, then the
# timer started where systemd runs now (the unit itself runs at the next boot)
ENABLE = (
    'mkdir -p "$(dirname "$2")" "$(dirname "$4")" && ln -sfn "$1" "$2" && ln -sfn "$3" "$4" && '
    "{ [ -d /run/systemd/system ] || exit 0; systemctl daemon-reload; systemctl start "
    + TIMER_NAME
    + "; exit 0; }"
)
DISABLE = (
    'rm -f "$1" "$2"; [ -d /run/systemd/system ] || exit 0; '
    f"systemctl stop {TIMER_NAME} 2>/dev/null; systemctl daemon-reload; exit 0"
)


MKDIR = 'mkdir -p "$1"'
RMDIR = 'rmdir "$1" "$2" 2>/dev/null; exit 0'


def _guarded(done: str) -> str:
    """An Ansible guard (plan/command.py): `done` is an sh test over $2.. that says the command
    changed nothing; $1 is check|run, then the command's own script, then its arguments."""
    return (
        "mode=$1; s=$2; shift 2\n"
        f"if {done}; then echo netui-unchanged; exit 0; fi\n"
        '[ "$mode" = check ] && { echo netui-would-change; exit 0; }\n'
        'sh -c "$s" netui-step "$@" && echo netui-changed\n'
    )


def _others(live: HostState, plan_id: str) -> list[str]:
    """Plan files of other plans on the host: while any is there, the unit stays."""
    mine = plan_path(plan_id)
    return [
        p
        for p, text in live.files.items()
        if p.startswith(PLANS_DIR + "/") and p.endswith(".conf") and p != mine and text is not None
    ]


@register
@dataclass(frozen=True)
class BootPersisted(Step):
    # plan-file lines beyond what the plan's other steps say: state the plan relies on that
    # exists only at runtime (a route added by hand, netui's chain from before persistence)
    lines: tuple[str, ...] = ()

    kind = "boot-persisted"
    rank = 99  # last: every other step has said what must come back at boot
    rollback_rank = 0  # first in the timer's script: nothing of the plan may come back later
    topic = "persisted for boot"
    boot_runs_armed = True  # netui-restore.service runs /etc/netui/armed/<plan>.sh at boot

    def files(self) -> tuple[str, ...]:
        return (
            PLANS_DIR,
            ARMED_DIR,
            RESTORE_LOG,
            WANTS_LINK,
            TIMER_LINK,
            *(p for p, _, _ in INSTALLED),
        )

    def apply(self, live: HostState, out: Script) -> None:
        lines = list(dict.fromkeys([*out.boot, *self.lines]))
        planned = parse_plan_file(out.plan_id, "\n".join(lines))
        # written even when empty: the unit also rolls back an armed plan at boot
        if live.files.get(planned.path) is None:
            out.add(
                Command(
                    f"make {PLANS_DIR}",
                    ("sh", "-c", MKDIR, "netui-mkdir", PLANS_DIR),
                    shown=f"mkdir -p {PLANS_DIR}",
                    guards=(Guard(_guarded('[ -d "$1" ]'), (MKDIR, PLANS_DIR)),),
                )
            )
        if live.files.get(planned.path) != planned.text():
            out.add(
                Command(f"persist for boot: {planned.path}", write=(planned.path, planned.text()))
            )
        for cmd in self.arming_commands(live):
            out.add(cmd)

    def arming_commands(self, live: HostState) -> tuple[Command, ...]:
        """The unit, its script and timer, installed and enabled (what is missing of them): on
        an armed plan they are in place before its boot copy, which they run after a reboot."""
        out = [
            Command(f"install {path}", write=(path, text))
            for path, text, _mode in INSTALLED
            if live.files.get(path) != text
        ]
        if live.files.get(WANTS_LINK) is None or live.files.get(TIMER_LINK) is None:
            out.append(
                Command(
                    f"enable {UNIT_NAME} and {TIMER_NAME}",
                    (
                        "sh",
                        "-c",
                        ENABLE,
                        "netui-enable",
                        UNIT_PATH,
                        WANTS_LINK,
                        TIMER_PATH,
                        TIMER_LINK,
                    ),
                    shown=f"ln -sfn {UNIT_PATH} {WANTS_LINK}; ln -sfn {TIMER_PATH} {TIMER_LINK}",
                    guards=(
                        Guard(
                            _guarded('[ -L "$2" ] && [ -L "$4" ]'),
                            (ENABLE, UNIT_PATH, WANTS_LINK, TIMER_PATH, TIMER_LINK),
                        ),
                    ),
                )
            )
        return tuple(out)

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        mine = plan_path(out.plan_id)
        armed = armed_path(out.plan_id)
        for path in (mine, armed, armed.removesuffix(".sh") + ".rebooted"):
            if live.files.get(path) is not None:
                out.add(Command(f"remove {path}", remove=path))
        if _others(live, out.plan_id):
            return
        # the links as the unit's files: the Ansible export renders undo from the state its
        # apply leaves, where the enable command's links are not files it wrote
        installed = (WANTS_LINK, TIMER_LINK, *(p for p, _, _ in INSTALLED))
        if any(live.files.get(p) is not None for p in installed):
            out.add(
                Command(
                    f"disable {UNIT_NAME} and {TIMER_NAME}",
                    ("sh", "-c", DISABLE, "netui-disable", WANTS_LINK, TIMER_LINK),
                    guards=(
                        Guard(
                            _guarded('[ ! -e "$1" ] && [ ! -L "$1" ] && [ ! -L "$2" ]'),
                            (DISABLE, WANTS_LINK, TIMER_LINK),
                        ),
                    ),
                    shown=f"rm -f {WANTS_LINK} {TIMER_LINK}",
                )
            )
        for path in (*(p for p, _, _ in INSTALLED), RESTORE_LOG):
            if live.files.get(path) is not None:
                out.add(Command(f"remove {path}", remove=path))
        out.add(
            Command(
                f"remove {PLANS_DIR} and {ARMED_DIR} once empty",
                (
                    "sh",
                    "-c",
                    'rmdir "$1" "$2" 2>/dev/null; exit 0',
                    "netui-rmdir",
                    PLANS_DIR,
                    ARMED_DIR,
                ),
                shown=f"rmdir {PLANS_DIR} {ARMED_DIR}",
                guards=(
                    Guard(
                        _guarded('[ ! -d "$1" ] && [ ! -d "$2" ]'), (RMDIR, PLANS_DIR, ARMED_DIR)
                    ),
                ),
            )
        )

    def rollback(self, found: HostState, out: Rollback) -> None:
        out.run("rm", "-f", plan_path(out.plan_id), armed_path(out.plan_id))
        paths = " ".join(
            shlex.quote(p)
            for p in (WANTS_LINK, TIMER_LINK, *(p for p, _, _ in INSTALLED), RESTORE_LOG)
        )
        # the last plan: the unit's files go, and its check timer stops (--no-block: this may
        # run inside netui-restore.service at boot, in the boot's own transaction)
        stop = f"[ -d /run/systemd/system ] && systemctl --no-block stop {TIMER_NAME} 2>/dev/null"
        out.line(
            f'set -- {shlex.quote(PLANS_DIR)}/*.conf; [ -f "$1" ] || {{ rm -f {paths}; {stop}; }}; set --'
        )
        out.run("rmdir", PLANS_DIR, ARMED_DIR)

    def key(self) -> tuple[Any, ...]:
        return ("boot-persisted",)

    def merge(self, other: Step) -> Step:
        assert isinstance(other, BootPersisted)
        return BootPersisted(tuple(dict.fromkeys(self.lines + other.lines)))

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> BootPersisted:
        return cls(tuple(str(line) for line in fields.get("lines", ())))


def add_to(hp: HostPlan, lines: tuple[str, ...] = ()) -> None:
    """The host plan persists for boot, with `lines` more (one such step per host plan)."""
    step = BootPersisted(lines)
    for i, s in enumerate(hp.steps):
        if isinstance(s, BootPersisted):
            hp.steps[i] = s.merge(step)
            return
    hp.steps.append(step)


def attach(inp: DoctorInput, plan: Plan) -> None:
    """Every host the plan changes persists its part for boot, where systemd can run netui's
    unit; elsewhere the doctor says what is lost and what to add by hand."""
    for name, hp in plan.hosts.items():
        snap = inp.snapshot(name)
        if hp.steps and snap is not None and snap.boot is not None and snap.boot.systemd:
            add_to(hp)


# Kinds whose change is a file the host reads at boot: persisted by nature.
FILE_KINDS = frozenset({"forwarding-persisted", "dns-drop-in", "file-edit", BootPersisted.kind})


# A host's outcomes under which the plan's changes stand there (what a reboot can lose).
STANDS = frozenset({HostOutcome.APPLIED, HostOutcome.UNDO_FAILED, HostOutcome.TIMER_GONE})


@dataclass(frozen=True)
class AtBoot:
    """What the next boot of its hosts does to a standing plan (history shows it)."""

    lost: tuple[str, ...] = ()  # hosts where some of it lives at runtime only
    rolled_back: tuple[str, ...] = ()  # armed hosts: their boot unit rolls it back unconfirmed

    @property
    def persisted(self) -> bool:
        return not self.lost and not self.rolled_back

    def text(self) -> str:
        if self.persisted:
            return "persisted"
        parts = []
        if self.rolled_back:
            parts.append(
                f"until confirmed, a reboot rolls it back on {', '.join(self.rolled_back)}"
            )
        if self.lost:
            parts.append(f"runtime only on {', '.join(self.lost)}: lost at its next boot")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "persisted": self.persisted,
            "lost": list(self.lost),
            "rolled_back": list(self.rolled_back),
            "text": self.text(),
        }


def at_boot(plan_hosts: dict[str, Any], records: dict[str, Any]) -> AtBoot | None:
    """For history: does the plan survive a reboot of its hosts? From the journal alone (the
    plan's steps per host, each host's outcome and armed timer). None: nothing of it stands."""
    lost, rolled_back = [], []
    for name, h in plan_hosts.items():
        record = records.get(name) or {}
        if record.get("status") not in STANDS:
            continue
        kinds = {s.get("kind") for s in h.get("steps", []) if isinstance(s, dict)}
        if BootPersisted.kind in kinds and record.get("rollback"):
            rolled_back.append(name)
        elif not (kinds <= FILE_KINDS or BootPersisted.kind in kinds):
            lost.append(name)
        # a host without netui's unit keeps the plan's files across a reboot, armed or not
    if not any((records.get(n) or {}).get("status") in STANDS for n in plan_hosts):
        return None
    return AtBoot(tuple(lost), tuple(rolled_back))
