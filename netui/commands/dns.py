"""`netui dns status | switch DOMAIN CLUSTER | resolve NAME | client --os OS`."""

from __future__ import annotations

import argparse

from netui.commands import environment, operator_agrees
from netui.errors import UserError
from netui.model.envfile import DOMAIN_RE, Environment
from netui.output import print_json, table
from netui.plan.model import Plan, new_plan_id

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


def domain_states(env: Environment) -> tuple[list[dict[str, str | None]], bool]:
    """Per cluster: its domain, DNS IP, whether netui's drop-in forwards the domain to it, and
    whether the DNS host reaches that DNS IP. Also whether the drop-in exists yet."""
    from netui.backends import Hosts
    from netui.commands.doctor import gather
    from netui.plan.dns import conf_path, current_choices

    assert env.dns is not None
    inp = gather(env)
    snap = inp.snapshot(env.dns.host)
    live = snap.files.get(conf_path(env.dns.conf_dir)) if snap else None
    chosen = current_choices(live)
    out: list[dict[str, str | None]] = []
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
            out.append(
                {
                    "domain": c.domain,
                    "cluster": c.name,
                    "dns_ip": c.dns_ip,
                    "state": state,
                    "reachable_from_dns_host": reach,
                }
            )
    return out, live is not None


def status(env: Environment, args: argparse.Namespace) -> int:
    from netui.plan.dns import conf_path

    assert env.dns is not None
    states, written = domain_states(env)
    if args.json:
        print_json(states)
        return 0
    print(
        f"dnsmasq on {env.dns.host} ({env.dns.listen or 'all addresses'}), netui's drop-in {conf_path(env.dns.conf_dir)}{'' if written else ' (not written yet)'}"
    )
    rows = [
        [s["domain"], s["cluster"], s["dns_ip"] or "?", s["state"], s["reachable_from_dns_host"]]
        for s in states
    ]
    print(
        table(rows, ["DOMAIN", "CLUSTER", "DNS IP", "STATE", f"DNS IP FROM {env.dns.host.upper()}"])
    )
    return 0


def resolve_name(env: Environment, name: str, source: str | None = None) -> tuple[str, str, str]:
    """Resolve `name` as the office does (through the DNS host): (from host, server, answer).
    An answer in parentheses is a failure, e.g. "(NXDOMAIN)"."""
    from netui.backends import Hosts

    name = name.strip()
    if not DOMAIN_RE.match(name):
        raise UserError(
            f"{name!r} is not a DNS name (letters, digits, '-' and dots, e.g. eureka.default.svc.cluster.local)"
        )
    source = source or env.office.probe_from
    if not source:
        raise UserError(f"{env.path}: office.probe_from is not set; pass --from HOST")
    env.host(source)
    server = _server(env)
    with Hosts(env) as hosts:
        answer, via = _dig(hosts[source], name, server)
    return source, via, answer


def resolve(env: Environment, args: argparse.Namespace) -> int:
    """The live test box, on the command line."""
    source, via, answer = resolve_name(env, args.name, args.source)
    name = args.name.strip()
    if args.json:
        print_json({"name": name, "from": source, "server": via, "answer": answer})
    else:
        print(f"{name} from {source} via {via}: {answer}")
    return 0 if not answer.startswith("(") else 1


def switch_plan(env: Environment, domain: str, cluster: str) -> Plan:
    """The plan that makes the office resolve `domain` in `cluster` (the migration switch)."""
    from netui.commands.doctor import gather
    from netui.doctor import diagnose
    from netui.plan.planner import plan_dns

    users = [c.name for c in env.clusters.values() if c.domain == domain]
    if not users:
        raise UserError(
            f"no cluster uses the domain {domain!r}; domains: {', '.join(sorted({c.domain for c in env.clusters.values()}))}"
        )
    if cluster not in users:
        raise UserError(
            f"cluster {cluster!r} does not use {domain}; clusters that do: {', '.join(users)}"
        )
    inp = gather(env)
    plan = Plan(new_plan_id(), env=env.path)
    plan_dns(inp, plan, set(env.clusters), {domain: cluster}, diagnose(inp))
    return plan.prune()


def switch(env: Environment, args: argparse.Namespace) -> int:
    from netui.plan.journal import JournalError, writer_lock

    try:
        with writer_lock("dns switch"):
            return _switch(env, args)
    except JournalError as e:
        raise UserError(str(e)) from None


def _switch(env: Environment, args: argparse.Namespace) -> int:
    """The migration switch on the command line: previewed, asked, applied, undoable."""
    from netui.backends import Hosts
    from netui.commands.plan import _progress, show_plan
    from netui.plan import executor

    plan = switch_plan(env, args.domain, args.cluster)
    for note in plan.notes:
        print(f"note: {note}")
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
