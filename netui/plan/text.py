"""Text carried into shell scripts that run as root on a target."""

from __future__ import annotations

import base64


def carried(text: str) -> str:
    """A shell pipeline that prints `text` byte for byte. Carried base64-encoded: no content
    can end it early (a heredoc ends at any line equal to its delimiter, and the rest of the
    file would then run as root), and the alphabet needs no quoting inside single quotes."""
    encoded = base64.b64encode(text.encode()).decode()
    return f"printf '%s' '{encoded}' | base64 -d"
