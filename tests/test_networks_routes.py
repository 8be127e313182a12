from __future__ import annotations

import json

import pytest

from netui.model.networks import KnownNetwork, NetworkMap, has_host_bits, overlaps, parse_cidr
from netui.model.routes import RoutingTable, parse_routes

NETS = NetworkMap(
    [
        KnownNetwork("10.1.3.0/24", "office"),
        KnownNetwork("10.200.0.0/16", "pods", "a"),
        KnownNetwork("10.96.0.0/12", "services", "a"),
        KnownNetwork("10.42.0.0/16", "pods", "b"),
    ]
)


def test_addresses_and_subnets_belong_to_the_most_specific_known_network():
    assert NETS.owner("10.200.1.3").label == "cluster a pods"
    assert NETS.owner("10.200.1.0/24").label == "cluster a pods"
    assert NETS.owner("10.96.0.10/32").label == "cluster a services"
    assert NETS.owner("10.0.0.0/8") is None  # wider than any known network
    assert NETS.owner("192.168.1.5") is None


@pytest.mark.parametrize(
    "typo, meant",
    [
        ("110.1.3.0/24", "10.1.3.0/24"),
        ("10.1.33.0/24", "10.1.3.0/24"),
        ("10.20.0.0/16", "10.200.0.0/16"),
        ("10.42.0.0/61", "10.42.0.0/16"),
    ],
)
def test_a_typo_names_the_network_it_most_likely_meant(typo, meant):
    assert NETS.closest(typo).cidr == meant


def test_an_unrelated_network_is_no_suggestion():
    assert NETS.closest("172.31.250.0/23") is None
    # two numbers changed is another network, not a slip (it used to "mean" the office)
    assert NETS.closest("10.7.5.0/24") is None
    assert NETS.closest("10.2.4.0/24") is None


def test_host_bits_overlaps_and_bad_cidrs():
    assert has_host_bits("10.1.3.5/24") and not has_host_bits("10.1.3.0/24")
    assert overlaps("10.0.0.0/8", "10.1.3.0/24") and not overlaps("10.1.3.0/24", "10.1.4.0/24")
    bad = NetworkMap(
        [KnownNetwork("10.1.3.0/24", "office"), KnownNetwork("10.1.0.0/16", "pods", "x")]
    )
    assert [(a.cidr, b.cidr) for a, b in bad.pairwise_overlaps()] == [
        ("10.1.3.0/24", "10.1.0.0/16")
    ]
    with pytest.raises(ValueError):
        parse_cidr("10.1.3.0/33")


def test_route_lookup_takes_the_longest_prefix_then_the_lowest_metric():
    data = [
        {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"},
        {"dst": "10.200.0.0/16", "gateway": "192.168.1.109", "dev": "eth1", "metric": 100},
        {"dst": "10.200.0.0/16", "gateway": "192.168.1.243", "dev": "eth1", "metric": 50},
        {"dst": "10.200.1.0/24", "gateway": "192.168.1.110", "dev": "eth1"},
        {
            "dst": "192.168.1.0/24",
            "dev": "eth1",
            "protocol": "kernel",
            "scope": "link",
            "prefsrc": "192.168.1.1",
        },
    ]
    rt = RoutingTable(parse_routes(json.dumps(data)))
    assert rt.lookup("10.200.1.3").gateway == "192.168.1.110"
    assert rt.lookup("10.200.2.3").gateway == "192.168.1.243"
    assert rt.lookup("1.1.1.1").dst == "default"
    assert rt.covering("10.200.0.0/16").gateway == "192.168.1.243"
    assert rt.covering("10.96.0.0/12").dst == "default"
    assert rt.routes[4].line == "192.168.1.0/24 dev eth1 proto kernel scope link src 192.168.1.1"
