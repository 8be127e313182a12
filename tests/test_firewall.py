"""The whole firewall of a host: native nft rule sets (real `nft -j` output, sources in
tests/fixtures/nft/README.md) read into tables and base chains, packets walked across every
table, and the doctor naming the table/chain/handle that decides."""

from __future__ import annotations

import json
from pathlib import Path

from netui.discovery.model import ClusterInventory, Sourced
from netui.doctor import diagnose
from netui.doctor.context import build_input
from netui.doctor.nftwalk import Conntrack, walk_chain
from netui.doctor.path import forward_path
from netui.doctor.walk import Packet
from netui.model.envfile import loads
from netui.model.frames import Section
from netui.model.nftables import parse_ruleset
from netui.model.snapshot import HostSnapshot, parse_snapshot

NFT = Path(__file__).parent / "fixtures" / "nft"
ENV = """\
office: {cidrs: [10.1.3.0/24], router: r}
hosts: {r: local, f: local}
clusters:
  a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12], dns_ip: 10.96.0.10, forwarder: f}
"""
NETUI_NAT = (
    "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    ":POSTROUTING ACCEPT [7:420]\n:NETUI-POSTROUTING - [0:0]\n"
    '-A POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\n'
    '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE\n'
    '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.96.0.0/12 -m comment --comment "netui:p1" -j MASQUERADE\n'
    "COMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
)
F_ROUTES = [
    {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"},
    {"dst": "10.1.3.0/24", "gateway": "192.168.1.1", "dev": "eth0"},
    {"dst": "192.168.1.0/24", "dev": "eth0", "scope": "link"},
    {"dst": "10.200.0.0/16", "dev": "cni0", "scope": "link"},
]


def fixture(name: str) -> str:
    return (NFT / f"{name}.json").read_text()


def addrs(*pairs: tuple[str, str]) -> str:
    return json.dumps(
        [
            {
                "ifname": name,
                "addr_info": [
                    {"family": "inet", "local": c.split("/")[0], "prefixlen": int(c.split("/")[1])}
                ],
            }
            for name, c in pairs
        ]
    )


def script_output(sections: dict[str, str]) -> dict[str, Section]:
    """The snapshot script's sections as model/frames.read_frames gives them."""
    return {k: Section(v, "0") for k, v in sections.items()}


def forwarder(
    *nft_docs: str,
    saved: str = NETUI_NAT,
    routes=F_ROUTES,
    extra: dict[str, str] | None = None,
    ip_forward: int = 1,
) -> HostSnapshot:
    """A forwarder's snapshot parsed from the snapshot script's sections, as a real one is."""
    rs = [parse_ruleset(d) for d in nft_docs]
    tables = [k for r in rs for k in r.tables]
    sections = {
        "hostname": "f",
        "ip_forward": str(ip_forward),
        "iptables-version": "iptables v1.8.9 (nf_tables)",
        "tables": saved,
        "tables.rc": "0",
        "other-variant": "0",
        "nft-tables": "\n".join(f"table {k}" for k in (*tables, "ip nat", "ip filter")),
        **{f"nft:{k}": doc for k, doc in zip(tables, nft_docs, strict=False)},
        "routes": json.dumps(routes),
        "addresses": addrs(("eth0", "192.168.1.109/24"), ("cni0", "10.200.5.1/24")),
        "sysctl:/etc/sysctl.d/90-netui-ip-forward.conf": "net.ipv4.ip_forward = 1",
        **(extra or {}),
    }
    return parse_snapshot("f", script_output(sections))


def router(ip_forward: int = 1) -> HostSnapshot:
    r = parse_snapshot(
        "r",
        script_output(
            {
                "ip_forward": str(ip_forward),
                "routes": json.dumps(
                    [
                        {"dst": "10.200.0.0/16", "gateway": "192.168.1.109", "dev": "eth1"},
                        {"dst": "10.96.0.0/12", "gateway": "192.168.1.109", "dev": "eth1"},
                    ]
                ),
                "addresses": addrs(("eth1", "192.168.1.1/24"), ("eth0", "10.1.3.1/24")),
            }
        ),
    )
    return r


def diagnose_with(f: HostSnapshot, r: HostSnapshot | None = None, env: str = ENV, inventory=None):
    snaps = {"f": f, "r": r or router()}
    return diagnose(build_input(loads(env, "env.yaml"), snaps, inventory or {}))


def office(dst: str = "10.200.1.5", out: str | None = "cni0") -> Packet:
    return Packet("10.1.3.10", dst, in_iface="eth0", out_iface=out)


# --- the model ----------------------------------------------------------------------------


def test_firewalld_rule_set_is_read_with_hooks_priorities_and_handles():
    rs = parse_ruleset(fixture("firewalld-default"))
    t = rs.table("inet", "firewalld")
    assert t is not None and rs.version == "1.0.6"
    fwd = t.chains["filter_FORWARD"]
    assert (fwd.hook, fwd.prio, fwd.policy, fwd.type) == ("forward", 10, "accept", "filter")
    assert t.chains["nat_POSTROUTING"].prio == 110  # srcnat + 10
    assert t.chains["filter_FORWARD_ZONES"].hook is None  # a regular chain
    assert all(r.handle > 0 for r in fwd.rules)
    assert fwd.rules[-1].text == "reject with icmpx admin-prohibited"


def test_each_public_rule_set_gives_its_base_chains():
    forward = {
        name: sorted(
            (c.table, c.name, c.prio, c.policy)
            for c in parse_ruleset(fixture(name)).base_chains("forward")
        )
        for name in ("fw4", "docker", "kube-proxy")
    }
    assert forward["fw4"] == [
        ("fw4", "forward", 0, "drop"),
        ("fw4", "mangle_forward", -150, "accept"),
    ]
    assert forward["docker"] == [("docker-bridges", "filter-FORWARD", 0, "drop")]
    assert forward["kube-proxy"] == [("kube-proxy", "filter-forward", -110, "accept")]
    kp = parse_ruleset(fixture("kube-proxy")).table("ip", "kube-proxy")
    assert (
        kp is not None
        and kp.sets["service-ips"].is_map
        and len(kp.sets["service-ips"].elements) == 3
    )


def test_hook_map_orders_iptables_and_native_chains_by_priority():
    snap = forwarder(fixture("firewalld-default"), fixture("kube-proxy"))
    forward = [(c.label, c.priority) for c in snap.hooks["forward"]]
    assert forward == [
        ("table ip kube-proxy chain filter-forward", -110),
        ("iptables filter FORWARD", 0),
        ("table inet firewalld chain filter_FORWARD", 10),
    ]
    post = [c.label for c in snap.hooks["postrouting"]]
    assert post.index("iptables nat POSTROUTING") < post.index(
        "table inet firewalld chain nat_POSTROUTING"
    )
    iptables_post = next(c for c in snap.hooks["postrouting"] if c.source == "iptables")
    assert (iptables_post.packets, iptables_post.bytes) == (7, 420)
    assert "firewalld" in snap.firewall_managers and "kube-proxy" in snap.firewall_managers


def test_tables_iptables_nft_manages_are_read_from_iptables_save_only():
    snap = forwarder(fixture("fw4"))
    assert set(snap.nft_tables) >= {"ip nat", "ip filter", "inet fw4"}
    assert snap.nft is not None and set(snap.nft.tables) == {"inet fw4"}
    sources = {(c.table, c.source) for hook in snap.hooks.values() for c in hook}
    assert ("nat", "iptables") in sources and ("fw4", "nft") in sources


# --- walking native chains ----------------------------------------------------------------


def test_firewalld_rejects_office_to_pod_but_passes_what_kube_proxy_dnated():
    t = parse_ruleset(fixture("firewalld-default")).table("inet", "firewalld")
    assert t is not None
    w = walk_chain(t, "filter_FORWARD", office())
    assert w.verdict == "reject" and not w.uncertain
    assert w.decided_by is not None and w.decided_by.chain == "filter_FWD_public"
    assert f"handle {w.decided_by.handle}" in w.where()
    dnated = walk_chain(t, "filter_FORWARD", office(), Conntrack(status=frozenset({"dnat"})))
    assert dnated.verdict == "accept" and dnated.decided_by is not None
    assert "ct status dnat" in dnated.decided_by.text


def test_fw4_forward_rejects_what_no_zone_accepts_and_passes_lan_to_wan():
    t = parse_ruleset(fixture("fw4")).table("inet", "fw4")
    assert t is not None
    assert walk_chain(t, "forward", office()).verdict == "reject"
    lan = walk_chain(
        t, "forward", Packet("192.168.1.5", "8.8.8.8", in_iface="br-lan", out_iface="wan")
    )
    assert lan.verdict == "accept" and lan.decided_by is not None
    assert lan.decided_by.chain == "accept_to_wan"


def test_docker_forward_policy_drop_applies_to_traffic_no_bridge_claims():
    t = parse_ruleset(fixture("docker")).table("ip", "docker-bridges")
    assert t is not None
    w = walk_chain(t, "filter-FORWARD", office())
    assert w.verdict == "drop" and w.decided_by is None and "policy" in w.where()


def test_kube_proxy_nftables_service_is_dnated_to_an_endpoint_and_marked():
    t = parse_ruleset(fixture("kube-proxy")).table("ip", "kube-proxy")
    assert t is not None
    w = walk_chain(t, "nat-prerouting", office("10.96.0.20", out=None))
    assert w.verdict == "dnat" and w.nat_to == "10.200.1.7:8080"
    assert w.final_packet is not None and w.final_packet.dst == "10.200.1.7"
    assert w.final_packet.mark & 0x4000
    post = walk_chain(t, "nat-postrouting", w.final_packet)
    assert post.verdict == "masquerade"
    # a Pod address is not a Service: nothing happens to it here
    assert walk_chain(t, "nat-prerouting", office()).verdict == "accept"


def test_path_crosses_every_table_and_the_first_nat_decision_wins():
    snap = forwarder(fixture("firewalld-netui-policy"), fixture("kube-proxy"))
    path = forward_path(snap, office("10.96.0.20", out=None), lambda d: "cni0")
    assert path.blocked_by is None, path.lines()
    assert path.dnat_by is not None and path.dnat_by.chain.table == "kube-proxy"
    # netui's iptables MASQUERADE (priority 100) decides; firewalld's (110) is not called
    assert path.snat_by is not None and path.snat_by.chain.label == "iptables nat POSTROUTING"
    skipped = [h for h in path.hops if h.skipped]
    assert any(h.chain.table == "firewalld" for h in skipped)


def test_path_is_uncertain_for_an_ipvs_address_it_cannot_follow():
    snap = forwarder(
        extra={"addresses": addrs(("eth0", "192.168.1.109/24"), ("kube-ipvs0", "10.96.0.20/32"))}
    )
    path = forward_path(snap, office("10.96.0.20"), lambda d: "cni0")
    assert path.uncertain and "kube-ipvs0" in " ".join(path.notes)
    ipvs = "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\nTCP  0A600014:0050 rr\n  -> 0AC80107:1F90      Masq    1      0          0\n"
    snap = forwarder(
        extra={
            "addresses": addrs(("eth0", "192.168.1.109/24"), ("kube-ipvs0", "10.96.0.20/32")),
            "ip_vs": ipvs,
        }
    )
    path = forward_path(snap, office("10.96.0.20"), lambda d: "cni0")
    assert not path.uncertain and path.final is not None
    assert (path.final.dst, path.final.dport) == ("10.200.1.7", 8080)
    assert path.snat_by is not None  # then postrouting: netui's masquerade


# --- the doctor ---------------------------------------------------------------------------


def test_firewalld_forward_reject_is_named_with_its_handle_and_the_firewalld_fix():
    found = diagnose_with(forwarder(fixture("firewalld-default")))
    blocked = [f for f in found if f.code == "forward-blocked"]
    assert blocked and "table inet firewalld chain filter_FWD_public handle" in blocked[0].title
    assert blocked[0].fixes[0].kind == "firewalld-office"
    running = next(f for f in found if f.code == "firewalld-running")
    assert running.severity == "warning" and "a reload erases" in running.title
    assert any("zone of the office source: none" in e for e in running.evidence)


def test_firewalld_with_netui_zone_and_policy_is_quiet():
    zone = '<?xml version="1.0" encoding="utf-8"?>\n<zone>\n  <source address="10.1.3.0/24"/>\n</zone>\n'
    policy = (
        '<?xml version="1.0" encoding="utf-8"?>\n<policy target="ACCEPT">\n'
        + "".join(
            f'  <rule family="ipv4">\n    <destination address="{d}"/>\n    <masquerade/>\n  </rule>\n'
            for d in ("10.200.0.0/16", "10.96.0.0/12")
        )
        + '  <ingress-zone name="netui-office"/>\n  <egress-zone name="ANY"/>\n</policy>\n'
    )
    snap = forwarder(
        fixture("firewalld-netui-policy"),
        extra={
            "fw:/etc/firewalld/zones/netui-office.xml": zone,
            "fw:/etc/firewalld/policies/netui-office-out.xml": policy,
            "fw:/etc/firewalld/firewalld.conf": "DefaultZone=public\nFlushAllOnReload=yes\n",
        },
    )
    found = diagnose_with(snap)
    assert {f.code for f in found if f.severity != "info"} == set(), [f.title for f in found]


def test_netuis_own_policies_on_the_real_firewalld_accept_the_office_and_are_quiet():
    """firewalld-netui-policies.json: the real firewalld's table with the two files netui's
    firewalld fix writes (plan/kinds/firewalld_policy.py), loaded by `--reload`."""
    from netui.doctor.path import input_path
    from netui.plan.kinds.firewalld_policy import FirewalldPolicies

    files = FirewalldPolicies(("10.1.3.0/24",), ("10.200.0.0/16", "10.96.0.0/12"), True).wanted()
    snap = forwarder(
        fixture("firewalld-netui-policies"),
        extra={
            **{f"fw:{p}": t for p, t in files.items() if t},
            "fw:/etc/firewalld/firewalld.conf": "DefaultZone=public\nFlushAllOnReload=yes\n",
        },
    )
    path = forward_path(snap, office(), lambda d: "cni0")
    assert path.blocked_by is None, path.lines()
    dns = input_path(snap, Packet("10.1.3.10", "192.168.1.109", proto="udp", dport=53,
                                  in_iface="eth0", local_ips=("192.168.1.109",)))  # fmt: skip
    assert dns.blocked_by is None, dns.lines()
    found = diagnose_with(snap)
    assert not [f for f in found if f.severity == "error"], [f.title for f in found]
    running = next(f for f in found if f.code == "firewalld-running")
    assert running.severity == "info" and "netui-office-out" in running.title


def test_native_forward_drop_on_a_legacy_host_is_found_with_an_explicit_fix():
    doc = fixture("docker")
    legacy = NETUI_NAT
    snap = forwarder(doc, saved=legacy, extra={"iptables-version": "iptables v1.8.9 (legacy)"})
    blocked = next(f for f in diagnose_with(snap) if f.code == "forward-blocked")
    assert "docker-bridges" in blocked.title and "policy" in blocked.title
    fix = blocked.fixes[0]
    assert fix.kind == "nft-rule-insert" and fix.params["chain"] == "filter-FORWARD"


def test_an_earlier_native_snat_pre_empts_netuis_masquerade():
    rs = {
        "nftables": [
            {"table": {"family": "ip", "name": "office", "handle": 9}},
            {
                "chain": {
                    "family": "ip",
                    "table": "office",
                    "name": "post",
                    "handle": 1,
                    "type": "nat",
                    "hook": "postrouting",
                    "prio": 50,
                    "policy": "accept",
                }
            },
            {
                "rule": {
                    "family": "ip",
                    "table": "office",
                    "chain": "post",
                    "handle": 4,
                    "expr": [
                        {
                            "match": {
                                "op": "==",
                                "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                                "right": {"prefix": {"addr": "10.1.3.0", "len": 24}},
                            }
                        },
                        {"snat": {"addr": "203.0.113.9"}},
                    ],
                }
            },
        ]
    }
    found = diagnose_with(forwarder(json.dumps(rs)))
    pre = [f for f in found if f.code == "nat-preempted"]
    assert (
        pre
        and "table ip office chain post handle 4" in pre[0].title
        and "203.0.113.9" in pre[0].title
    )
    assert pre[0].fixes[0].kind == "nft-rule-insert"


def test_office_router_with_forwarding_off_is_an_error():
    found = diagnose_with(forwarder(), router(ip_forward=0))
    off = [f for f in found if f.code == "forwarding-off" and f.host == "r"]
    assert off and off[0].severity == "error"
    assert {c.kind for c in off[0].fixes} == {"forwarding-on", "forwarding-persist"}


def test_managers_ufw_nftables_conf_rp_filter_and_link_local_dns():
    extra = {
        "fw:/etc/ufw/ufw.conf": "ENABLED=yes\n",
        "fw:/etc/default/ufw": 'DEFAULT_FORWARD_POLICY="DROP"\n',
        "fw:/etc/nftables.conf": "#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n}\n",
        "nftables-enabled": "/etc/systemd/system/sysinit.target.wants/nftables.service",
        "rp_filter": "all 1\ndefault 1\neth0 1\n",
    }
    routes = [
        *F_ROUTES[:1],
        {"dst": "10.1.3.0/24", "gateway": "10.200.0.254", "dev": "cni0"},
        *F_ROUTES[2:],
    ]
    env = ENV.replace(", dns_ip: 10.96.0.10", "")
    inv = {
        "a": ClusterInventory(
            "a", None, "cluster.local", "f", dns_ip=Sourced("169.254.20.10", "kube-dns")
        )
    }
    found = diagnose_with(forwarder(extra=extra, routes=routes), env=env, inventory=inv)
    got = {f.code for f in found}
    assert {"ufw-routed-deny", "nftables-conf-flushes", "rp-filter-strict", "dns-link-local"} <= got
    ufw = next(f for f in found if f.code == "ufw-routed-deny")
    assert "ufw route allow from 10.1.3.0/24 to 10.200.0.0/16" in ufw.evidence


def test_plain_iptables_host_gets_no_firewall_findings():
    found = diagnose_with(forwarder())
    assert {f.code for f in found if f.severity != "info"} == set(), [f.title for f in found]


# --- the CLI face -------------------------------------------------------------------------


def test_show_firewall_lists_every_base_chain_per_hook_in_order(capsys):
    from netui.commands.firewall import show_firewall

    snap = forwarder(fixture("firewalld-default"), fixture("kube-proxy"))
    assert show_firewall("f", snap, as_json=False) == 0
    out = capsys.readouterr().out
    forward = out.split("\nforward\n", 1)[1].split("\n\n", 1)[0]
    order = [line.split()[1:3] for line in forward.splitlines()[1:]]
    assert [o[0] for o in order] == ["table", "iptables", "table"]
    assert "firewalld, kube-proxy" in out.splitlines()[0]
    assert "7/420" in out  # iptables POSTROUTING policy counters
    show_firewall("f", snap, as_json=True)
    data = json.loads(capsys.readouterr().out)
    assert [c["table"] for c in data["hooks"]["forward"]] == ["kube-proxy", "filter", "firewalld"]
    assert data["hooks"]["forward"][2]["priority"] == 10


def test_show_firewall_escapes_what_a_host_sends(capsys):
    from netui.commands.firewall import show_firewall

    doc = json.loads(fixture("docker"))
    for item in doc["nftables"]:
        for kind in ("table", "chain"):
            if kind in item:
                key = "name" if kind == "table" else "table"
                item[kind][key] = "docker\x1b[2Jbridges"
            if "rule" in item:
                item["rule"]["table"] = "docker\x1b[2Jbridges"
    show_firewall("f", forwarder(json.dumps(doc)), as_json=False)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2J" in out


def test_the_plan_turns_the_office_routers_forwarding_on_now_and_at_boot():
    from netui.doctor.context import build_input
    from netui.plan.planner import make_plan

    inp = build_input(loads(ENV, "env.yaml"), {"f": forwarder(), "r": router(ip_forward=0)}, {})
    plan = make_plan(inp, diagnose(inp))
    from netui.plan.kinds.forwarding_on import ForwardingOn
    from netui.plan.kinds.forwarding_persisted import ForwardingPersisted

    hp = plan.host("r")
    assert hp.of(ForwardingOn) and hp.of(ForwardingPersisted)


def test_the_firewall_managers_files_are_read_field_by_field():
    from netui.model.firewall import (
        FIREWALLD_CONF,
        FIREWALLD_POLICIES,
        FIREWALLD_ZONES,
        UFW_CONF,
        UFW_DEFAULTS,
        FirewalldPolicy,
        FirewalldZone,
        FirewallFacts,
    )

    zone = (
        '<?xml version="1.0" encoding="utf-8"?>\n<zone target="ACCEPT">\n'
        '  <source address="10.1.3.0/24"/>\n  <source address="10.1.4.0/24"/>\n'
        '  <interface name="eth1"/>\n  <forward/>\n</zone>\n'
    )
    policy = (
        '<policy priority="-1" target="CONTINUE">\n  <ingress-zone name="office"/>\n'
        '  <egress-zone name="ANY"/>\n  <rule family="ipv4">\n'
        '    <destination address="10.200.0.0/16"/>\n    <masquerade/>\n  </rule>\n</policy>\n'
    )
    facts = FirewallFacts(
        {
            FIREWALLD_CONF: "# c\nDefaultZone=public\nFlushAllOnReload='yes'\n",
            f"{FIREWALLD_ZONES}/office.xml": zone,
            f"{FIREWALLD_ZONES}/notes.txt": "not a zone",
            f"{FIREWALLD_ZONES}/bare.xml": "<zone>\n</zone>\n",
            f"{FIREWALLD_POLICIES}/office-out.xml": policy,
            UFW_CONF: 'ENABLED="Yes"\n',
            UFW_DEFAULTS: "DEFAULT_FORWARD_POLICY=DROP\n",
        }
    )
    assert facts.firewalld_conf == {"DefaultZone": "public", "FlushAllOnReload": "yes"}
    assert facts.firewalld_zones() == [
        FirewalldZone("bare", f"{FIREWALLD_ZONES}/bare.xml", None, (), (), False, False),
        FirewalldZone(
            "office",
            f"{FIREWALLD_ZONES}/office.xml",
            "ACCEPT",
            ("10.1.3.0/24", "10.1.4.0/24"),
            ("eth1",),
            True,
            False,
        ),
    ]
    assert facts.firewalld_policies() == [
        FirewalldPolicy(
            "office-out",
            f"{FIREWALLD_POLICIES}/office-out.xml",
            "CONTINUE",
            ("office",),
            ("ANY",),
            ("10.200.0.0/16",),
        )
    ]
    assert facts.ufw_enabled and facts.ufw_forward_policy == "DROP"
    none = FirewallFacts()
    assert none.firewalld_conf is None and not none.ufw_enabled and none.ufw_forward_policy is None


def test_the_faces_list_the_other_tables_read_only_escaped_and_none_on_a_plain_host():
    from netui.widgets.firewall_text import firewall_text, other_tables_line

    f = forwarder(fixture("firewalld-default"))
    line = other_tables_line(f)
    assert line is not None and line.startswith("also on this host's path (read-only")
    assert "forward inet firewalld/filter_FORWARD (filter @10, policy accept)" in line
    assert "iptables" not in line.split(": ", 1)[1]  # iptables' own chains are the view itself
    text = firewall_text(f)
    assert text is not None and "Firewall (read-only): firewalld" in text.plain
    plain = forwarder()  # iptables alone
    assert other_tables_line(plain) is None and firewall_text(plain) is None
    hostile = forwarder(
        fixture("firewalld-default").replace("filter_FORWARD", "x\\u001b]52;c;QQ==\\u0007")
    )
    hostile_text = firewall_text(hostile)
    assert hostile_text is not None
    shown = (other_tables_line(hostile) or "") + hostile_text.plain
    assert "\x1b" not in shown and "\x07" not in shown and "\\x1b]52" in shown
