"""Option value types the commands share: each refuses a bad value with one line saying what
would be right (argparse prints it after the option's name, exit status 2)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def number(kind: type, low: float, high: float, unit: str = "") -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g} to {high:g}{unit}")
        return value

    return parse


def position(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a position (1, 2, ...)") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{value} is not a position (they count from 1)")
    return value
