"""The table of `netui` commands. Each module of netui/commands declares its own commands in a
`COMMANDS` tuple; MODULES below is the one registration. cli.py builds the parser from this
table and adds a command's options only when that command is on the command line (or for the
full parser), so `netui --help` stays fast (bench/cli_help.py).

A command module is cheap to import: its heavy imports (the core, Textual, paramiko) live
inside the functions that run, never at its top."""

from __future__ import annotations

import importlib
from collections.abc import Callable

TYPE_CHECKING = False  # not typing's, nor a dataclass below: both cost `netui --help` ~10 ms
if TYPE_CHECKING:
    import argparse

# Registration: one line per module, in the order `netui --help` lists their commands (after
# the TUI's own, which cli.py declares: a command module never imports the TUI).
MODULES = (
    "hosts",
    "plan",
    "verify",
    "dns",
    "doctor",
    "inventory",
    "init",
    "completion",
    "export",
    "lab",
)


class Command:
    """One `netui` command, or one action of a command group (`netui dns switch`).

    A group (with `actions`) runs nothing itself: its action does, so no module dispatches a
    second time on its own arguments."""

    __slots__ = (
        "actions",
        "add_arguments",
        "dest",
        "help",
        "metavar",
        "name",
        "run",
        "themed",
        "writes",
    )

    def __init__(
        self,
        name: str,
        help: str,
        run: Callable[[argparse.Namespace], int] | None = None,
        add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
        *,
        writes: bool = False,
        themed: bool = False,
        actions: tuple[Command, ...] = (),
        dest: str = "",
        metavar: str = "ACTION",
    ) -> None:
        self.name = name
        self.help = help
        self.run = run
        self.add_arguments = add_arguments
        # it changes hosts, files or the lab: --readonly (and `readonly: true` in the
        # environment file) refuses it, and the environment file it acts on is named first
        self.writes = writes
        self.themed = themed  # takes --theme (it opens the TUI)
        self.actions = actions
        # for a group: the Namespace attribute naming the chosen action, and how --help shows it
        self.dest = dest
        self.metavar = metavar

    def __repr__(self) -> str:
        return f"Command({self.name!r})"


def commands() -> list[Command]:
    """Every top-level command, in registration order."""
    found: list[Command] = []
    for module in MODULES:
        found += importlib.import_module(f"netui.commands.{module}").COMMANDS
    return found
