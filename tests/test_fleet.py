"""The Ansible export's rendering: inventory and playbook YAML for awkward names and paths
(quoted for YAML and for ssh's option string alike), the steps' state checks, and what it
refuses."""

from __future__ import annotations

import shlex

import pytest
import yaml

from netui.errors import UserError
from netui.fleet.ansible import check_exportable, inventory, playbook, tasks, undo_of
from netui.model.envfile import loads
from netui.model.snapshot import HostSnapshot
from netui.plan.kinds.dns_drop_in import DnsDropIn
from netui.plan.kinds.file_edit import FileEdit
from netui.plan.kinds.forwarding_on import ForwardingOn
from netui.plan.kinds.jump import Jump
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.kinds.route import RouteChange
from netui.plan.model import Plan
from netui.plan.render import Command, apply_commands
from netui.plan.step import HostState

ENV = """
office: {cidrs: [10.1.3.0/24]}
ssh:
  identity: "/home/o'brien/keys/id ed25519"
  known_hosts: "/home/o'brien/.ssh/known hosts"
  config: /etc/ssh/netui config
hosts:
  "fw-1.example": "ssh://ops@fw-1.example:2222?sudo=1"
  "yes": ssh://root@10.0.0.2
  local-one: local
  ns-one: netns://x
clusters: {a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12]}}
"""


def test_the_inventory_quotes_names_and_paths_for_yaml_and_for_ssh():
    env = loads(ENV, "e.yaml")
    doc = inventory(env, ["fw-1.example", "yes", "local-one"])
    text = yaml.safe_dump(doc)
    back = yaml.safe_load(text)["all"]
    assert set(back["hosts"]) == {"fw-1.example", "yes", "local-one"}  # "yes" stays a name
    fw = back["hosts"]["fw-1.example"]
    assert fw == {
        "ansible_host": "fw-1.example",
        "ansible_user": "ops",
        "ansible_port": 2222,
        "ansible_become": True,
        "ansible_become_method": "sudo",
    }
    assert back["hosts"]["local-one"] == {"ansible_connection": "local"}
    assert back["vars"]["ansible_ssh_private_key_file"] == "/home/o'brien/keys/id ed25519"
    # ssh splits its options like a shell: each path comes back whole
    words = shlex.split(back["vars"]["ansible_ssh_common_args"])
    assert "UserKnownHostsFile=/home/o'brien/.ssh/known hosts" in words
    assert words[words.index("-F") + 1] == "/etc/ssh/netui config"


def test_hosts_ansible_cannot_reach_and_fixes_of_foreign_files_are_refused():
    env = loads(ENV, "e.yaml")
    plan = Plan("p1")
    plan.host("ns-one").steps.append(ForwardingOn())
    plan.host("yes").steps.append(FileEdit("/etc/dnsmasq.d/x.conf", "a\n", ""))
    with pytest.raises(UserError) as e:
        check_exportable(env, plan)
    assert "ns-one is netns://x" in str(e.value) and "yes: fixes of foreign rules" in str(e.value)


def test_every_change_is_a_checked_step_and_a_reload_follows_only_a_changed_file():
    plan = Plan("p20261129-120000-abcd")
    hp = plan.host("fw")
    hp.steps += [
        Jump("nat", 1),
        Masquerade("10.1.3.0/24", "10.200.0.0/16"),
        ForwardingOn(),
        DnsDropIn("/etc/dnsmasq.d/netui.conf", "server=/x/1.2.3.4\n", "systemctl restart dnsmasq"),
        RouteChange("10.96.0.0/12", "192.168.1.9"),
    ]
    snap = HostSnapshot("fw", ip_forward=0)
    commands = apply_commands(hp, plan.id, HostState.of(snap))
    steps = tasks(plan, commands)
    text = yaml.safe_dump(playbook(plan, {"fw": steps}, undo=False))
    plays = yaml.safe_load(text)
    assert plays[0]["hosts"] == "fw" and plays[0]["any_errors_fatal"] is True
    by_name = {t["name"]: t for t in plays[0]["tasks"] if t["name"] != "would run"}
    nat = by_name["1. nat table: 1 MASQUERADE rule(s) in NETUI-POSTROUTING"][
        "ansible.builtin.command"
    ]
    assert nat["argv"][-3:] == ["nat", "netui:p20261129-120000-abcd", "absent"]  # runs while absent
    assert nat["stdin"].startswith("*nat\n") and nat["stdin_add_newline"] is False
    assert (
        by_name["3. check port 53 and the would-be dnsmasq configuration (dnsmasq --test)"][
            "changed_when"
        ]
        is False
    )  # a check changes nothing, and runs in --check mode too
    assert "ansible.builtin.copy" in by_name["4. write /etc/dnsmasq.d/netui.conf"]
    assert (
        by_name["5. reload dnsmasq: systemctl restart dnsmasq"]["when"] == "netui_step_4 is changed"
    )
    route = by_name["6.1 ip route replace 10.96.0.0/12 via 192.168.1.9"]["ansible.builtin.command"]
    assert route["argv"][-4:] == ["replace", "10.96.0.0/12", "via", "192.168.1.9"]
    assert "ansible_check_mode" in route["argv"][4]  # the step itself tells check from run
    shown = [t for t in plays[0]["tasks"] if t["name"] == "would run"]
    assert {t["ansible.builtin.debug"]["msg"] for t in shown} >= {
        "sysctl -qw net.ipv4.ip_forward=1"
    }
    undo = tasks(plan, undo_of(plan, "fw", snap, commands), undo=True)
    restore = next(
        t for t in undo if t["name"].endswith("remove this plan's rules, put back what it removed")
    )
    assert (
        restore["ansible.builtin.command"]["argv"][-1] == "present"
    )  # the undo runs while present
    assert [t["name"] for t in undo if t["name"] != "would run"][:2] == [
        "1.1 ip route del 10.96.0.0/12",
        "2. remove /etc/dnsmasq.d/netui.conf",
    ]
    with pytest.raises(UserError):
        tasks(plan, [Command("odd", ("reboot",))])
