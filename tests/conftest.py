"""Shared fixtures: a clean environment, a temporary store, fast retries, and the recorded fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import _http

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a real token or CORRELATE_* setting from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("CORRELATE_") or name.endswith(("_TOKEN", "_KEY", "_API_KEY")):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def instant_waits() -> Iterator[list[tuple[float, str]]]:
    """Connector waits (back-off, Retry-After) are recorded instead of slept, so retries test fast."""
    waits: list[tuple[float, str]] = []
    previous = _http.set_waiter(lambda s, reason: waits.append((s, reason)))
    yield waits
    _http.set_waiter(previous)


@pytest.fixture
def fixtures_dir() -> Path:
    """``tests/fixtures``: recorded and vendor-written responses, each folder with its licence (README.md there)."""
    return FIXTURES


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"
