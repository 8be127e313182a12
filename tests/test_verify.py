from __future__ import annotations

from netui.discovery.model import ClusterInventory, ServiceInfo, ServicePort, Sourced
from netui.model.envfile import loads
from netui.model.findings import Finding
from netui.verify.names import AddressBook, explain
from netui.verify.probe import targets
from netui.verify.trace import Hop, parse_tracepath_pmtu, parse_traceroute_line


def test_traceroute_lines_parse_hops_stars_and_flags():
    assert (
        parse_traceroute_line("traceroute to 10.200.1.3 (10.200.1.3), 15 hops max, 60 byte packets")
        is None
    )
    assert parse_traceroute_line(" 1  10.1.3.1  0.061 ms") == Hop(1, "10.1.3.1", 0.061)
    assert parse_traceroute_line(" 2  *") == Hop(2, None)
    assert parse_traceroute_line("12  192.168.1.1  0.5 ms !N") == Hop(12, "192.168.1.1", 0.5, "!N")


def test_tracepath_reports_the_path_mtu():
    lines = [
        " 1?: [LOCALHOST]                      pmtu 1500",
        " 1:  10.1.3.1                                            0.064ms",
        " 2:  192.168.1.109                                       0.048ms pmtu 1450",
        "     Resume: pmtu 1450 hops 4 back 4",
    ]
    assert parse_tracepath_pmtu(lines) == 1450


def _finding(code: str, title: str, cluster: str = "a") -> Finding:
    return Finding(code, "error", "router", title, cluster=cluster)


def test_explain_names_the_finding_about_the_targets_own_network():
    book = AddressBook({"10.1.3.1": "office router (router)"}, hosts={"10.1.3.1": "router"})
    hops = [Hop(1, "10.1.3.1", 0.1), Hop(2, None), Hop(3, None), Hop(4, None)]
    findings = [
        _finding(
            "route-missing", "the office router has no route to cluster a services 10.96.0.0/12"
        ),
        _finding(
            "route-wrong-gateway",
            "the office router sends cluster a pods 10.200.0.0/16 via 192.168.1.243",
        ),
    ]

    class Inp:  # just the network map the explanation needs
        from netui.model.networks import KnownNetwork, NetworkMap

        networks = NetworkMap(
            [
                KnownNetwork("10.200.0.0/16", "pods", "a"),
                KnownNetwork("10.96.0.0/12", "services", "a"),
            ]
        )
        clusters: dict = {}

    book.inp = Inp()  # type: ignore[assignment]
    lines = explain(hops, "10.200.1.3", book, findings)
    assert lines[0].startswith("last answer at hop 1, 10.1.3.1 (office router (router))")
    assert "10.200.0.0/16 via 192.168.1.243" in lines[1]


def test_explain_reports_a_reached_target_and_a_loop():
    book = AddressBook({"10.1.3.1": "office router"})
    assert (
        explain([Hop(1, "10.1.3.1", 0.1), Hop(2, "10.9.9.9", 0.2)], "10.9.9.9", book, [])[0]
        == "reached 10.9.9.9 (target) in 2 hops"
    )
    loop = explain(
        [Hop(1, "10.1.3.1", 0.1), Hop(2, "192.168.1.9", 0.1), Hop(3, "10.1.3.1", 0.1)],
        "10.9.9.9",
        book,
        [],
    )
    assert loop[0].startswith("loop: hop 3 is office router again")


def test_probe_targets_are_pods_services_and_names_from_the_inventory():
    env = loads(
        "office: {cidrs: [10.1.3.0/24], probe_from: pc}\nhosts: {pc: local}\nclusters: {a: {}}\n",
        "e.yaml",
    )
    inv = ClusterInventory(
        "a",
        None,
        "cluster.local",
        None,
        pod_cidrs=[Sourced("10.200.0.0/16", "x")],
        dns_ip=Sourced("10.96.0.10", "x"),
    )
    inv.services = [
        ServiceInfo(
            "kubernetes",
            "default",
            "10.96.0.1",
            (ServicePort(443, "TCP"),),
            (("192.168.1.109", 6443, "TCP"),),
        ),
        ServiceInfo(
            "app",
            "default",
            "10.96.0.30",
            (ServicePort(80, "TCP"),),
            (("10.200.1.3", 8080, "TCP"),),
        ),
        ServiceInfo(
            "kube-dns",
            "kube-system",
            "10.96.0.10",
            (ServicePort(53, "UDP"),),
            (("10.200.1.4", 53, "UDP"),),
        ),
    ]
    got = {(t.kind, t.address, t.port, t.server, t.expect) for t in targets(env, {"a": inv})}
    assert got == {
        ("pod", "10.200.1.3", 8080, None, None),  # the node IP behind `kubernetes` is not a Pod
        ("service", "10.96.0.30", 80, None, None),  # UDP-only kube-dns gets no TCP probe
        ("dns", "app.default.svc.cluster.local", None, "10.96.0.10", "10.96.0.30"),
        ("dns", "kube-dns.kube-system.svc.cluster.local", None, "10.96.0.10", "10.96.0.10"),
    }


def test_hot_rules_rank_by_current_rate_and_draw_a_sparkline():
    from netui.model.iptables import parse_table
    from netui.model.snapshot import HostSnapshot
    from netui.screens.hot import RuleRates, sparkline

    def snap(t: float, masq: int, other: int) -> HostSnapshot:
        text = f"*nat\n:POSTROUTING ACCEPT [0:0]\n:KUBE-SEP-X - [0:0]\n[{masq}:0] -A POSTROUTING -s 10.1.3.0/24 -j MASQUERADE\n[{other}:0] -A POSTROUTING -j RETURN\n[999:0] -A KUBE-SEP-X -j DNAT --to-destination 10.200.1.2:80\nCOMMIT\n"
        return HostSnapshot("f", nat=parse_table(text), taken_at=t)

    rates = RuleRates()
    for t, m, o in (
        (0, 0, 10),
        (1, 5, 11),
        (2, 25, 12),
        (2, 99, 99),
    ):  # the last repeats t=2: ignored
        rates.add(snap(t, m, o))
    top = rates.top()
    assert [rates.where[k][1:3] for k, _, _ in top] == [("POSTROUTING", 1), ("POSTROUTING", 2)]
    assert top[0][1] == 20.0 and top[0][2] == [5.0, 20.0]
    assert all(
        "KUBE-SEP" not in rates.where[k][1] for k in rates.where
    )  # per-service chains skipped
    assert sparkline([0.0, 5.0, 20.0]) == " ▂█"


def test_the_probe_tally_counts_answers_from_another_cluster_apart():
    from netui.verify.probe import Result, Target, tally

    t = Target("a", "dns", "x", "x")
    results = [Result(t, True, 1), Result(t, None, 1), Result(t, None, 2), Result(t, False, None)]
    assert tally(results) == (
        "1 of 4 reachable, 2 answered by another cluster (a shared domain), 1 failed"
    )
    assert tally(results[:1]) == "1 of 1 reachable"
