"""The planner's output rendered to commands, and their inverse, on plain data."""

from __future__ import annotations

from netui.model.iptables import parse_table
from netui.plan.journaled import plan_from_dict
from netui.plan.kinds.dns_drop_in import DnsDropIn
from netui.plan.kinds.foreign_delete import ForeignDelete
from netui.plan.kinds.forwarding_on import ForwardingOn
from netui.plan.kinds.forwarding_persisted import ForwardingPersisted
from netui.plan.kinds.jump import Jump
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.kinds.route import RouteChange
from netui.plan.model import HostPlan, Plan
from netui.plan.render import apply_commands, rollback_script, undo_commands
from netui.plan.step import HostState

NAT = "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:KUBE-POSTROUTING - [0:0]\n-A POSTROUTING -j KUBE-POSTROUTING\n-A POSTROUTING -s 10.9.0.0/16 -j RETURN\nCOMMIT\n"


def hp(*steps) -> HostPlan:
    return HostPlan("f", list(steps))


def state(nat=None, routes=None, ip_forward=None, files=None) -> HostState:
    return HostState({"nat": nat, "filter": None}, routes or {}, ip_forward, files or {})


def masq(source: str, destination: str, position: int = 1) -> HostPlan:
    return hp(Jump("nat", position), Masquerade(source, destination))


def test_masquerade_goes_into_netuis_chain_jumped_to_first_in_one_restore():
    cmds = apply_commands(masq("10.1.3.0/24", "10.200.0.0/16"), "p1", state(parse_table(NAT)))
    assert len(cmds) == 1 and cmds[0].argv == ("iptables-restore", "--noflush", "-w", "5")
    assert cmds[0].stdin == (
        "*nat\n:NETUI-POSTROUTING - [0:0]\n"
        '-I POSTROUTING 1 -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\n'
        '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE\n'
        "COMMIT\n"
    )


def test_an_existing_chain_and_jump_are_neither_redeclared_nor_doubled():
    text = NAT.replace(":KUBE", ":NETUI-POSTROUTING - [0:0]\n:KUBE").replace(
        "COMMIT",
        '-A POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\nCOMMIT',
    )
    cmds = apply_commands(masq("10.1.3.0/24", "10.96.0.0/12", 3), "p2", state(parse_table(text)))
    body = cmds[0].stdin
    assert ":NETUI-POSTROUTING" not in body  # declaring it would flush other plans' rules
    assert "-I POSTROUTING" not in body
    assert body.count("-A NETUI-POSTROUTING") == 1


def test_the_jump_position_is_clamped_to_the_chain():
    cmds = apply_commands(masq("10.1.3.0/24", "10.200.0.0/16", 99), "p1", state(parse_table(NAT)))
    assert "-I POSTROUTING 3 " in cmds[0].stdin


OWNED = (
    "*nat\n:POSTROUTING ACCEPT [0:0]\n:NETUI-POSTROUTING - [0:0]\n"
    '-A POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\n'
    "{rules}COMMIT\n"
)
P1 = '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE\n'
P2 = '-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.96.0.0/12 -m comment --comment "netui:p2" -j MASQUERADE\n'


def test_undo_removes_only_this_plans_rules_and_keeps_a_chain_others_still_use():
    both = parse_table(OWNED.format(rules=P1 + P2))
    cmds = undo_commands(
        masq("10.1.3.0/24", "10.200.0.0/16"), "p1", state(both), state(ip_forward=1)
    )
    assert cmds[-1].stdin == "*nat\n-D " + P1[3:] + "COMMIT\n"


def test_undo_of_the_last_plan_in_the_chain_removes_the_chain_and_its_jump():
    only = parse_table(OWNED.format(rules=P2))
    cmds = undo_commands(
        masq("10.1.3.0/24", "10.96.0.0/12"), "p2", state(only), state(ip_forward=1)
    )
    assert cmds[-1].stdin.endswith(
        '-D POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING\n-X NETUI-POSTROUTING\nCOMMIT\n'
    )


def test_undo_leaves_a_route_someone_changed_since():
    plan = hp(
        RouteChange("10.200.0.0/16", "192.168.1.109", "10.200.0.0/16 via 192.168.1.243 dev eth1")
    )
    mine = undo_commands(
        plan,
        "p1",
        state(routes={"10.200.0.0/16": "10.200.0.0/16 via 192.168.1.109 dev eth1"}),
        state(),
    )
    assert mine[0].stdin == "route replace 10.200.0.0/16 via 192.168.1.243 dev eth1\n"
    theirs = undo_commands(
        plan,
        "p1",
        state(routes={"10.200.0.0/16": "10.200.0.0/16 via 192.168.1.77 dev eth1"}),
        state(),
    )
    assert theirs == []


def test_a_deleted_foreign_rule_comes_back_at_its_position():
    live = parse_table(NAT.replace("-A POSTROUTING -s 10.9.0.0/16 -j RETURN\n", ""))
    plan = hp(ForeignDelete("nat", "POSTROUTING", "-s 10.9.0.0/16 -j RETURN", 2))
    cmds = undo_commands(plan, "p1", state(live), state())
    assert cmds[-1].stdin == "*nat\n-I POSTROUTING 2 -s 10.9.0.0/16 -j RETURN\nCOMMIT\n"


def test_forwarding_and_its_file_are_put_back_as_they_were():
    plan = hp(ForwardingOn(), ForwardingPersisted())
    cmds = apply_commands(plan, "p1", state())
    assert [c.summary for c in cmds] == [
        "IP forwarding on now",
        "IP forwarding on at boot (/etc/sysctl.d/90-netui-ip-forward.conf)",
    ]
    back = undo_commands(plan, "p1", state(), state(ip_forward=0))
    assert [c.remove or c.argv for c in back] == [
        "/etc/sysctl.d/90-netui-ip-forward.conf",
        ("sysctl", "-qw", "net.ipv4.ip_forward=0"),
    ]
    theirs = {"/etc/sysctl.d/90-netui-ip-forward.conf": "net.ipv4.ip_forward=1 # theirs\n"}
    back = undo_commands(plan, "p1", state(), state(ip_forward=0, files=theirs))
    assert back[0].write == (
        "/etc/sysctl.d/90-netui-ip-forward.conf",
        "net.ipv4.ip_forward=1 # theirs\n",
    )


def test_the_rollback_script_quotes_every_value():
    plan = hp(
        ForeignDelete("nat", "POSTROUTING", '-m comment --comment "$(reboot)" -j RETURN', 1),
        RouteChange("10.200.0.0/16", "192.168.1.109"),
    )
    script = rollback_script(plan, "p1", state(ip_forward=0))
    assert "ip route del 10.200.0.0/16 via 192.168.1.109" in script
    # the foreign rule travels encoded: the shell never sees it as text
    assert "$(reboot)" not in script and "| iptables-restore --noflush -w 5" in script


def test_no_previous_file_content_can_break_out_of_the_rollback_script(tmp_path):
    """A previous dnsmasq drop-in or sysctl file holding a line `NETUI_EOF` (or any other
    delimiter) used to end a heredoc early; the rest of the file then ran as root."""
    import subprocess

    marker = tmp_path / "pwned"
    hostile = (
        "server=/cluster.local/10.96.0.10\nNETUI_EOF\nEOF\n"
        f"touch {marker}\n'$(touch {marker})'\nno newline at the end"
    )
    conf = tmp_path / "netui.conf"
    plan = hp(DnsDropIn(str(conf), "new\n", "true"))
    script = rollback_script(plan, "p1", state(files={str(conf): hostile}))
    # only the file steps: the script's iptables/sysctl lines are not what is tested here
    body = "\n".join(
        line for line in script.splitlines() if str(conf) in line or line.startswith("sh -c")
    )
    subprocess.run(["sh", "-c", body], check=True, timeout=10)
    assert conf.read_text() == hostile
    assert not marker.exists()


def test_plans_survive_the_journal_round_trip():
    p = Plan("p1")
    p.host("f").steps += [Jump("nat", 2), Masquerade("10.1.3.0/24", "10.200.0.0/16")]
    p.host("r").steps.append(RouteChange("10.200.0.0/16", "192.168.1.109"))
    p.host("d").steps.append(DnsDropIn("/etc/dnsmasq.d/netui.conf", "x\n", "true"))
    assert plan_from_dict(p.to_dict()) == p


def test_a_forwarder_already_carrying_netuis_taint_is_not_tainted_again():
    from netui.discovery.model import ClusterInventory, NodeInfo
    from netui.plan.planner import planned_taints

    def cluster(name: str, taints: tuple[str, ...], error: str | None = None) -> ClusterInventory:
        node = NodeInfo(f"{name}-m", ("control-plane",), "192.0.2.1", (), taints, True, True)
        worker = NodeInfo(f"{name}-w", ("worker",), "192.0.2.2", (), (), True)
        return ClusterInventory(
            name, None, "cluster.local", f"{name}-m", nodes=[node, worker], error=error
        )

    inventory = {
        "a": cluster("a", ("node-role.kubernetes.io/control-plane:NoSchedule",)),
        "b": cluster("b", ("netui.io/forwarder=true:NoSchedule",)),
        "c": cluster("c", (), error="cannot reach the API"),
    }
    taints, notes = planned_taints(inventory, {"a", "b", "c"})
    assert [(t.cluster, t.node, t.text) for t in taints] == [
        ("a", "a-m", "netui.io/forwarder=true:NoSchedule")
    ]
    assert notes == ["cluster c: the API cannot be asked, so its forwarder is not tainted"]
