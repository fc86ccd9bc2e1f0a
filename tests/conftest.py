"""Shared fixtures: a clean environment, a temporary store, fast retries, and the shared/ folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import _http

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


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
def shared() -> Path:
    """``../shared`` (read-only fixtures and docs). Fails loudly when absent, never skips silently."""
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the tests read recorded fixtures from ../shared/")
    return SHARED


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"
