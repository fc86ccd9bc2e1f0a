"""OTLP/HTTP payloads (protobuf or JSON) decoded into flat, typed metric points and log events.

Pure decoding: no storage, no ``correlate`` imports. The receiver (``correlate.otlp.server``)
validates with :func:`parse_request`; the fold (``correlate.ingest.otel``) flattens with
:func:`metric_points` and :func:`log_events`.

Wire quirks handled (sources.md §4):
    * JSON keys in lowerCamelCase or snake_case; 64-bit integers as strings or bare numbers;
      unknown fields ignored (``json_format.Parse(..., ignore_unknown_fields=True)``);
    * ``traceId``/``spanId`` are hex in OTLP/JSON, but protobuf's JSON parser reads them as base64 and
      silently decodes them wrong, so they are converted from hex first;
    * values arrive as ``asInt`` or ``asDouble`` (Claude Code sends doubles even for counts);
    * the event name is in ``eventName``, in ``body.stringValue`` or in the ``event.name`` attribute.

Collector file-exporter output is read by :func:`read_export_file`: JSON lines (one export request per
line), one pretty-printed OTLP/JSON request, or length-prefixed protobuf (4-byte big-endian length, then
the message).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from connectors.errors import PayloadError

__all__ = [
    "CUMULATIVE",
    "DELTA",
    "LogEvent",
    "MAX_VALUE",
    "MetricPoint",
    "Signal",
    "attr_float",
    "attr_int",
    "log_events",
    "metric_points",
    "parse_request",
    "read_export_file",
]

SOURCE = "otel"
DELTA = 1
CUMULATIVE = 2
Signal = Literal["metrics", "logs", "traces"]  # traces are validated and counted, never folded
Encoding = Literal["protobuf", "json"]
MAX_VALUE = float(2**53)  # the largest magnitude a float holds exactly; larger numbers are not believable counts

_HEX = re.compile(r"^[0-9a-fA-F]*$")
_ID_KEYS = {"traceId": 16, "spanId": 8, "trace_id": 16, "span_id": 8, "parentSpanId": 8, "parent_span_id": 8}
_REQUEST_TYPES: dict[str, type[Message]] = {
    "metrics": ExportMetricsServiceRequest,
    "logs": ExportLogsServiceRequest,
    "traces": ExportTraceServiceRequest,
}


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One data point of one metric, with resource, scope and point attributes merged.

    Attributes:
        name: the metric name (``claude_code.token.usage``).
        kind: ``sum``, ``gauge``, ``histogram``, ``exponential_histogram`` or ``summary``.
        temporality: 1 delta, 2 cumulative, 0 unspecified (gauges).
        start_ns, time_ns: ``startTimeUnixNano`` and ``timeUnixNano``.
        value: the number (histograms and summaries: their ``sum``).
        is_int: the point carried ``asInt``.
        attributes: point attributes over scope over resource attributes (the point wins, as Claude
            Code's built-in keys win over ``OTEL_RESOURCE_ATTRIBUTES``).
        series: a stable key of (name, unit, kind, temporality, attributes). The start time is not part
            of it: the fold differences cumulative points per (series, start time), and a delta fact is
            keyed by (series, start, time).
    """

    name: str
    unit: str
    kind: str
    temporality: int
    is_monotonic: bool
    start_ns: int
    time_ns: int
    value: float
    is_int: bool
    attributes: dict[str, Any]
    series: str
    scope: str


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One OTLP log record read as an event.

    Attributes:
        name: full event name (``claude_code.api_request``), from ``eventName``, ``body.stringValue``
            or the ``event.name`` attribute (prefixed with ``claude_code.`` when the scope is Claude
            Code's and the attribute holds the short name); ``None`` when none is present.
        time_ns: ``timeUnixNano``, else ``observedTimeUnixNano`` (0 when neither is set).
        attributes: record attributes over scope over resource attributes.
        event_id: a stable hash of the record, so a request delivered twice is stored once.
    """

    name: str | None
    time_ns: int
    observed_ns: int
    severity: str
    body: Any
    attributes: dict[str, Any]
    trace_id: str
    span_id: str
    scope: str
    event_id: str


# -- parsing ---------------------------------------------------------------------------------------------
def parse_request(signal: Signal, body: bytes | bytearray, encoding: Encoding) -> Message:
    """Parse one export request body (already decompressed).

    Args:
        signal: ``metrics`` (``/v1/metrics``), ``logs`` (``/v1/logs``) or ``traces`` (``/v1/traces``).
        body: the raw bytes.
        encoding: ``protobuf`` or ``json``.

    Raises:
        PayloadError: the bytes are not a valid request of that kind; the message says why.
    """
    msg = _REQUEST_TYPES[signal]()
    if encoding == "protobuf":
        try:
            msg.ParseFromString(body)
        except DecodeError as exc:
            raise PayloadError(f"not a protobuf Export{signal.title()}ServiceRequest: {exc}", source=SOURCE,
                               stream=signal) from None
        return msg
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError(f"not valid JSON: {exc}", source=SOURCE, stream=signal) from None
    return parse_json_object(signal, data)


def parse_json_object(signal: Signal, data: Any) -> Message:
    """Parse an already-decoded OTLP/JSON object into the export request message."""
    if not isinstance(data, dict):
        raise PayloadError(f"OTLP/JSON must be an object, got {type(data).__name__}", source=SOURCE, stream=signal)
    msg = _REQUEST_TYPES[signal]()
    try:
        json_format.ParseDict(_hex_ids_to_base64(data), msg, ignore_unknown_fields=True)
    except (json_format.ParseError, TypeError, ValueError, RecursionError) as exc:
        raise PayloadError(f"not a valid OTLP/JSON {signal} request: {_json_problem(exc)}", source=SOURCE,
                           stream=signal) from None
    return msg


_FAILED_AT = re.compile(r"Failed to parse (\w+) field: ")


def _json_problem(exc: Exception) -> str:
    """json_format's nested "Failed to parse a field: Failed to parse b field: why" as "field a.b: why"."""
    text = str(exc)
    fields = []
    while found := _FAILED_AT.match(text):
        fields.append(found.group(1))
        text = text[found.end():]
    reason = text.rstrip(".")[:200]
    return f"field {'.'.join(fields)}: {reason}" if fields else reason


def _hex_ids_to_base64(node: Any) -> Any:
    """``node`` with hex trace/span ids re-encoded as base64 (what json_format expects), changed in place.

    In place, not copied: a copy of a large request's decoded JSON doubled the memory a request costs.
    """
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k in list(item):
                v = item[k]
                if not k.isascii() and _unpaired_surrogate(k):
                    raise ValueError(f"field name {k!r} is not valid Unicode (an unpaired surrogate escape)")
                if k in _ID_KEYS and isinstance(v, str):
                    if v and len(v) == 2 * _ID_KEYS[k] and _HEX.match(v):
                        item[k] = base64.b64encode(bytes.fromhex(v)).decode()
                    else:
                        del item[k]  # empty, already base64, wrong length: ids are not used downstream
                elif isinstance(v, (dict, list)):
                    stack.append(v)
                elif isinstance(v, str):
                    _check_unicode(v)
        elif isinstance(item, list):
            for v in item:
                if isinstance(v, (dict, list)):
                    stack.append(v)
                elif isinstance(v, str):
                    _check_unicode(v)
        elif isinstance(item, str):
            _check_unicode(item)
    return node


def _check_unicode(text: str) -> None:
    if not text.isascii() and _unpaired_surrogate(text):
        # protobuf's JSON parser fails inside C on a lone surrogate where it looks up a field name (a
        # SystemError, not a ParseError), so such strings are refused here, wherever they are
        raise ValueError(f"{text[:20]!r} is not valid Unicode (an unpaired surrogate escape)")


def _unpaired_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# -- values ------------------------------------------------------------------------------------------------
def any_value(v: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a plain Python value (lists, dicts, str, int, float, bool, None)."""
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "string_value":
        return v.string_value
    if which == "int_value":
        return v.int_value
    if which == "double_value":
        return v.double_value
    if which == "bool_value":
        return v.bool_value
    if which == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    if which == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in v.kvlist_value.values}
    return None  # dictionary-index variants (stringValueStrindex …): not used by Claude Code


def _attrs(kvs: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    out = dict(base) if base else {}
    for kv in kvs:
        out[kv.key] = any_value(kv.value)
    return out


def attr_float(attrs: dict[str, Any], key: str) -> float | None:
    """A numeric attribute as float; Claude Code before v2.1.122 sent numbers as strings.

    ``None`` when absent, not a number, NaN or infinite, or larger in magnitude than :data:`MAX_VALUE`
    (no real token count, cost or duration is; storing one would overflow the store's sums).
    """
    v = attrs.get(key)
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        f = float(v)
    elif isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            return None
    else:
        return None
    return f if -MAX_VALUE <= f <= MAX_VALUE else None  # false for NaN too


def attr_int(attrs: dict[str, Any], key: str) -> int | None:
    """A numeric attribute as int (strings and doubles accepted; ``None`` as for :func:`attr_float`)."""
    f = attr_float(attrs, key)
    return None if f is None else int(round(f))


_CACHE_MAX = 200_000  # series remembered by a metric_points cache


def _series_key(*parts: Any) -> str:
    # repr of sorted items is stable across processes for the plain values attributes hold, and cheaper
    # than json.dumps(sort_keys=True); nested dicts (kvlist values) are rare and keep insertion order
    text = repr(tuple(sorted(p.items()) if isinstance(p, dict) else p for p in parts))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# -- flattening --------------------------------------------------------------------------------------------
def metric_points(req: ExportMetricsServiceRequest,
                  cache: dict[tuple[Any, ...], tuple[dict[str, Any], str]] | None = None) -> Iterator[MetricPoint]:
    """Every data point of every metric in the request, flattened.

    Args:
        req: the parsed export request.
        cache: pass one dict across the requests of a fold to skip re-decoding the attributes and
            re-hashing the series of a series seen before (an exporter repeats each series every
            interval). Keys are the exact protobuf bytes of the resource, scope and point attributes,
            so a hit is the same attributes; points of one series then share one ``attributes`` dict.
    """
    for rm in req.resource_metrics:
        res = _attrs(rm.resource.attributes)
        res_key = rm.resource.SerializeToString() if cache is not None else b""
        for sm in rm.scope_metrics:
            scope_attrs = _attrs(sm.scope.attributes, res)
            base_key = (res_key, sm.scope.SerializeToString()) if cache is not None else None
            scope = sm.scope.name
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    continue
                data = getattr(metric, kind)
                temporality = int(getattr(data, "aggregation_temporality", 0))
                monotonic = bool(getattr(data, "is_monotonic", False))
                name, unit = metric.name, metric.unit
                for dp in data.data_points:
                    if cache is None:
                        attrs = _attrs(dp.attributes, scope_attrs)
                        series = _series_key(name, unit, kind, temporality, attrs)
                    else:
                        key = (name, unit, kind, temporality, base_key,
                               tuple(kv.SerializeToString() for kv in dp.attributes))
                        hit = cache.get(key)
                        if hit is None:
                            if len(cache) >= _CACHE_MAX:
                                cache.clear()  # bounded memory on a fold of very many distinct series
                            attrs = _attrs(dp.attributes, scope_attrs)
                            hit = cache[key] = (attrs, _series_key(name, unit, kind, temporality, attrs))
                        attrs, series = hit
                    if kind in ("sum", "gauge"):
                        vt = dp.WhichOneof("value")
                        is_int = vt == "as_int"
                        value = float(dp.as_int) if is_int else float(dp.as_double)
                    else:
                        is_int, value = False, float(dp.sum)
                    yield MetricPoint(
                        name=name, unit=unit, kind=kind, temporality=temporality,
                        is_monotonic=monotonic, start_ns=int(getattr(dp, "start_time_unix_nano", 0)),
                        time_ns=int(dp.time_unix_nano), value=value, is_int=is_int, attributes=attrs,
                        series=series, scope=scope,
                    )


def log_events(req: ExportLogsServiceRequest) -> Iterator[LogEvent]:
    """Every log record in the request as an event."""
    for rl in req.resource_logs:
        res = _attrs(rl.resource.attributes)
        for sl in rl.scope_logs:
            scope_attrs = _attrs(sl.scope.attributes, res)
            scope = sl.scope.name
            for rec in sl.log_records:
                attrs = _attrs(rec.attributes, scope_attrs)
                body = any_value(rec.body) if rec.HasField("body") else None
                name = _event_name(rec.event_name, body, attrs, scope, res)
                time_ns = int(rec.time_unix_nano) or int(rec.observed_time_unix_nano)
                trace_id, span_id = rec.trace_id.hex(), rec.span_id.hex()
                event_id = _series_key(name, time_ns, attrs, body, trace_id, span_id)
                yield LogEvent(
                    name=name, time_ns=time_ns, observed_ns=int(rec.observed_time_unix_nano),
                    severity=rec.severity_text, body=body, attributes=attrs, trace_id=trace_id,
                    span_id=span_id, scope=scope, event_id=event_id,
                )


def _event_name(event_name: str, body: Any, attrs: dict[str, Any], scope: str, res: dict[str, Any]) -> str | None:
    if event_name:
        return event_name
    if isinstance(body, str) and body.startswith("claude_code."):
        return body
    short = attrs.get("event.name")
    if isinstance(short, str) and short:
        if "." in short:
            return short
        is_claude = scope.startswith("com.anthropic.claude_code") or str(res.get("service.name", "")).startswith(
            "claude-code")
        return f"claude_code.{short}" if is_claude else short
    return None


# -- Collector file exporter --------------------------------------------------------------------------------
def read_export_file(path: Path) -> Iterator[tuple[Signal, Message]]:
    """Export requests in an OpenTelemetry Collector ``file`` exporter output file.

    ``format: json`` writes one OTLP/JSON request per line (dispatched on its top-level key;
    ``resourceSpans`` lines are skipped); a file holding one OTLP/JSON request over many lines (the
    spec's pretty-printed examples, a request saved by hand) is read too. ``format: proto`` writes each
    request after a 4-byte big-endian length. A protobuf message does not say whether it holds metrics or
    logs, so each is read as metrics when that gives named metrics with data, otherwise as logs.

    Raises:
        PayloadError: a line or message cannot be read; ``where`` names the file and line or offset.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PayloadError(f"cannot read {path}: {exc}", source=SOURCE, where=str(path)) from None
    if data.lstrip()[:1] in (b"{", b""):
        yield from _read_json(path, data)
    else:
        yield from _read_length_prefixed(path, data)


def _read_json(path: Path, data: bytes) -> Iterator[tuple[Signal, Message]]:
    """JSON lines, or one JSON document over many lines (the spec's pretty-printed examples)."""
    first_no, first = next(((n, line) for n, line in enumerate(data.splitlines(), 1) if line.strip()), (1, b""))
    try:
        json.loads(first)
    except (UnicodeDecodeError, ValueError, RecursionError):
        pass  # not a whole request on one line: read the file as one document
    else:
        yield from _read_json_lines(path, data)
        return
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None) or first_no  # RecursionError has no line: the document's first
        raise PayloadError(f"neither JSON lines nor one JSON document ({exc}). Is this a Collector file-exporter "
                           "output file or an OTLP/JSON export request?", source=SOURCE,
                           where=f"{path}:{line}") from None
    yield from _json_requests(obj, str(path))


def _read_json_lines(path: Path, data: bytes) -> Iterator[tuple[Signal, Message]]:
    for lineno, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise PayloadError(f"line is not JSON ({exc}). Is this a Collector file-exporter output file?",
                               source=SOURCE, where=where) from None
        yield from _json_requests(obj, where)


def _json_requests(obj: Any, where: str) -> Iterator[tuple[Signal, Message]]:
    """The export request in one decoded JSON object, dispatched on its top-level key (traces: none)."""
    if not isinstance(obj, dict):
        raise PayloadError("not a JSON object", source=SOURCE, where=where)
    signal: Signal
    if "resourceMetrics" in obj or "resource_metrics" in obj:
        signal = "metrics"
    elif "resourceLogs" in obj or "resource_logs" in obj:
        signal = "logs"
    elif "resourceSpans" in obj or "resource_spans" in obj:
        return  # traces: nothing to ingest
    else:
        raise PayloadError("none of resourceMetrics, resourceLogs, resourceSpans at the top level", source=SOURCE,
                           where=where)
    try:
        yield signal, parse_json_object(signal, obj)
    except PayloadError as exc:
        exc.where = where
        raise


def _read_length_prefixed(path: Path, data: bytes) -> Iterator[tuple[Signal, Message]]:
    offset = 0
    while offset < len(data):
        where = f"{path} at byte {offset}"
        if len(data) - offset < 4:
            raise PayloadError("truncated length prefix at the end of the file", source=SOURCE, where=where)
        (size,) = struct.unpack_from(">I", data, offset)
        start, end = offset + 4, offset + 4 + size
        if end > len(data):
            raise PayloadError(f"message of {size} bytes runs past the end of the file (truncated or not "
                               "length-prefixed protobuf; zstd-compressed files are not supported)",
                               source=SOURCE, where=where)
        yield _classify_protobuf(data[start:end], where)
        offset = end


def _classify_protobuf(body: bytes, where: str) -> tuple[Signal, Message]:
    metrics = ExportMetricsServiceRequest()
    try:
        metrics.ParseFromString(body)
        ok = any(m.name and m.WhichOneof("data") for rm in metrics.resource_metrics for sm in rm.scope_metrics
                 for m in sm.metrics)
        if ok:
            return "metrics", metrics
    except DecodeError:
        pass
    logs = ExportLogsServiceRequest()
    try:
        logs.ParseFromString(body)
    except DecodeError as exc:
        raise PayloadError(f"neither a metrics nor a logs export request: {exc}", source=SOURCE,
                           where=where) from None
    return "logs", logs
