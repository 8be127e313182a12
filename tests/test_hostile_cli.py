"""The CLI face on a host whose output is hostile (issue 24): `hosts`, `show nat`, `doctor` and
`walk` print control characters, bidi controls and markup from rule comments, chain, interface
and host names escaped — never raw to the terminal — and `--json` keeps the raw value.

The host is `local`, its snapshot script answered by a canned framed output through the real
parse path (backends/snapshot -> model/frames -> model/snapshot)."""

from __future__ import annotations

import json

import pytest

from netui.backends.base import CommandResult
from netui.backends.local import LocalBackend
from netui.cli import main
from netui.model.frames import END, frame, frames
from netui.model.safe_text import is_clean

OSC52 = "\x1b]52;c;aGVsbG8=\x07"
H = OSC52 + "[link=http://x]L[/link]\u202e\x9b\x1b[2J"
CHAIN = "EVIL\x1b[2J"
SAVE = f"""*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:{CHAIN} - [0:0]
-A POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "{H}" -j {CHAIN}
-A {CHAIN} -m comment --comment "{H}" -j RETURN
COMMIT
*filter
:FORWARD ACCEPT [0:0]
COMMIT
"""
ROUTES = [{"dst": "10.200.0.0/16", "gateway": "192.168.1.110", "dev": "\u001b[2Jeth0"}]
ADDRS = [
    {
        "ifname": "\u001b[2Jeth0" + H,
        "addr_info": [{"family": "inet", "local": "192.168.1.109", "prefixlen": 24}],
    }
]
ENV = """office: {cidrs: [10.1.3.0/24]}
hosts: {fw: local}
clusters:
  a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12], dns_ip: 10.96.0.10, forwarder: fw}
"""


def hostile_output() -> bytes:
    """The host's framed answer; a file past its cap makes the row name it (and its path)."""
    big = frame(f"file:/etc/dnsmasq.d/{H}", "", "big")
    return big.join(
        frames(
            {
                "hostname": H + "\n",
                "ip_forward": "0\n",
                "iptables-version": "iptables v1.8.9 (nf_tables)\n",
                "tables": SAVE,
                "other-variant": "0\n",
                "routes": json.dumps(ROUTES),
                "addresses": json.dumps(ADDRS),
                f"sysctl:/etc/sysctl.d/{H}.conf": f"net.ipv4.ip_forward = 1 {H}\n",
            }
        ).rsplit(frame(END, ""), 1)
    ) + frame(END, "")


@pytest.fixture
def hostile_host(tmp_path, monkeypatch):
    real = LocalBackend.run

    def run(self, argv, *, stdin=None, timeout=30.0, limit=None):
        if list(argv)[:2] == ["sh", "-s"] and stdin and b"netui-frames" in stdin:
            return CommandResult(tuple(argv), 0, hostile_output(), b"sh: " + H.encode())
        return real(self, argv, stdin=stdin, timeout=timeout)

    monkeypatch.setattr(LocalBackend, "run", run)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    env = tmp_path / "env.yaml"
    env.write_text(ENV)
    return str(env)


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "argv",
    [
        ("hosts",),
        ("show", "nat", "fw"),
        ("show", "nat", "fw", "--raw"),
        ("show", "routes", "fw"),
        ("doctor",),
        ("walk", "fw", "10.1.3.10", "10.200.1.3"),
    ],
    ids=lambda a: " ".join(a),
)
def test_hostile_host_text_is_printed_escaped(hostile_host, capsys, argv):
    _code, out, err = cli(capsys, *argv, "--env", hostile_host)
    out += err
    assert "internal error" not in out and "Traceback" not in out, out
    assert is_clean(out), f"raw control/bidi characters in `netui {' '.join(argv)}`: {out!r}"
    assert "\\x1b" in out  # shown, escaped, not dropped


@pytest.mark.parametrize(
    "argv", [("show", "nat", "fw", "--json"), ("hosts", "--json"), ("doctor", "--json")]
)
def test_hostile_host_json_keeps_the_raw_value(hostile_host, capsys, argv):
    _code, out, err = cli(capsys, *argv, "--env", hostile_host)
    assert is_clean(out + err)  # JSON escapes them itself; warnings are escaped
    strings = list(_strings(json.loads(out)))
    assert any(OSC52 in v for v in strings), "the raw value is not in the JSON"


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
