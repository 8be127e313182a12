"""Exact commands for a host plan, rendered from the host's live state (pure).

Conventions (../../docs/architecture.md): netui's rules live in its own chains, jumped to from
the built-in chain at a position the operator chose; every rule carries `netui:<plan-id>`; each
table changes in ONE `iptables-restore --noflush -w 5` call (atomic per table, kube-proxy's way).
The inverse is surgical: it deletes what this plan added (found by its comment in the live
table) and puts back what it removed, at its old position; it never restores a whole table.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass

from netui.model.iptables import Table, quote
from netui.plan.model import (
    FILTER_CHAIN,
    JUMP_COMMENT,
    NAT_CHAIN,
    PERSIST_FILE,
    PERSIST_TEXT,
    DnsChange,
    HostPlan,
    Plan,
    comment,
)

RESTORE = ("iptables-restore", "--noflush", "-w", "5")


@dataclass(frozen=True)
class Command:
    """One step on one host: run argv (with stdin), or write/remove a file."""

    summary: str
    argv: tuple[str, ...] = ()
    stdin: str | None = None
    write: tuple[str, str] | None = None  # (path, content)
    remove: str | None = None  # path
    shown: str | None = None  # what the preview prints instead of a long script

    def preview(self) -> str:
        if self.shown:
            return self.shown
        if self.write:
            return f"write {self.write[0]}:\n" + "".join(
                f"    {line}\n" for line in self.write[1].splitlines()
            )
        if self.remove:
            return f"rm -f {shlex.quote(self.remove)}"
        head = shlex.join(self.argv)
        if self.stdin:
            return f"{head} <<'EOF'\n{self.stdin}EOF"
        return head


def masquerade_rule(chain: str, source: str, destination: str, plan_id: str) -> str:
    return (
        f"-s {source} -d {destination} -m comment --comment {quote(comment(plan_id))} -j MASQUERADE"
    )


def accept_rule(source: str, destination: str, plan_id: str) -> str:
    return f"-s {source} -d {destination} -m comment --comment {quote(comment(plan_id))} -j ACCEPT"


def jump_rule(chain: str) -> str:
    return f"-m comment --comment {quote(JUMP_COMMENT)} -j {chain}"


def _has_jump(table: Table | None, builtin: str, chain: str) -> bool:
    c = table.chain(builtin) if table else None
    return bool(c and any(r.target == chain for r in c.rules))


def _owned_block(
    table: Table | None, table_name: str, builtin: str, chain: str, position: int, rules: list[str]
) -> list[str]:
    """Lines that create netui's chain (if missing), jump to it (if no jump yet) and append rules."""
    lines = []
    if table is None or table.chain(chain) is None:
        lines.append(f":{chain} - [0:0]")
    if not _has_jump(table, builtin, chain):
        size = len(table.chain(builtin) or []) if table and table.chain(builtin) else 0
        lines.append(f"-I {builtin} {max(1, min(position, size + 1))} {jump_rule(chain)}")
    own = table.chain(chain) if table else None
    existing = {r.text for r in own.rules} if own is not None else set()
    lines += [f"-A {chain} {r}" for r in rules if r not in existing]
    return lines


def apply_commands(
    hp: HostPlan, plan_id: str, nat: Table | None, filt: Table | None, persisted: str | None
) -> list[Command]:
    """What applying `hp` runs on its host, given the live tables and the persisted-file content."""
    out: list[Command] = []
    nat_lines: list[str] = []
    if hp.masquerade:
        rules = [
            masquerade_rule(NAT_CHAIN, p.source, p.destination, plan_id) for p in hp.masquerade
        ]
        nat_lines += _owned_block(nat, "nat", "POSTROUTING", NAT_CHAIN, hp.jump_position, rules)
    # Rule ids cost a pass over every rule (100k on a kube-proxy host): only for explicit fixes.
    live_texts = (
        {(rid.chain, rid.spec) for rid in nat.ids()}
        if nat and (hp.delete_rules or hp.move_rules)
        else set()
    )
    for fr in hp.delete_rules:
        if (fr.chain, fr.rule) in live_texts:
            nat_lines.append(f"-D {fr.chain} {fr.rule}")
    for fr in hp.move_rules:
        if (fr.chain, fr.rule) in live_texts and fr.to is not None:
            nat_lines += [f"-D {fr.chain} {fr.rule}", f"-I {fr.chain} {fr.to} {fr.rule}"]
    if nat_lines:
        what = (
            f"{len(hp.masquerade)} MASQUERADE rule(s) in {NAT_CHAIN}"
            if hp.masquerade
            else "rule fixes"
        )
        out.append(
            Command(f"nat table: {what}", RESTORE, "*nat\n" + "\n".join(nat_lines) + "\nCOMMIT\n")
        )
    if hp.forward_accept:
        rules = []
        for p in hp.forward_accept:
            rules += [
                accept_rule(p.source, p.destination, plan_id),
                accept_rule(p.destination, p.source, plan_id),
            ]
        lines = _owned_block(filt, "filter", "FORWARD", FILTER_CHAIN, hp.jump_position, rules)
        if lines:
            out.append(
                Command(
                    f"filter table: accept forwarding office <-> cluster in {FILTER_CHAIN}",
                    RESTORE,
                    "*filter\n" + "\n".join(lines) + "\nCOMMIT\n",
                )
            )
    if hp.forwarding_on:
        out.append(Command("IP forwarding on now", ("sysctl", "-qw", "net.ipv4.ip_forward=1")))
    if hp.persist_forwarding and persisted != PERSIST_TEXT:
        out.append(
            Command(
                f"IP forwarding on at boot ({PERSIST_FILE})", write=(PERSIST_FILE, PERSIST_TEXT)
            )
        )
    for edit in hp.file_edits:
        out.append(Command(f"edit {edit.path}: {edit.why}", write=(edit.path, edit.after)))
    reloads = {e.reload for e in hp.file_edits if e.reload}
    if reloads and not hp.dns:  # the drop-in's own step reloads otherwise
        out += [Command(f"reload dnsmasq: {r}", ("sh", "-c", r)) for r in sorted(reloads)]
    if hp.dns:
        out += dns_apply_commands(hp.dns)
    if hp.routes:
        batch = "".join(f"route replace {r.cidr} via {r.via}\n" for r in hp.routes)
        out.append(Command(f"{len(hp.routes)} route(s)", ("ip", "-batch", "-"), batch))
    return out


def _removal_block(table: Table | None, builtin: str, chain: str, plan_id: str) -> list[str]:
    """Delete this plan's rules from netui's chain; drop the chain and its jump when no other
    plan's rules remain in it."""
    c = table.chain(chain) if table else None
    if c is None:
        return []
    tag = quote(comment(plan_id))
    ours = [r for r in c.rules if f"--comment {tag} " in r.text + " "]
    lines = [f"-D {chain} {r.text}" for r in ours]
    if len(ours) == len(c.rules):
        bi = table.chain(builtin) if table else None
        lines += [f"-D {builtin} {r.text}" for r in (bi.rules if bi else []) if r.target == chain]
        lines.append(f"-X {chain}")
    return lines


def undo_commands(
    hp: HostPlan,
    plan_id: str,
    nat: Table | None,
    filt: Table | None,
    routes_now: dict[str, str],
    pre_forward: int | None,
    pre_persisted: str | None,
    dns_live: str | None = None,
    dns_previous: str | None = None,
    dns_reload_pending: bool = False,
    edits_live: dict[str, str | None] | None = None,
) -> list[Command]:
    """The inverse of `hp`, from the live state: routes, file, sysctl, filter, nat (reverse order
    of apply). Steps whose effect is gone already render nothing."""
    out: list[Command] = []
    batch = ""
    for r in hp.routes:
        now = routes_now.get(r.cidr)
        if now is None or f" via {r.via}" not in f" {now} ":
            continue  # someone changed it since: not ours to touch any more
        batch += f"route replace {r.previous}\n" if r.previous else f"route del {r.cidr}\n"
    if batch:
        out.append(
            Command(f"put back {batch.count(chr(10))} route(s)", ("ip", "-batch", "-"), batch)
        )
    if hp.dns:
        out += dns_undo_commands(hp.dns, dns_live, dns_previous, dns_reload_pending)
    edits_live = edits_live or {}
    restored = [e for e in hp.file_edits if edits_live.get(e.path) == e.after]
    out += [Command(f"put back {e.path}", write=(e.path, e.before)) for e in restored]
    reloads = {e.reload for e in restored if e.reload} - ({hp.dns.reload} if hp.dns else set())
    out += [Command(f"reload dnsmasq: {r}", ("sh", "-c", r)) for r in sorted(reloads)]
    if hp.persist_forwarding:
        if pre_persisted is None:
            out.append(Command(f"remove {PERSIST_FILE}", remove=PERSIST_FILE))
        elif pre_persisted != PERSIST_TEXT:
            out.append(Command(f"put back {PERSIST_FILE}", write=(PERSIST_FILE, pre_persisted)))
    if hp.forwarding_on and pre_forward is not None and pre_forward != 1:
        out.append(
            Command(
                f"IP forwarding back to {pre_forward}",
                ("sysctl", "-qw", f"net.ipv4.ip_forward={pre_forward}"),
            )
        )
    if hp.forward_accept:
        lines = _removal_block(filt, "FORWARD", FILTER_CHAIN, plan_id)
        if lines:
            out.append(
                Command(
                    f"filter table: remove this plan's rules from {FILTER_CHAIN}",
                    RESTORE,
                    "*filter\n" + "\n".join(lines) + "\nCOMMIT\n",
                )
            )
    nat_lines = _removal_block(nat, "POSTROUTING", NAT_CHAIN, plan_id) if hp.masquerade else []
    live = {(rid.chain, rid.spec) for rid in nat.ids()} if nat else set()
    for fr in reversed(hp.move_rules):
        if (fr.chain, fr.rule) in live:
            nat_lines += [f"-D {fr.chain} {fr.rule}", f"-I {fr.chain} {fr.position} {fr.rule}"]
    for fr in sorted(hp.delete_rules, key=lambda f: f.position):
        if (fr.chain, fr.rule) not in live:
            c = nat.chain(fr.chain) if nat else None
            size = len(c) if c else 0
            nat_lines.append(f"-I {fr.chain} {max(1, min(fr.position, size + 1))} {fr.rule}")
            size += 1
    if nat_lines:
        out.append(
            Command(
                "nat table: remove this plan's rules, put back what it removed",
                RESTORE,
                "*nat\n" + "\n".join(nat_lines) + "\nCOMMIT\n",
            )
        )
    return out


def rollback_script(
    hp: HostPlan,
    plan_id: str,
    pre_forward: int | None,
    pre_persisted: str | None,
    pre_routes: dict[str, str],
    pre_dns: str | None = None,
) -> str:
    """A POSIX sh script that undoes `hp` on its own, for commit-confirmed. It runs detached on
    the target, so it is error-tolerant: each step on its own, failures skipped. Every value is
    quoted with shlex."""
    tag = comment(plan_id)
    lines = ["#!/bin/sh", f"# netui rollback of plan {plan_id} on {hp.host}", "set +e"]

    def run(*argv: str) -> None:
        lines.append(shlex.join(argv) + " 2>/dev/null")

    for p in hp.masquerade:
        run(
            "iptables",
            "-w",
            "5",
            "-t",
            "nat",
            "-D",
            NAT_CHAIN,
            "-s",
            p.source,
            "-d",
            p.destination,
            "-m",
            "comment",
            "--comment",
            tag,
            "-j",
            "MASQUERADE",
        )
    for p in hp.forward_accept:
        for s, d in ((p.source, p.destination), (p.destination, p.source)):
            run(
                "iptables",
                "-w",
                "5",
                "-t",
                "filter",
                "-D",
                FILTER_CHAIN,
                "-s",
                s,
                "-d",
                d,
                "-m",
                "comment",
                "--comment",
                tag,
                "-j",
                "ACCEPT",
            )
    # Only tables this plan touched: on legacy iptables even `-t filter -S` creates the table.
    touched = [("nat", "POSTROUTING", NAT_CHAIN)] if hp.masquerade else []
    touched += [("filter", "FORWARD", FILTER_CHAIN)] if hp.forward_accept else []
    for table, builtin, chain in touched:
        t, b, c = shlex.quote(table), shlex.quote(builtin), shlex.quote(chain)
        lines.append(
            f'if iptables -w 5 -t {t} -S {c} >/dev/null 2>&1 && [ -z "$(iptables -w 5 -t {t} -S {c} | tail -n +2)" ]; then '
            f"iptables -w 5 -t {t} -D {b} -m comment --comment {shlex.quote(JUMP_COMMENT)} -j {c} 2>/dev/null; iptables -w 5 -t {t} -X {c} 2>/dev/null; fi"
        )
    for fr in sorted(hp.delete_rules, key=lambda f: f.position):  # lowest first: positions hold
        restore = f"*{fr.table}\n-I {fr.chain} {fr.position} {fr.rule}\nCOMMIT\n"
        lines.append(f"{_carried(restore)} | iptables-restore --noflush -w 5 2>/dev/null")
    for r in hp.routes:
        previous = pre_routes.get(r.cidr)
        if previous:
            run("ip", "route", "replace", *previous.split())
        else:
            run("ip", "route", "del", r.cidr, "via", r.via)
    if hp.forwarding_on and pre_forward is not None and pre_forward != 1:
        run("sysctl", "-qw", f"net.ipv4.ip_forward={pre_forward}")
    for e in hp.file_edits:
        # only while the file still reads what netui wrote
        after = base64.b64encode(e.after.encode()).decode()
        lines.append(
            f"[ \"$(base64 -w0 < {shlex.quote(e.path)} 2>/dev/null)\" = '{after}' ] && "
            f"{_carried(e.before)} > {shlex.quote(e.path)}"
            + (f" && sh -c {shlex.quote(e.reload)} 2>/dev/null" if e.reload else "")
        )
    if hp.dns:
        if pre_dns is None:
            run("rm", "-f", hp.dns.path)
        else:
            lines.append(f"{_carried(pre_dns)} > {shlex.quote(hp.dns.path)}")
        lines.append(f"sh -c {shlex.quote(hp.dns.reload)} 2>/dev/null")
    if hp.persist_forwarding:
        if pre_persisted is None:
            run("rm", "-f", PERSIST_FILE)
        else:
            lines.append(f"{_carried(pre_persisted)} > {shlex.quote(PERSIST_FILE)}")
    return "\n".join(lines) + "\n"


def _carried(text: str) -> str:
    """A shell pipeline that prints `text` byte for byte. Carried base64-encoded: no content
    can end it early (a heredoc ends at any line equal to its delimiter, and the rest of the
    file would then run as root), and the alphabet needs no quoting inside single quotes."""
    encoded = base64.b64encode(text.encode()).decode()
    return f"printf '%s' '{encoded}' | base64 -d"


# --- DNS on the DNS host -------------------------------------------------------------------

# $1 conf dir, $2 file name; the would-be file on stdin. Refuses when something other than
# dnsmasq holds port 53 (systemd-resolved's stub, another resolver), then checks the whole
# would-be configuration with `dnsmasq --test` on a copy: nothing live is touched.
DNS_TEST_SCRIPT = r"""
held=$( (ss -Hlnup 'sport = :53'; ss -Hlntp 'sport = :53') 2>/dev/null )
if [ -n "$held" ] && ! printf '%s' "$held" | grep -q dnsmasq; then
  echo "port 53 is held by something other than dnsmasq: $(printf '%s' "$held" | head -n 1)" >&2; exit 3
fi
command -v dnsmasq >/dev/null 2>&1 || { echo "dnsmasq is not installed on this host" >&2; exit 4; }
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
[ -d "$1" ] && cp -a "$1"/. "$d"/ 2>/dev/null
cat > "$d/$2"
main=/dev/null; [ -f /etc/dnsmasq.conf ] && main=/etc/dnsmasq.conf
dnsmasq --test --conf-file="$main" --conf-dir="$d,*.conf"
"""

# Arguments in threes: name server expected-address. Retries for ~5 s: a restart takes a moment.
DNS_VERIFY_SCRIPT = r"""
while [ $# -ge 3 ]; do
  ok=""; i=0
  while [ $i -lt 10 ]; do
    got=$(dig +short +time=1 +tries=1 "@$2" "$1" 2>/dev/null | grep -v '^;' | head -n 1)
    [ "$got" = "$3" ] && { ok=1; break; }
    i=$((i+1)); sleep 0.5
  done
  [ -n "$ok" ] || { echo "dnsmasq does not answer $1 with $3 (got '${got:-nothing}') at $2" >&2; exit 5; }
  shift 3
done
"""


def dns_apply_commands(change: DnsChange) -> list[Command]:
    folder, _, name = change.path.rpartition("/")
    test = Command(
        "check port 53 and the would-be dnsmasq configuration (dnsmasq --test)",
        ("sh", "-c", DNS_TEST_SCRIPT, "netui-dns-test", folder, name),
        change.content,
        shown=f"refuse if port 53 is held by anything but dnsmasq; `dnsmasq --test` on a copy of {folder}/ with the new {name}",
    )
    out = [
        test,
        Command(f"write {change.path}", write=(change.path, change.content)),
        Command(f"reload dnsmasq: {change.reload}", ("sh", "-c", change.reload)),
    ]
    if change.checks:
        args = [v for c in change.checks for v in (c.name, c.server, c.expect)]
        names = ", ".join(f"{c.name} -> {c.expect} @{c.server}" for c in change.checks)
        out.append(
            Command(
                f"check {len(change.checks)} name(s) resolve through dnsmasq",
                ("sh", "-c", DNS_VERIFY_SCRIPT, "netui-dns-verify", *args),
                shown=f"dig until these answer (5 s at most): {names}",
            )
        )
    return out


def dns_undo_commands(
    change: DnsChange, live: str | None, previous: str | None, reload_pending: bool = False
) -> list[Command]:
    """Put the previous drop-in back (or remove ours) and reload — unless someone rewrote the
    file since, which makes it theirs. `reload_pending`: the file is back already but the
    reload that makes dnsmasq read it failed, so it is still owed."""
    reload = Command(f"reload dnsmasq: {change.reload}", ("sh", "-c", change.reload))
    if reload_pending and live == previous:
        return [reload]
    if live is not None and live != change.content:
        return []
    if live is None and previous is None:
        return []
    step = (
        Command(f"remove {change.path}", remove=change.path)
        if previous is None
        else Command(f"put back {change.path}", write=(change.path, previous))
    )
    return [step, reload]


def plan_text(commands: dict[str, list[Command]], plan: Plan | None = None) -> str:
    """What a plan will run, for people: each host's commands, then the Kubernetes API calls
    (taints). The CLI prints it and the TUI's plan screen and dialogs show it."""
    out = []
    for host, cmds in commands.items():
        out.append(f"{host}:")
        for c in cmds:
            out.append(f"  # {c.summary}")
            out.append("  " + c.preview().replace("\n", "\n  "))
    for t in plan.taints if plan else ():
        out.append(f"cluster {t.cluster} (Kubernetes API):")
        out.append(f"  # taint node {t.node} {t.text}: new workloads stay off the forwarder")
        out.append(f"  PATCH /api/v1/nodes/{t.node}  spec.taints += {t.text}")
    return "\n".join(out)
