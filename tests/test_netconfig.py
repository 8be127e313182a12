"""Routes a host's network configuration brings back at boot, per network manager, and the lab's
stand-in for systemd's unit files."""

from __future__ import annotations

from netui.lab.systemd import enabled_units, parse_unit
from netui.model.netconfig import configured_route, configured_routes, networkd_file


def test_systemd_networkd_routes_and_gateway_are_read_from_network_files_only():
    text = networkd_file("eth0", "192.168.1.5/24", "192.168.1.1", [("10.1.3.0/24", "192.168.1.1")])
    files = {
        "/etc/systemd/network/10-eth0.network": text,
        "/etc/systemd/network/10-eth0.network.bak": "[Route]\nDestination=10.9.0.0/16\n",
    }
    got = {(r.dst, r.via, r.manager) for r in configured_routes(files)}
    assert got == {
        ("default", "192.168.1.1", "systemd-networkd"),
        ("10.1.3.0/24", "192.168.1.1", "systemd-networkd"),
    }


def test_netplan_routes_and_gateway4():
    text = """
network:
  version: 2
  ethernets:
    ens3:
      addresses: [192.168.1.1/24]
      gateway4: 192.168.1.254
      routes:
        - to: 10.96.0.0/12
          via: 192.168.1.109
        - to: default
          via: 192.168.1.254
"""
    routes = configured_routes({"/etc/netplan/50-cloud-init.yaml": text})
    assert ("10.96.0.0/12", "192.168.1.109") in {(r.dst, r.via) for r in routes}
    assert configured_route({"/etc/netplan/50-cloud-init.yaml": text}, "10.96.0.0/12") is not None


def test_a_netplan_file_that_is_not_yaml_holds_no_route():
    assert configured_routes({"/etc/netplan/x.yaml": "network: [: {"}) == []


def test_networkmanager_keyfile_routes_and_the_gateway_after_an_address():
    text = "[connection]\nid=lan\n[ipv4]\naddress1=192.168.1.1/24,192.168.1.254\nroute1=10.200.0.0/16,192.168.1.109\nroute2=10.42.0.0/16\n"
    routes = configured_routes({"/etc/NetworkManager/system-connections/lan.nmconnection": text})
    assert {(r.dst, r.via) for r in routes} == {
        ("10.200.0.0/16", "192.168.1.109"),
        ("10.42.0.0/16", None),
        ("default", "192.168.1.254"),
    }


def test_ifupdown_gateway_and_up_ip_route_lines():
    text = (
        "auto eth0\niface eth0 inet static\n  address 192.168.1.1/24\n  gateway 192.168.1.254\n"
        "  up ip route add 10.96.0.0/12 via 192.168.1.109\n"
        "  post-up /sbin/ip route replace 10.42.0.0/16 via 192.168.1.243 dev eth0\n"
        "# up ip route add 10.9.0.0/16 via 192.168.1.9\n"
    )
    routes = configured_routes({"/etc/network/interfaces": text})
    assert {(r.dst, r.via) for r in routes} == {
        ("default", "192.168.1.254"),
        ("10.96.0.0/12", "192.168.1.109"),
        ("10.42.0.0/16", "192.168.1.243"),
    }


def test_network_scripts_route_files_in_both_formats():
    files = {
        "/etc/sysconfig/network-scripts/route-eth0": "10.96.0.0/12 via 192.168.1.109 dev eth0\n",
        "/etc/sysconfig/network-scripts/route-eth1": "ADDRESS0=10.42.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=192.168.1.243\n",
        "/etc/sysconfig/network-scripts/ifcfg-eth0": "DEVICE=eth0\nGATEWAY=192.168.1.254\n",
    }
    assert {(r.dst, r.via) for r in configured_routes(files)} == {
        ("10.96.0.0/12", "192.168.1.109"),
        ("10.42.0.0/16", "192.168.1.243"),
        ("default", "192.168.1.254"),
    }


def test_files_outside_the_managers_directories_hold_no_route():
    assert configured_routes({"/etc/dnsmasq.d/x.conf": "[Route]\nDestination=10.0.0.0/8\n"}) == []


def test_a_unit_runs_its_start_pre_lines_before_its_start_lines_and_dash_may_fail():
    unit = parse_unit(
        "x.service",
        "[Unit]\nExecStart=/bin/not-in-service\n[Service]\nExecStart=/bin/sh /etc/netui/restore.sh\n"
        "ExecStartPre=-/bin/false\n",
    )
    assert [(line.argv, line.may_fail) for line in unit.exec_lines] == [
        (("/bin/false",), True),
        (("/bin/sh", "/etc/netui/restore.sh"), False),
    ]


def test_enabled_units_are_services_of_any_wants_directory_once_in_name_order():
    wants = {
        "multi-user.target.wants": ["netui-restore.service", "b.service", "x.timer"],
        "network-online.target.wants": ["a.service", "b.service"],
    }
    assert enabled_units(wants) == ["a.service", "b.service", "netui-restore.service"]


def test_a_timer_says_how_often_and_which_service():
    from netui.lab.systemd import timer_interval, timer_service
    from netui.model.bootstate import TIMER_NAME, TIMER_TEXT

    assert timer_interval(TIMER_TEXT) == 30
    assert timer_interval("[Timer]\nOnUnitActiveSec=2min\n") == 120
    assert timer_interval("[Timer]\nOnCalendar=daily\n") is None
    assert timer_service(TIMER_NAME, TIMER_TEXT) == "netui-restore-check.service"
    assert timer_service("x.timer", "[Timer]\nUnit=y.service\n") == "y.service"
