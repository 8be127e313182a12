"""The Textual app. It renders and dispatches; every action calls the same core as the CLI.

First paint comes before paramiko and kubernetes are imported: snapshots and discovery run in
thread workers started after the screen is up.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import Theme

from netui.core.poller import HostPoller, Poller
from netui.model.envfile import Environment
from netui.model.safe_text import clean, clean_block
from netui.screens.commands import NetuiCommands
from netui.screens.views import view
from netui.themes import load_theme_files

if TYPE_CHECKING:  # the parser behind it loads after the first paint
    from netui.core.inventory import ClusterInventory
    from netui.core.own_state import OwnStateChange, OwnStateWatch
    from netui.model.snapshot import HostSnapshot

PollerFactory = Callable[[Environment, Callable[["HostSnapshot"], None]], Poller]


# Every unexpected error any app of this process survived (the test suite fails on one).
SURVIVED: list[str] = []


class NetuiApp(App[None]):
    TITLE = "netui"
    # Absolute, so subclasses (the benchmark's, tests') find it wherever they are defined.
    CSS_PATH = str(Path(__file__).parent / "screens" / "netui.tcss")
    COMMANDS = App.COMMANDS | {NetuiCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("colon", "command_palette", "Command", id="command"),
        Binding("T", "next_theme", "Theme", id="theme"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("y", "confirm_armed", "Confirm", id="confirm_armed", show=False),
        Binding("S", "staged", "Staged", id="staged", show=False),
        # only with no environment file (check_action): write `netui init`'s draft
        Binding("W", "write_draft", "Write draft", id="write_draft"),
    ]

    def __init__(
        self,
        env: Environment,
        theme: str | None = None,
        readonly: bool = False,
        poller_factory: PollerFactory | None = None,
        discover: Callable[[Environment], dict[str, Any]] | None = None,
        gather: Callable[[Environment], Any] | None = None,
        hosts: Any = None,
        start: str | None = None,
        drafter: Callable[[], tuple[Any, str]] | None = None,
    ) -> None:
        super().__init__()
        self.drafter = drafter  # netui init's draft (tests hand in a fixed one)
        self.draft_text: str | None = None
        self.readonly = readonly
        self.start = start  # a view to open over the overview at once ("migrate")
        # Where live data comes from: HostPoller, Kubernetes discovery and the doctor's gather
        # (every host and API at once) unless given; screen tests hand in a fixed world here.
        self.poller_factory = poller_factory
        self.poller: Poller | None = None  # made on mount, started after the first paint
        self.snapshots: dict[str, HostSnapshot] = {}  # host -> its newest snapshot
        self.inventory: dict[str, ClusterInventory] | None = None  # once discovery answered
        # published on the app's thread: a host's name, then None once the inventory is in
        self.snapshot_arrived: Signal[str] = Signal(self, "snapshot-arrived")
        # netui's own chains gone or back on a host, as the poller saw it (core/own_state.py)
        self.own_state: OwnStateWatch | None = None
        self.inventory_arrived: Signal[None] = Signal(self, "inventory-arrived")
        from netui.core.session import Session

        # the UI-free core every screen calls (the CLI calls the same)
        self.session = Session(env, discover=discover, gather=gather, hosts=hosts)
        self.session.readonly = self.session.readonly or readonly
        from netui.core.confirm_clock import ConfirmClock

        # armed plans: header, toast, `y` and history tell one account of each
        self.confirm_clock = ConfirmClock()
        self._titles: dict[int, str] = {}  # screen -> its own title, while the countdown shows
        self._settling: set[str] = set()  # plans whose hosts are being asked right now
        self.crashes: list[str] = []  # unexpected errors survived (tests assert there are none)
        self.crash_times: list[float] = []
        self.theme_problems: list[str] = []
        self._theme_names: list[str] = []
        self._wanted_theme = theme or "dark"

    @property
    def own_state_changes(self) -> list[OwnStateChange]:
        return self.own_state.said if self.own_state is not None else []

    @property
    def env(self) -> Environment:
        """The session's environment (a forwarder picked in the TUI changes it for this session)."""
        return self.session.env

    @env.setter
    def env(self, env: Environment) -> None:
        self.session.env = env

    def get_default_screen(self) -> Screen[Any]:
        # The overview is the first screen itself, not pushed over an empty default one.
        from netui.screens.overview import OverviewScreen

        return OverviewScreen()

    def on_mount(self) -> None:
        files, self.theme_problems = load_theme_files()
        for tf in files:
            self.register_theme(Theme(**tf.fields))
            self._theme_names.append(tf.fields["name"])
        by_short = {tf.short_name: tf.fields["name"] for tf in files}
        wanted = by_short.get(self._wanted_theme, self._wanted_theme)
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self.theme_problems.append(
                f"no theme {self._wanted_theme!r}; themes: {', '.join(sorted(by_short))}"
            )
            self.theme = by_short.get("dark", "textual-dark")
        from netui.keymap import load_keymap

        if self.start:
            self.call_after_refresh(self._open_start)
        keymap, key_problems = load_keymap()
        if keymap:
            self.set_keymap(keymap)
        for p in self.theme_problems + key_problems:
            self.notify(p, severity="warning", timeout=8)
        self.set_interval(0.5, self._tick_armed)
        factory = self.poller_factory
        deliver = self._deliver
        self.poller = (
            factory(self.env, deliver)
            if factory
            else HostPoller(self.env, deliver, hosts=lambda: self.session.hosts)
        )
        # After the first paint: the kubernetes client alone takes ~0.5 s to import, and a thread
        # importing it competes with the paint for the interpreter.
        self.call_after_refresh(self._start_workers)
        from netui.core.drafting import kubeconfig_only

        if kubeconfig_only(self.env):
            self.run_worker(self._prepare_draft, thread=True, exit_on_error=False)

    # --- no environment file: the kubeconfig's clusters, read-only, and init's draft ---------

    def _prepare_draft(self) -> None:
        from netui.core.drafting import draft_now, summary

        try:
            draft, self.draft_text = (self.drafter or draft_now)()
        except Exception as e:  # a draft that cannot be made must not take the screen down
            self.call_from_thread(self.notify, f"no draft: {e}", severity="warning", timeout=15)
            return
        self.call_from_thread(
            self.notify,
            "No environment file: read-only on the kubeconfig's clusters; what needs hosts "
            "(doctor, plan, host views) opens once there is one. "
            f"A draft is ready ({summary(draft)}). W writes it to ./netui.yaml (what `netui init` prints).",
            title="netui init",
            timeout=60,
        )
        self.call_from_thread(self.refresh_bindings)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "write_draft":
            return self.draft_text is not None
        return super().check_action(action, parameters)

    def action_write_draft(self) -> None:
        from netui.core.drafting import write_new
        from netui.errors import UserError

        if self.draft_text is None:
            return
        try:
            write_new("netui.yaml", self.draft_text)
        except UserError as e:
            self.notify(str(e), severity="error", timeout=15)
            return
        self.notify(
            "wrote ./netui.yaml: read its CHECK lines, `netui trust` each host, "
            "then `netui doctor`; the next `netui` opens on it",
            timeout=60,
        )

    # --- live data: the poller's snapshots and discovery's inventory ----------------------

    def _start_workers(self) -> None:
        poller = self.poller
        if poller is not None:
            self.run_worker(poller.start, thread=True, exclusive=False)
        self.run_worker(self._discover, thread=True)

    def _discover(self) -> None:
        inventory = self.session.discover()
        self.call_from_thread(self._inventory_found, inventory)

    def _inventory_found(self, inventory: dict[str, ClusterInventory]) -> None:
        if not self.is_running:
            return  # landed while the app closes: no screen will show it
        self.inventory = inventory
        self.inventory_arrived.publish(None)

    def _deliver(self, snap: HostSnapshot) -> None:
        """The poller's callback, on its own thread: the snapshot goes to the app's thread."""
        try:
            self.call_from_thread(self._snapshot_found, snap)
        except RuntimeError:
            pass  # the app has ended: nothing to show it on

    def _snapshot_found(self, snap: HostSnapshot) -> None:
        if not self.is_running:
            return  # landed while the app closes: a screen reacting to it would start work
        if self.own_state is None:
            from netui.core.own_state import OwnStateWatch  # after the first paint

            self.own_state = OwnStateWatch()
        lost = self.own_state.read(self.snapshots.get(snap.host), snap)
        self.snapshots[snap.host] = snap
        if lost is not None and lost.gone:
            # chains gone: news only when a standing plan put them there (netui's own undo or
            # a rollback past its deadline is not), which the journal says, off this thread
            self.run_worker(
                lambda: self._weigh_gone(lost), thread=True, group="own-state", exit_on_error=False
            )
        elif lost is not None:
            self._say_own_state(lost)
        self.snapshot_arrived.publish(snap.host)

    def _weigh_gone(self, found: OwnStateChange) -> None:
        from netui.core.own_state import standing_plans

        try:
            plans = standing_plans(found.host)
        except (OSError, ValueError):  # an unreadable journal: said by history, not here
            return
        self.call_from_thread(self._gone_weighed, found, plans)

    def _gone_weighed(self, found: OwnStateChange, plans: tuple[str, ...]) -> None:
        if not self.is_running or self.own_state is None:
            return
        said = self.own_state.gone(found, plans)
        if said is not None:
            self._say_own_state(said)
            self.snapshot_arrived.publish(found.host)  # the overview counts its doctor again

    def _say_own_state(self, said: OwnStateChange) -> None:
        """Another tool's reload took netui's chains (or they came back): said at once,
        whatever screen is up."""
        self.notify(said.text(), severity="warning" if said.gone else "information", timeout=12)

    def refresh_hosts(self, name: str | None = None) -> None:
        """Poll `name` (None: every host) now, e.g. after a change was applied."""
        if self.poller is not None:
            self.poller.refresh(name)

    def watch_counters(
        self, owner: object, host: str, chains: Iterable[tuple[str, str]] | None
    ) -> None:
        """Tell the poller what a screen shows (see HostPoller.watch)."""
        if self.poller is not None:
            self.poller.watch(owner, host, chains)

    def unwatch_counters(self, owner: object) -> None:
        if self.poller is not None:
            self.poller.unwatch(owner)

    def open_view(self, name: str, arg: str | None = None) -> None:
        """Open a registered view (screens/views.py) over the current screen."""
        if not self.can_open(name):
            return
        self.push_screen(view(name).build(arg))

    def can_open(self, name: str) -> bool:
        """With the kubeconfig alone, a view built from hosts says in one line why it does not
        open (an empty screen would look like a network with nothing wrong)."""
        from netui.core.drafting import kubeconfig_only

        if not view(name).from_hosts or not kubeconfig_only(self.env):
            return True
        offer = (
            "W writes the draft `netui init` made" if self.draft_text else "`netui init` drafts one"
        )
        self.notify(
            f"{name} needs hosts: there is no environment file (read-only on the kubeconfig); "
            f"{offer}, then run `netui --env netui.yaml`",
            severity="warning",
            timeout=10,
        )
        return False

    def switch_view(self, name: str, arg: str | None = None) -> None:
        """Open a registered view in place of the current screen (nat <-> host of one host)."""
        if not self.can_open(name):
            return
        self.switch_screen(view(name).build(arg))

    # --- commit-confirmed, visible on every screen ------------------------------------------

    def arm(self, plan_id: str, seconds: float) -> None:
        """A plan applied with a rollback armed: the countdown shows in every screen's header
        and `y` confirms it from anywhere."""
        self.confirm_clock.arm(plan_id, seconds)
        self._tick_armed()

    def _tick_armed(self) -> None:
        """Every screen's header says what the operator must not miss: a countdown while a
        plan is armed, its rollback once it fired, and read-only mode."""
        if not self.screen_stack:
            return  # the app is closing: no screen to put it on
        screen = self.screen
        now = time.time()
        clock = self.confirm_clock
        for plan in clock.due(now):
            if plan.plan_id not in self._settling:
                self._settling.add(plan.plan_id)
                self.run_worker(lambda p=plan.plan_id: self._settle(p), thread=True)
        clock.forget_old(now)
        mark = clock.header(now)
        if mark is None and not self.readonly:
            for s in self.screen_stack:
                if id(s) in self._titles:
                    s.title = self._titles.pop(id(s))
            return
        own = self._titles.setdefault(id(screen), screen.title or "netui")
        marks = ["READ-ONLY"] if self.readonly else []
        marks += [mark] if mark else []
        screen.title = " · ".join([*marks, own])

    def _settle(self, plan_id: str) -> None:
        """The confirm time ran out: ask the hosts until they say their timers fired (they
        fire a second or two after netui's deadline), then say so once, everywhere."""
        from netui.core.confirm_clock import SETTLE_FOR
        from netui.core.errors import HostError, UserError
        from netui.core.session import PlanState

        ends = time.time() + SETTLE_FOR
        fired: dict[str, str] = {}
        try:
            while True:
                try:
                    status, newly = self.session.settle(plan_id)
                except (HostError, UserError) as e:
                    status, newly = None, {}
                    error = str(e)
                else:
                    error = ""
                fired |= newly
                state = PlanState(status) if status else None  # asked, never compared as text
                if (state is not None and state.rolled_back) or (
                    fired and not (state is not None and state.awaiting_confirmation)
                ):
                    text = self.confirm_clock.record_fired(
                        plan_id, fired, time.time(), self._rebooted(plan_id)
                    )
                    self.call_from_thread(self.notify, text, severity="warning", timeout=20)
                    return
                if time.time() >= ends:
                    text = self.confirm_clock.give_up(plan_id)
                    if fired:  # some hosts rolled back, others did not answer
                        text = self.confirm_clock.record_fired(
                            plan_id, fired, time.time(), self._rebooted(plan_id)
                        )
                        text += "; the other hosts have not answered (unreachable?)"
                    text += f" ({error})" if error else ""
                    self.call_from_thread(self.notify, text, severity="error", timeout=20)
                    return
                time.sleep(1.0)
        finally:
            self._settling.discard(plan_id)

    def _rebooted(self, plan_id: str) -> frozenset[str]:
        from netui.core.errors import HostError, UserError

        try:
            return self.session.rolled_back_by_reboot(plan_id)
        except (HostError, UserError):
            return frozenset()

    def action_confirm_armed(self) -> None:
        waiting = self.confirm_clock.awaiting(time.time())
        if not waiting:
            self.notify(self.confirm_clock.y_refusal(time.time()), timeout=6)
            return
        plan_id = waiting[0].plan_id
        self.confirm_clock.confirmed(plan_id)

        def work() -> None:
            from netui.core.errors import HostError, UserError

            try:
                journal, result = self.session.confirm(plan_id)
            except (HostError, UserError) as e:
                self.call_from_thread(self.notify, f"✗ {e}", severity="error", timeout=10)
                return
            text = "; ".join(f"{h}: {v}" for h, v in result.items()) or "nothing was armed"
            status = journal.status if journal else "?"
            self.call_from_thread(self.notify, f"plan {plan_id}: {status} — {text}", timeout=8)

        self.run_worker(work, thread=True)

    def action_next_theme(self) -> None:
        if not self._theme_names:
            return
        i = self._theme_names.index(self.theme) if self.theme in self._theme_names else -1
        self.theme = self._theme_names[(i + 1) % len(self._theme_names)]
        self.notify(f"theme: {self.theme}", timeout=2)

    def _open_start(self) -> None:
        assert self.start is not None
        self.open_view(self.start)

    def action_staged(self) -> None:
        """Every change staged so far, its before/after per host, applied as one plan."""
        from netui.screens.staged import StagedScreen

        if isinstance(self.screen, StagedScreen):
            return
        self.open_view("staged")

    def action_help(self) -> None:
        """The keys in force on this screen, grouped, with their ids (k9s' `?`)."""
        from netui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.screen))

    # --- never die in front of people ------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast: its text often carries a host's (an error, a name, a comment), so it
        is never markup and its controls are escaped (a `[link=…]` in an error used to raise
        MarkupError inside the handler of the first one and freeze the app)."""
        super().notify(
            clean_block(message),
            title=clean(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def format_title(self, title: str, sub_title: str) -> Content:
        """Titles name hosts and say why they failed (their own text): escaped."""
        return super().format_title(clean(title), clean(sub_title))

    def _handle_exception(self, error: Exception) -> None:
        """An error nobody caught (a worker's, a handler's): said on screen, and netui goes on.
        Expected kinds (a host down, a refusal) are one line; anything else also saves a report.
        Only a burst of them (the screen itself broken) ends the app, with a non-zero status."""
        from textual.worker import WorkerFailed

        from netui.core.errors import EXPECTED

        if isinstance(error, WorkerFailed) and isinstance(error.error, Exception):
            error = error.error  # a worker's own exception, not Textual's wrapper
        if too_late_to_start(error):
            return  # work that began while the app closes: nothing to do it for, nothing broke
        now = time.monotonic()
        self.crash_times = [t for t in self.crash_times if now - t < 10] + [now]
        self._say_on_its_screen(error)
        if isinstance(error, EXPECTED):
            self.notify(f"✗ {error}", severity="error", timeout=10)
            return
        report = save_crash_report(error)
        self.crashes.append(f"{type(error).__name__}: {error}")
        SURVIVED.append(self.crashes[-1])
        if len(self.crash_times) > 5:
            super()._handle_exception(error)  # the screen keeps failing: end, status 1
            return
        self.notify(
            f"internal error: {type(error).__name__}: {error} — report saved to {report}; netui carries on",
            severity="error",
            timeout=15,
        )

    def _say_on_its_screen(self, error: Exception) -> None:
        """A worker's error also goes in the header of the screen that started it (the
        operator may have moved on; the screen still says what failed when they come back)."""
        for worker in list(self.workers):
            if worker.error is error:
                node = worker.node
                screen = node if isinstance(node, Screen) else getattr(node, "screen", None)
                if isinstance(screen, Screen):
                    screen.sub_title = f"✗ {type(error).__name__}: {error}"[:200]
                return

    def on_unmount(self) -> None:
        if self.poller is not None:
            self.poller.stop()

    async def action_quit(self) -> None:
        """Quit at once, whatever the hosts do: connections close in the background."""
        if self.poller is not None:
            self.poller.stop()
        self.session.close(wait=False)
        self.exit()

    def run_fast_exit(self) -> int:
        """Run the app; on exit do not wait for worker threads still blocked on a host (the
        default executor of asyncio.run would join them: a pending SSH connect kept `q`
        waiting ~20 s). Returns the app's exit status."""
        loop = asyncio.new_event_loop()
        loop.set_default_executor(DaemonThreads())
        try:
            self.run(loop=loop)
        finally:
            loop.close()
        return self.return_code or 0


class DaemonThreads(ThreadPoolExecutor):
    """An executor whose every job runs in its own daemon thread: nothing joins it at exit.
    (asyncio takes only a ThreadPoolExecutor as the default executor; no pool is used.)"""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as e:
                future.set_exception(e)

        threading.Thread(target=run, daemon=True, name="netui-worker").start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


def too_late_to_start(error: BaseException) -> bool:
    """A thread worker started after asyncio shut its executor down (the app is closing: a
    snapshot or a timer landed in the last moments)."""
    return isinstance(error, RuntimeError) and str(error) in (
        "Executor shutdown has been called",
        "cannot schedule new futures after shutdown",
    )


def save_crash_report(error: BaseException) -> str:
    """The traceback in a file of its own under the state directory; its path."""
    import traceback

    from netui.paths import state_home

    folder = state_home() / "crashes"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        path.write_text("".join(traceback.format_exception(error)))
        os.chmod(path, 0o600)
        return str(path)
    except OSError as e:
        return f"(not saved: {e})"
