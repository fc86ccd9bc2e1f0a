"""The one clock: what "now" and "today" are for every command.

Everything that reads the calendar (the demo organisation's last day, a sync's "up to yesterday", a report's
default month, the plausible window for event times) asks this module, so one setting moves them all:
``CORRELATE_TODAY=YYYY-MM-DD`` in the environment pins today (tests, reproducible runs; ``correlate demo
--as-of`` sets it for its own run). Pinned, "now" is that day at 12:00 UTC. Rate-limit waits and timeouts
measure real elapsed time and do not use this clock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

from correlate.errors import ConfigError

__all__ = ["ENV", "now", "pinned", "today"]

ENV = "CORRELATE_TODAY"


def _pinned() -> date | None:
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{ENV}={raw!r} is not a date; use YYYY-MM-DD or unset it.") from None


def today() -> date:
    """Today's UTC date, or the pinned day."""
    pinned = _pinned()
    return pinned if pinned is not None else datetime.now(UTC).date()


def now() -> datetime:
    """The current instant (aware, UTC), or 12:00 UTC on the pinned day."""
    pinned = _pinned()
    return datetime.combine(pinned, time(12), UTC) if pinned is not None else datetime.now(UTC)


@contextmanager
def pinned(day: date | None) -> Iterator[date]:
    """Make ``day`` today for everything inside the block (None: leave the clock as it is), then restore it.

    It sets the environment variable rather than a module global so that everything this process asks,
    and any correlate command it starts, sees the same day.
    """
    before = os.environ.get(ENV)
    if day is not None:
        os.environ[ENV] = day.isoformat()
    try:
        yield today()
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
