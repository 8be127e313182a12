"""`netui completion bash|zsh|fish`: the shell code that completes netui's commands, options, and
the host and cluster names of the environment file (argcomplete).

    eval "$(netui completion bash)"          # ~/.bashrc
    eval "$(netui completion zsh)"           # ~/.zshrc
    netui completion fish | source           # ~/.config/fish/config.fish

While completing, the shell runs netui with _ARGCOMPLETE set: `main` hands the parser to
`complete` before parsing, which answers and exits. Nothing else runs then.
"""

from __future__ import annotations

import argparse
import os

from netui.commands.registry import Command

TYPE_CHECKING = False  # not typing's: importing typing slows `netui --help` (registry.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

SHELLS = ("bash", "zsh", "fish")

# argument dest -> what it names; every command spells these the same way
HOST_DESTS = {"host", "source"}
CLUSTER_DESTS = {"cluster", "from_cluster"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=SHELLS)


def run(args: argparse.Namespace) -> int:
    import argcomplete

    print(argcomplete.shellcode(["netui"], shell=args.shell))
    return 0


def _env_names(parsed: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Host and cluster names of the environment file the command line would use; none when
    it cannot be read (a completion never prints an error)."""
    from netui.core.environment import open_environment

    given = next((v for k, v in vars(parsed).items() if k.startswith("env_") and v), None)
    try:  # with no environment file, the kubeconfig's clusters
        env, _why = open_environment(given, command="completion", kubeconfig_alone=True)
    except Exception:
        return [], []
    return sorted(env.hosts), sorted(env.clusters)


def _hosts(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    return [h for h in _env_names(parsed_args)[0] if h.startswith(prefix)]


def _clusters(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    return [c for c in _env_names(parsed_args)[1] if c.startswith(prefix)]


def _actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _actions(sub)


def attach_completers(parser: argparse.ArgumentParser) -> None:
    """Host and cluster arguments complete from the environment file."""
    for action in _actions(parser):
        completer: Callable[..., list[str]] | None = None
        if action.dest in HOST_DESTS:
            completer = _hosts
        elif action.dest in CLUSTER_DESTS:
            completer = _clusters
        if completer:
            # argcomplete reads this attribute; argparse.Action does not declare it
            action.completer = completer  # type: ignore[attr-defined]


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request (exits) when there is one; else return at once."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    import argcomplete

    attach_completers(parser)
    argcomplete.autocomplete(parser)


COMMANDS = (
    Command(
        "completion",
        "print the shell code for completion: bash, zsh or fish (eval it in your shell's rc)",
        run,
        add_arguments,
    ),
)
