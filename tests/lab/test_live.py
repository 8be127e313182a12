"""Live state: `nft monitor` wakes a host's poll as soon as a rule changes; polling stays the
fallback on legacy hosts. Real namespaces, real iptables-nft and iptables-legacy."""

from __future__ import annotations

import subprocess
import time

from netui.core.poller import HostPoller
from netui.model.snapshot import HostSnapshot

from .conftest import in_ns, load_env

RULE = ["-s", "10.1.3.77/32", "-d", "10.200.0.0/16", "-j", "MASQUERADE"]


class Seen:
    """Every snapshot the poller delivered, in order."""

    def __init__(self) -> None:
        self.snaps: list[HostSnapshot] = []

    def wait_for(self, host: str, want, seconds: float, since: int = 0) -> HostSnapshot | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for snap in self.snaps[since:]:
                if snap.host == host and want(snap):
                    return snap
            time.sleep(0.01)
        return None

    def until(self, condition, seconds: float) -> bool:
        """Whether `condition()` came true within `seconds` (looked at every 10 ms)."""
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


def _has_rule(snap: HostSnapshot) -> bool:
    chain = snap.nat.chain("POSTROUTING") if snap.nat else None
    return bool(chain) and any("10.1.3.77/32" in r.text for r in chain.rules)


def test_a_rule_added_on_an_nft_host_shows_before_the_next_poll_and_legacy_waits(lab):
    seen = Seen()
    # A 30 s interval: only the monitor can bring the change within the time asserted below.
    poller = HostPoller(load_env(lab.env), seen.snaps.append, interval=30)
    poller.start()
    try:
        assert seen.wait_for("a-master", lambda s: s.ok and s.variant == "nft", 15)
        assert seen.wait_for("b-master", lambda s: s.ok and s.variant == "legacy", 15)
        assert seen.until(lambda: poller.following("a-master"), 5)  # its monitor is up
        # netui's own reads (iptables-save) are no rule changes: no poll storm on an idle host
        assert poller.rule_events.get("a-master", 0) == 0
        since = len(seen.snaps)
        added = time.monotonic()
        in_ns("nu-a-master", "iptables", "-t", "nat", "-A", "POSTROUTING", *RULE)
        found = seen.wait_for("a-master", _has_rule, 10, since)  # the poll: 30 s
        latency = time.monotonic() - added
        assert found is not None, "the nft monitor did not wake the poll"
        print(f"rule change to snapshot on an nft host: {latency * 1000:.0f} ms")
        assert poller.rule_events.get("a-master", 0) >= 1
        # `iptables -I` is an "insert rule" event, deleting one a "delete rule": both wake it
        for change, want in (("-I", True), ("-D", False)):
            since = len(seen.snaps)
            rule = ["-s", "10.1.3.78/32", "-j", "RETURN"]
            in_ns("nu-a-master", "iptables", "-t", "nat", change, "POSTROUTING", *rule)
            assert seen.wait_for(
                "a-master",
                lambda s, want=want: (
                    any("10.1.3.78/32" in r.text for r in s.nat.chain("POSTROUTING").rules) == want
                ),
                10,
                since,
            ), f"iptables {change} on nft did not wake the poll"
        # legacy: no monitor, so the same change waits for the next poll (30 s away)
        since = len(seen.snaps)
        in_ns("nu-b-master", "iptables", "-t", "nat", "-A", "POSTROUTING", *RULE)
        assert seen.wait_for("b-master", _has_rule, 2, since) is None
        assert "b-master" not in poller.rule_events
    finally:
        poller.stop()
        in_ns("nu-a-master", "iptables", "-t", "nat", "-D", "POSTROUTING", *RULE)
        in_ns("nu-b-master", "iptables", "-t", "nat", "-D", "POSTROUTING", *RULE)
    # the monitors are cancelled in the background: gone within moments
    assert seen.until(lambda: _monitors_in_this_lab() == [], 5), "a monitor outlived the poller"


def _monitors_in_this_lab() -> list[str]:
    """`nft monitor` processes in this worker's lab namespaces (other workers run labs of
    their own on the same machine)."""
    import os

    ours = {os.stat(f"/run/netns/{n}").st_ino for n in os.listdir("/run/netns")}
    found = subprocess.run(["pgrep", "-f", "nft monitor rules"], capture_output=True, text=True)
    out = []
    for pid in found.stdout.split():
        try:
            if os.stat(f"/proc/{pid}/ns/net").st_ino in ours:
                out.append(pid)
        except OSError:
            continue  # gone meanwhile
    return out


def test_between_rule_changes_polls_read_only_the_counters_looked_at(lab, monkeypatch):
    """On an nft host followed by its monitor, polls after the first full read are light: the
    rules stay, the watched chains' counters move; a rule change makes the next poll a full
    read again; a screen that needs every counter (hot rules) gets full reads."""
    import netui.core.poller as poller_module

    # Not about pacing (a full read of 0.75 s under CI load paced the next one 15 s later, so
    # three polls did not fit in 20 s once): a poll follows the last one by its own length.
    monkeypatch.setattr(poller_module, "HOST_SHARE", 1.0)
    seen = Seen()
    poller = HostPoller(load_env(lab.env), seen.snaps.append, interval=0.3)
    poller.watch("nat view", "a-master", [("nat", "KUBE-POSTROUTING")])
    poller.start()
    rule = ["-s", "10.1.3.79/32", "-j", "RETURN"]
    try:
        light = seen.wait_for("a-master", lambda s: s.light, 30)  # monitor up (slow when loaded)
        assert light is not None, "no light poll on an nft host with a monitor"
        assert light.nat.chain("KUBE-SERVICES").rules  # the rules of the last full read
        since = len(seen.snaps)
        in_ns("nu-a-master", "iptables", "-t", "nat", "-I", "POSTROUTING", *rule)
        fresh = seen.wait_for(
            "a-master",
            lambda s: any("10.1.3.79/32" in r.text for r in s.nat.chain("POSTROUTING").rules),
            15,
            since,
        )
        assert fresh is not None and not fresh.light  # a change: the whole table read again
        assert seen.wait_for("a-master", lambda s: s.light, 15, len(seen.snaps))  # then light
        # legacy hosts have no monitor: never light
        assert not any(s.light for s in seen.snaps if s.host == "b-master")
        poller.watch("hot rules", "*", None)
        since = len(seen.snaps)

        def polls_since() -> list[HostSnapshot]:  # the first may have been under way already
            return [s for s in seen.snaps[since + 1 :] if s.host == "a-master"]

        assert seen.until(lambda: len(polls_since()) >= 3, 20)
        assert not any(s.light for s in polls_since())
    finally:
        poller.stop()
        in_ns("nu-a-master", "iptables", "-t", "nat", "-D", "POSTROUTING", *rule)
