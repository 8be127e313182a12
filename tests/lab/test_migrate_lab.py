"""The migration cockpit on the real lab: office traffic to `app.default.svc.cluster.local`
(a bounded loop in the office namespace, resolving through the office DNS each time), the
shared domain switched to cluster b from the cockpit, and the new connections per second
moving from a's forwarder to b's; the exported record names the plan and the switch."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from netui.app import NetuiApp

from ..tui_data import showing, wait_until
from .conftest import load_env, netui

# ~0.15 s per request, at most 1200 of them (three minutes): the test stops it when done
TRAFFIC = """
for i in $(seq 1 1200); do
  ip=$(dig +short +time=1 +tries=1 @192.168.1.109 app.default.svc.cluster.local | tail -1)
  [ -n "$ip" ] && timeout 1 bash -c "exec 3<>/dev/tcp/$ip/80" 2>/dev/null
  sleep 0.1
done
"""


async def _wait(pilot, predicate, seconds: float, state=lambda: "") -> None:
    assert await wait_until(pilot, predicate, seconds, 0.1), f"not in time: {state()}"


def test_switching_the_shared_domain_moves_the_office_traffic_on_the_cockpit(
    lab, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    from netui.screens.confirm import ConfirmScreen

    assert netui("apply", "--yes", env_file=lab.env).returncode == 0
    traffic = subprocess.Popen(
        ["ip", "netns", "exec", "nu-office-pc", "bash", "-c", TRAFFIC],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def rate(m, cluster: str) -> float:
        return m.clusters[cluster].connections.rate or 0.0

    async def scenario() -> None:
        app = NetuiApp(load_env(lab.env))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("m")
            await _wait(pilot, lambda: getattr(app.screen, "migration", None) is not None, 20)
            m = app.screen.migration
            cockpit = app.screen
            await _wait(pilot, lambda: m.domains.get("cluster.local") == "a", 40)
            await _wait(
                pilot, lambda: rate(m, "a") > 1 and rate(m, "b") == 0, 40, lambda: m.clusters
            )
            await pilot.press("s")  # cluster.local → b: the usual preview, Cancel first
            # the dialog mounted with its buttons, not only pushed (pressing #ok before it was
            # mounted failed once: NoMatches '#ok' on ConfirmScreen)
            await _wait(pilot, lambda: showing(app, ConfirmScreen, "#ok"), 20)
            assert "Resolve cluster.local in cluster b?" in app.screen.title_text
            app.screen.query_one("#ok").press()
            await _wait(pilot, lambda: m.domains.get("cluster.local") == "b", 40)
            # within a few poll intervals the office's new connections go through b's forwarder
            await _wait(
                pilot, lambda: rate(m, "b") > 1 and rate(m, "a") == 0, 40, lambda: m.clusters
            )
            await pilot.press("e")
            record = Path(cockpit.last_export).read_text()
            switch = next(t for _, t in m.timeline if t.startswith("netui: plan "))
            plan_id = switch.split()[2]
            assert plan_id in record and "applied" in switch
            # (dnsmasq restarts with b's server: a moment without answers may be said with it)
            assert "DNS: cluster.local now resolves in cluster b (was a" in record, record
            assert "| a | a-master ✓ | on |" in record and "| b | b-master ✓ | on |" in record

    try:
        asyncio.run(scenario())
    finally:
        traffic.kill()
        traffic.wait()
        netui("undo", "--yes", env_file=lab.env)  # the switch
        netui("undo", "--yes", env_file=lab.env)  # the connecting plan
