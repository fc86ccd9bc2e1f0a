"""Statistics-test helpers: run ``correlate analyze`` as a user would, and the synthetic panels."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/stats/synthetic.py


def run_analyze(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m correlate analyze ARGS`` in a subprocess from the project root."""
    return subprocess.run([sys.executable, "-m", "correlate", "analyze", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@functools.cache
def _analyze_json(*args: str) -> str:
    proc = run_analyze(*args, "--json")
    if proc.returncode != 0:
        raise AssertionError(f"correlate analyze failed ({proc.returncode}): {proc.stderr}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if len(lines) != 1:
        raise AssertionError(f"--json must print exactly one line with one object, got {len(lines)} lines")
    return lines[0]


@pytest.fixture
def analyze_json() -> Any:
    """Call ``correlate analyze ... --json`` and parse its one object (same arguments run once per session)."""
    def call(*args: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(_analyze_json(*args))
        return result
    return call


@pytest.fixture
def mpdta(shared: Path) -> Path:
    """R did's mpdta as shipped in ../shared (see fixtures/README.md for provenance and licence)."""
    return shared / "fixtures" / "stats" / "mpdta.csv"
