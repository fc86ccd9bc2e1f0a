"""Fold Claude Code OpenTelemetry (the receiver's spool, or Collector export files) into the store.

Exactly once: each spool segment's folded byte offset is a ``sync_state`` cursor
(``otel/spool/<segment>``) written in the same transaction as the rows from those bytes. Facts are
keyed (a metric increment by series and times, an event by a hash of its content), so a request the
exporter delivered twice, or a file imported twice, is stored once.

Metrics (sources.md §3): every ``claude_code.*`` counter, delta or cumulative. Cumulative points are
differenced per stream, a (series, start time), in time order: a stream's first point counts whole (a new
process, or a restart, which starts a new stream), a drop within a stream is a reset (the new value is
the increment), and a point no later than the last one folded for its stream is a repeat, skipped. Two
processes exporting identical series attributes are two streams, folded side by side. The last point per
stream is kept (``otel_series_state``) so differencing continues in the next fold.
Points and events are bucketed into days of the configured ``[calendar] timezone``.

**Double-counting rule.** Claude Code reports tokens and cost twice: as ``claude_code.token.usage`` /
``claude_code.cost.usage`` metrics and on every ``claude_code.api_request`` event. Totals (tokens, cost)
come from the metrics for any actor-day that has token or cost metric points; only an actor-day with
none (a logs-only exporter) takes its totals from the ``api_request`` events. Events always supply the
per-request detail (``otel_events``) and the request count. One actor-day never sums both.

Actor: ``user.email``, else ``user.account_uuid`` / ``user.account_id``, else ``user.id`` (an
anonymous install id, ``actor_type`` "unknown"). Team: the attribute named by ``[otel] team_attribute``
(from ``OTEL_RESOURCE_ATTRIBUTES``), kept on the facts and ``ai_session_daily``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from google.protobuf.message import Message

from connectors.errors import PayloadError
from connectors.otel_records import AISessionDay, OtelEvent, OtelMetricDelta, OtelSeriesState
from connectors.otlp import (
    CUMULATIVE,
    DELTA,
    MAX_VALUE,
    LogEvent,
    MetricPoint,
    attr_float,
    attr_int,
    log_events,
    metric_points,
    parse_request,
    read_export_file,
)
from connectors.records import AIEditActions, AIUsageDay, AIUsageModelDay
from correlate.days import day_of
from correlate.otlp.spool import close_orphans, read_records, segments
from correlate.plausible import PlausibleWindow
from correlate.store import Store, to_arrow
from correlate.sync import Batch, Run, Source, SyncContext, SyncSummary, run_source

__all__ = ["SPOOL", "FoldStats", "fold_messages", "fold_spool", "import_files"]

SOURCE = "otel"
TOOL = "claude_code"
BATCH_BYTES = 32 * 1024 * 1024  # spool bytes folded per transaction
KEPT_EVENTS = frozenset({
    "claude_code.api_request", "claude_code.api_error", "claude_code.tool_result",
    "claude_code.api_retries_exhausted", "claude_code.api_refusal",
})


@dataclass
class FoldStats:
    """What a fold did (for the closing line and the benchmark)."""

    requests: int = 0
    points: int = 0
    increments: int = 0
    events: int = 0
    skipped_points: int = 0  # non-claude_code metrics, non-sum kinds, duplicate cumulative points
    skipped_events: int = 0
    out_of_range: int = 0  # points with a time past 2262 (int64 ns) or a value NaN, infinite or beyond 2**53
    quarantined: int = 0  # points and events outside the plausible window of event times (correlate.plausible)
    actor_days: int = 0
    damaged: list[str] = field(default_factory=list)  # segments set aside by this fold
    kept_aside: list[tuple[str, int]] = field(default_factory=list)  # every .damaged file in the spool: name, bytes

    def add(self, other: FoldStats) -> None:
        for name in ("requests", "points", "increments", "events", "skipped_points", "skipped_events",
                     "out_of_range", "quarantined", "actor_days"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.damaged += other.damaged
        self.kept_aside += other.kept_aside


# -- attribution ---------------------------------------------------------------------------------------------
def actor_of(attrs: dict[str, Any]) -> tuple[str, str]:
    """(actor, actor_type) from the standard attributes."""
    email = attrs.get("user.email")
    if isinstance(email, str) and email.strip():
        return email.strip().lower(), "user"
    for key in ("user.account_uuid", "user.account_id"):
        v = attrs.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip(), "user"
    uid = attrs.get("user.id")
    if isinstance(uid, str) and uid.strip():
        return uid.strip(), "unknown"
    return "unknown", "unknown"


def _str(attrs: dict[str, Any], key: str | None) -> str | None:
    if not key:
        return None
    v = attrs.get(key)
    if v is None or v == "":
        return None
    return v if isinstance(v, str) else str(v)


class _Clock:
    """Nanoseconds to (UTC datetime, local day), with a per-minute cache (points cluster in time)."""

    def __init__(self, tz: str) -> None:
        self.tz = tz
        self._cache: dict[int, date] = {}
        self._last: tuple[int, datetime, date] | None = None  # the points of one export share a time

    def at(self, ns: int) -> tuple[datetime, date]:
        last = self._last
        if last is not None and last[0] == ns:
            return last[1], last[2]
        when = datetime.fromtimestamp(ns / 1e9, UTC)
        minute = ns // 60_000_000_000  # every zone offset is whole minutes, so a minute has one day
        day = self._cache.get(minute)
        if day is None:
            day = day_of(when, self.tz)
            self._cache[minute] = day
        self._last = (ns, when, day)
        return when, day


_MAX_NS = 2**63  # the store keeps nanosecond times as BIGINT; OTLP's are unsigned, so later ones are nonsense


# -- facts -----------------------------------------------------------------------------------------------------
def _increments(store: Store, points: list[MetricPoint], clock: _Clock, team_attr: str | None,
                stats: FoldStats, window: PlausibleWindow) -> tuple[list[OtelMetricDelta], list[OtelSeriesState]]:
    """Counter increments from points: delta points as sent, cumulative points differenced."""
    wanted = [p for p in points if p.name.startswith("claude_code.") and p.kind == "sum"
              and p.temporality in (DELTA, CUMULATIVE)]
    stats.skipped_points += len(points) - len(wanted)
    placeable = [p for p in wanted
                 if p.start_ns < _MAX_NS and p.time_ns < _MAX_NS and -MAX_VALUE <= p.value <= MAX_VALUE]
    stats.out_of_range += len(wanted) - len(placeable)
    # an impossible time is dropped before differencing: a cumulative point stamped 2262 would otherwise
    # become its stream's last point, and every real point after it would look like a repeat
    plausible = [p for p in placeable if window.contains_ns(p.time_ns)]
    stats.quarantined += store.quarantine(OtelMetricDelta, [
        ((p.series, p.start_ns, p.time_ns), "time_ns", str(p.time_ns)) for p in placeable
        if not window.contains_ns(p.time_ns)])
    wanted = plausible
    # A cumulative stream is one (series, start time): two processes with identical attributes (no
    # session id, no service.instance.id) export the same series with their own start times, concurrently,
    # so a start time other than the last one seen is another stream, never a reset of this one.
    cumulative = sorted((p for p in wanted if p.temporality == CUMULATIVE),
                        key=lambda p: (p.series, p.start_ns, p.time_ns))
    state: dict[tuple[str, int], tuple[int, float]] = {}
    if cumulative:
        keys = pa.table({"series": sorted({p.series for p in cumulative})})
        store.con.register("_series", keys)
        try:
            for s, start, t, v in store.con.execute(
                "SELECT s.series, s.start_ns, s.time_ns, s.value FROM otel_series_state s JOIN _series USING (series)"
            ).fetchall():
                state[(s, int(start))] = (int(t), float(v))
        finally:
            store.con.unregister("_series")
    out: list[OtelMetricDelta] = []
    touched: dict[tuple[str, int], OtelSeriesState] = {}
    seen: dict[int, tuple[dict[str, Any], _PointFields]] = {}
    for p in wanted:
        if p.temporality == CUMULATIVE:
            continue
        out.append(_delta_row(p, p.value, clock, team_attr, seen))
    for p in cumulative:
        stream = (p.series, p.start_ns)
        prev = state.get(stream)
        if prev is None:
            inc = p.value  # the stream's first point: everything since its start (a new process or a restart)
        elif p.time_ns <= prev[0]:
            stats.skipped_points += 1  # a re-export or an out-of-order point: already counted
            continue
        else:
            inc = p.value - prev[1]
            if inc < 0:
                inc = p.value  # counter reset without a start-time change
        state[stream] = (p.time_ns, p.value)
        touched[stream] = OtelSeriesState(p.series, p.name, p.start_ns, p.time_ns, p.value)
        out.append(_delta_row(p, inc, clock, team_attr, seen))
    return out, list(touched.values())


_PointFields = tuple[str, str, str | None, str | None, str | None, str | None, str | None, str | None]


def _point_fields(a: dict[str, Any], team_attr: str | None,
                  seen: dict[int, tuple[dict[str, Any], _PointFields]]) -> _PointFields:
    """Actor, team and the attribute columns of a point; once per attributes dict (a series shares one)."""
    hit = seen.get(id(a))
    if hit is not None and hit[0] is a:
        return hit[1]
    actor, actor_type = actor_of(a)
    fields = (actor, actor_type, _str(a, team_attr), _str(a, "session.id"), _str(a, "model"), _str(a, "type"),
              _str(a, "decision"), _str(a, "tool_name"))
    seen[id(a)] = (a, fields)  # holding ``a`` keeps its id from being reused while the entry lives
    return fields


def _delta_row(p: MetricPoint, value: float, clock: _Clock, team_attr: str | None,
               seen: dict[int, tuple[dict[str, Any], _PointFields]] | None = None) -> OtelMetricDelta:
    actor, actor_type, team, session, model, attr_type, decision, tool = _point_fields(
        p.attributes, team_attr, {} if seen is None else seen)
    when, day = clock.at(p.time_ns)
    return OtelMetricDelta(
        series=p.series, start_ns=p.start_ns, time_ns=p.time_ns, metric=p.name, day=day, occurred_at=when,
        actor=actor, actor_type=actor_type, value=value, team=team, session_id=session,
        model=model, attr_type=attr_type, decision=decision, tool_name=tool, temporality=p.temporality,
    )


def _event_row(e: LogEvent, clock: _Clock, team_attr: str | None) -> OtelEvent:
    a = e.attributes
    actor, actor_type = actor_of(a)
    ns = e.time_ns
    if not ns and isinstance(a.get("event.timestamp"), str):
        try:
            ns = int(datetime.fromisoformat(a["event.timestamp"].replace("Z", "+00:00")).timestamp() * 1e9)
        except ValueError:
            ns = 0
        if not 0 <= ns < _MAX_NS:
            ns = 0  # a stamp before 1970 or after 2262 (year 9999 would not even have a day): not a real time
    when, day = clock.at(ns or e.observed_ns)
    params = a.get("tool_parameters")
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except (ValueError, RecursionError):  # RecursionError: nesting past Python's limit
            params = None
    commit = _str(a, "git_commit_id") or (str(params["git_commit_id"]) if isinstance(params, dict) and
                                           params.get("git_commit_id") else None)
    success = a.get("success")
    if isinstance(success, str):
        success = {"true": True, "false": False}.get(success.lower())
    cost = attr_float(a, "cost_usd")
    if cost is None and attr_float(a, "cost_usd_micros") is not None:
        cost = (attr_float(a, "cost_usd_micros") or 0.0) / 1e6
    return OtelEvent(
        event_id=e.event_id, event=(e.name or "").removeprefix("claude_code."), occurred_at=when, day=day,
        actor=actor, actor_type=actor_type, team=_str(a, team_attr), session_id=_str(a, "session.id"),
        prompt_id=_str(a, "prompt.id"), request_id=_str(a, "request_id"), model=_str(a, "model"), cost_usd=cost,
        input_tokens=attr_int(a, "input_tokens"), output_tokens=attr_int(a, "output_tokens"),
        cache_read_tokens=attr_int(a, "cache_read_tokens"),
        cache_creation_tokens=attr_int(a, "cache_creation_tokens"), duration_ms=attr_float(a, "duration_ms"),
        status_code=attr_int(a, "status_code"), error=_str(a, "error"), tool_name=_str(a, "tool_name"),
        success=success if isinstance(success, bool) else None, git_commit_id=commit,
        git_branch=_str(a, "git.branch") or _str(a, "git_branch") or _str(a, "vcs.ref.head.name"),
    )


# -- the fold ----------------------------------------------------------------------------------------------------
def fold_messages(store: Store, messages: Iterable[tuple[str, Message]], *, tz: str,
                  team_attribute: str | None) -> FoldStats:
    """Store the facts in ``messages`` and refresh the aggregates of the actor-days they touch.

    Call inside a transaction (the caller sets its cursor in the same one). Points and events outside the
    store's plausible window of event times are counted in ``quarantined``, not stored.
    """
    window = store.window
    stats = FoldStats()
    clock = _Clock(tz)
    points: list[MetricPoint] = []
    events: list[OtelEvent] = []
    series_cache: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = {}  # exporters repeat series each interval
    for signal, msg in messages:
        stats.requests += 1
        if signal == "metrics":
            points.extend(metric_points(msg, series_cache))
        else:
            for e in log_events(msg):
                if e.name in KEPT_EVENTS:
                    row = _event_row(e, clock, team_attribute)
                    if window.contains_ns(int(row.occurred_at.timestamp()) * 1_000_000_000):
                        events.append(row)
                    else:
                        stats.quarantined += store.quarantine(OtelEvent, [
                            ((row.event_id,), "occurred_at", row.occurred_at.isoformat())])
                else:
                    stats.skipped_events += 1
    stats.points = len(points)
    deltas, state = _increments(store, points, clock, team_attribute, stats, window)
    with store.transaction():
        store.upsert(OtelMetricDelta, deltas)
        store.upsert(OtelSeriesState, state)
        store.upsert(OtelEvent, events)
        touched = sorted({(d.day, d.actor) for d in deltas} | {(e.day, e.actor) for e in events})
        stats.actor_days = _refresh(store, touched)
    stats.increments, stats.events = len(deltas), len(events)
    return stats


_USAGE_SQL = """
WITH m AS (SELECT d.* FROM otel_metric_deltas d JOIN _touched USING (day, actor) WHERE d.day BETWEEN $lo AND $hi),
e AS (SELECT v.* FROM otel_events v JOIN _touched USING (day, actor) WHERE v.day BETWEEN $lo AND $hi),
mx AS (
  SELECT day, actor, max(actor_type) AS actor_type,
    sum(CASE WHEN metric = 'claude_code.session.count' THEN value END) AS sessions,
    sum(CASE WHEN metric = 'claude_code.active_time.total' THEN value END) AS active_seconds,
    sum(CASE WHEN metric = 'claude_code.active_time.total' AND attr_type = 'user' THEN value END) AS active_user_s,
    sum(CASE WHEN metric = 'claude_code.active_time.total' AND attr_type = 'cli' THEN value END) AS active_cli_s,
    sum(CASE WHEN metric = 'claude_code.lines_of_code.count' AND attr_type = 'added' THEN value END) AS lines_added,
    sum(CASE WHEN metric = 'claude_code.lines_of_code.count' AND attr_type = 'removed' THEN value END)
      AS lines_removed,
    sum(CASE WHEN metric = 'claude_code.commit.count' THEN value END) AS commits,
    sum(CASE WHEN metric = 'claude_code.pull_request.count' THEN value END) AS prs,
    sum(CASE WHEN metric = 'claude_code.code_edit_tool.decision' AND decision = 'accept' THEN value END)
      AS edit_accepted,
    sum(CASE WHEN metric = 'claude_code.code_edit_tool.decision' AND decision = 'reject' THEN value END)
      AS edit_rejected,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'input' THEN value END) AS tokens_input,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'output' THEN value END) AS tokens_output,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'cacheRead' THEN value END)
      AS tokens_cache_read,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'cacheCreation' THEN value END)
      AS tokens_cache_creation,
    sum(CASE WHEN metric = 'claude_code.cost.usage' THEN value END) AS cost_usd,
    count(CASE WHEN metric IN ('claude_code.token.usage', 'claude_code.cost.usage') THEN 1 END) > 0 AS has_totals,
    max(team) AS team
  FROM m GROUP BY day, actor),
ex AS (
  SELECT day, actor, max(actor_type) AS actor_type,
    count(CASE WHEN event = 'api_request' THEN 1 END) AS requests,
    count(CASE WHEN event = 'api_error' THEN 1 END) AS api_errors,
    sum(CASE WHEN event = 'api_request' THEN input_tokens END) AS tokens_input,
    sum(CASE WHEN event = 'api_request' THEN output_tokens END) AS tokens_output,
    sum(CASE WHEN event = 'api_request' THEN cache_read_tokens END) AS tokens_cache_read,
    sum(CASE WHEN event = 'api_request' THEN cache_creation_tokens END) AS tokens_cache_creation,
    sum(CASE WHEN event = 'api_request' THEN cost_usd END) AS cost_usd,
    max(team) AS team
  FROM e GROUP BY day, actor)
SELECT 'claude_code' AS tool, 'otel' AS source, t.day, t.actor,
  coalesce(mx.actor_type, ex.actor_type, 'unknown') AS actor_type,
  round(mx.sessions)::BIGINT AS sessions,
  CASE WHEN ex.requests > 0 THEN ex.requests END AS requests,
  mx.active_seconds,
  round(mx.lines_added)::BIGINT AS lines_added, round(mx.lines_removed)::BIGINT AS lines_removed,
  NULL::BIGINT AS lines_suggested, NULL::BIGINT AS lines_accepted,
  round(mx.commits)::BIGINT AS commits, round(mx.prs)::BIGINT AS prs,
  round(mx.edit_accepted)::BIGINT AS edit_accepted, round(mx.edit_rejected)::BIGINT AS edit_rejected,
  round(CASE WHEN mx.has_totals THEN mx.tokens_input ELSE ex.tokens_input END)::BIGINT AS tokens_input,
  round(CASE WHEN mx.has_totals THEN mx.tokens_output ELSE ex.tokens_output END)::BIGINT AS tokens_output,
  round(CASE WHEN mx.has_totals THEN mx.tokens_cache_read ELSE ex.tokens_cache_read END)::BIGINT
    AS tokens_cache_read,
  round(CASE WHEN mx.has_totals THEN mx.tokens_cache_creation ELSE ex.tokens_cache_creation END)::BIGINT
    AS tokens_cache_creation,
  CASE WHEN mx.has_totals THEN mx.cost_usd ELSE ex.cost_usd END AS cost_usd,
  CASE WHEN (CASE WHEN mx.has_totals THEN mx.cost_usd ELSE ex.cost_usd END) IS NOT NULL THEN 'estimated' END
    AS cost_provenance,
  NULL AS customer_type,
  json_object('totals_from', CASE WHEN mx.has_totals THEN 'metrics' WHEN ex.requests > 0 THEN 'api_request_events'
                                  END,
              'api_errors', ex.api_errors, 'active_seconds_user', mx.active_user_s,
              'active_seconds_cli', mx.active_cli_s, 'team', coalesce(mx.team, ex.team))::VARCHAR AS extra_json
FROM _touched t LEFT JOIN mx USING (day, actor) LEFT JOIN ex USING (day, actor)
"""

_MODEL_SQL = """
WITH m AS (SELECT d.* FROM otel_metric_deltas d JOIN _touched USING (day, actor) WHERE d.day BETWEEN $lo AND $hi
           AND metric IN ('claude_code.token.usage', 'claude_code.cost.usage')),
e AS (SELECT v.* FROM otel_events v JOIN _touched USING (day, actor)
      WHERE v.day BETWEEN $lo AND $hi AND event = 'api_request'),
has AS (SELECT DISTINCT day, actor FROM m),
mx AS (
  SELECT day, actor, coalesce(model, 'unknown') AS model,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'input' THEN value END) AS ti,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'output' THEN value END) AS tout,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'cacheRead' THEN value END) AS tcr,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'cacheCreation' THEN value END) AS tcc,
    sum(CASE WHEN metric = 'claude_code.cost.usage' THEN value END) AS cost
  FROM m GROUP BY ALL),
ex AS (
  SELECT day, actor, coalesce(model, 'unknown') AS model, count(*) AS requests,
    sum(input_tokens) AS ti, sum(output_tokens) AS tout, sum(cache_read_tokens) AS tcr,
    sum(cache_creation_tokens) AS tcc, sum(cost_usd) AS cost
  FROM e GROUP BY ALL),
k AS (SELECT day, actor, model FROM mx UNION SELECT day, actor, model FROM ex)
SELECT 'claude_code' AS tool, 'otel' AS source, k.day, k.actor, k.model,
  round(CASE WHEN h.day IS NOT NULL THEN mx.ti ELSE ex.ti END)::BIGINT AS tokens_input,
  round(CASE WHEN h.day IS NOT NULL THEN mx.tout ELSE ex.tout END)::BIGINT AS tokens_output,
  round(CASE WHEN h.day IS NOT NULL THEN mx.tcr ELSE ex.tcr END)::BIGINT AS tokens_cache_read,
  round(CASE WHEN h.day IS NOT NULL THEN mx.tcc ELSE ex.tcc END)::BIGINT AS tokens_cache_creation,
  NULL::BIGINT AS tokens_cache_creation_1h,
  ex.requests,
  CASE WHEN h.day IS NOT NULL THEN mx.cost ELSE ex.cost END AS cost_usd,
  CASE WHEN (CASE WHEN h.day IS NOT NULL THEN mx.cost ELSE ex.cost END) IS NOT NULL THEN 'estimated' END
    AS cost_provenance
FROM k LEFT JOIN has h USING (day, actor) LEFT JOIN mx USING (day, actor, model) LEFT JOIN ex USING (day, actor, model)
"""

_SESSION_SQL = """
WITH m AS (SELECT d.* FROM otel_metric_deltas d JOIN _touched USING (day, actor) WHERE d.day BETWEEN $lo AND $hi),
e AS (SELECT v.* FROM otel_events v JOIN _touched USING (day, actor) WHERE v.day BETWEEN $lo AND $hi),
has AS (SELECT DISTINCT day, actor FROM m WHERE metric IN ('claude_code.token.usage', 'claude_code.cost.usage')),
mx AS (
  SELECT day, actor, coalesce(session_id, '') AS session_id, max(team) AS team,
    min(occurred_at) AS first_at, max(occurred_at) AS last_at,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'input' THEN value END) AS ti,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'output' THEN value END) AS tout,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'cacheRead' THEN value END) AS tcr,
    sum(CASE WHEN metric = 'claude_code.token.usage' AND attr_type = 'cacheCreation' THEN value END) AS tcc,
    sum(CASE WHEN metric = 'claude_code.cost.usage' THEN value END) AS cost,
    sum(CASE WHEN metric = 'claude_code.lines_of_code.count' AND attr_type = 'added' THEN value END) AS la,
    sum(CASE WHEN metric = 'claude_code.lines_of_code.count' AND attr_type = 'removed' THEN value END) AS lr,
    list(DISTINCT model) FILTER (WHERE model IS NOT NULL) AS models
  FROM m GROUP BY ALL),
ex AS (
  SELECT day, actor, coalesce(session_id, '') AS session_id, max(team) AS team,
    min(occurred_at) AS first_at, max(occurred_at) AS last_at,
    count(CASE WHEN event = 'api_request' THEN 1 END) AS requests,
    sum(CASE WHEN event = 'api_request' THEN input_tokens END) AS ti,
    sum(CASE WHEN event = 'api_request' THEN output_tokens END) AS tout,
    sum(CASE WHEN event = 'api_request' THEN cache_read_tokens END) AS tcr,
    sum(CASE WHEN event = 'api_request' THEN cache_creation_tokens END) AS tcc,
    sum(CASE WHEN event = 'api_request' THEN cost_usd END) AS cost,
    list(DISTINCT model) FILTER (WHERE model IS NOT NULL) AS models,
    list(DISTINCT git_commit_id ORDER BY git_commit_id) FILTER (WHERE git_commit_id IS NOT NULL) AS commits,
    arg_max(git_branch, occurred_at) FILTER (WHERE git_branch IS NOT NULL) AS git_branch
  FROM e GROUP BY ALL),
k AS (SELECT day, actor, session_id FROM mx UNION SELECT day, actor, session_id FROM ex)
SELECT 'claude_code' AS tool, 'otel' AS source, k.day, k.actor, k.session_id,
  coalesce(mx.team, ex.team) AS team, ex.git_branch,
  least(mx.first_at, ex.first_at) AS first_at, greatest(mx.last_at, ex.last_at) AS last_at,
  CASE WHEN ex.requests > 0 THEN ex.requests END AS requests,
  round(CASE WHEN h.day IS NOT NULL THEN mx.ti ELSE ex.ti END)::BIGINT AS tokens_input,
  round(CASE WHEN h.day IS NOT NULL THEN mx.tout ELSE ex.tout END)::BIGINT AS tokens_output,
  round(CASE WHEN h.day IS NOT NULL THEN mx.tcr ELSE ex.tcr END)::BIGINT AS tokens_cache_read,
  round(CASE WHEN h.day IS NOT NULL THEN mx.tcc ELSE ex.tcc END)::BIGINT AS tokens_cache_creation,
  CASE WHEN h.day IS NOT NULL THEN mx.cost ELSE ex.cost END AS cost_usd,
  CASE WHEN (CASE WHEN h.day IS NOT NULL THEN mx.cost ELSE ex.cost END) IS NOT NULL THEN 'estimated' END
    AS cost_provenance,
  to_json(list_sort(list_distinct(list_concat(coalesce(mx.models, []), coalesce(ex.models, []))))
    )::VARCHAR AS models,
  CASE WHEN len(ex.commits) > 0 THEN to_json(ex.commits)::VARCHAR END AS commit_ids,
  round(mx.la)::BIGINT AS lines_added, round(mx.lr)::BIGINT AS lines_removed
FROM k LEFT JOIN has h USING (day, actor) LEFT JOIN mx USING (day, actor, session_id)
  LEFT JOIN ex USING (day, actor, session_id)
"""


# code_edit_tool.decision's tool_name, in the Analytics API's tool_actions vocabulary (sources.md §1, §3)
_EDIT_SQL = """
SELECT 'claude_code' AS tool, 'otel' AS source, d.day, d.actor,
  CASE d.tool_name WHEN 'Edit' THEN 'edit_tool' WHEN 'MultiEdit' THEN 'multi_edit_tool' WHEN 'Write' THEN 'write_tool'
    WHEN 'NotebookEdit' THEN 'notebook_edit_tool' ELSE lower(coalesce(d.tool_name, 'unknown')) END AS edit_tool,
  round(sum(CASE WHEN d.decision = 'accept' THEN d.value ELSE 0 END))::BIGINT AS accepted,
  round(sum(CASE WHEN d.decision = 'reject' THEN d.value ELSE 0 END))::BIGINT AS rejected
FROM otel_metric_deltas d JOIN _touched USING (day, actor) WHERE d.day BETWEEN $lo AND $hi
  AND d.metric = 'claude_code.code_edit_tool.decision'
GROUP BY ALL
"""


def _refresh(store: Store, touched: list[tuple[date, str]]) -> int:
    """Recompute the actor-day, model-day, session-day and edit-tool rows of ``touched`` from the facts."""
    if not touched:
        return 0
    keys = pa.table({"day": pa.array([d for d, _ in touched], pa.date32()),
                     "actor": pa.array([a for _, a in touched], pa.string())})
    store.con.register("_touched", keys)
    try:
        for record_type, sql in ((AIUsageDay, _USAGE_SQL), (AIUsageModelDay, _MODEL_SQL),
                                 (AISessionDay, _SESSION_SQL), (AIEditActions, _EDIT_SQL)):
            # the day range lets DuckDB's zone maps skip old row groups: facts arrive roughly in time order
            table = store.con.sql(sql, params={"lo": touched[0][0], "hi": touched[-1][0]}).to_arrow_table()
            store.upsert(record_type, to_arrow(record_type, table))
    finally:
        store.con.unregister("_touched")
    return len(touched)


# -- the spool ----------------------------------------------------------------------------------------------------
def _decode(records: Iterable[Any]) -> Iterator[tuple[str, Message]]:
    for rec in records:
        try:
            yield rec.signal, parse_request(rec.signal, rec.body, rec.encoding)
        except PayloadError as exc:
            exc.where = f"spool segment {rec.segment} before byte {rec.end_offset}"
            raise


def fold_spool(store: Store, spool_dir: Path, *, tz: str, team_attribute: str | None,
               progress: Any = None, batch_bytes: int = BATCH_BYTES) -> FoldStats:
    """Fold every unfolded spool record into the store, one transaction (with its cursor) per batch.

    Closed segments that are fully folded are deleted afterwards; a closed segment whose tail cannot be
    verified (torn by a crash before its 200, or damaged) is renamed ``.damaged`` and reported.
    """
    stats = FoldStats()
    if not spool_dir.is_dir():
        return stats
    close_orphans(spool_dir)
    _forget_retired(store, spool_dir)
    segs = segments(spool_dir)
    task = progress.add_task("folding OTLP spool", total=len(segs)) if progress is not None else None
    for listed in segs:
        offset = int(store.get_cursor(SOURCE, "spool", listed.stem) or 0)
        while True:
            offset = _fold_segment(store, listed, offset, stats, tz=tz, team_attribute=team_attribute,
                                   batch_bytes=batch_bytes)
            seg = _current(listed)
            if seg is None or seg.suffix != ".seg":
                break  # still being written by a live receiver: the next fold resumes at ``offset``
            if next(iter(read_records(seg, offset)), None) is not None:
                continue  # closed after our last read, with records appended before it closed
            _retire(store, seg, offset, stats)
            break
        if task is not None:
            progress.advance(task)
    stats.kept_aside = sorted((p.name, p.stat().st_size) for p in spool_dir.glob("*.damaged"))
    return stats


def _forget_retired(store: Store, spool_dir: Path) -> None:
    """Drop the cursors of segments that are gone: a fold killed between deleting a retired segment and
    deleting its cursor leaves the cursor behind (harmless, but it would stay forever)."""
    stems = [p for (p,) in store.con.execute(
        "SELECT \"partition\" FROM sync_state WHERE source = ? AND stream = 'spool'", [SOURCE]).fetchall()]
    gone = [stem for stem in stems
            if not any((spool_dir / stem).with_suffix(sfx).exists() for sfx in (".new", ".open", ".seg", ".damaged"))]
    if gone:
        with store.transaction():
            store.con.execute("DELETE FROM sync_state WHERE source = ? AND stream = 'spool' "
                              "AND list_contains(?, \"partition\")", [SOURCE, gone])


def _fold_segment(store: Store, listed: Path, offset: int, stats: FoldStats, *, tz: str,
                  team_attribute: str | None, batch_bytes: int) -> int:
    """Fold the complete records of one segment from ``offset``; returns the new offset."""
    while True:
        seg = _current(listed)
        if seg is None:
            return offset
        batch, size = [], 0
        try:
            for rec in read_records(seg, offset):
                batch.append(rec)
                size += len(rec.body)
                if size >= batch_bytes:
                    break
        except FileNotFoundError:
            continue  # the receiver rotated it (.open -> .seg) just now: read it under its new name
        if not batch:
            return offset
        with store.transaction():
            part = fold_messages(store, _decode(batch), tz=tz, team_attribute=team_attribute)
            store.set_cursor(SOURCE, "spool", seg.stem, str(batch[-1].end_offset))
        stats.add(part)
        offset = batch[-1].end_offset


def _current(seg: Path) -> Path | None:
    """The segment's present name (a receiver may rename ``.open`` to ``.seg`` at any moment)."""
    for candidate in (seg, seg.with_suffix(".seg")):
        if candidate.exists():
            return candidate
    return None


def _retire(store: Store, seg: Path, offset: int, stats: FoldStats) -> None:
    """Remove a closed, fully folded segment (after its rows committed) and then its cursor."""
    try:
        size = seg.stat().st_size
    except FileNotFoundError:
        return
    if offset < size:
        damaged = seg.with_suffix(".damaged")
        try:
            _keep_tail(seg, offset, damaged)
            stats.damaged.append(f"{damaged.name}: the {size - offset:,} unverifiable bytes after byte {offset:,} of "
                                 f"{seg.name} (everything before them is folded)")
        except OSError:
            os.replace(seg, damaged)  # no room for a copy of the tail (a full disk): keep the whole segment
            stats.damaged.append(f"{damaged.name}: {size - offset:,} unverifiable bytes after byte {offset:,}")
    else:
        seg.unlink()
    with store.transaction():
        store.con.execute("DELETE FROM sync_state WHERE source = ? AND stream = 'spool' AND \"partition\" = ?",
                          [SOURCE, seg.stem])


def _keep_tail(seg: Path, offset: int, damaged: Path) -> None:
    """Keep only the bytes of ``seg`` after ``offset`` (folded already before it), as ``damaged``.

    A whole segment kept aside would hold up to 32 MiB of bytes already in the store, on the disk the
    receiver needs to recover from a full disk.
    """
    partial = damaged.with_suffix(".damaged-partial")
    try:
        with open(seg, "rb") as src, open(partial, "wb") as dst:
            src.seek(offset)
            while chunk := src.read(1024 * 1024):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(partial, damaged)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
    seg.unlink()


def _fold(run: Run, spool_dir: Path) -> Iterator[Batch]:
    """The spool fold keeps its own units and cursors (a transaction per batch of segment bytes)."""
    otel = run.config.root.otel
    stats = fold_spool(run.store, spool_dir, tz=run.config.timezone, team_attribute=otel.team_attribute,
                       progress=run.bar)
    folded = _summary(stats)
    yield Batch(counts=folded.rows, notes=folded.notes)


# ``correlate sync --source otel``: fold the receiver's spool (``--since`` does not apply)
SPOOL = Source(name=SOURCE, plan=lambda run: [run.config.resolve(run.config.root.otel.spool_dir)], fetch=_fold,
               configured=lambda config: config.resolve(config.root.otel.spool_dir).exists(),
               label=lambda _: "spool")


def _summary(stats: FoldStats) -> SyncSummary:
    summary = SyncSummary(source=SOURCE, rows={"requests": stats.requests, "metric increments": stats.increments,
                                               "events": stats.events, "actor-days refreshed": stats.actor_days})
    if stats.skipped_points or stats.skipped_events:
        summary.notes.append(f"ignored {stats.skipped_points:,} points and {stats.skipped_events:,} events "
                             "(not Claude Code counters/kept events, or repeats)")
    if stats.out_of_range:
        summary.notes.append(f"ignored {stats.out_of_range:,} points with a time after 2262 or a value that is NaN, "
                             "infinite or beyond 2^53 (damaged exports)")
    for d in stats.damaged:
        summary.notes.append(f"kept damaged segment {d}")
    if stats.kept_aside:
        files = ", ".join(f"{name} ({size:,} bytes)" for name, size in stats.kept_aside)
        summary.notes.append(f"kept aside in the spool folder: {files}. Unverifiable bytes (a receiver killed "
                             "mid-write, or disk damage): inspect them, then delete them")
    return summary


def _fold_file(run: Run, path: Path) -> Iterator[Batch]:
    messages = list(read_export_file(Path(path)))  # read whole before anything is written
    otel = run.config.root.otel
    stats: FoldStats = run.state.setdefault("stats", FoldStats())

    def fold(store: Store) -> None:
        stats.add(fold_messages(store, messages, tz=run.config.timezone, team_attribute=otel.team_attribute))

    yield Batch(then=fold)


def _files_folded(run: Run) -> None:
    folded = _summary(run.state.get("stats", FoldStats()))
    run.summary.add(folded.rows)
    run.summary.notes.extend(folded.notes)


def import_files(config_path: Path, paths: list[Path]) -> None:
    """``correlate import otlp FILE...``: fold Collector file-exporter output (idempotent per file).

    Each file is read completely before anything is written, then stored in one transaction, so a
    malformed file leaves the store unchanged. The derive stage runs after the last file.
    """
    from correlate.config import load_config
    from correlate.console import console
    from correlate.derive import derive
    from correlate.plausible import PlausibleWindow

    config = load_config(config_path)
    files = Source(name=SOURCE, plan=lambda run: [Path(p) for p in paths], fetch=_fold_file,
                   finish=_files_folded, label=lambda p: p.name)
    with Store.open(config.store_path, window=PlausibleWindow.of(config)) as store:
        summary = run_source(SyncContext(config, store), files, None)
        derived = derive(store, config)
    console.print(summary.describe() + f" from {len(paths)} file(s) into {config.store_path}", soft_wrap=True)
    console.print(derived.describe(), soft_wrap=True)
