"""`netui dns status | switch DOMAIN CLUSTER | resolve NAME | client --os OS`."""

from __future__ import annotations

import argparse

from netui.commands import environment, operator_agrees
from netui.errors import UserError
from netui.model.envfile import DOMAIN_RE, Environment
from netui.output import print_json, table

CLIENT_OS = ("macos", "linux-resolved", "linux-resolvconf", "windows")


def run(args: argparse.Namespace) -> int:
    env = environment(args)
    action = args.dns_command
    if action == "client":
        return client(env, args)
    if env.dns is None:
        raise UserError(
            f"{env.path} has no dns: section (dns: {{host: ..., listen: ..., conf_dir: /etc/dnsmasq.d, reload: ...}})"
        )
    if action == "status":
        return status(env, args)
    if action == "switch":
        return switch(env, args)
    return resolve(env, args)


def _server(env: Environment) -> str:
    if env.dns is None or not env.dns.listen:
        raise UserError(
            f"{env.path}: dns.listen is not set — the address office machines send their queries to"
        )
    return env.dns.listen


def _dig(backend: object, name: str, server: str) -> tuple[str, str]:
    result = backend.run(["dig", "+time=2", "+tries=1", f"@{server}", name, "A"], timeout=10)  # type: ignore[attr-defined]
    answers = [
        line.split()[-1]
        for line in result.text.splitlines()
        if line and not line.startswith(";") and "\tA\t" in line.replace(" ", "\t")
    ]
    via = next(
        (
            line.split("SERVER:", 1)[1].strip()
            for line in result.text.splitlines()
            if "SERVER:" in line
        ),
        server,
    )
    if answers:
        return ", ".join(answers), via
    status = next(
        (
            line.split("status:", 1)[1].split(",")[0].strip()
            for line in result.text.splitlines()
            if "status:" in line
        ),
        "no answer",
    )
    return f"({status})", via


def status(env: Environment, args: argparse.Namespace) -> int:
    from netui.backends import Hosts
    from netui.commands.doctor import gather
    from netui.plan.dns import conf_path, current_choices

    assert env.dns is not None
    inp = gather(env)
    snap = inp.snapshot(env.dns.host)
    live = snap.files.get(conf_path(env.dns.conf_dir)) if snap else None
    chosen = current_choices(live)
    rows, out = [], []
    with Hosts(env) as hosts:
        for c in inp.clusters.values():
            state = (
                "forwarded"
                if chosen.get(c.domain) == c.dns_ip
                else ("another cluster has it" if c.domain in chosen else "not forwarded")
            )
            reach = "?"
            if c.dns_ip and snap:
                answer, _ = _dig(
                    hosts[env.dns.host], f"kube-dns.kube-system.svc.{c.domain}", c.dns_ip
                )
                reach = "answers" if answer == c.dns_ip else f"no: {answer}"
            rows.append([c.domain, c.name, c.dns_ip or "?", state, reach])
            out.append(
                {
                    "domain": c.domain,
                    "cluster": c.name,
                    "dns_ip": c.dns_ip,
                    "state": state,
                    "reachable_from_dns_host": reach,
                }
            )
    if args.json:
        print_json(out)
    else:
        print(
            f"dnsmasq on {env.dns.host} ({env.dns.listen or 'all addresses'}), netui's drop-in {conf_path(env.dns.conf_dir)}{'' if live else ' (not written yet)'}"
        )
        print(
            table(
                rows,
                ["DOMAIN", "CLUSTER", "DNS IP", "STATE", f"DNS IP FROM {env.dns.host.upper()}"],
            )
        )
    return 0


def resolve(env: Environment, args: argparse.Namespace) -> int:
    """The live test box: resolve a name as the office does (through the DNS host)."""
    from netui.backends import Hosts

    name = args.name.strip()
    if not DOMAIN_RE.match(name):
        raise UserError(
            f"{args.name!r} is not a DNS name (letters, digits, '-' and dots, e.g. eureka.default.svc.cluster.local)"
        )
    source = args.source or env.office.probe_from
    if not source:
        raise UserError(f"{env.path}: office.probe_from is not set; pass --from HOST")
    env.host(source)
    server = _server(env)
    with Hosts(env) as hosts:
        answer, via = _dig(hosts[source], name, server)
    if args.json:
        print_json({"name": name, "from": source, "server": via, "answer": answer})
    else:
        print(f"{name} from {source} via {via}: {answer}")
    return 0 if not answer.startswith("(") else 1


def switch(env: Environment, args: argparse.Namespace) -> int:
    """The migration switch: which cluster the office resolves a shared domain in."""
    from netui.backends import Hosts
    from netui.commands.doctor import gather
    from netui.commands.plan import _progress, show_plan
    from netui.plan import executor
    from netui.plan.model import Plan, new_plan_id
    from netui.plan.planner import plan_dns

    users = [c.name for c in env.clusters.values() if c.domain == args.domain]
    if not users:
        raise UserError(
            f"no cluster uses the domain {args.domain!r}; domains: {', '.join(sorted({c.domain for c in env.clusters.values()}))}"
        )
    if args.cluster not in users:
        raise UserError(
            f"cluster {args.cluster!r} does not use {args.domain}; clusters that do: {', '.join(users)}"
        )
    inp = gather(env)
    plan = Plan(new_plan_id(), env=env.path)
    from netui.doctor import diagnose

    plan_dns(inp, plan, set(env.clusters), {args.domain: args.cluster}, diagnose(inp))
    for note in plan.notes:
        print(f"note: {note}")
    plan.prune()
    with Hosts(env) as hosts:
        commands = executor.preview(plan, hosts)
        show_plan(plan, commands, False)
        if plan.empty:
            return 0
        if not operator_agrees(
            f"Resolve {args.domain} in cluster {args.cluster} from now on?",
            args.yes,
            "switching a domain",
        ):
            print("nothing changed")
            return 1
        journal = executor.apply(plan, hosts, None, _progress)
    print(f"plan {plan.id}: {journal.status}; undo with `netui undo {plan.id}`")
    return 0 if journal.status == "applied" else 1


def client(env: Environment, args: argparse.Namespace) -> int:
    """What a developer runs on their own machine to send cluster domains to the office DNS."""
    server = _server(env)
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
