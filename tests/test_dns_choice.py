"""Issue 25 (4): netui's drop-in choice is made in one place (plan/dns.py netui_forwards),
which both the planner (what it writes) and the doctor (what it judges others' lines against)
call: the two can no longer drift apart."""

from types import SimpleNamespace as C

import netui.doctor.dns as doctor_dns
import netui.plan.planner as planner
from netui.plan.dns import netui_forwards


def test_one_choice_for_planner_and_doctor() -> None:
    assert doctor_dns.netui_forwards is netui_forwards
    assert planner.netui_forwards is netui_forwards
    assert not hasattr(doctor_dns, "_netui_choice")


def test_choice_keeps_live_then_switch() -> None:
    clusters = [
        C(name="old", domain="cluster.local", dns_ip="10.96.0.10"),
        C(name="new", domain="cluster.local", dns_ip="10.43.0.10"),
        C(name="nodns", domain="x.local", dns_ip=None),
    ]
    first, notes = netui_forwards(clusters, None)
    assert [(f.cluster, f.dns_ip) for f in first] == [("old", "10.96.0.10")]
    assert notes and "cluster new also uses it" in notes[0]
    live = "server=/cluster.local/10.43.0.10\n"
    kept, _ = netui_forwards(clusters, live)
    assert [f.cluster for f in kept] == ["new"]
    switched, _ = netui_forwards(clusters, live, {"cluster.local": "old"})
    assert [f.cluster for f in switched] == ["old"]
