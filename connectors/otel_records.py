"""Record types for the Claude Code telemetry paths (OpenTelemetry and local transcripts).

They sit beside :mod:`connectors.records` (the shared contract) and follow its conventions: frozen
dataclasses naming their table (``TABLE``) and natural key (``KEY``); fields of type
str/int/float/bool/date/datetime; a value the source lacks is ``None``. Migration
``0007_otel.sql`` creates the tables.

* :class:`OtelMetricDelta` and :class:`OtelSeriesState` are the OTLP fold's facts and memory: every
  counter increment once (delta points as sent, cumulative points differenced), keyed so that a
  request delivered twice is stored once, and the last cumulative value per stream so differencing
  continues across folds.
* :class:`OtelEvent` keeps per-request detail (``api_request``, ``api_error``, ``tool_result``).
* :class:`AISessionDay` is per-session detail for the token-intelligence work, from either path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from connectors.records import Record

__all__ = ["AISessionDay", "OtelEvent", "OtelMetricDelta", "OtelSeriesState"]


@dataclass(frozen=True, slots=True)
class OtelMetricDelta(Record):
    """One counter increment of one series, attributed to an actor and a day (configured time zone).

    ``attr_type`` is the metric's ``type`` attribute (token type, lines added/removed, active-time
    kind); ``decision`` and ``tool_name`` come from ``code_edit_tool.decision``.
    """

    TABLE: ClassVar[str] = "otel_metric_deltas"
    KEY: ClassVar[tuple[str, ...]] = ("series", "start_ns", "time_ns")

    series: str
    start_ns: int
    time_ns: int
    metric: str
    day: date
    occurred_at: datetime
    actor: str
    actor_type: str
    value: float
    team: str | None = None
    session_id: str | None = None
    model: str | None = None
    attr_type: str | None = None
    decision: str | None = None
    tool_name: str | None = None
    temporality: int | None = None


@dataclass(frozen=True, slots=True)
class OtelSeriesState(Record):
    """The last cumulative point folded for a stream, a (series, start time) (differencing resumes from it).

    Keyed by the start time too: concurrent processes exporting identical attributes are separate streams.
    """

    TABLE: ClassVar[str] = "otel_series_state"
    KEY: ClassVar[tuple[str, ...]] = ("series", "start_ns")

    series: str
    metric: str
    start_ns: int
    time_ns: int
    value: float


@dataclass(frozen=True, slots=True)
class OtelEvent(Record):
    """One Claude Code event (OTLP log record) kept for per-request and per-session detail.

    Prompt text and tool input are never stored, even when the exporter sends them.
    """

    TABLE: ClassVar[str] = "otel_events"
    KEY: ClassVar[tuple[str, ...]] = ("event_id",)

    event_id: str
    event: str
    occurred_at: datetime
    day: date
    actor: str
    actor_type: str
    team: str | None = None
    session_id: str | None = None
    prompt_id: str | None = None
    request_id: str | None = None
    model: str | None = None
    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    duration_ms: float | None = None
    status_code: int | None = None
    error: str | None = None
    tool_name: str | None = None
    success: bool | None = None
    git_commit_id: str | None = None
    git_branch: str | None = None


@dataclass(frozen=True, slots=True)
class AISessionDay(Record):
    """One coding session's activity on one day, from ``otel`` or ``transcripts``.

    ``models`` and ``commit_ids`` are JSON arrays; ``git_branch`` is the last branch seen that day.
    """

    TABLE: ClassVar[str] = "ai_session_daily"
    KEY: ClassVar[tuple[str, ...]] = ("tool", "source", "day", "actor", "session_id")

    tool: str
    source: str
    day: date
    actor: str
    session_id: str
    team: str | None = None
    git_branch: str | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None
    requests: int | None = None
    tokens_input: int | None = None
    tokens_output: int | None = None
    tokens_cache_read: int | None = None
    tokens_cache_creation: int | None = None
    cost_usd: float | None = None
    cost_provenance: str | None = None
    models: str | None = None
    commit_ids: str | None = None
    lines_added: int | None = None
    lines_removed: int | None = None
