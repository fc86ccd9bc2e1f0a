"""Event times within a plausible window: a row dated in an impossible year is quarantined, not stored.

One impossible timestamp is enough to break a store: a transcript line dated 0001-01-02 made the default
export build a calendar of two thousand years; OTLP points at 1970 and 2262 made 854,016 panel rows where
2,900 were normal; a CSV deployment dated 2099 gave PRs a lead time of 73 years. So every row is checked
on its way into the store (:meth:`correlate.store.Store.upsert`, the one write path of every source,
import and the OTLP fold): a row whose *event time* lies outside the window is not written; it is counted,
named in the command's closing line and kept in the ``quarantine`` table, which the report's data-quality
section reads (:func:`correlate.quality.data_quality`).

The window runs from ``[ingest] plausible_since`` (default 2015-01-01, years before any AI coding
assistant this tool reads existed) to ``[ingest] plausible_until`` (default tomorrow by :mod:`correlate.clock`, so
a source a few hours ahead of UTC is not cut off), both days inclusive, in UTC.

*Event times* are the columns that place a row on the calendar (:data:`EVENT_TIMES`); the ``day`` of
daily rows, and for timestamped rows the times a metric counts them on. Times a person's machine sets
and nothing counts by (a commit's author date, a PR's first commit) are not checked: git allows any date.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from correlate import clock

if TYPE_CHECKING:
    from connectors.records import Record
    from correlate.config import Config

__all__ = ["EVENT_TIMES", "PlausibleWindow", "event_columns"]

# table -> the event-time columns checked; a table not listed is checked on its ``day`` column, if any
EVENT_TIMES: dict[str, tuple[str, ...]] = {
    "pull_requests": ("created_at", "merged_at", "closed_at"),
    "reviews": ("submitted_at",),
    "deployments": ("started_at", "finished_at"),
    "incidents": ("created_at", "resolved_at"),
    "otel_metric_deltas": ("day", "occurred_at"),
    "otel_events": ("day", "occurred_at"),
    "ai_session_daily": ("day", "first_at", "last_at"),
    "pr_comments": ("commented_at",),
    # first_seen/last_seen are bookkeeping of when a sync saw an identity, not events
    "identities": (),
}


def event_columns(record_type: type[Record]) -> tuple[str, ...]:
    """The columns of ``record_type`` whose values must lie in the window."""
    if record_type.TABLE in EVENT_TIMES:
        return EVENT_TIMES[record_type.TABLE]
    return tuple(f.name for f in fields(record_type) if f.name == "day")  # type: ignore[arg-type]


@dataclass(frozen=True)
class PlausibleWindow:
    """The first and last plausible day (UTC, both inclusive) of an event."""

    first: date
    last: date

    @classmethod
    def of(cls, config: Config | None = None) -> PlausibleWindow:
        """The window ``[ingest] plausible_since`` / ``plausible_until`` of ``config`` (None: the defaults)."""
        from correlate.config import IngestConfig

        ingest = config.root.ingest if config is not None else IngestConfig()
        return cls(ingest.plausible_since, ingest.plausible_until or clock.today() + timedelta(days=1))

    def describe(self) -> str:
        return f"{self.first}..{self.last}"

    @property
    def first_ns(self) -> int:
        """The window's first instant in Unix nanoseconds (OTLP's clock)."""
        return int(datetime.combine(self.first, time(), UTC).timestamp()) * 1_000_000_000

    @property
    def end_ns(self) -> int:
        """The instant just after the window, in Unix nanoseconds."""
        return int(datetime.combine(self.last + timedelta(days=1), time(), UTC).timestamp()) * 1_000_000_000

    def contains_ns(self, ns: int) -> bool:
        """Whether an instant in Unix nanoseconds lies in the window."""
        return self.first_ns <= ns < self.end_ns

    def outside(self, table: pa.Table, columns: tuple[str, ...]) -> tuple[pa.ChunkedArray, dict[int, str]] | None:
        """Which rows of ``table`` have a value of ``columns`` outside the window (nulls pass).

        Returns:
            None when every row is inside; else a boolean mask (True = outside) and, for each row outside,
            the first offending column by row index.
        """
        start = datetime.combine(self.first, time(), UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), UTC)
        masks = []
        for name in columns:
            col = table.column(name)
            if pa.types.is_date(col.type):
                bad = pc.or_(pc.less(col, pa.scalar(self.first, col.type)),
                             pc.greater(col, pa.scalar(self.last, col.type)))
            else:
                bad = pc.or_(pc.less(col, pa.scalar(start, col.type)), pc.greater_equal(col, pa.scalar(end, col.type)))
            masks.append((name, pc.fill_null(bad, False)))
        if not masks:
            return None
        any_bad = masks[0][1]
        for _, m in masks[1:]:
            any_bad = pc.or_(any_bad, m)
        if not pc.any(any_bad).as_py():
            return None
        first_col: dict[int, str] = {}
        for name, m in reversed(masks):  # the first listed column wins
            for i in pc.indices_nonzero(m).to_pylist():
                first_col[i] = name
        return pa.chunked_array([any_bad]) if isinstance(any_bad, pa.Array) else any_bad, first_col
