"""Errors meant for people: each says what is wrong and what to do next."""

from __future__ import annotations


class UserError(Exception):
    """A problem with what the operator asked for; printed without a traceback."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
