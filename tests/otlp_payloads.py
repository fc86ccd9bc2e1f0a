"""HAND-BUILT Claude Code OTLP payloads, from the documented shapes (sources.md §3-4).

No licensed recording of Claude Code telemetry exists publicly, so these requests are built here from
the monitoring docs: meter ``com.anthropic.claude_code``, counters as monotonic ``sum`` metrics with
``asDouble`` values, standard attributes (``session.id``, ``user.email`` ...) on every point, events
as log records named in ``body`` and ``event.name``.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

T0 = 1_790_000_000_000_000_000  # 2026-09-21T14:13:20Z
MINUTE = 60_000_000_000


def _value(v: Any) -> AnyValue:
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    if isinstance(v, float):
        return AnyValue(double_value=v)
    return AnyValue(string_value=str(v))


def _kvs(attrs: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_value(v)) for k, v in attrs.items()]


RESOURCE = {"service.name": "claude-code", "service.version": "2.1.240", "os.type": "linux", "team.id": "payments"}
USER = {"user.email": "Dev@Example.com", "user.account_uuid": "acc-1", "organization.id": "org-1",
        "session.id": "sess-1", "terminal.type": "vscode"}


@dataclass
class Point:
    """One point: metric name, value, extra attributes, times (ns)."""

    name: str
    value: float
    attrs: dict[str, Any] = field(default_factory=dict)
    time_ns: int = T0
    start_ns: int = T0 - MINUTE
    as_int: bool = False


def metrics_request(points: list[Point], *, temporality: int = 1, user: dict[str, Any] | None = None,
                    resource: dict[str, Any] | None = None) -> ExportMetricsServiceRequest:
    """One export request; each point becomes its own metric entry of a monotonic sum."""
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.extend(_kvs(RESOURCE if resource is None else resource))
    sm = rm.scope_metrics.add()
    sm.scope.name = "com.anthropic.claude_code"
    sm.scope.version = "2.1.240"
    for p in points:
        m = sm.metrics.add()
        m.name = p.name
        m.unit = {"claude_code.cost.usage": "USD", "claude_code.token.usage": "tokens",
                  "claude_code.active_time.total": "s"}.get(p.name, "")
        m.sum.aggregation_temporality = temporality
        m.sum.is_monotonic = True
        dp = m.sum.data_points.add()
        dp.attributes.extend(_kvs({**(USER if user is None else user), **p.attrs}))
        dp.start_time_unix_nano = p.start_ns
        dp.time_unix_nano = p.time_ns
        if p.as_int:
            dp.as_int = int(p.value)
        else:
            dp.as_double = p.value
    return req


def event(name: str, attrs: dict[str, Any], time_ns: int = T0, *, user: dict[str, Any] | None = None
          ) -> tuple[str, dict[str, Any], int, dict[str, Any]]:
    return name, attrs, time_ns, (USER if user is None else user)


def logs_request(events: list[tuple[str, dict[str, Any], int, dict[str, Any]]],
                 resource: dict[str, Any] | None = None) -> ExportLogsServiceRequest:
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.extend(_kvs(RESOURCE if resource is None else resource))
    sl = rl.scope_logs.add()
    sl.scope.name = "com.anthropic.claude_code.events"
    for name, attrs, t, user in events:
        rec = sl.log_records.add()
        rec.time_unix_nano = t
        rec.observed_time_unix_nano = t
        rec.body.string_value = f"claude_code.{name}"
        rec.attributes.extend(_kvs({**user, "event.name": name, **attrs}))
    return req


def api_request(model: str, cost: float, tin: int, tout: int, cr: int = 0, cc: int = 0, *, t: int = T0,
                request_id: str = "req_1", as_strings: bool = False, **extra: Any) -> tuple[Any, ...]:
    attrs: dict[str, Any] = {"model": model, "cost_usd": cost, "input_tokens": tin, "output_tokens": tout,
                             "cache_read_tokens": cr, "cache_creation_tokens": cc, "duration_ms": 1234,
                             "request_id": request_id, **extra}
    if as_strings:  # Claude Code before v2.1.122 sent numeric attributes as strings
        attrs = {k: str(v) for k, v in attrs.items()}
    return event("api_request", attrs, t)


def to_json(msg: Any) -> bytes:
    """OTLP/JSON as the spec writes it (camelCase, 64-bit ints as strings)."""
    return json_format.MessageToJson(msg).encode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


def day_of_usage(session: str = "sess-1", t: int = T0) -> list[Point]:
    """A small, realistic working session's counters (delta values)."""
    s = {"session.id": session}
    return [
        Point("claude_code.session.count", 1.0, {**s, "start_type": "fresh"}, t),
        Point("claude_code.token.usage", 1200.0, {**s, "type": "input", "model": "claude-sonnet-4-6"}, t),
        Point("claude_code.token.usage", 800.0, {**s, "type": "output", "model": "claude-sonnet-4-6"}, t),
        Point("claude_code.token.usage", 50000.0, {**s, "type": "cacheRead", "model": "claude-sonnet-4-6"}, t),
        Point("claude_code.token.usage", 3000.0, {**s, "type": "cacheCreation", "model": "claude-sonnet-4-6"}, t),
        Point("claude_code.cost.usage", 0.04, {**s, "model": "claude-sonnet-4-6"}, t),
        Point("claude_code.lines_of_code.count", 120.0, {**s, "type": "added"}, t),
        Point("claude_code.lines_of_code.count", 30.0, {**s, "type": "removed"}, t),
        Point("claude_code.commit.count", 2.0, s, t),
        Point("claude_code.pull_request.count", 1.0, s, t),
        Point("claude_code.code_edit_tool.decision", 5.0,
              {**s, "tool_name": "Edit", "decision": "accept", "source": "user_temporary", "language": "Python"}, t),
        Point("claude_code.code_edit_tool.decision", 1.0,
              {**s, "tool_name": "Write", "decision": "reject", "source": "user_reject", "language": "Python"}, t),
        Point("claude_code.active_time.total", 600.0, {**s, "type": "user"}, t),
        Point("claude_code.active_time.total", 300.0, {**s, "type": "cli"}, t),
    ]


__all__ = ["MINUTE", "T0", "Point", "api_request", "day_of_usage", "event", "gz", "logs_request",
           "metrics_request", "to_json"]

