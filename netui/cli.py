"""The `netui` command. Every TUI action is also a command here; neither holds network logic.

Imports are lazy: `netui --help` must not pay for Textual, paramiko or kubernetes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Collection, Sequence

from netui import __version__
from netui.commands import registry


class _Parser(argparse.ArgumentParser):
    """Bad input is one line naming the option and what would be right, exit status 2."""

    # argparse declares error() -> NoReturn; this one exits too, with one line of its own
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"netui: {message} (see `{self.prog} --help`)\n")


# Options every level of the command line takes. argparse lets a sub-command's defaults overwrite
# what an outer level parsed (`netui rule --env X delete ...` silently lost X), so each level
# stores into its own name with no default, and `_merge_common` joins them after parsing:
# a flag anywhere counts, and two different --env files are refused.
COMMON_FLAGS = ("json", "debug", "readonly")
COMMON_VALUES = ("env", "theme")


def _common(level: int) -> _Parser:
    p = _Parser(add_help=False)
    p.add_argument(
        "--env",
        metavar="FILE",
        dest=f"env_{level}",
        default=argparse.SUPPRESS,
        help="environment file (default: $NETUI_ENV, ./netui.yaml, $XDG_CONFIG_HOME/netui/env.yaml, or the running lab's)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        dest=f"json_{level}",
        default=argparse.SUPPRESS,
        help="machine-readable output",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        dest=f"debug_{level}",
        default=argparse.SUPPRESS,
        help="show tracebacks",
    )
    p.add_argument(
        "--readonly",
        action="store_true",
        dest=f"readonly_{level}",
        default=argparse.SUPPRESS,
        help="refuse every command that changes something (the TUI offers no write action)",
    )
    return p


def _theme(p: argparse.ArgumentParser, level: int) -> None:
    p.add_argument(
        "--theme",
        dest=f"theme_{level}",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="TUI theme name (dark, light, high-contrast, or a user theme)",
    )


def _merge_common(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    found: dict[str, list[object]] = {k: [] for k in (*COMMON_FLAGS, *COMMON_VALUES)}
    for key in list(vars(args)):
        name, _, level = key.rpartition("_")
        if name in found and level.isdigit():
            found[name].append(getattr(args, key))
            delattr(args, key)
    for name in COMMON_FLAGS:
        setattr(args, name, any(found[name]))
    for name in COMMON_VALUES:
        values = list(dict.fromkeys(found[name]))
        if len(values) > 1:
            parser.error(
                f"--{name} is given {len(values)} times with different values ({', '.join(map(str, values))}): give it once"
            )
        setattr(args, name, values[0] if values else None)


def command_path(args: argparse.Namespace) -> tuple[str, ...]:
    """The command and action the operator named (`("dns", "switch")`); plain `netui` is `tui`."""
    return getattr(args, "command_path", None) or (args.command or "tui",)


def writes(args: argparse.Namespace) -> bool:
    command = getattr(args, "run_command", None)
    return command.writes if command else False


def _open_tui(args: argparse.Namespace, start: str | None) -> int:
    from netui.commands import environment

    # a bad environment file fails here, before the screen takes over; with none at all the TUI
    # opens on the kubeconfig's clusters, read-only, and offers `netui init`'s draft
    env = environment(args, kubeconfig_alone=True)
    from netui.app import NetuiApp

    app = NetuiApp(
        env,
        theme=getattr(args, "theme", None),
        readonly=bool(getattr(args, "readonly", False) or env.readonly),
        start=start,
    )
    # 0 only when the operator quit; a crash that ended the app is non-zero
    return app.run_fast_exit()


# The commands that open the TUI (`netui`, `netui tui`, `netui migrate`). They are declared here,
# in the program that starts either face, so that the CLI's commands (netui/commands) import the
# core and never the other face (tests/test_layers.py).
TUI = registry.Command(
    "tui",
    "the terminal UI (also what plain `netui` runs)",
    lambda args: _open_tui(args, None),
    themed=True,
)
TUI_COMMANDS = (
    TUI,
    registry.Command(
        "migrate",
        "the TUI on the migration cockpit: per cluster traffic, routes, probes, DNS, a timeline",
        lambda args: _open_tui(args, "migrate"),
        themed=True,
    ),
)


def commands() -> list[registry.Command]:
    """Every top-level command, in the order `netui --help` lists them."""
    return [*TUI_COMMANDS, *registry.commands()]


def build_parser(needed: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line from `commands()` (netui/commands/registry.py). With `needed`,
    only those commands get their options: every command is listed, but `netui --help` and
    `netui plan ...` read no other command's arguments."""
    parser = _Parser(
        prog="netui",
        description="Connect an office LAN to Kubernetes clusters: forwarders, MASQUERADE, routes, DNS — visible and undoable.",
        parents=[_common(0)],
    )
    parser.add_argument("--version", action="version", version=f"netui {__version__}")
    _theme(parser, 0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common, inner = _common(1), _common(2)
    for command in commands():
        p = sub.add_parser(command.name, parents=[common], help=command.help)
        if needed is None or command.name in needed:
            _add_command(p, command, (command.name,), inner)
    return parser


def _add_command(
    p: argparse.ArgumentParser,
    command: registry.Command,
    path: tuple[str, ...],
    inner: argparse.ArgumentParser,
) -> None:
    if command.themed:
        _theme(p, len(path))
    if command.add_arguments:
        command.add_arguments(p)
    if not command.actions:
        p.set_defaults(run_command=command, command_path=path)
        return
    actions = p.add_subparsers(dest=command.dest, metavar=command.metavar, required=True)
    for action in command.actions:
        a = actions.add_parser(action.name, parents=[inner], help=action.help)
        _add_command(a, action, (*path, action.name), inner)


def _parse(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    # a word of the command line that names a command is (very likely) that command
    parser = build_parser({word for word in argv if not word.startswith("-")})
    args = parser.parse_args(argv)
    if args.command and getattr(args, "run_command", None) is None:
        # it was not (an abbreviation argparse accepted, say): read again with every option
        parser = build_parser()
        args = parser.parse_args(argv)
    return parser, args


def _dispatch(args: argparse.Namespace) -> int:
    command = getattr(args, "run_command", None)
    if command is None:  # plain `netui`: the TUI
        command = TUI
    assert command.run is not None, command.name
    return command.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions: answer and exit
        from netui.commands.completion import complete

        complete(build_parser())
    # every line printed passes one sanitiser: text from hosts and APIs is never obeyed by
    # the terminal (the TUI writes to the terminal itself and builds its own safe text)
    from netui.safe_output import safe_output

    with safe_output():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser, args = _parse(sys.argv[1:] if argv is None else list(argv))
    _merge_common(parser, args)
    args.writes = writes(args)
    debug = args.debug or bool(os.environ.get("NETUI_DEBUG"))
    try:
        if args.readonly and args.writes:
            from netui.errors import UserError

            raise UserError(
                f"read-only (--readonly): `netui {' '.join(command_path(args))}` changes things; nothing was done"
            )
        return _dispatch(args)
    except KeyboardInterrupt:
        print("netui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        from netui.model.envfile import EnvironmentProblem

        if debug:
            raise
        if isinstance(e, EnvironmentProblem):
            for p in e.problems:
                print(f"netui: {p}", file=sys.stderr)
            return 2
        from netui.core.errors import HostError, PlanRefused

        if isinstance(e, HostError):
            print(f"netui: {e}", file=sys.stderr)
            return 2
        if isinstance(e, PlanRefused):  # any command that plans refuses as `netui plan` does
            for reason in e.reasons:
                print(f"netui: refusing to plan: {reason}", file=sys.stderr)
            return 2
        from netui.errors import UserError

        if isinstance(e, UserError):
            print(f"netui: {e}", file=sys.stderr)
            return e.exit_code
        print(
            f"netui: internal error: {type(e).__name__}: {e} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
