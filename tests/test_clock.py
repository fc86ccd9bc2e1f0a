"""The one clock: CORRELATE_TODAY pins today and now; ``pinned`` moves it for a block and puts it back."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import pytest

from correlate import clock
from correlate.errors import ConfigError


def test_the_environment_pins_today_and_noon_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "2026-03-09")
    assert clock.today() == date(2026, 3, 9)
    assert clock.now() == datetime(2026, 3, 9, 12, tzinfo=UTC)


def test_a_pin_that_is_not_a_date_is_a_config_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "yesterday")
    with pytest.raises(ConfigError, match="CORRELATE_TODAY='yesterday'"):
        clock.today()


def test_pinned_moves_today_for_the_block_and_restores_the_pin_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "2026-01-15")
    with clock.pinned(date(2025, 7, 1)) as today:
        assert today == clock.today() == date(2025, 7, 1)
    assert clock.today() == date(2026, 1, 15)


def test_pinned_restores_an_unpinned_clock_even_when_the_block_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.ENV, raising=False)
    with pytest.raises(RuntimeError), clock.pinned(date(2025, 7, 1)):
        raise RuntimeError("boom")
    assert clock.ENV not in os.environ


def test_pinned_none_leaves_the_clock_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "2026-01-15")
    with clock.pinned(None) as today:
        assert today == date(2026, 1, 15)
