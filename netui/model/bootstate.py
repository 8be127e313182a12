"""What netui persists on a host so that its state survives a reboot, and what a host's files
say will come back at its next boot (pure: texts in, facts out).

Only netui's own state is persisted, never a whole ruleset (Docker and kube-proxy write theirs
at boot; saving everything fights them):

- `/etc/netui/plans/<plan-id>.conf`: one file per applied plan, its rules in netui's chains,
  its jumps (with the position chosen) and its routes; undo removes exactly that file.
- `/etc/netui/restore.sh`: reads every plan file and restores netui's chains (one
  `iptables-restore --noflush` per table: declaring a chain flushes only that chain), each jump
  only if absent (at its position, clamped to the chain), and each route (`ip route replace`).
  Running it twice changes nothing. `check` mode acts only when something is missing and says
  so in `/etc/netui/restore.log` (a reload of another tool that flushed the tables).
- `netui-restore.service`, a oneshot in /etc/systemd/system, enabled in
  multi-user.target.wants, after network-online, firewalld, docker and nftables; and
  `netui-restore-check.timer`, which runs the check every 30 s between boots.
- `/etc/netui/armed/<plan-id>.sh`: an armed plan's rollback (commit-confirmed), written when
  the plan is armed on a host whose boot runs the unit. If the host boots before the plan was
  confirmed, its timer died with it: the unit renames it `<plan-id>.rebooted` and runs it
  first, so nothing of an unconfirmed plan survives the reboot. The marker stays until netui
  reads it (`netui confirm`, `history`, `undo`: "rolled back by a reboot") and removes it.
Forwarding at boot lives in /etc/sysctl.d (netui's own file).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NETUI_DIR = "/etc/netui"
PLANS_DIR = f"{NETUI_DIR}/plans"
ARMED_DIR = f"{NETUI_DIR}/armed"
RESTORE_SCRIPT_PATH = f"{NETUI_DIR}/restore.sh"
RESTORE_LOG = f"{NETUI_DIR}/restore.log"
UNIT_NAME = "netui-restore.service"
UNIT_PATH = f"/etc/systemd/system/{UNIT_NAME}"
WANTS_LINK = f"/etc/systemd/system/multi-user.target.wants/{UNIT_NAME}"
CHECK_SERVICE_NAME = "netui-restore-check.service"
CHECK_SERVICE_PATH = f"/etc/systemd/system/{CHECK_SERVICE_NAME}"
TIMER_NAME = "netui-restore-check.timer"
TIMER_PATH = f"/etc/systemd/system/{TIMER_NAME}"
TIMER_LINK = f"/etc/systemd/system/timers.target.wants/{TIMER_NAME}"
JUMP_COMMENT = "netui: owned chain"

UNIT_TEXT = f"""# written by netui: restores netui's own chains, jumps and routes at boot (netui undo removes it)
[Unit]
Description=netui: restore netui's chains, jumps and routes from {NETUI_DIR}
Wants=network-online.target
After=network-online.target firewalld.service docker.service nftables.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh {RESTORE_SCRIPT_PATH} boot

[Install]
WantedBy=multi-user.target
"""

CHECK_SERVICE_TEXT = f"""# written by netui: puts netui's state back when another tool flushed the tables
[Unit]
Description=netui: check that netui's chains, jumps and routes are in place
After={UNIT_NAME}

[Service]
Type=oneshot
ExecStart=/bin/sh {RESTORE_SCRIPT_PATH} check
"""

TIMER_TEXT = """# written by netui: a light check every 30 s (a firewall reload flushes netui's rules)
[Unit]
Description=netui: check netui's state every 30 s

[Timer]
OnBootSec=30s
OnUnitActiveSec=30s
AccuracySec=5s

[Install]
WantedBy=timers.target
"""

# POSIX sh, run by root at boot. Data comes from netui's own files only.
RESTORE_SCRIPT = f"""#!/bin/sh
# written by netui: restores netui's own chains, jumps and routes from {PLANS_DIR}/*.conf
# (never a whole ruleset). $1: boot (always restore) or check (only when something is missing).
mode=${{1:-boot}}
dir={NETUI_DIR}
rc=0
log() {{
  printf '%s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >> "$dir/restore.log"
  tail -n 50 "$dir/restore.log" > "$dir/restore.log.new" 2>/dev/null && mv -f "$dir/restore.log.new" "$dir/restore.log"
}}
if [ "$mode" = boot ]; then
  # armed plans never confirmed: their timer died with the host, their rollback runs now.
  # Renamed first (touched: the marker's time is the rollback's), so netui reads what ran
  # (`netui confirm`, history) and then removes the marker; the rollback removes the rest.
  for s in "$dir"/armed/*.sh; do
    [ -f "$s" ] || continue
    m="${{s%.sh}}.rebooted"
    log "rolling back $(basename "${{s%.sh}}"): armed, never confirmed before this boot"
    touch "$s" && mv -f "$s" "$m" && sh "$m" >/dev/null 2>&1
  done
fi
set -- "$dir"/plans/*.conf
[ -f "$1" ] || exit 0
missing=""
if [ "$mode" = check ]; then
  for c in $(sed -n 's/^rule \\([a-z]*\\) \\([^ ]*\\) .*/\\1:\\2/p' "$@" | sort -u); do
    iptables -w 5 -t "${{c%%:*}}" -S "${{c#*:}}" >/dev/null 2>&1 || missing="$missing chain ${{c#*:}}"
  done
  while read -r kind table builtin pos chain; do
    iptables -w 5 -t "$table" -C "$builtin" -m comment --comment "{JUMP_COMMENT}" -j "$chain" 2>/dev/null || missing="$missing jump $chain"
  done <<EOF
$(grep -h '^jump ' "$@")
EOF
  while read -r kind dst via gw; do
    [ -n "$dst" ] || continue
    ip -4 route show exact "$dst" 2>/dev/null | grep -q " via $gw " || missing="$missing route $dst"
  done <<EOF
$(grep -h '^route ' "$@")
EOF
  [ -n "$missing" ] || exit 0
fi
for table in nat filter; do
  # one copy of each rule, whichever plans hold it (the first plan's comment kept): a copy a
  # later fix deleted at runtime must not come back at boot from the other plan's file
  body=$(sed -n "s/^rule $table //p" "$@" | awk '{{ k = $0; gsub(/ -m comment --comment "?netui:[^ "]*"?/, "", k); if (!(k in seen)) {{ seen[k] = 1; print }} }}')
  [ -n "$body" ] || continue
  {{
    echo "*$table"
    printf '%s\\n' "$body" | cut -d' ' -f1 | sort -u | sed 's/^\\(.*\\)$/:\\1 - [0:0]/'
    printf '%s\\n' "$body" | sed 's/^/-A /'
    echo COMMIT
  }} | iptables-restore --noflush -w 5 || rc=1
done
# the latest plan's line first (files in plan order, reversed): a jump a later plan moved
# (kinds/jump_move.py) comes back where that plan put it; the others then find it there
while read -r kind table builtin pos chain; do
  [ -n "$chain" ] || continue
  iptables -w 5 -t "$table" -C "$builtin" -m comment --comment "{JUMP_COMMENT}" -j "$chain" 2>/dev/null && continue
  n=$(iptables -w 5 -t "$table" -S "$builtin" 2>/dev/null | grep -c '^-A')
  [ "$pos" -gt $((n + 1)) ] && pos=$((n + 1))
  iptables -w 5 -t "$table" -I "$builtin" "$pos" -m comment --comment "{JUMP_COMMENT}" -j "$chain" || rc=1
done <<EOF
$(grep -h '^jump ' "$@" | sed -n '1!G;h;$p')
EOF
while read -r kind dst via gw; do
  [ -n "$dst" ] || continue
  ip route replace "$dst" via "$gw" || rc=1
done <<EOF
$(grep -h '^route ' "$@")
EOF
[ "$mode" = check ] && log "re-asserted netui's state (missing:$missing)"
exit $rc
"""


@dataclass(frozen=True)
class PersistedRule:
    table: str
    chain: str
    rule: str  # the rule text after "-A CHAIN"


@dataclass(frozen=True)
class PersistedJump:
    table: str
    builtin: str
    position: int
    chain: str


@dataclass(frozen=True)
class PersistedRoute:
    cidr: str
    via: str


@dataclass(frozen=True)
class PlanFile:
    """What one plan persisted on a host."""

    plan_id: str
    rules: tuple[PersistedRule, ...] = ()
    jumps: tuple[PersistedJump, ...] = ()
    routes: tuple[PersistedRoute, ...] = ()

    @property
    def path(self) -> str:
        return plan_path(self.plan_id)

    @property
    def empty(self) -> bool:
        return not (self.rules or self.jumps or self.routes)

    def text(self) -> str:
        lines = [
            f"# written by netui for plan {self.plan_id}: restored at every boot by {UNIT_NAME}",
            "# (netui undo removes this file; edit nothing here: netui rewrites it)",
        ]
        lines += [f"rule {r.table} {r.chain} {r.rule}" for r in self.rules]
        lines += [f"jump {j.table} {j.builtin} {j.position} {j.chain}" for j in self.jumps]
        lines += [f"route {r.cidr} via {r.via}" for r in self.routes]
        return "\n".join(lines) + "\n"


def plan_path(plan_id: str) -> str:
    return f"{PLANS_DIR}/{plan_id}.conf"


def armed_path(plan_id: str) -> str:
    return f"{ARMED_DIR}/{plan_id}.sh"


def parse_plan_file(plan_id: str, text: str) -> PlanFile:
    """A plan file back; lines that are not netui's are ignored (the host's file: hostile)."""
    rules, jumps, routes = [], [], []
    for line in text.splitlines():
        words = line.split(" ")
        if words[0] == "rule" and len(words) >= 4:
            rules.append(PersistedRule(words[1], words[2], " ".join(words[3:])))
        elif words[0] == "jump" and len(words) == 5 and words[3].isdigit():
            jumps.append(PersistedJump(words[1], words[2], int(words[3]), words[4]))
        elif words[0] == "route" and len(words) == 4 and words[2] == "via":
            routes.append(PersistedRoute(words[1], words[3]))
    return PlanFile(plan_id, tuple(rules), tuple(jumps), tuple(routes))


@dataclass(frozen=True)
class BootFacts:
    """What a host's files say about its next boot, as far as netui's state goes."""

    systemd: str | None = None  # "running", "installed" (unit dir, not running now) or None
    unit: str | None = None  # netui-restore.service's text
    enabled: bool = False  # the multi-user.target.wants link is there
    restore_script: str | None = None
    plans: tuple[PlanFile, ...] = ()
    armed: tuple[str, ...] = ()  # plan ids with a boot-time rollback waiting
    rebooted: tuple[str, ...] = ()  # plan ids a boot rolled back (never confirmed)
    restore_log: str = ""
    network_files: dict[str, str] = field(default_factory=dict)  # path -> text (netconfig.py)

    @property
    def unit_works(self) -> bool:
        """netui's unit will run at the next boot and restore what the plan files hold."""
        return bool(self.systemd and self.unit and self.enabled and self.restore_script)

    def rule_restored(self, table: str, chain: str, rule: str) -> bool:
        return self.unit_works and any(
            r == PersistedRule(table, chain, rule) for p in self.plans for r in p.rules
        )

    def chain_restored(self, table: str, chain: str) -> bool:
        return self.unit_works and any(
            j.table == table and j.chain == chain for p in self.plans for j in p.jumps
        )

    def route_restored(self, cidr: str, via: str) -> bool:
        return self.unit_works and any(
            r.cidr == cidr and r.via == via for p in self.plans for r in p.routes
        )

    def plan(self, plan_id: str) -> PlanFile | None:
        return next((p for p in self.plans if p.plan_id == plan_id), None)


def boot_facts(systemd: str | None, files: dict[str, str], names: set[str]) -> BootFacts:
    """Facts from the snapshot's boot reads: `files` path -> text, `names` the paths that exist
    where only their presence counts (enable links, armed rollbacks)."""
    plans, armed, rebooted = [], [], []
    for path, text in sorted(files.items()):
        folder, _, name = path.rpartition("/")
        if folder == PLANS_DIR and name.endswith(".conf"):
            plans.append(parse_plan_file(name[: -len(".conf")], text))
    for path in sorted(names):
        folder, _, name = path.rpartition("/")
        if folder == ARMED_DIR and name.endswith(".sh"):
            armed.append(name[: -len(".sh")])
        elif folder == ARMED_DIR and name.endswith(".rebooted"):
            rebooted.append(name[: -len(".rebooted")])
    return BootFacts(
        systemd=systemd,
        unit=files.get(UNIT_PATH),
        enabled=WANTS_LINK in names,
        restore_script=files.get(RESTORE_SCRIPT_PATH),
        plans=tuple(plans),
        armed=tuple(armed),
        rebooted=tuple(rebooted),
        restore_log=files.get(RESTORE_LOG, ""),
        network_files={
            p: t for p, t in files.items() if not p.startswith((NETUI_DIR, "/etc/systemd/system"))
        },
    )
