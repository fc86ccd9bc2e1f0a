"""Hostile OTLP: damaged JSON and protobuf export requests parse to a message or raise a ``PayloadError``
that says what is wrong; a message that parses always folds into the store (facts it cannot place are
counted and skipped), and a spool record that cannot be decoded stops the fold with its location and
leaves the store and the cursor as they were.

Every example starts from a HAND-BUILT Claude Code request in the documented shape (tests/otlp_payloads.py)
and damages it: JSON fields deleted or given values of other kinds (huge and negative 64-bit integers,
hex ids of the wrong length or alphabet, attribute values of the wrong kind, unknown enum names), or the
protobuf bytes truncated, bit-flipped or replaced, or valid protobuf with nonsense in it (times past
2262, NaN and infinite values, attributes of every kind).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import PayloadError
from connectors.otlp import log_events, metric_points, parse_request, read_export_file
from correlate.ingest.otel import _summary, fold_messages, fold_spool
from correlate.otlp.spool import encode_record
from correlate.store import Store
from tests.otlp_payloads import (
    T0,
    USER,
    Point,
    api_request,
    day_of_usage,
    event,
    logs_request,
    metrics_request,
    to_json,
)
from tests.robustness.damage import damaged, json_values

SETTINGS = settings(max_examples=35, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TABLES = ("ai_usage_daily", "ai_usage_model_daily", "ai_session_daily", "ai_edit_actions", "otel_metric_deltas",
          "otel_events", "otel_series_state", "sync_state")

# values an OTLP/JSON field can plausibly be damaged into, besides any JSON value
U64 = 2**64
otlp_values = st.one_of(
    json_values,
    st.sampled_from([str(U64), str(U64 - 1), "-1", str(-2**63), "1e400", "NaN", "Infinity", "0x10", "",
                     "AGGREGATION_TEMPORALITY_BOGUS", "SEVERITY_NUMBER_NOPE", "zz" * 8, "0" * 31, "0" * 32,
                     "AAAAAAAAAAAAAAAAAAAAAA==", "\udcff"]),
    st.integers(-U64, 2 * U64),
    st.sampled_from([{"intValue": "x"}, {"intValue": str(U64)}, {"doubleValue": "NaN"}, {"boolValue": "yes"},
                     {"bytesValue": "!!not base64"}, {"arrayValue": {"values": [{"stringValue": 1}]}},
                     {"kvlistValue": {"values": [{"key": 1}]}}, {"stringValue": None}, {}]),
)

METRICS_DOC = json.loads(to_json(metrics_request(day_of_usage()[:4])))
_logs = json.loads(to_json(logs_request([api_request("claude-sonnet-4-6", 0.04, 1200, 800),
                                         event("tool_result", {"tool_name": "Edit", "success": "true"})])))
for _rec in _logs["resourceLogs"][0]["scopeLogs"][0]["logRecords"]:
    _rec.update(traceId="5b8efff798038103d269b633813fc60c", spanId="eee19b7ec3c1b174")
LOGS_DOC = _logs


def check_json(signal: str, doc: dict[str, Any], names: list[str]) -> Message | None:
    body = json.dumps(doc).encode("utf-8", "surrogatepass")
    try:
        msg = parse_request(signal, body, "json")  # type: ignore[arg-type]
    except PayloadError as exc:
        text = exc.message
        assert text.startswith(("not a valid OTLP/JSON", "not valid JSON", "OTLP/JSON must be an object")), text
        if text.startswith("not a valid OTLP/JSON") and "is not valid Unicode" not in text:
            # the field path json_format failed on ("field resourceMetrics.scopeMetrics.metrics.sum: ...")
            # runs through one of the damaged keys
            found = re.search(r"request: field ([\w.]+): ", text)
            assert found and set(found.group(1).split(".")) & set(names), (text, names)
        return None
    flat = list(metric_points(msg)) if signal == "metrics" else list(log_events(msg))  # type: ignore[arg-type]
    assert all(isinstance(p.attributes, dict) for p in flat)
    return msg


class _Undo(Exception):
    """Raised at the end of an example so its transaction rolls back and the next starts from an empty store."""


def fold_ok(store: Store, messages: list[tuple[str, Message]], check: Any = None) -> None:
    """Folding parseable messages never raises and never writes a fact that cannot be read back."""
    try:
        with store.transaction():
            fold_messages(store, messages, tz="Europe/Berlin", team_attribute="team.id")
            for table in TABLES:
                store.con.execute(f"SELECT * FROM {table}").fetchall()
            if check is not None:
                check(store)
            raise _Undo
    except _Undo:
        pass


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Store.open(tmp_path_factory.mktemp("otlp") / "store.duckdb") as s:
        yield s


@SETTINGS
@given(damaged(METRICS_DOC, otlp_values, max_damage=4))
def test_damaged_json_metrics_parse_or_name_the_field(store: Store, case: tuple[dict[str, Any], list[str]]) -> None:
    msg = check_json("metrics", *case)
    if msg is not None:
        fold_ok(store, [("metrics", msg)])


@SETTINGS
@given(damaged(LOGS_DOC, otlp_values, max_damage=4))
def test_damaged_json_logs_parse_or_name_the_field(store: Store, case: tuple[dict[str, Any], list[str]]) -> None:
    msg = check_json("logs", *case)
    if msg is not None:
        fold_ok(store, [("logs", msg)])


VALID_PB = {
    "metrics": metrics_request(day_of_usage()).SerializeToString(),
    "logs": logs_request([api_request("claude-sonnet-4-6", 0.04, 1200, 800)]).SerializeToString(),
}


@st.composite
def damaged_protobuf(draw: st.DrawFn) -> tuple[str, bytes]:
    signal = draw(st.sampled_from(["metrics", "logs"]))
    body = bytearray(VALID_PB[signal])
    how = draw(st.sampled_from(["truncate", "flip", "splice", "random"]))
    if how == "truncate":
        body = body[:draw(st.integers(0, len(body) - 1))]
    elif how == "flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(body) - 1))
            body[i] ^= 1 << draw(st.integers(0, 7))
    elif how == "splice":
        i = draw(st.integers(0, len(body)))
        body[i:i + draw(st.integers(0, 16))] = draw(st.binary(max_size=16))
    else:
        body = bytearray(draw(st.binary(max_size=300)))
    return signal, bytes(body)


@SETTINGS
@given(damaged_protobuf())
def test_damaged_protobuf_parses_or_is_a_payload_error(store: Store, case: tuple[str, bytes]) -> None:
    signal, body = case
    try:
        msg = parse_request(signal, body, "protobuf")  # type: ignore[arg-type]
    except PayloadError as exc:
        assert f"not a protobuf Export{signal.title()}ServiceRequest" in exc.message
        return
    fold_ok(store, [(signal, msg)])


# -- valid protobuf, nonsense content ---------------------------------------------------------------------
times = st.one_of(st.integers(0, U64 - 1), st.sampled_from([0, 1, T0, 2**63 - 1, 2**63, U64 - 1]))
numbers = st.one_of(st.floats(), st.integers(-2**63, 2**63 - 1).map(float),
                    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 2.0**63]))
attr_values = st.one_of(st.text(max_size=6), st.integers(-2**63, 2**63 - 1), st.floats(), st.booleans(),
                        st.sampled_from(["1e400", "nan", "-inf", "9" * 30, "-5", "", "true"]))
attrs = st.dictionaries(
    st.sampled_from(["type", "model", "session.id", "user.email", "user.id", "team.id", "decision", "tool_name",
                     "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens", "cost_usd",
                     "cost_usd_micros", "duration_ms", "status_code", "success", "event.timestamp",
                     "tool_parameters", "git_commit_id", "event.name"]),
    attr_values, max_size=6)
METRIC_NAMES = ["claude_code.token.usage", "claude_code.cost.usage", "claude_code.session.count",
                "claude_code.lines_of_code.count", "claude_code.code_edit_tool.decision",
                "claude_code.active_time.total", "other.metric"]


@st.composite
def nonsense_metrics(draw: st.DrawFn) -> Message:
    points = [Point(draw(st.sampled_from(METRIC_NAMES)), draw(numbers), draw(attrs), draw(times), draw(times),
                    as_int=draw(st.booleans()))
              for _ in range(draw(st.integers(1, 5)))]
    for p in points:
        if p.as_int and not (math.isfinite(p.value) and -2**63 <= p.value < 2**63):
            p.as_int = False  # asInt is an int64 on the wire
    return metrics_request(points, temporality=draw(st.sampled_from([0, 1, 2, 3])),
                           user=draw(st.sampled_from([USER, {}])))


@st.composite
def nonsense_logs(draw: st.DrawFn) -> Message:
    events = [event(draw(st.sampled_from(["api_request", "api_error", "tool_result", "user_prompt"])), draw(attrs),
                    draw(times), user=draw(st.sampled_from([USER, {}])))
              for _ in range(draw(st.integers(1, 5)))]
    return logs_request(events)


@settings(SETTINGS, max_examples=25)
@given(st.lists(st.one_of(nonsense_metrics().map(lambda m: ("metrics", m)),
                          nonsense_logs().map(lambda m: ("logs", m))), min_size=1, max_size=3))
def test_valid_protobuf_with_nonsense_values_folds(store: Store, messages: list[tuple[str, Message]]) -> None:
    # through the wire format, as the receiver spools it
    wired = [(s, parse_request(s, m.SerializeToString(), "protobuf")) for s, m in messages]  # type: ignore[arg-type]
    fold_ok(store, wired, check=_stored_values_are_finite)


def _stored_values_are_finite(store: Store) -> None:
    for ns, value in store.con.execute("SELECT time_ns, value FROM otel_metric_deltas").fetchall():
        assert 0 <= ns < 2**63 and math.isfinite(value)
    for (cost,) in store.con.execute("SELECT cost_usd FROM ai_usage_daily UNION ALL SELECT cost_usd FROM "
                                     "otel_events").fetchall():
        assert cost is None or math.isfinite(cost)


# -- the spool ------------------------------------------------------------------------------------------------
def _snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {t: sorted(store.con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damaged_protobuf())
def test_an_undecodable_spool_record_stops_the_fold_with_its_place_and_writes_nothing(
        tmp_path_factory: pytest.TempPathFactory, case: tuple[str, bytes]) -> None:
    signal, body = case
    body = b"\x0f" + body  # a first tag of wire type 7, which does not exist: never decodes
    with pytest.raises(PayloadError):
        parse_request(signal, body, "protobuf")  # type: ignore[arg-type]
    # a spool the receiver would never write (it validates first): a good record, then the damaged one
    spool = tmp_path_factory.mktemp("spool")
    good = encode_record("metrics", "protobuf", VALID_PB["metrics"])
    (spool / "00000000000000000001-1.seg").write_bytes(good + encode_record(signal, "protobuf", body))
    with Store.open(spool / "store.duckdb") as store:
        before = _snapshot(store)
        with pytest.raises(PayloadError) as err:
            fold_spool(store, spool, tz="UTC", team_attribute=None, batch_bytes=1 << 20)
        assert "spool segment 00000000000000000001-1.seg before byte" in str(err.value)
        assert _snapshot(store) == before  # the good record's rows rolled back with the batch; cursor unmoved


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.binary(max_size=40), st.sampled_from([
    to_json(metrics_request(day_of_usage()[:1])).replace(b"\n", b""), b"{}", b"[]", b'{"resourceSpans": []}',
    b'{"resourceMetrics": 5}', b"\xff\xfe", b"{", b"[" * 100_000])), min_size=1, max_size=4))
def test_collector_export_files_of_any_bytes_read_or_name_the_line(tmp_path_factory: pytest.TempPathFactory,
                                                                    lines: list[bytes]) -> None:
    path: Path = tmp_path_factory.mktemp("export") / "otel.json"
    path.write_bytes(b"\n".join(lines))
    try:
        for signal, msg in read_export_file(path):
            assert signal in ("metrics", "logs") and isinstance(msg, Message)
    except PayloadError as exc:
        assert exc.where is not None and str(path) in exc.where, str(exc)


# -- bugs these properties found, now fixed at their cause ----------------------------------------------------
@pytest.mark.parametrize("body", [b'{"\\udcff": 1}', b'{"resourceLogs": ["\\udcff"]}'])
def test_a_lone_surrogate_escape_is_a_payload_error_not_a_system_error(body: bytes) -> None:
    # protobuf's JSON parser raised SystemError from C on these (the receiver answered 500)
    with pytest.raises(PayloadError, match="not valid Unicode"):
        parse_request("logs", body, "json")


def test_points_after_2262_or_beyond_2_pow_53_are_counted_not_folded(store: Store) -> None:
    # the store keeps ns times as BIGINT: a uint64 time past 2**63 raised OverflowError mid-fold, and a
    # token count near 2**63 overflowed the day's BIGINT sum
    points = [Point("claude_code.cost.usage", 0.5), Point("claude_code.cost.usage", 1.0, time_ns=U64 - 1),
              Point("claude_code.token.usage", 2.0**63, {"type": "input"}), Point("claude_code.cost.usage", math.nan)]
    with store.transaction():
        stats = fold_messages(store, [("metrics", metrics_request(points))], tz="UTC", team_attribute=None)
        folded = store.con.execute("SELECT sum(value) FROM otel_metric_deltas").fetchone()
        store.con.execute("DELETE FROM otel_metric_deltas; DELETE FROM ai_usage_daily; DELETE FROM "
                          "ai_usage_model_daily; DELETE FROM ai_session_daily")
    assert (stats.increments, stats.out_of_range, folded) == (1, 3, (0.5,))


@pytest.mark.parametrize("attrs", [{"input_tokens": "1e30"}, {"input_tokens": 2**63 - 1}, {"cost_usd": "nan"},
                                   {"cost_usd": "1e400"}])
def test_event_attributes_out_of_range_are_left_empty(store: Store, attrs: dict[str, Any]) -> None:
    # each raised OverflowError or ValueError in the fold before
    msg = logs_request([event("api_request", {"model": "m", **attrs}, T0)])
    with store.transaction():
        fold_messages(store, [("logs", msg)], tz="UTC", team_attribute=None)
        row = store.con.execute("SELECT input_tokens, cost_usd FROM otel_events").fetchone()
        store.con.execute("DELETE FROM otel_events; DELETE FROM ai_usage_daily; DELETE FROM ai_usage_model_daily; "
                          "DELETE FROM ai_session_daily")
    assert row == (None, None)


def test_an_event_timestamp_attribute_past_year_9999_is_not_a_time(store: Store) -> None:
    # it raised OverflowError in the fold before; without a usable time the event is quarantined, not stored
    msg = logs_request([event("api_request", {"model": "m", "event.timestamp": "9999-12-31T23:59:59-05:00"}, 0)])
    with store.transaction():
        stats = fold_messages(store, [("logs", msg)], tz="UTC", team_attribute=None)
        rows = store.con.execute("SELECT count(*) FROM otel_events").fetchone()
    assert (stats.events, stats.quarantined, rows) == (0, 1, (0,))


def test_tool_parameters_nested_too_deep_are_ignored(store: Store) -> None:
    # json.loads raised RecursionError (not a ValueError) and stopped the fold
    msg = logs_request([event("tool_result", {"tool_name": "Bash", "tool_parameters": "[" * 100_000}, T0)])
    with store.transaction():
        stats = fold_messages(store, [("logs", msg)], tz="UTC", team_attribute=None)
        store.con.execute("DELETE FROM otel_events; DELETE FROM ai_usage_daily; DELETE FROM ai_usage_model_daily; "
                          "DELETE FROM ai_session_daily")
    assert stats.events == 1


def test_an_export_file_line_nested_too_deep_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "otel.json"
    path.write_bytes(b'{"resourceMetrics": ' + b"[" * 100_000 + b"\n")
    with pytest.raises(PayloadError) as err:
        list(read_export_file(path))
    assert err.value.where == f"{path}:1"


def test_a_spool_with_a_hostile_but_parseable_record_folds_whole(tmp_path: Path) -> None:
    # the receiver accepts valid protobuf with nonsense in it; the fold must not stop on it (it would stop
    # on every later fold too) nor keep half of it
    spool = tmp_path / "spool"
    spool.mkdir()
    hostile = metrics_request([Point("claude_code.cost.usage", 1.0, time_ns=U64 - 1),
                               Point("claude_code.cost.usage", math.inf)])
    (spool / "00000000000000000001-1.seg").write_bytes(
        encode_record("metrics", "protobuf", VALID_PB["metrics"])
        + encode_record("metrics", "protobuf", hostile.SerializeToString()))
    with Store.open(tmp_path / "store.duckdb") as store:
        stats = fold_spool(store, spool, tz="UTC", team_attribute=None)
        folded = store.con.execute("SELECT count(*) FROM otel_metric_deltas").fetchone()
        cursors = store.con.execute("SELECT count(*) FROM sync_state").fetchone()
    assert (stats.requests, stats.out_of_range, folded) == (2, 2, (len(day_of_usage()),))
    assert cursors == (0,) and not list(spool.iterdir())  # folded to the end and retired
    assert any("time after 2262" in note for note in _summary(stats).notes)
