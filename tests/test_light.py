"""Light polls: counters of the chains looked at, read with `nft list chain`, laid over the last
full snapshot by position; anything that does not line up means a full read."""

from __future__ import annotations

from collections.abc import Sequence

from netui.backends.base import Backend, CommandResult
from netui.backends.light import _counters, light_snapshot
from netui.model.frames import frames
from netui.model.iptables import parse
from netui.model.snapshot import HostSnapshot

SAVE = """*nat
:POSTROUTING ACCEPT [0:0]
:NETUI-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
[5:300] -A POSTROUTING -j NETUI-POSTROUTING
[4:240] -A POSTROUTING -j KUBE-POSTROUTING
[1:60] -A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE
[9:540] -A KUBE-SERVICES -d 10.96.0.10/32 -j KUBE-SVC-X
COMMIT
"""

LISTING = """table ip nat {
\tchain POSTROUTING {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\t counter packets 50 bytes 3000 jump NETUI-POSTROUTING
\t\t counter packets 44 bytes 2640 jump KUBE-POSTROUTING
\t}
}
"""


class Canned(Backend):
    host = "fw"
    address = "test://fw"

    def __init__(self, listings: dict[str, str]) -> None:
        self.listings = listings
        self.asked: list[str] = []

    def run(self, argv: Sequence[str], *, stdin=None, timeout=30.0) -> CommandResult:
        _cap, *rest = list(argv)[3:]
        out = {"ip_forward": "1\n", "routes": "[]\n", "addresses": "[]\n"}
        for table, chain in zip(rest[::2], rest[1::2], strict=True):
            self.asked.append(chain)
            out[f"chain:{table}:{chain}"] = self.listings.get(chain, "Error: No such file")
        return CommandResult(tuple(argv), 0, frames(out), b"")


def full() -> HostSnapshot:
    return HostSnapshot(
        "fw", nat=parse(SAVE).table("nat"), variant="nft", ip_forward=0, taken_at=1.0
    )


def test_counters_are_read_in_rule_order_and_a_rule_without_one_refuses():
    assert _counters(LISTING) == [(50, 3000), (44, 2640)]
    assert _counters(LISTING.replace(" counter packets 44 bytes 2640", "")) is None
    assert _counters("Error: No such file or directory") is None


def test_a_light_snapshot_refreshes_the_chains_looked_at_and_keeps_the_rest():
    backend = Canned({"POSTROUTING": LISTING})
    snap = light_snapshot(
        backend, full(), [("nat", "POSTROUTING"), ("nat", "NOPE"), ("filter", "FORWARD")]
    )
    assert snap is not None and snap.light and snap.ip_forward == 1
    assert backend.asked == ["POSTROUTING"]  # chains the host does not have are not asked for
    post = snap.nat.chain("POSTROUTING")
    assert [r.packets for r in post.rules] == [50, 44] and post.rules[
        0
    ].text == "-j NETUI-POSTROUTING"
    assert snap.nat.chain("KUBE-SERVICES").rules[0].packets == 9  # not looked at: as it was
    assert full().nat.chain("POSTROUTING").rules[0].packets == 5  # the full snapshot untouched


def test_a_chain_whose_rule_count_moved_means_a_full_read():
    one_more = LISTING.replace("\t}\n}", "\t\t counter packets 1 bytes 60 return\n\t}\n}")
    assert (
        light_snapshot(Canned({"POSTROUTING": one_more}), full(), [("nat", "POSTROUTING")]) is None
    )
    evil = light_snapshot(Canned({}), full(), [("nat", "POSTROUTING; reboot")])
    assert evil is not None  # a name that is no chain name is never sent to nft


def test_polls_are_paced_so_reading_a_host_costs_it_at_most_five_percent():
    from netui.core.poller import host_state, paced

    quick = HostSnapshot("fw", duration=0.015, taken_at=100.0)
    assert paced(quick) == 2.0  # the interval: a cheap read is not slowed down
    assert paced(HostSnapshot("fw", duration=0.45)) == 9.0  # a 20,000-rule chain on screen
    assert paced(HostSnapshot("fw", duration=0.93)) == 15.0  # at most the back-off ceiling
    big = HostSnapshot("fw", duration=0.93, taken_at=100.0)
    assert host_state(big, 100.0 + 14)[0] == "ok"  # paced, not stale
    assert host_state(quick, 100.0 + 11)[0] == "stale"
