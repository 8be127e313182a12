"""The TUI with no environment file: the kubeconfig's clusters, read-only, and `netui init`'s
draft offered — what is missing, one key (W) to write it; never over an existing file."""

from __future__ import annotations

import asyncio
import dataclasses

from textual.widgets import DataTable

from netui.core.draft import build_draft
from netui.core.drafting import checked_text
from netui.discovery.jumphost import JumpRoute
from netui.discovery.kubeconfig import KUBECONFIG_ONLY, KubeContext
from netui.model import envfile
from netui.model.envfile import ClusterSpec, Environment, Office

from .tui_data import inventory, wait_until


class NoHostsPoller:
    def __init__(self, env, on_snapshot) -> None:
        pass

    def start(self) -> None:
        pass

    def refresh(self, name=None) -> None:
        pass

    def watch(self, owner, host, chains) -> None:
        pass

    def unwatch(self, owner) -> None:
        pass

    def stop(self) -> None:
        pass


def _kubeconfig_env() -> Environment:
    clusters = {n: ClusterSpec(name=n, context=f"lab-{n}") for n in ("a", "b")}
    return Environment("/k/config" + KUBECONFIG_ONLY, Office(()), {}, clusters, readonly=True)


def _drafter():
    env = _kubeconfig_env()
    inv = {n: dataclasses.replace(i, forwarder=None) for n, i in inventory(env).items()}
    contexts = [KubeContext(f"lab-{n}", n, None, n == "a") for n in ("a", "b")]
    routes = [
        JumpRoute("0.0.0.0/0", "192.168.1.1", "eth0"),
        JumpRoute("192.168.1.0/24", None, "eth0"),
    ]
    draft = build_draft(("/k/config", "$KUBECONFIG"), contexts, inv, [], None, routes, [])
    return draft, checked_text(draft)


def test_no_environment_file_opens_read_only_on_the_kubeconfig_and_w_writes_the_draft(
    tmp_path, monkeypatch
):
    from netui.app import NetuiApp

    monkeypatch.chdir(tmp_path)

    async def scenario() -> None:
        env = _kubeconfig_env()
        app = NetuiApp(env, readonly=True, poller_factory=NoHostsPoller, discover=inventory,
                       drafter=_drafter)  # fmt: skip
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.draft_text is not None and app._notifications)
            clusters = app.screen.query_one("#clusters", DataTable)
            await wait_until(pilot, lambda: clusters.get_cell("a", "PODS") != "…")
            assert clusters.get_cell("a", "PODS") == "10.200.0.0/16"
            said = " ".join(n.message for n in app._notifications)
            assert "No environment file" in said and "W writes it" in said
            assert "missing: office.cidrs" in said and "forwarders a: a-master" in said
            await pilot.press("W")
            await pilot.pause()
            assert envfile.load(tmp_path / "netui.yaml").clusters["a"].forwarder == "a-master"
            (tmp_path / "netui.yaml").write_text("mine\n")
            await pilot.press("W")
            await pilot.pause()
            assert (tmp_path / "netui.yaml").read_text() == "mine\n"
            assert any("never overwrites" in n.message for n in app._notifications)
            first = app.screen
            for key, name in (("d", "doctor"), ("p", "plan"), ("i", "host"), ("o", "probes")):
                await pilot.press(key)  # views built from hosts: none here
                await pilot.pause(0.2)
                assert app.screen is first, f"{key} opened an empty {name} screen"
                said = app._notifications
                assert any(n.message.startswith(f"{name} needs hosts: there is no environment file")
                           and "W writes the draft" in n.message for n in said), name  # fmt: skip
            await pilot.press("n")  # the DNS screen reads the clusters: it opens
            await pilot.pause(0.2)
            assert app.screen is not first
            assert app.crashes == []

    asyncio.run(scenario())


def test_with_an_environment_file_there_is_no_draft_and_no_w():
    from netui.app import NetuiApp

    from .tui_data import FixedPoller, environment, gather

    async def scenario() -> None:
        app = NetuiApp(environment(), poller_factory=FixedPoller, discover=inventory, gather=gather,
                       drafter=_drafter)  # fmt: skip
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            assert app.draft_text is None
            assert app.check_action("write_draft", ()) is False

    asyncio.run(scenario())
