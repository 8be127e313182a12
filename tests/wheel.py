"""Build netui's wheel as a release would (no network: the build backend from the venv)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_wheel(out: Path) -> Path:
    argv = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    argv += ["--no-index", "-w", str(out), str(ROOT)]
    subprocess.run(argv, check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = out.glob("netui-*.whl")
    return wheel
