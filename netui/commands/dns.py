"""`netui dns status | switch DOMAIN CLUSTER | resolve NAME | client --os OS`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from netui.commands import operator_agrees, session
from netui.commands.registry import Command
from netui.output import print_json, table

TYPE_CHECKING = False  # not typing's: importing typing slows `netui --help` (registry.py)
if TYPE_CHECKING:
    from netui.core.session import Session

CLIENT_OS = ("macos", "linux-resolved", "linux-resolvconf", "windows")


def _on_dns(
    work: Callable[[Session, argparse.Namespace], int], needs_dns: bool = True
) -> Callable[[argparse.Namespace], int]:
    """The action on a core session; all but `client` first require a `dns:` section."""

    def run(args: argparse.Namespace) -> int:
        from netui.core import dns

        with session(args) as s:
            if needs_dns:
                dns.require_dns(s)
            return work(s, args)

    return run


def status(s: Session, args: argparse.Namespace) -> int:
    from netui.core.dns import domain_states, dropin

    env = s.env
    assert env.dns is not None
    states, written = domain_states(s)
    if args.json:
        print_json(
            [
                {
                    "domain": d.domain,
                    "cluster": d.cluster,
                    "dns_ip": d.dns_ip,
                    "state": d.state,
                    "reachable_from_dns_host": d.reachable,
                }
                for d in states
            ]
        )
        return 0
    print(
        f"dnsmasq on {env.dns.host} ({env.dns.listen or 'all addresses'}), netui's drop-in {dropin(s)}{'' if written else ' (not written yet)'}"
    )
    rows = [[d.domain, d.cluster, d.dns_ip or "?", d.state, d.reachable] for d in states]
    print(
        table(rows, ["DOMAIN", "CLUSTER", "DNS IP", "STATE", f"DNS IP FROM {env.dns.host.upper()}"])
    )
    return 0


def resolve(s: Session, args: argparse.Namespace) -> int:
    """The live test box, on the command line."""
    from netui.core.dns import resolve_name

    source, via, answer = resolve_name(s, args.name, args.source)
    name = args.name.strip()
    if args.json:
        print_json({"name": name, "from": source, "server": via, "answer": answer})
    else:
        print(f"{name} from {source} via {via}: {answer}")
    return 0 if not answer.startswith("(") else 1


def switch(s: Session, args: argparse.Namespace) -> int:
    """The migration switch on the command line: previewed, asked, applied, undoable."""
    from netui.commands.plan import _progress, show_plan
    from netui.core.dns import switch_plan

    plan = switch_plan(s, args.domain, args.cluster)
    for note in plan.notes:
        print(f"note: {note}")
    if plan.empty:
        return 0
    commands = s.preview(plan)
    show_plan(plan, commands, False)
    if not operator_agrees(
        f"Resolve {args.domain} in cluster {args.cluster} from now on?",
        args.yes,
        "switching a domain",
    ):
        print("nothing changed")
        return 1
    journal = s.apply(plan, None, _progress)
    print(f"plan {plan.id}: {journal.status}; undo with `netui undo {plan.id}`")
    return 0 if journal.status.succeeded else 1


def client(s: Session, args: argparse.Namespace) -> int:
    """What a developer runs on their own machine to send cluster domains to the office DNS."""
    from netui.core.dns import server as dns_server

    env = s.env
    server = dns_server(s)
    domains = sorted({c.domain for c in env.clusters.values()})
    lines: list[str] = []
    if args.os == "macos":
        lines.append("sudo mkdir -p /etc/resolver")
        lines += [f"echo 'nameserver {server}' | sudo tee /etc/resolver/{d}" for d in domains]
        lines.append("# check: scutil --dns | grep -A3 " + domains[0])
    elif args.os == "linux-resolved":
        lines.append(
            "LINK=$(ip route get "
            + server
            + " | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')   # the office interface"
        )
        lines.append(f'sudo resolvectl dns "$LINK" {server}')
        lines.append('sudo resolvectl domain "$LINK" ' + " ".join(f"~{d}" for d in domains))
        lines.append("# check: resolvectl query kube-dns.kube-system.svc." + domains[0])
    elif args.os == "linux-resolvconf":
        lines.append(
            "# resolv.conf cannot send one domain to one server: this makes the office DNS the first"
        )
        lines.append(
            "# nameserver for everything (it forwards what is not a cluster domain upstream)"
        )
        lines.append(
            f"echo 'nameserver {server}' | sudo tee /etc/resolvconf/resolv.conf.d/head && sudo resolvconf -u"
        )
    else:
        lines += [
            f'Add-DnsClientNrptRule -Namespace ".{d}" -NameServers "{server}"' for d in domains
        ]
        lines.append("# check: Resolve-DnsName kube-dns.kube-system.svc." + domains[0])
    if args.json:
        print_json({"os": args.os, "server": server, "domains": domains, "commands": lines})
    else:
        print("\n".join(lines))
    return 0


def _switch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("domain")
    p.add_argument("cluster")
    p.add_argument("--yes", action="store_true")


def _resolve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")
    p.add_argument(
        "--from",
        dest="source",
        metavar="HOST",
        help="where to ask from (default: office.probe_from)",
    )


def _client_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--os", required=True, choices=list(CLIENT_OS))


COMMANDS = (
    Command(
        "dns",
        "cluster domains on the office DNS: status, the migration switch, client set-up",
        dest="dns_command",
        actions=(
            Command("status", "domain -> cluster -> DNS IP -> state", _on_dns(status)),
            Command(
                "switch",
                "resolve a domain two clusters share in this cluster (previewed, undoable)",
                _on_dns(switch),
                _switch_arguments,
                writes=True,
            ),
            Command(
                "resolve",
                "resolve a name as the office does, through the DNS host",
                _on_dns(resolve),
                _resolve_arguments,
            ),
            Command(
                "client",
                "what a developer runs on their machine",
                _on_dns(client, needs_dns=False),
                _client_arguments,
            ),
        ),
    ),
)
