"""Run ``correlate analyze`` in a subprocess from the project root (used by the statistics tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_analyze(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m correlate analyze ARGS`` in a subprocess from the project root."""
    return subprocess.run([sys.executable, "-m", "correlate", "analyze", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
