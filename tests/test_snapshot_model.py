from __future__ import annotations

import json

import pytest

from netui.model.frames import END, MAGIC, FrameError, frame, frames, read_frames
from netui.model.iptables import parse
from netui.model.snapshot import parse_snapshot, table_text
from netui.model.sysctl import SysctlFile, boot_value, ignored_settings

from .conftest import FIXTURES


def _script_output(**sections: str):
    return read_frames(frames(sections))


def test_sections_are_cut_exactly_by_their_lengths():
    out = read_frames(frames({"a": "one\ntwo\n", "b": "", "c": "x\n"}))
    assert {k: v.text for k, v in out.items()} == {
        "a": "one\ntwo\n",
        "b": "",
        "c": "x\n",
        "end": "",
    }


def test_a_section_that_prints_frames_of_its_own_stays_inside_its_frame():
    forged = frame("ip_forward", "1\n") + frame("end", "")
    out = read_frames(MAGIC + frame("tables", forged) + frame("ip_forward", "0\n") + frame(END, ""))
    assert out["tables"].text == forged.decode() and out["ip_forward"].text == "0\n"


@pytest.mark.parametrize(
    "raw, why",
    [
        (b"", "no netui frames"),
        (MAGIC + frame("a", "1"), "ends before"),
        (MAGIC + frame("a", "1")[:-3], "ends inside"),
        (MAGIC + b"F 1 1 0;\nab\n" + frame(END, ""), "malformed"),
        (MAGIC + b"F 1 1 0\nabc\n" + frame(END, ""), "longer than it says"),
        (MAGIC + frame("a", "1") + frame("a", "2") + frame(END, ""), "twice"),
        (MAGIC + b"F 1 99999999999 0\na", "ends inside"),
    ],
)
def test_a_stream_cut_short_forged_or_malformed_is_refused(raw, why):
    with pytest.raises(FrameError, match=why):
        read_frames(raw)


def test_one_table_is_cut_out_of_a_multi_table_save_with_its_comments():
    text = (FIXTURES / "iptables" / "docker.legacy.txt").read_text()
    nat, filt = table_text(text, "nat"), table_text(text, "filter")
    assert nat + filt == text
    assert parse(nat).render() == nat
    assert table_text(text, "raw") == ""


def test_a_whole_snapshot_is_parsed_from_the_batched_output():
    saved = (FIXTURES / "iptables" / "docker.legacy.txt").read_text()
    routes = json.dumps(
        [
            {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"},
            {"dst": "10.1.3.0/24", "gateway": "192.168.1.1", "dev": "eth0"},
        ]
    )
    addrs = json.dumps(
        [
            {
                "ifname": "eth0",
                "mtu": 1500,
                "operstate": "UP",
                "addr_info": [{"family": "inet", "local": "192.168.1.109", "prefixlen": 24}],
            }
        ]
    )
    routes, addrs = routes + "\n", addrs + "\n"  # ip -j ends its JSON with a newline
    out = _script_output(
        hostname="a-master\n",
        ip_forward="1\n",
        **{
            "iptables-version": "iptables v1.8.9 (legacy)\n",
            "tables": saved,
            "other-variant": "0\n",
        },
        routes=routes,
        addresses=addrs,
        **{
            "sysctl:/etc/sysctl.d/99-fwd.conf": "net.ipv4.ip_forward = 1\n",
            "sysctl:/etc/sysctl.conf": "#net.ipv4.ip_forward=1\n",
        },
    )
    snap = parse_snapshot("a-master", out)
    assert snap.ok and snap.variant == "legacy" and snap.ip_forward == 1
    assert snap.nat is not None and snap.nat.rule_count() == 6
    assert snap.forward_policy == "DROP"
    assert snap.nat_text == table_text(saved, "nat")
    assert snap.routes.lookup("10.1.3.10").gateway == "192.168.1.1"
    assert snap.routes.lookup("8.8.8.8").dst == "default"
    assert snap.forwarding_at_boot.path == "/etc/sysctl.d/99-fwd.conf"
    assert snap.sysctl_files[0].text == "net.ipv4.ip_forward = 1\n"


def test_a_failed_save_is_unreadable_and_a_missing_iptables_a_warning_not_crashes():
    raw = (
        MAGIC
        + frame("iptables-version", "iptables v1.8.9 (nf_tables)\n")
        + frame("tables", "", "4")
        + frame("tables.err", "Permission denied (you must be root)\n")
        + frame(END, "")
    )
    snap = parse_snapshot("h", read_frames(raw))
    reason = snap.unreadable["tables"]
    assert snap.nat is None and "exit 4" in reason and "Permission denied" in reason
    snap = parse_snapshot("h", _script_output(hostname="h\n"))
    assert snap.variant is None and "not installed" in snap.warnings[0]


def test_sysctl_boot_order_follows_systemd_precedence_and_sysctl_conf_last():
    files = [
        SysctlFile("/usr/lib/sysctl.d/50-default.conf", "net.ipv4.ip_forward = 0\n"),
        SysctlFile(
            "/etc/sysctl.d/50-default.conf", "net.ipv4.ip_forward = 1\n"
        ),  # hides the /usr/lib one
        SysctlFile("/run/sysctl.d/90-x.conf", "net/ipv4/ip_forward=0\n"),
        SysctlFile("/etc/sysctl.conf", "# net.ipv4.ip_forward=1\n"),
    ]
    win = boot_value(files, "net.ipv4.ip_forward")
    assert (win.value, win.path) == ("0", "/run/sysctl.d/90-x.conf")
    files.append(SysctlFile("/etc/sysctl.conf", "net.ipv4.ip_forward=1\n"))
    assert boot_value(files, "net.ipv4.ip_forward").path == "/etc/sysctl.conf"


def test_a_setting_in_a_file_nothing_reads_is_found_as_ignored():
    files = [
        SysctlFile("/etc/sysctl.d/ip_forward", "net.ipv4.ip_forward = 1\n"),
        SysctlFile("/etc/ip_forward.conf", "net.ipv4.ip_forward=1\n"),
    ]
    assert boot_value(files, "net.ipv4.ip_forward") is None
    assert [s.path for s in ignored_settings(files, "net.ipv4.ip_forward")] == [
        "/etc/sysctl.d/ip_forward",
        "/etc/ip_forward.conf",
    ]


def test_a_counter_that_is_no_number_makes_the_tables_unreadable_not_a_crash():
    """bench/fuzz.py found it: `[\ufffd:0] -A FORWARD ...` parsed, then int() failed inside the
    doctor's filtering check."""
    saved = "*filter\n:FORWARD DROP [0:0]\n[\ufffd:0] -A FORWARD -j ACCEPT\nCOMMIT\n"
    raw = frames({"iptables-version": "iptables v1.8.9 (legacy)\n", "tables": saved})
    snap = parse_snapshot("h", read_frames(raw))
    assert "not [packets:bytes]" in snap.unreadable["tables"] and snap.filter is None
