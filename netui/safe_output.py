"""The boundary every byte the CLI prints passes: text from hosts and APIs (a rule comment, a
chain, interface or host name, an error a host printed) never reaches the terminal raw.

Kept apart from output.py and free of typing imports: cli.main enters it before anything else,
and `netui --help` must stay fast."""

from __future__ import annotations

import contextlib
import sys

from netui.model.safe_text import clean_block

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any, TextIO


class SafeStream:
    """A text stream that escapes every control and bidi character written to it
    (model/safe_text), newlines and tabs kept: shown as `\\x1b`, never obeyed. netui's own
    output has none."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(clean_block(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, ...
        return getattr(self.inner, name)


@contextlib.contextmanager
def safe_output() -> Iterator[None]:
    """sys.stdout and sys.stderr through SafeStream for the block (the CLI's whole run).
    JSON stays exact: json.dump escapes every control and non-ASCII character itself."""
    out, err = sys.stdout, sys.stderr
    # a text stream in all but its class (TextIO is not a protocol mypy can check)
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
