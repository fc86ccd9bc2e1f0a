"""Statistics-test helpers: run ``correlate analyze`` as a user would, and the synthetic panels."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/stats/synthetic.py, cli_run.py

from cli_run import run_analyze  # noqa: E402


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
def mpdta(fixtures_dir: Path) -> Path:
    """R did's mpdta copied into tests/fixtures/stats (see tests/fixtures/README.md for provenance and licence)."""
    return fixtures_dir / "stats" / "mpdta.csv"
