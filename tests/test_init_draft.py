"""`netui init`'s draft from plain data: the office from routes, hosts from ssh aliases, the
forwarder proposal, the commented YAML — and that the YAML always loads."""

from __future__ import annotations

import subprocess
import sys

import pytest
from netaddr import IPNetwork

from netui.core.draft import SshAlias, build_draft, office_from_routes, propose_forwarder
from netui.core.draft_yaml import render
from netui.discovery.flavour import cni_from, domain_from, proxy_mode_from
from netui.discovery.jumphost import (
    JumpRoute,
    parse_proc_route,
    parse_resolv_conf,
    ssh_client_address,
)
from netui.discovery.kubeconfig import KubeContext, read_contexts, usable_name
from netui.discovery.model import ClusterInventory, NodeInfo, ServiceInfo, Sourced
from netui.model import envfile

LAN = [
    JumpRoute("0.0.0.0/0", "192.168.1.1", "eth0"),
    JumpRoute("192.168.1.0/24", None, "eth0"),
    JumpRoute("10.1.3.0/24", "192.168.1.1", "eth0"),
    JumpRoute("172.17.0.0/16", None, "docker0"),
]


def _inv(name: str, nodes: list[NodeInfo], pods: str = "10.200.0.0/16", **kw) -> ClusterInventory:
    inv = ClusterInventory(name, name, "cluster.local", None, **kw)
    inv.nodes = nodes
    inv.pod_cidrs = [Sourced(pods, "kubeadm-config")]
    inv.service_cidrs = [Sourced("10.96.0.0/12", "kubeadm-config")]
    inv.dns_ip = Sourced("10.96.0.10", "kube-dns Service")
    return inv


def _node(name: str, ip: str, roles=("worker",), ready=True, cidrs=()) -> NodeInfo:
    return NodeInfo(name, tuple(roles), ip, tuple(cidrs), (), ready)


def test_the_office_is_the_private_network_this_host_routes_through_a_gateway():
    guess = office_from_routes(LAN, [IPNetwork("10.200.0.0/16")], ["192.168.1.109"])
    assert guess is not None
    assert guess.cidrs == ("10.1.3.0/24",) and guess.gateway == "192.168.1.1"
    assert "10.1.3.0/24 via 192.168.1.1 dev eth0" in guess.source


def test_cluster_ranges_node_networks_and_container_bridges_are_never_the_office():
    routes = [
        JumpRoute("0.0.0.0/0", "192.168.1.1", "eth0"),
        JumpRoute("192.168.1.0/24", None, "eth0"),  # holds the nodes
        JumpRoute("10.200.0.0/16", "192.168.1.109", "eth0"),  # a cluster's pods
        JumpRoute("172.17.0.0/16", None, "docker0"),
    ]
    assert office_from_routes(routes, [IPNetwork("10.200.0.0/16")], ["192.168.1.109"]) is None


def test_without_a_route_the_ssh_session_s_client_gives_a_24_to_check():
    routes = [
        JumpRoute("0.0.0.0/0", "192.168.1.1", "eth0"),
        JumpRoute("192.168.1.0/24", None, "eth0"),
    ]
    client = ssh_client_address({"SSH_CONNECTION": "10.1.3.10 51514 192.168.1.5 22"})
    guess = office_from_routes(routes, [], ["192.168.1.109"], client)
    assert guess is not None and guess.cidrs == ("10.1.3.0/24",)
    assert guess.gateway == "192.168.1.1" and "CHECK" in guess.source


def test_proc_net_route_and_resolv_conf_are_parsed():
    text = (
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        "eth0\t00030A0A\t0101A8C0\t0002\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"  # not up: skipped
    )
    assert parse_proc_route(text) == [
        JumpRoute("0.0.0.0/0", "192.168.1.1", "eth0"),
        JumpRoute("192.168.1.0/24", None, "eth0"),
    ]
    assert parse_resolv_conf("# x\nnameserver 10.0.0.2\nnameserver ::1\nsearch lan\n") == [
        "10.0.0.2"
    ]


def test_the_forwarder_is_a_ready_control_plane_node_on_the_router_s_network():
    inv = _inv(
        "a",
        [
            _node("w1", "192.168.1.110"),
            _node("cp-far", "10.9.0.5", roles=("control-plane",)),
            _node("cp", "192.168.1.109", roles=("control-plane",)),
            _node("cp-down", "192.168.1.108", roles=("control-plane",), ready=False),
        ],
    )
    node, why = propose_forwarder(inv, IPNetwork("192.168.1.0/24"))  # type: ignore[misc]
    assert node.name == "cp"
    assert "Ready" in why and "192.168.1.0/24" in why and "control-plane" in why


def test_without_a_control_plane_node_the_least_loaded_worker_forwards():
    busy = _node("busy", "192.168.1.110", cidrs=("10.200.1.0/24",))
    idle = _node("idle", "192.168.1.111", cidrs=("10.200.2.0/24",))
    inv = _inv("a", [busy, idle])
    inv.services = [ServiceInfo("s", "default", "10.96.0.20", (), (("10.200.1.5", 80, "TCP"),))]
    node, why = propose_forwarder(inv, None)  # type: ignore[misc]
    assert node.name == "idle" and "least loaded" in why


def _draft(aliases=(), routes=LAN, resolvers=(), contexts=None, inventory=None, office=()):
    contexts = contexts or [KubeContext("dev-a", "dev-a", "https://192.168.1.109:6443", True)]
    inventory = inventory or {
        "dev-a": _inv(
            "dev-a",
            [
                _node("a-master", "192.168.1.109", roles=("control-plane",)),
                _node("a-worker", "192.168.1.110"),
            ],
        )
    }
    return build_draft(
        ("/home/op/.kube/config", "$KUBECONFIG"),
        contexts,
        inventory,
        list(aliases),
        None,
        list(routes),
        list(resolvers),
        "/home/op/.ssh/config",
        office_given=office,
    )


def test_nodes_become_hosts_through_the_ssh_config_s_aliases_and_users():
    draft = _draft(
        aliases=[
            SshAlias("a-master", "192.168.1.109", "ops"),
            SshAlias("gw", "192.168.1.1", "root"),
        ]
    )
    assert draft.hosts["a-master"].uri == "ssh://a-master?sudo=1"  # ops: through sudo -n
    assert draft.hosts["a-worker"].uri == "ssh://root@192.168.1.110"
    assert "CHECK" not in draft.hosts["a-master"].check and draft.hosts["a-worker"].check
    assert draft.router == "router" and draft.hosts["router"].uri == "ssh://gw"
    assert draft.clusters[0].forwarder == "a-master"


def test_the_rendered_draft_loads_and_says_where_each_value_came_from():
    text = render(_draft(resolvers=["192.168.1.109"]))
    env = envfile.loads(text)
    assert env.office.cidrs == ("10.1.3.0/24",) and env.office.router == "router"
    assert env.clusters["dev-a"].forwarder == "a-master"
    assert env.clusters["dev-a"].pod_cidrs == ("10.200.0.0/16",)
    assert env.dns is not None and env.dns.host == "a-master"
    assert "# from kubeadm-config" in text and "nameserver 192.168.1.109" in text
    assert "forwarder proposed: Ready" in text


def test_nothing_found_gives_a_placeholder_office_that_still_loads_and_says_fill_in():
    draft = _draft(
        routes=[
            JumpRoute("0.0.0.0/0", "192.168.1.1", "eth0"),
            JumpRoute("192.168.1.0/24", None, "eth0"),
        ]
    )
    text = render(draft)
    assert envfile.loads(text).office.cidrs == ("192.0.2.0/24",)
    assert "FILL IN" in text and any("office.cidrs" in m for m in draft.missing)
    assert "office.router" in " ".join(draft.missing)


def test_an_office_given_wins_and_its_gateway_becomes_the_router():
    draft = _draft(routes=LAN[:2], office=("10.7.0.0/16",))
    assert draft.office is not None and draft.office.cidrs == ("10.7.0.0/16",)
    assert draft.hosts[draft.router or ""].ip == "192.168.1.1"


def test_hostile_names_from_the_api_and_kubeconfig_cannot_change_the_yaml():
    evil_ctx = 'arn:aws:eks:eu-1:1:cluster/prod" # evil: [x]'
    contexts = [KubeContext(evil_ctx, usable_name(evil_ctx, set()), None, True)]
    node = _node('n1"\nhosts: {x: local}', "192.168.1.109", roles=("control-plane",))
    inv = _inv(contexts[0].cluster_name, [node])
    inv.disagreements = ["pod CIDR: a\nnew: line"]
    text = render(_draft(contexts=contexts, inventory={contexts[0].cluster_name: inv}))
    env = envfile.loads(text)  # loads: nothing injected became a key
    assert list(env.clusters) == [contexts[0].cluster_name]
    assert env.clusters[contexts[0].cluster_name].context == evil_ctx
    assert "x" not in env.hosts


def test_an_api_that_did_not_answer_is_said_in_the_draft_which_still_loads():
    inv = ClusterInventory("dev-a", "dev-a", "cluster.local", None)
    inv.error = "cluster dev-a (context dev-a): cannot reach the API: timed out"
    draft = _draft(inventory={"dev-a": inv})
    text = render(draft)
    assert envfile.loads(text).clusters["dev-a"].forwarder is None
    assert "cannot reach the API" in text


def test_kubeconfig_contexts_current_first_with_usable_names(tmp_path):
    kc = tmp_path / "config"
    kc.write_text(
        "clusters: [{name: c1, cluster: {server: 'https://1.2.3.4'}}]\n"
        "contexts: [{name: 'arn:aws:eks:x:1:cluster/prod', context: {cluster: c1}},"
        " {name: dev, context: {cluster: c1}}]\n"
        "current-context: dev\n"
    )
    got = read_contexts(str(kc))
    assert [(c.name, c.cluster_name, c.current) for c in got] == [
        ("dev", "dev", True),
        ("arn:aws:eks:x:1:cluster/prod", "prod", False),
    ]
    assert got[1].server == "https://1.2.3.4"
    assert usable_name("dev", {"dev"}) == "dev-2"


def test_cni_kube_proxy_mode_and_domain_are_read_off_what_each_leaves():
    assert cni_from(
        [{"flannel.alpha.coreos.com/backend-type": "vxlan"}], set(), False, False
    ) == Sourced("flannel", "node annotations flannel.alpha.coreos.com/*")
    assert cni_from([], {"Calico IPPool"}, False, False).value == "calico"  # type: ignore[union-attr]
    assert cni_from([], set(), False, False) is None
    assert proxy_mode_from("mode: ipvs\n", {}, False) == Sourced("ipvs", "kube-proxy config map")
    assert proxy_mode_from("mode: ''\n", {}, False).value == "iptables"  # type: ignore[union-attr]
    assert proxy_mode_from(None, {"kube-proxy-replacement": "true"}, False).value.startswith("none")  # type: ignore[union-attr]
    assert domain_from("kubernetes corp.local in-addr.arpa", None) == Sourced(
        "corp.local", "coredns Corefile"
    )


def _cli(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netui.cli", *args], capture_output=True, text=True, timeout=60, **kw
    )


@pytest.mark.parametrize("bad", ["10.1.3.7/24", "office", "10.1.3.0"])
def test_init_refuses_a_bad_office_in_one_line(bad):
    r = _cli("init", "--office", bad)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_init_never_overwrites_a_file(tmp_path):
    from netui.core.drafting import write_new
    from netui.errors import UserError

    f = tmp_path / "netui.yaml"
    f.write_text("mine\n")
    with pytest.raises(UserError, match="never overwrites"):
        write_new(str(f), "draft\n")
    assert f.read_text() == "mine\n"
    write_new(str(tmp_path / "new.yaml"), "draft\n")
    assert (tmp_path / "new.yaml").stat().st_mode & 0o777 == 0o600


def test_init_without_a_kubeconfig_says_so_in_one_line(tmp_path):
    r = _cli("init", "--kubeconfig", str(tmp_path / "none"))
    assert (
        r.returncode == 2
        and r.stderr.startswith("netui: kubeconfig ")
        and "does not exist" in r.stderr
    )
