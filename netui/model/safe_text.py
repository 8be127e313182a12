"""Text from hosts and APIs made safe to show: the one sanitiser both faces use.

Everything netui reads from a machine it does not control (rule comments, chain and interface
names, hostnames, file contents, Kubernetes objects, error text) may hold bytes a terminal
obeys: ESC starts a control sequence (clear the screen, set the clipboard with OSC 52, a
hyperlink with OSC 8), C1 controls do the same in one byte, BEL rings, bidi controls reorder
what the operator reads (U+202E shows `txt.exe` for `exe.txt`). Such characters are shown
escaped (`\\x1b`, `\\u202e`), never passed on; printable text is unchanged. Markup is never
parsed from data: the faces build `rich.text.Text` from `clean(...)`, not markup strings.

`--json` keeps the raw value (JSON escapes what it must). Pure: no I/O, no Textual/Rich.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls; bidi embeddings, overrides, isolates and
# marks; line/paragraph separators (they break a line a table thinks is one); zero-width
# characters and the BOM (they hide text); the interlinear annotation and object marks.
_UNSAFE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffc"
)
_UNSAFE_LINE = re.compile(f"[\t\n{_UNSAFE}]")
_UNSAFE_BLOCK = re.compile(f"[{_UNSAFE}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: object) -> str:
    """`value` as one line a terminal only displays: every control, bidi and invisible
    character (tab and newline too) shown as its escape."""
    text = value if isinstance(value, str) else str(value)
    return _UNSAFE_LINE.sub(_escape, text)


def clean_block(value: object) -> str:
    """Like clean(), for text shown as several lines (a file, a rule listing): newlines and
    tabs stay, everything else unsafe is escaped."""
    text = value if isinstance(value, str) else str(value)
    return _UNSAFE_BLOCK.sub(_escape, text)


def is_clean(text: str) -> bool:
    """Whether `text` holds nothing a terminal would obey (tests, and asserting faces' output)."""
    return _UNSAFE_BLOCK.search(text) is None
