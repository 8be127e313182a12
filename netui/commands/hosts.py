"""`netui hosts`, `netui show nat HOST`, `netui show routes HOST`, `netui trust HOST`."""

from __future__ import annotations

import argparse
import sys

from netui.commands import in_session, operator_agrees
from netui.commands.registry import Command
from netui.errors import UserError
from netui.output import print_json, table

TYPE_CHECKING = False  # not typing's: importing typing slows `netui --help` (registry.py)
if TYPE_CHECKING:
    from netui.core.session import Session
    from netui.model.iptables import Chain
    from netui.model.snapshot import HostSnapshot


def _forwarding(s: HostSnapshot) -> str:
    return f"{s.forwarding_now} (boot: {'on' if s.forwarding_on_at_boot else 'off'})"


def hosts_command(session: Session, as_json: bool) -> int:
    from netui.core.hosts import read_hosts
    from netui.model.snapshot import TABLES, unreadable_text

    env = session.env
    snaps = read_hosts(session, list(env.hosts))
    if as_json:
        print_json(
            [
                {
                    "host": n,
                    "address": env.hosts[n].uri,
                    "state": s.state,
                    "reason": s.reason,
                    "variant": s.variant,
                    "ip_forward": s.ip_forward,
                    "ip_forward_at_boot": s.forwarding_at_boot.value
                    if s.forwarding_at_boot
                    else None,
                    "nat_rules": s.nat.rule_count() if s.nat else None,
                    "seconds": round(s.duration, 3),
                    "warnings": s.warnings,
                    "unreadable": s.unreadable,
                }
                for n, s in snaps.items()
            ]
        )
    else:
        rows = []
        for n, s in snaps.items():
            if s.ok:
                rows.append(
                    [
                        n,
                        env.hosts[n].uri,
                        "partial" if s.unreadable else "ok",
                        s.variant or "-",
                        _forwarding(s),
                        "?" if TABLES in s.unreadable else s.nat.rule_count() if s.nat else "-",
                        unreadable_text(s) or f"{s.duration * 1000:.0f} ms",
                    ]
                )
            else:
                rows.append([n, env.hosts[n].uri, s.state, "-", "-", "-", s.reason or ""])
        print(
            table(
                rows,
                ["HOST", "ADDRESS", "STATE", "IPTABLES", "FORWARDING", "NAT RULES", "TIME/REASON"],
            )
        )
        for n, s in snaps.items():
            for w in s.warnings:
                print(f"warning: {n}: {w}", file=sys.stderr)
    return 0 if all(s.readable() for s in snaps.values()) else 1


def show_nat(session: Session, host: str, chain: str | None, raw: bool, as_json: bool) -> int:
    from netui.core.hosts import read_host
    from netui.model.owners import rule_owner

    snap = read_host(session, host)
    for w in snap.warnings:
        print(f"warning: {host}: {w}", file=sys.stderr)
    if raw:
        sys.stdout.write(snap.nat_text)
        return 0
    nat = snap.nat
    if nat is None:
        raise UserError(
            f"{host}: no nat table could be read ({'; '.join(snap.warnings) or 'iptables missing'})"
        )
    chains = list(nat.chains.values())
    if chain:
        if chain not in nat.chains:
            raise UserError(
                f"{host}: the nat table has no chain {chain!r}; it has {', '.join(nat.chains)}"
            )
        chains = [nat.chains[chain]]
    if as_json:
        print_json(
            {
                "host": host,
                "variant": snap.variant,
                "chains": [_chain_json(nat.name, c) for c in chains],
            }
        )
        return 0
    print(f"# {host}: nat table, iptables {snap.variant}, {nat.rule_count()} rules")
    for c in chains:
        print(f"\nChain {c.name} (policy {c.policy if c.builtin else '-'}, {c.counters})")
        rows = [[r.position, r.packets, r.bytes, rule_owner(r), r.text] for r in c.rules]
        if rows:
            print(table(rows, ["#", "PKTS", "BYTES", "OWNER", "RULE"]))
    return 0


def _chain_json(table_name: str, c: Chain) -> dict[str, object]:
    from netui.model.owners import rule_owner

    seen: dict[str, int] = {}
    rules = []
    for r in c.rules:
        k = seen.get(r.text, 0)
        seen[r.text] = k + 1
        rules.append(
            {
                "position": r.position,
                "packets": r.packets,
                "bytes": r.bytes,
                "owner": rule_owner(r),
                "rule": r.text,
                "id": [table_name, c.name, r.text, k],
            }
        )
    return {"chain": c.name, "policy": c.policy, "counters": c.counters, "rules": rules}


def show_routes(session: Session, host: str, as_json: bool) -> int:
    from netui.core.hosts import known_networks, read_host
    from netui.model.route_coverage import route_annotations, uncovered_networks

    env = session.env
    snap = read_host(session, host)
    nets, unknown = known_networks(session)
    for why in unknown:
        print(f"warning: {why}", file=sys.stderr)
    ann = route_annotations(snap.routes, nets)
    missing = uncovered_networks(snap.routes, nets, env.clusters_of_host(host))
    if as_json:
        print_json(
            {
                "host": host,
                "routes": [{"route": a.line, "network": a.network} for a in ann],
                "uncovered": [
                    {"cidr": m.cidr, "network": m.network, "carried_by": m.carried_by}
                    for m in missing
                ],
            }
        )
        return 0
    print(f"# {host}: routes (main table)")
    print(table([[a.line, a.network] for a in ann], ["ROUTE", "NETWORK"]))
    for m in missing:
        print(f"! {m.network} {m.cidr}: {m.carried_by}")
    return 0


def trust_command(session: Session, host: str, yes: bool) -> int:
    from netui.core.hosts import offered_key, trust_key

    key = offered_key(session, host)
    print(f"{host} ({key.name}) offers {key.kind} {key.fingerprint}")
    if not operator_agrees(f"Add it to {key.known_hosts}?", yes, "accepting a host key"):
        print("not added")
        return 1
    trust_key(key)
    print(f"added to {key.known_hosts}")
    return 0


def _show_nat_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("host")
    p.add_argument("--chain", help="only this chain")
    p.add_argument("--raw", action="store_true", help="print iptables-save text as read")


def _host_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("host")


def _show_firewall(session: Session, args: argparse.Namespace) -> int:
    from netui.commands.firewall import run as show_firewall

    return show_firewall(session, args)


def _trust_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("host")
    p.add_argument("--yes", action="store_true", help="accept without asking")


COMMANDS = (
    Command(
        "hosts",
        "each host's state, iptables variant and forwarding",
        in_session(lambda s, args: hosts_command(s, args.json)),
    ),
    Command(
        "show",
        "one host's live state",
        dest="what",
        metavar="WHAT",
        actions=(
            Command(
                "nat",
                "the nat table with counters",
                in_session(lambda s, args: show_nat(s, args.host, args.chain, args.raw, args.json)),
                _show_nat_arguments,
            ),
            Command(
                "routes",
                "routes annotated with the networks they serve",
                in_session(lambda s, args: show_routes(s, args.host, args.json)),
                _host_argument,
            ),
            Command(
                "firewall",
                "every base chain of every table per hook (iptables, nft, firewalld, ufw), read-only",
                in_session(_show_firewall),
                _host_argument,
            ),
        ),
    ),
    Command(
        "trust",
        "show an SSH host's key fingerprint and add it to known_hosts",
        in_session(lambda s, args: trust_command(s, args.host, args.yes)),
        _trust_arguments,
        writes=True,
    ),
)
