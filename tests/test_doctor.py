"""The doctor on plain data: each code fires where it must and stays silent on near misses."""

from __future__ import annotations

import json

import pytest

from netui.discovery.model import ClusterInventory, Sourced
from netui.doctor import diagnose
from netui.doctor.context import build_input
from netui.model.envfile import loads
from netui.model.iptables import parse
from netui.model.routes import RoutingTable, parse_addresses, parse_routes
from netui.model.snapshot import HostSnapshot
from netui.model.sysctl import SysctlFile

from .conftest import FIXTURES

ENV = """\
office: {cidrs: [10.1.3.0/24], router: r}
hosts: {r: local, f: local}
clusters:
  a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12], dns_ip: 10.96.0.10, forwarder: f}
"""
GOOD_NAT = (
    '-A POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\n'
    '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE\n'
    '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.96.0.0/12 -m comment --comment "netui:p1" -j MASQUERADE\n'
)
PERSISTED = [SysctlFile("/etc/sysctl.d/90-netui-ip-forward.conf", "net.ipv4.ip_forward = 1\n")]
F_ROUTES = [
    {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"},
    {"dst": "10.1.3.0/24", "gateway": "192.168.1.1", "dev": "eth0"},
    {"dst": "192.168.1.0/24", "dev": "eth0", "scope": "link"},
]
R_ROUTES = [
    {"dst": "10.200.0.0/16", "gateway": "192.168.1.109", "dev": "eth1"},
    {"dst": "10.96.0.0/12", "gateway": "192.168.1.109", "dev": "eth1"},
]


def nat_text(rules: str, chains: str = ":NETUI-POSTROUTING - [0:0]\n") -> str:
    return (
        "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
        + chains
        + rules
        + "COMMIT\n"
    )


def addrs(ifname: str, *cidrs: str) -> str:
    return json.dumps(
        [
            {
                "ifname": ifname,
                "addr_info": [
                    {"family": "inet", "local": c.split("/")[0], "prefixlen": int(c.split("/")[1])}
                    for c in cidrs
                ],
            }
        ]
    )


def doctor_input(
    nat: str = nat_text(GOOD_NAT),
    *,
    env: str = ENV,
    ip_forward: int = 1,
    sysctl=PERSISTED,
    f_routes=F_ROUTES,
    r_routes=R_ROUTES,
    filter_text: str = "",
    files=None,
    inventory=None,
):
    saved = parse(nat + filter_text)
    f = HostSnapshot(
        "f",
        nat=saved.table("nat"),
        filter=saved.table("filter"),
        ip_forward=ip_forward,
        sysctl_files=list(sysctl),
        files=files or {},
    )
    f.routes = RoutingTable(
        parse_routes(json.dumps(f_routes)), parse_addresses(addrs("eth0", "192.168.1.109/24"))
    )
    r = HostSnapshot("r", ip_forward=1)
    r.routes = RoutingTable(
        parse_routes(json.dumps(r_routes)),
        parse_addresses(addrs("eth1", "192.168.1.1/24"))
        + parse_addresses(addrs("eth0", "10.1.3.1/24")),
    )
    return build_input(loads(env, "env.yaml"), {"f": f, "r": r}, inventory or {})


def run(*args, **kwargs):
    return diagnose(doctor_input(*args, **kwargs))


def codes(findings) -> set[str]:
    return {f.code for f in findings if f.severity in ("error", "warning")}


def test_a_connected_forwarder_and_router_have_no_findings():
    assert codes(run()) == set()


def test_forwarding_off_and_not_persisted():
    assert "forwarding-off" in codes(run(ip_forward=0))
    assert codes(run(sysctl=[])) == {"forwarding-not-persisted"}
    ignored = [SysctlFile("/etc/sysctl.d/ip_forward", "net.ipv4.ip_forward=1\n")]
    f = next(x for x in run(sysctl=ignored) if x.code == "forwarding-not-persisted")
    assert any("nothing reads that file" in e for e in f.evidence)


@pytest.mark.parametrize(
    "rules, code",
    [
        ("", "masquerade-missing"),
        (
            GOOD_NAT + "-A POSTROUTING -s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE\n",
            "masquerade-reversed",
        ),
        (
            GOOD_NAT + "-A POSTROUTING -s 110.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE\n",
            "cidr-unknown",
        ),
        (
            GOOD_NAT
            + "-A POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/61 -j MASQUERADE\n".replace(
                "/61", "/16"
            ).replace("10.200", "10.20"),
            "cidr-unknown",
        ),
        ("-A POSTROUTING -s 10.1.3.0/24 -j RETURN\n" + GOOD_NAT, "rule-shadowed"),
        ("-A POSTROUTING -d 10.96.0.0/12 -j ACCEPT\n" + GOOD_NAT, "rule-shadowed"),
        (GOOD_NAT + "-A POSTROUTING -s 10.1.3.0/24 -j MASQUERADE\n", "masquerade-too-broad"),
    ],
)
def test_masquerade_mistakes_fire(rules, code):
    assert code in codes(run(nat_text(rules)))


def test_a_shadowed_rule_names_the_winner_with_position_and_counters():
    nat = nat_text("[7:420] -A POSTROUTING -s 10.1.3.0/24 -j RETURN\n" + GOOD_NAT)
    f = next(x for x in run(nat) if x.code == "rule-shadowed")
    assert f.evidence[0] == "wins: POSTROUTING #1 [7 pkts, 420 bytes]: -s 10.1.3.0/24 -j RETURN"
    # the rule that never fires is netui's own: its jump goes above the winner, nothing is added
    assert [(c.kind, c.params) for c in f.fixes] == [
        ("jump-move", {"table": "nat", "from": "2", "to": "1"})
    ]


def test_cidr_unknown_names_the_network_it_probably_meant():
    nat = nat_text(GOOD_NAT + "-A POSTROUTING -s 110.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE\n")
    f = next(x for x in run(nat) if x.code == "cidr-unknown")
    assert "probably meant 10.1.3.0/24 (office)" in f.title


@pytest.mark.parametrize(
    "rules",
    [
        "-A POSTROUTING -s 10.9.0.0/16 -j RETURN\n"
        + GOOD_NAT,  # a RETURN for other sources does not shadow
        "-A POSTROUTING -d 192.168.50.0/24 -j ACCEPT\n"
        + GOOD_NAT,  # nor one for other destinations
        "-A POSTROUTING -j KUBE-POSTROUTING\n-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n"
        + GOOD_NAT,  # user-chain RETURN
        GOOD_NAT
        + "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n",  # Docker's bridge masquerade
        GOOD_NAT
        + "-A POSTROUTING -s 10.1.3.0/24 -o wan0 -j MASQUERADE\n",  # scoped by interface: not blanket
        GOOD_NAT
        + "-A POSTROUTING -s 10.1.3.0/24 -d 10.200.5.0/24 -j MASQUERADE\n",  # a subnet of a known network
    ],
)
def test_near_misses_stay_silent(rules):
    chains = ":NETUI-POSTROUTING - [0:0]\n:KUBE-POSTROUTING - [0:0]\n"
    assert codes(run(nat_text(rules, chains))) == set()


@pytest.mark.parametrize(
    "fixture",
    [
        "kube-proxy.nft.txt",
        "calico.legacy.txt",
        "flannel.nft.txt",
        "cilium.nft.txt",
        "docker.legacy.txt",
    ],
)
def test_real_world_tables_with_netuis_chain_give_no_false_positives(fixture):
    text = (FIXTURES / "iptables" / fixture).read_text()
    lines = parse(text).table("nat").render()[1:-1]  # without *nat and COMMIT
    decls = "".join(line + "\n" for line in lines if line.startswith(":"))
    rules = "".join(line + "\n" for line in lines if not line.startswith(":"))
    # netui's chain jump goes first in POSTROUTING, as apply puts it
    combined = "*nat\n" + decls + ":NETUI-POSTROUTING - [0:0]\n" + GOOD_NAT + rules + "COMMIT\n"
    found = codes(run(combined))
    assert found == set(), found


def test_routes_missing_wrong_gateway_and_return_route():
    assert codes(run(r_routes=[])) == {"route-missing"}
    wrong = [{"dst": "10.200.0.0/16", "gateway": "192.168.1.243", "dev": "eth1"}, R_ROUTES[1]]
    assert codes(run(r_routes=wrong)) == {"route-wrong-gateway"}
    assert codes(run(f_routes=[F_ROUTES[0], F_ROUTES[2]])) == {"no-return-route"}
    # a more specific route covering only part of the pod range is not enough
    partial = [{"dst": "10.200.1.0/24", "gateway": "192.168.1.109", "dev": "eth1"}, R_ROUTES[1]]
    assert codes(run(r_routes=partial)) == {"route-missing"}


def test_forward_policy_drop_blocks_unless_an_accept_lets_the_office_through():
    drop = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    assert codes(run(filter_text=drop)) == {"forward-blocked"}
    ok = drop.replace("COMMIT", "-A FORWARD -s 10.1.3.0/24 -j ACCEPT\nCOMMIT")
    assert codes(run(filter_text=ok)) == set()


def test_overlapping_cidrs_and_host_bits_from_discovery():
    env = ENV.replace("pod_cidrs: [10.200.0.0/16]", "pod_cidrs: [10.1.0.0/16]")
    assert "cidr-overlap" in codes(run(env=env))
    inv = ClusterInventory(
        "a",
        None,
        "cluster.local",
        "f",
        candidates={"pod_cidrs": [Sourced("10.200.1.0/16", "kubeadm-config")]},
    )
    assert "cidr-host-bits" in codes(run(inventory={"a": inv}))


def test_dns_loop_and_domain_sent_to_the_wrong_dns():
    loop = {"/etc/dnsmasq.d/x.conf": "listen-address=192.168.1.109\nserver=192.168.1.109\n"}
    assert codes(run(files=loop)) == {"dns-loop"}
    wrong = {"/etc/dnsmasq.d/x.conf": "server=/cluster.local/10.43.0.10\n"}
    assert codes(run(files=wrong)) == {"dns-domain-conflict"}
    right = {
        "/etc/dnsmasq.d/x.conf": "server=/cluster.local/10.96.0.10\nserver=1.1.1.1\n",
        "/etc/other.conf": "server=192.168.1.109\n",
    }
    assert codes(run(files=right)) == set()


def test_every_finding_of_a_mistake_carries_a_fix():
    findings = run(
        nat_text("-A POSTROUTING -s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE\n"),
        ip_forward=0,
        r_routes=[],
    )
    assert findings and all(f.fixes for f in findings if f.severity == "error")


def test_kube_proxys_mark_dependent_masquerade_is_not_called_the_shadowed_rule():
    chains = ":NETUI-POSTROUTING - [0:0]\n:KUBE-POSTROUTING - [0:0]\n"
    rules = "-A POSTROUTING -s 10.1.3.0/24 -j RETURN\n-A POSTROUTING -j KUBE-POSTROUTING\n-A KUBE-POSTROUTING -j MASQUERADE --random-fully\n"
    found = {f.code for f in run(nat_text(rules, chains))}
    assert "masquerade-missing" in found and "rule-shadowed" not in found


def test_hundreds_of_kube_proxy_services_give_no_false_positives():
    from netui.lab.kubeproxy import rules
    from netui.lab.topology import CLUSTER_A

    restore = rules(CLUSTER_A, extra_services=400)
    decls = (
        "".join(line + "\n" for line in restore.splitlines() if line.startswith(":"))
        + ":NETUI-POSTROUTING - [0:0]\n"
    )
    body = GOOD_NAT + "".join(
        line + "\n" for line in restore.splitlines() if line.startswith("-A ")
    )
    assert codes(run(nat_text(body, decls))) == set()


def test_fixing_one_finding_plans_exactly_its_change():
    from netui.plan.kinds.foreign_delete import ForeignDelete
    from netui.plan.kinds.forwarding_on import ForwardingOn
    from netui.plan.kinds.masquerade import Masquerade
    from netui.plan.model import PlanRefused
    from netui.plan.planner import plan_for_finding

    reversed_rule = "-s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE"
    # netui's chain holds only the services rule: what the reversed rule meant is not there yet
    services_only = "".join(GOOD_NAT.splitlines(keepends=True)[0::2])
    inp = doctor_input(nat_text(services_only + f"-A POSTROUTING {reversed_rule}\n"), ip_forward=0)
    findings = {f.code: f for f in diagnose(inp)}
    # a foreign rule the doctor says is wrong is deleted, explicitly, with its position for undo,
    # and what it meant goes into netui's chain: exactly what the finding promises
    plan = plan_for_finding(inp, findings["masquerade-reversed"])
    assert list(plan.hosts) == ["f"]
    hp = plan.hosts["f"]
    assert hp.of(ForeignDelete) == [ForeignDelete("nat", "POSTROUTING", reversed_rule, 2)]
    assert hp.of(Masquerade) == [Masquerade("10.1.3.0/24", "10.200.0.0/16")]
    assert not hp.of(ForwardingOn)
    # a connecting fix goes into netui's own state, nothing else
    plan = plan_for_finding(inp, findings["forwarding-off"])
    assert plan.hosts["f"].of(ForwardingOn) and not plan.hosts["f"].of(ForeignDelete)
    missing = next(f for f in run(nat_text("")) if f.code == "masquerade-missing")
    plan = plan_for_finding(doctor_input(nat_text("")), missing)
    assert plan.hosts["f"].of(Masquerade) == [
        Masquerade("10.1.3.0/24", missing.fixes[0].params["destination"])
    ]
    # kept for boot like every plan, on a host whose boot runs netui's unit (the doctor warned
    # `not-persisted` of a fix made from its own pane)
    from netui.model.bootstate import boot_facts
    from netui.plan.kinds.boot_persisted import BootPersisted

    assert not hp.of(BootPersisted)  # f: no systemd there
    inp.snapshots["f"].boot = boot_facts("running", {}, set())
    plan = plan_for_finding(inp, findings["masquerade-reversed"])
    assert plan.hosts["f"].of(BootPersisted) == [BootPersisted()]
    # a finding with no change netui can make says so, and plans nothing
    from netui.model.findings import Finding

    overlap = Finding("cidr-overlap", "error", None, "office and cluster a overlap")
    with pytest.raises(PlanRefused, match="cidr-overlap: netui has no change for this finding"):
        plan_for_finding(inp, overlap)


def test_fix_all_plans_the_explicit_fixes_too_and_each_finding_shows_what_it_promises():
    from netui.plan.kinds.dns_drop_in import DnsDropIn
    from netui.plan.kinds.file_edit import FileEdit
    from netui.plan.kinds.foreign_delete import ForeignDelete
    from netui.plan.planner import make_plan

    reversed_rule = "-s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE"
    conf = "# by hand\nlisten-address=192.168.1.109\nserver=192.168.1.109\n"
    env = ENV + "dns: {host: f, listen: 192.168.1.109, conf_dir: /etc/dnsmasq.d}\n"
    inp = doctor_input(
        nat_text(GOOD_NAT + f"-A POSTROUTING {reversed_rule}\n"),
        env=env,
        files={"/etc/dnsmasq.d/office.conf": conf},
    )
    findings = diagnose(inp)
    assert {"masquerade-reversed", "dns-loop"} <= {f.code for f in findings}
    # the connecting plan leaves foreign rules and files alone
    plain = make_plan(inp, findings)
    assert not plain.hosts.get("f") or not plain.hosts["f"].of(ForeignDelete)
    # fix-all: the wrong rule deleted, the looping line removed (before/after kept for undo)
    full = make_plan(inp, findings, fix_all=True)
    hp = full.hosts["f"]
    assert [r.rule for r in hp.of(ForeignDelete)] == [reversed_rule]
    [edit] = hp.of(FileEdit)
    assert edit.path == "/etc/dnsmasq.d/office.conf" and edit.before == conf
    assert edit.after == "# by hand\nlisten-address=192.168.1.109\n"
    assert "dns-loop" in edit.why
    # with the loop gone, netui's own drop-in is planned in the same plan
    [dns] = hp.of(DnsDropIn)
    assert "server=/cluster.local/10.96.0.10" in dns.content
    assert dns.reload == "systemctl restart dnsmasq"  # what the reload costs is said first
    assert any("restarts to read the new lines" in n for n in full.notes), full.notes


TWO_CLUSTERS_ONE_DOMAIN = ENV + (
    "  b: {pod_cidrs: [10.210.0.0/16], service_cidrs: [10.43.0.0/16], dns_ip: 10.43.0.10, forwarder: f}\n"
)


def _domain_conflicts(files):
    found = run(env=TWO_CLUSTERS_ONE_DOMAIN, files={"/etc/dnsmasq.d/x.conf": files})
    return [f for f in found if f.code == "dns-domain-conflict"]


def test_a_shared_domain_is_one_finding_per_host_and_domain_never_two_that_contradict():
    # two lines to the two clusters' DNS: once, "at once", both lines as evidence and removable
    (both,) = _domain_conflicts(
        "server=/cluster.local/10.96.0.10\nserver=/cluster.local/10.43.0.10\n"
    )
    assert both.severity == "warning" and "cluster a and cluster b at once" in both.title
    assert len(both.evidence) == 3 and len(both.fixes) == 2
    # one cluster wins however many lines say it; the other is named as unresolvable
    (wins,) = _domain_conflicts(
        "server=/cluster.local/10.96.0.10\nserver=/cluster.local/10.96.0.10\n"
    )
    assert wins.severity == "warning" and wins.title.startswith(
        "cluster.local is forwarded to cluster a;"
    )
    # a line to no cluster's DNS is the worst: its error alone, no warning beside it
    worst = _domain_conflicts("server=/cluster.local/10.96.0.10\nserver=/cluster.local/10.9.9.9\n")
    assert [f.severity for f in worst] == ["error"] and "10.9.9.9" in worst[0].title


SPLIT_ENV = TWO_CLUSTERS_ONE_DOMAIN + (
    "dns: {host: f, listen: 192.168.1.109, conf_dir: /etc/dnsmasq.d, reload: systemctl restart dnsmasq}\n"
)


def test_a_foreign_line_forwarding_netuis_domain_elsewhere_is_an_error_and_never_planned_beside():
    from netui.plan.kinds.dns_drop_in import DnsDropIn
    from netui.plan.kinds.file_edit import FileEdit
    from netui.plan.planner import make_plan

    by_hand = {"/etc/dnsmasq.d/office.conf": "server=/cluster.local/10.43.0.10\n"}
    inp = doctor_input(env=SPLIT_ENV, files=by_hand)
    found = diagnose(inp)
    (split,) = [f for f in found if f.code == "dns-forward-split"]
    assert split.severity == "error" and "cluster a (10.96.0.10)" in split.title
    assert "netui dns switch cluster.local b" in split.evidence[1]
    # a plain apply writes no drop-in beside it (dnsmasq would ask both) and says why
    plain = make_plan(inp, found)
    assert not plain.host("f").of(DnsDropIn)
    assert any("office.conf:1" in n and "elsewhere than netui's drop-in" in n for n in plain.notes)
    # fix-all removes the line and then writes the drop-in
    fixed = make_plan(inp, found, fix_all=True)
    (edit,) = fixed.host("f").of(FileEdit)
    assert edit.path == "/etc/dnsmasq.d/office.conf" and edit.after == ""
    (drop_in,) = fixed.host("f").of(DnsDropIn)
    assert "server=/cluster.local/10.96.0.10" in drop_in.content
    # the same line beside a drop-in that already forwards there is no split
    agreeing = {"/etc/dnsmasq.d/office.conf": "server=/cluster.local/10.96.0.10\n"}
    assert not [f for f in run(env=SPLIT_ENV, files=agreeing) if f.code == "dns-forward-split"]
