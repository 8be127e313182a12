"""Nested address plans (the article's own) and cluster-to-cluster pairs, on plain data."""

from __future__ import annotations

import json

import pytest

from netui.discovery.model import ClusterInventory, ServiceInfo, ServicePort
from netui.doctor import diagnose
from netui.doctor.context import build_input
from netui.model.envfile import EnvironmentProblem, loads
from netui.model.iptables import parse
from netui.model.networks import KnownNetwork, NetworkMap, nesting
from netui.model.routes import RoutingTable, parse_addresses, parse_routes
from netui.model.snapshot import HostSnapshot
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.kinds.route import RouteChange
from netui.plan.model import HostPlan, PlanRefused
from netui.plan.planner import make_plan

from .test_doctor import PERSISTED, addrs, nat_text

# office 10.1.3.0/24; A: Pods 10.200.0.0/16, Services 10.96.0.0/12; B: Pods 10.100.0.0/16
# (inside A's Services), Services 10.254.0.0/16 — the article's plan.
ARTICLE = """\
office: {cidrs: [10.1.3.0/24], router: r}
hosts: {r: local, fa: local, fb: local, bw: local}
clusters:
  a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12], dns_ip: 10.96.0.10, forwarder: fa}
  b: {pod_cidrs: [10.100.0.0/16], service_cidrs: [10.254.0.0/16], dns_ip: 10.254.0.10, forwarder: fb}
"""


def nat_for(office_pairs: list[tuple[str, str]]) -> str:
    rules = '-A POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\n'
    rules += "".join(
        f'-A NETUI-POSTROUTING -s {s} -d {d} -m comment --comment "netui:p1" -j MASQUERADE\n'
        for s, d in office_pairs
    )
    return nat_text(rules)


def host(name: str, ip: str, routes: list[dict[str, str]], nat: str | None = None) -> HostSnapshot:
    saved = parse(nat or nat_text(""))
    s = HostSnapshot(
        name,
        nat=saved.table("nat"),
        filter=saved.table("filter"),
        ip_forward=1,
        sysctl_files=list(PERSISTED),
    )
    s.routes = RoutingTable(parse_routes(json.dumps(routes)), parse_addresses(addrs("eth0", ip)))
    return s


def world(env: str = ARTICLE, inventory=None, bw_routes=None, fb_nat_extra=()):
    office = "10.1.3.0/24"
    fa = host(
        "fa",
        "192.168.1.109/24",
        [{"dst": "default", "gateway": "192.168.1.1", "dev": "eth0"}],
        nat_for([(office, "10.200.0.0/16"), (office, "10.96.0.0/12")]),
    )
    fb = host(
        "fb",
        "192.168.1.243/24",
        [
            {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"},
            {"dst": office, "gateway": "192.168.1.1", "dev": "eth0"},
        ],
        nat_for([(office, "10.100.0.0/16"), (office, "10.254.0.0/16"), *fb_nat_extra]),
    )
    bw = host(
        "bw",
        "192.168.1.244/24",
        bw_routes or [{"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"}],
    )
    r = HostSnapshot("r", ip_forward=1)
    r.routes = RoutingTable(
        parse_routes(
            json.dumps(
                [
                    {"dst": "10.200.0.0/16", "gateway": "192.168.1.109", "dev": "eth1"},
                    {"dst": "10.96.0.0/12", "gateway": "192.168.1.109", "dev": "eth1"},
                    {"dst": "10.100.0.0/16", "gateway": "192.168.1.243", "dev": "eth1"},
                    {"dst": "10.254.0.0/16", "gateway": "192.168.1.243", "dev": "eth1"},
                ]
            )
        ),
        parse_addresses(addrs("eth1", "192.168.1.1/24"))
        + parse_addresses(addrs("eth0", "10.1.3.1/24")),
    )
    return build_input(
        loads(env, "env.yaml"), {"fa": fa, "fb": fb, "bw": bw, "r": r}, inventory or {}
    )


def by_code(findings, code):
    return [f for f in findings if f.code == code]


def test_nesting_is_found_both_ways_and_equal_or_disjoint_ranges_are_not_nested():
    wide = KnownNetwork("10.96.0.0/12", "services", "a")
    narrow = KnownNetwork("10.100.0.0/16", "pods", "b")
    assert nesting(wide, narrow) == (wide, narrow)
    assert nesting(narrow, wide) == (wide, narrow)
    assert nesting(wide, KnownNetwork("10.96.0.0/12", "pods", "b")) is None
    assert nesting(wide, KnownNetwork("10.200.0.0/16", "pods", "b")) is None


def test_the_article_plan_is_a_nested_warning_not_an_overlap_and_is_planned():
    inp = world()
    findings = diagnose(inp)
    assert not by_code(findings, "cidr-overlap")
    [nested] = by_code(findings, "cidr-nested")
    assert nested.severity == "warning"
    assert "cluster a's Services whose ClusterIP falls inside 10.100.0.0/16" in nested.title
    assert "unreachable from the office (routed to b)" in nested.title
    assert any("none of its Services could be checked" in e for e in nested.evidence)
    # connected as it stands: nothing to plan, and nothing refused
    assert make_plan(inp, findings).empty


def test_a_nested_plan_without_routes_gets_both_routes_most_specific_included():
    inp = world()
    inp.snapshots["r"].routes = RoutingTable((), inp.snapshots["r"].routes.interfaces)
    plan = make_plan(inp, diagnose(inp))
    routes = {(r.cidr, r.via) for r in plan.hosts["r"].of(RouteChange)}
    assert ("10.96.0.0/12", "192.168.1.109") in routes
    assert ("10.100.0.0/16", "192.168.1.243") in routes


def test_services_inside_the_nested_range_are_named_and_make_it_an_error():
    inv = ClusterInventory(
        "a",
        None,
        "cluster.local",
        "fa",
        services=[
            ServiceInfo("billing", "default", "10.100.0.50", (ServicePort(80, "TCP"),)),
            ServiceInfo("app", "default", "10.96.0.30", (ServicePort(80, "TCP"),)),
        ],
    )
    [nested] = by_code(diagnose(world(inventory={"a": inv})), "cidr-nested")
    assert nested.severity == "error"
    assert any("unreachable now: default/billing 10.100.0.50" in e for e in nested.evidence)
    assert not any("default/app" in e for e in nested.evidence)
    clean = ClusterInventory("a", None, "cluster.local", "fa", services=inv.services[1:])
    [nested] = by_code(diagnose(world(inventory={"a": clean})), "cidr-nested")
    assert nested.severity == "warning"
    assert any("none of cluster a's 1 Services" in e for e in nested.evidence)


@pytest.mark.parametrize(
    "b_pods, why",
    [
        ("10.96.0.0/12", "the same range in two places"),  # identical to A's Services
        ("10.1.0.0/16", "office addresses and cluster addresses"),  # holds the office
        ("10.1.3.0/26", "office addresses and cluster addresses"),  # inside the office
    ],
)
def test_identical_ranges_and_office_overlaps_stay_errors_and_refuse_the_plan(b_pods, why):
    inp = world(ARTICLE.replace("pod_cidrs: [10.100.0.0/16]", f"pod_cidrs: [{b_pods}]"))
    findings = diagnose(inp)
    [overlap] = by_code(findings, "cidr-overlap")
    assert overlap.severity == "error" and why in overlap.title
    with pytest.raises(PlanRefused, match="overlapping CIDRs"):
        make_plan(inp, findings)


def test_three_levels_of_nesting_give_a_finding_per_pair_and_the_narrowest_owns_an_address():
    env = ARTICLE.replace(
        "  b: {",
        "  c: {pod_cidrs: [10.100.7.0/24], forwarder: fb}\n  b: {",
    )
    inp = world(env)
    nested = by_code(diagnose(inp), "cidr-nested")
    pairs = {(f.cluster, f.title.split(" contains ")[1].split(":")[0]) for f in nested}
    assert pairs == {
        ("a", "cluster b pods 10.100.0.0/16"),
        ("a", "cluster c pods 10.100.7.0/24"),
        ("b", "cluster c pods 10.100.7.0/24"),
    }
    assert inp.networks.owner("10.100.7.9").cluster == "c"
    note = inp.networks.nesting_note("10.100.7.9")
    assert note is not None and note.endswith("sends it to cluster c")
    assert "10.96.0.0/12" in note and "10.100.0.0/16" in note


def test_nesting_note_is_silent_for_an_address_only_one_cluster_holds():
    m = NetworkMap(
        [KnownNetwork("10.96.0.0/12", "services", "a"), KnownNetwork("10.100.0.0/16", "pods", "b")]
    )
    assert m.nesting_note("10.96.0.10") is None
    assert "longest match sends it to cluster b" in (m.nesting_note("10.100.5.7") or "")


REACH = ARTICLE.replace(
    "dns_ip: 10.254.0.10, forwarder: fb}",
    "dns_ip: 10.254.0.10, forwarder: fb, nodes: [bw], node_cidrs: [192.168.1.0/24]}",
).replace(
    "dns_ip: 10.96.0.10, forwarder: fa}",
    "dns_ip: 10.96.0.10, forwarder: fa, node_cidrs: [192.168.1.0/24], reach_from: [b]}",
)


def test_cluster_to_cluster_needs_masquerade_on_the_target_and_routes_on_the_source_nodes():
    inp = world(REACH)
    findings = diagnose(inp)
    masq = by_code(findings, "cluster-masquerade-missing")
    assert {
        (f.host, f.fixes[0].params["source"], f.fixes[0].params["destination"]) for f in masq
    } == {
        ("fa", s, d)
        for s in ("192.168.1.0/24", "10.100.0.0/16")
        for d in ("10.200.0.0/16", "10.96.0.0/12")
    }
    routes = [f for f in by_code(findings, "cluster-route-missing") if f.severity == "error"]
    # b's forwarder and its listed worker default to another gateway: a route on each
    assert {(f.host, f.fixes[0].params["cidr"]) for f in routes} == {
        (h, c) for h in ("fb", "bw") for c in ("10.200.0.0/16", "10.96.0.0/12")
    }
    plan = make_plan(inp, findings)
    assert Masquerade("10.100.0.0/16", "10.96.0.0/12") in plan.hosts["fa"].steps
    assert RouteChange("10.96.0.0/12", "192.168.1.109") in plan.hosts["bw"].steps
    # never the blanket masquerade of the manual method
    assert all(p.destination != "0.0.0.0/0" for h in plan.hosts.values() for p in h.of(Masquerade))
    # the other direction was not opted in: nothing on b's forwarder for a's sources
    fb = plan.hosts.get("fb", HostPlan("fb"))
    assert all(p.source == "10.1.3.0/24" for p in fb.of(Masquerade))


def test_cluster_to_cluster_is_quiet_once_masqueraded_and_routed():
    bw_routes = [
        {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"},
        {"dst": "10.200.0.0/16", "gateway": "192.168.1.109", "dev": "eth0"},
        {"dst": "10.96.0.0/12", "gateway": "192.168.1.109", "dev": "eth0"},
    ]
    inp = world(REACH, bw_routes=bw_routes)
    fb_routes = inp.snapshots["fb"].routes
    inp.snapshots["fb"].routes = RoutingTable(
        fb_routes.routes + tuple(parse_routes(json.dumps(bw_routes[1:]))), fb_routes.interfaces
    )
    office = "10.1.3.0/24"
    pairs = [(office, "10.200.0.0/16"), (office, "10.96.0.0/12")] + [
        (s, d)
        for s in ("192.168.1.0/24", "10.100.0.0/16")
        for d in ("10.200.0.0/16", "10.96.0.0/12")
    ]
    saved = parse(nat_for(pairs))
    inp.snapshots["fa"].nat = saved.table("nat")
    findings = diagnose(inp)
    assert not [f for f in findings if f.code.startswith("cluster-") and f.severity == "error"]


def test_cluster_nodes_and_reach_from_are_validated():
    bad = REACH.replace("reach_from: [b]", "reach_from: [a, bb]").replace(
        "nodes: [bw]", "nodes: [bx]"
    )
    with pytest.raises(EnvironmentProblem) as e:
        loads(bad, "env.yaml")
    text = str(e.value)
    assert "clusters.a.reach_from[0]: names the cluster itself" in text
    assert "clusters.a.reach_from[1]: names cluster 'bb'" in text and "did you mean 'b'?" in text
    assert "clusters.b.nodes[0]: names host 'bx'" in text
