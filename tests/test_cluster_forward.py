"""Cluster to cluster through the target forwarder's FORWARD (issue 25, item 2), on plain data:
cluster a lists b in reach_from; a's forwarder `fa` has `-P FORWARD DROP` and netui's chain
accepts only the office. The doctor names each of b's sources (nodes, Pods) it drops; the plan
accepts exactly those; a foreign DROP above netui's jump is answered by moving the jump."""

from __future__ import annotations

import json

from netui.discovery.model import ClusterInventory, NodeInfo
from netui.doctor import diagnose
from netui.doctor.filtering import forward_sources
from netui.model.iptables import parse
from netui.model.routes import RoutingTable, parse_routes
from netui.plan.kinds.forward_accept import ForwardAccept
from netui.plan.kinds.jump_move import JumpMove
from netui.plan.kinds.route import RouteChange
from netui.plan.model import HostPlan
from netui.plan.planner import make_plan
from netui.plan.render import apply_commands, rollback_script
from netui.plan.restore import RESTORE
from netui.plan.step import HostState

from .test_doctor import nat_text
from .test_nesting import REACH, world

OFFICE = "10.1.3.0/24"
A_RANGES = ("10.200.0.0/16", "10.96.0.0/12")
B_SOURCES = ("192.168.1.0/24", "10.100.0.0/16")  # b's nodes, b's Pods
JUMP = '-A FORWARD -m comment --comment "netui: owned chain" -j NETUI-FORWARD\n'


def accepts(pairs) -> str:
    return "".join(
        f'-A NETUI-FORWARD -s {s} -d {d} -m comment --comment "netui:p1" -j ACCEPT\n'
        f'-A NETUI-FORWARD -s {d} -d {s} -m comment --comment "netui:p1" -j ACCEPT\n'
        for s, d in pairs
    )


def filter_text(rules: str) -> str:
    return (
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        ":NETUI-FORWARD - [0:0]\n" + rules + "COMMIT\n"
    )


def fa_world(rules: str):
    inp = world(REACH)
    inp.snapshots["fa"].filter = parse(filter_text(rules)).table("filter")
    return inp


def blocked(findings):
    return [f for f in findings if f.code == "forward-blocked"]


OFFICE_ONLY = JUMP + accepts((OFFICE, d) for d in A_RANGES)


def test_the_sources_are_the_office_then_each_reach_from_clusters_nodes_and_pods():
    inp = world(REACH)
    assert forward_sources(inp, inp.clusters["a"]) == [
        ("the office", OFFICE),
        ("cluster b's nodes", "192.168.1.0/24"),
        ("cluster b's Pods", "10.100.0.0/16"),
    ]
    assert forward_sources(inp, inp.clusters["b"]) == [("the office", OFFICE)]  # not opted in


def test_a_forward_drop_on_the_target_names_each_source_and_the_plan_accepts_exactly_those():
    inp = fa_world(OFFICE_ONLY)
    found = blocked(diagnose(inp))
    assert {
        (f.host, f.fixes[-1].params["source"], f.fixes[-1].params["destination"]) for f in found
    } == {("fa", s, d) for s in B_SOURCES for d in A_RANGES}
    assert all(f.severity == "error" and f.cluster == "a" for f in found)
    assert any("from cluster b's Pods to 10.200.0.0/16" in f.title for f in found)
    plan = make_plan(inp, diagnose(inp))
    assert set(plan.hosts["fa"].of(ForwardAccept)) == {
        ForwardAccept(s, d) for s in B_SOURCES for d in A_RANGES
    }
    assert not plan.hosts["fa"].of(JumpMove)


def test_once_every_source_is_accepted_the_doctor_is_quiet():
    rules = JUMP + accepts((s, d) for s in (OFFICE, *B_SOURCES) for d in A_RANGES)
    assert blocked(diagnose(fa_world(rules))) == []


def test_a_foreign_drop_above_netuis_jump_is_answered_by_moving_the_jump_above_it():
    rules = JUMP + accepts((s, d) for s in (OFFICE, *B_SOURCES) for d in A_RANGES)
    inp = fa_world("-A FORWARD -s 10.100.0.0/16 -j DROP\n" + rules)
    found = blocked(diagnose(inp))
    assert {f.fixes[-1].params["source"] for f in found} == {"10.100.0.0/16"}
    moves = [ch for f in found for ch in f.fixes if ch.kind == "jump-move"]
    assert len(moves) == len(A_RANGES)  # one per blocked pair, the same move
    assert all(m.params == {"table": "filter", "from": "2", "to": "1"} for m in moves)
    assert "above FORWARD #1 `-s 10.100.0.0/16 -j DROP`" in moves[0].summary
    plan = make_plan(inp, diagnose(inp))
    assert plan.hosts["fa"].of(JumpMove) == [JumpMove("filter", 2, 1)]
    assert not plan.hosts["fa"].of(ForwardAccept)  # netui's chain holds them all already


# b's nodes do not masquerade their Pods' egress (no CNI masquerade): a's forwarder, whose
# default gateway is not the office router, needs a route back to b's Pods through b's forwarder
DCGW_DEFAULT = [{"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"}]


def routed_world(fa_routes, b_nodes_masquerade: bool, inventory=None):
    inp = world(REACH, inventory=inventory)
    fa = inp.snapshots["fa"]
    fa.routes = RoutingTable(parse_routes(json.dumps(fa_routes)), fa.routes.interfaces)
    if b_nodes_masquerade:
        cni = "-A POSTROUTING -s 10.100.0.0/16 ! -d 10.100.0.0/16 -j MASQUERADE\n"
        for h in ("fb", "bw"):
            inp.snapshots[h].nat = parse(nat_text(cni)).table("nat")
    return inp


def return_routes(findings):
    return [f for f in findings if f.code == "cluster-return-route-missing"]


def test_unmasqueraded_source_pods_get_a_return_route_on_the_target_forwarder():
    inp = routed_world(DCGW_DEFAULT, b_nodes_masquerade=False)
    [f] = return_routes(diagnose(inp))
    assert (f.host, f.severity, f.cluster) == ("fa", "error", "a")
    assert "no way back to cluster b's Pods 10.100.0.0/16" in f.title
    assert [(c.kind, c.params) for c in f.fixes] == [
        ("route-replace", {"cidr": "10.100.0.0/16", "via": "192.168.1.243"})
    ]
    assert (
        RouteChange("10.100.0.0/16", "192.168.1.243")
        in make_plan(inp, diagnose(inp)).hosts["fa"].steps
    )


def test_no_return_route_is_asked_when_the_source_masquerades_or_the_router_carries_it():
    assert return_routes(diagnose(routed_world(DCGW_DEFAULT, b_nodes_masquerade=True))) == []
    via_router = [{"dst": "default", "gateway": "192.168.1.1", "dev": "eth0"}]
    assert return_routes(diagnose(routed_world(via_router, b_nodes_masquerade=False))) == []
    routed = [*DCGW_DEFAULT, {"dst": "10.100.0.0/16", "gateway": "192.168.1.243", "dev": "eth0"}]
    assert return_routes(diagnose(routed_world(routed, b_nodes_masquerade=False))) == []


def test_with_the_nodes_podcidrs_known_each_goes_back_to_its_own_node():
    """Not through b's forwarder: with reach_from both ways it masquerades a's sources on their
    way into b, so an answer crossing it would come back from the wrong address."""
    nodes = [
        NodeInfo("fb", ("control-plane",), "192.168.1.243", ("10.100.0.0/24",), (), True),
        NodeInfo("bw", (), "192.168.1.244", ("10.100.1.0/24",), (), True),
    ]
    inv = {"b": ClusterInventory("b", None, "cluster.local", "fb", nodes=nodes)}
    inp = routed_world(DCGW_DEFAULT, b_nodes_masquerade=False, inventory=inv)
    found = return_routes(diagnose(inp))
    assert [f.fixes[0].params for f in found] == [
        {"cidr": "10.100.0.0/24", "via": "192.168.1.243"},
        {"cidr": "10.100.1.0/24", "via": "192.168.1.244"},
    ]
    assert "should go to bw (192.168.1.244)" in found[1].title


def test_the_filter_jump_move_renders_as_one_restore_and_its_inverse_puts_it_back():
    rules = JUMP + accepts((s, d) for s in (OFFICE, *B_SOURCES) for d in A_RANGES)
    before = filter_text("-A FORWARD -s 10.100.0.0/16 -j DROP\n" + rules)
    state = HostState({"nat": None, "filter": parse(before).table("filter")}, {}, 1, {})
    hp = HostPlan("fa", [JumpMove("filter", 2, 1)])
    [restore] = [c for c in apply_commands(hp, "p2", state) if c.argv == RESTORE]
    jump = '-m comment --comment "netui: owned chain" -j NETUI-FORWARD'
    assert f"*filter\n-D FORWARD {jump}\n-I FORWARD 1 {jump}\n" in (restore.stdin or "")
    script = rollback_script(hp, "p2", HostState())
    assert (
        "-t filter -I FORWARD 2 -m comment --comment 'netui: owned chain' -j NETUI-FORWARD"
        in script
    )
