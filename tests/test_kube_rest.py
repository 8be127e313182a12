"""discovery/rest.py: the API's JSON read by the client's attribute names, without the
client's generated classes."""

from __future__ import annotations

import pytest

from netui.discovery.rest import View, _seg


def test_a_view_answers_the_clients_names_for_camel_case_and_acronym_keys():
    node = View(
        {
            "metadata": {"name": "a-master", "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"podCIDR": "10.200.0.0/24", "podCIDRs": ["10.200.0.0/24"], "taints": [{"key": "k", "effect": "NoSchedule"}]},
            "status": {"nodeInfo": {"kubeletVersion": "v1.30.1"}, "addresses": [{"type": "InternalIP", "address": "192.168.1.109"}]},
        }
    )  # fmt: skip
    assert node.metadata.name == "a-master"
    assert node.metadata.labels == {"node-role.kubernetes.io/control-plane": ""}
    assert node.spec.pod_cidr == "10.200.0.0/24" and node.spec.pod_cidrs == ["10.200.0.0/24"]
    assert node.spec.taints[0].key == "k" and node.spec.taints[0].value is None
    assert node.status.node_info.kubelet_version == "v1.30.1"
    assert node.status.addresses[0].address == "192.168.1.109"
    assert View({"spec": {"clusterIP": "10.96.0.10"}}).spec.cluster_ip == "10.96.0.10"
    assert node.spec.missing_field is None


def test_a_map_field_that_is_not_a_map_reads_as_absent():
    assert View({"data": ["not", "a", "map"]}).data is None
    assert View({"data": {"Corefile": "x"}}).data == {"Corefile": "x"}


def test_only_names_netui_chose_reach_a_request_path():
    assert _seg("kube-system") == "kube-system"
    with pytest.raises(ValueError):
        _seg("../secrets")
