"""OTLP decoding: the spec's own JSON examples, protobuf/JSON equivalence, quirks, bad payloads, file exports."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from connectors.errors import PayloadError
from connectors.otlp import (
    attr_float,
    attr_int,
    log_events,
    metric_points,
    parse_request,
    read_export_file,
)
from tests.otlp_payloads import T0, Point, api_request, day_of_usage, event, logs_request, metrics_request, to_json


def _examples(fixtures_dir: Path) -> Path:
    return fixtures_dir / "otlp-examples"


def test_spec_metrics_example_decodes_every_metric_kind(fixtures_dir: Path) -> None:
    body = (_examples(fixtures_dir) / "metrics.json").read_bytes()
    points = list(metric_points(parse_request("metrics", body, "json")))
    by_name = {p.name: p for p in points}
    assert set(by_name) == {"my.counter", "my.gauge", "my.histogram", "my.exponential.histogram"}
    counter = by_name["my.counter"]
    assert (counter.kind, counter.temporality, counter.is_monotonic) == ("sum", 1, True)
    assert counter.value == 5.0 and counter.is_int is False
    assert counter.time_ns == 1544712660300000000 == counter.start_ns
    # resource, scope and point attributes are merged
    assert counter.attributes == {"service.name": "my.service", "my.scope.attribute": "some scope attribute",
                                  "my.counter.attr": "some value"}
    assert by_name["my.gauge"].kind == "gauge" and by_name["my.gauge"].value == 10.0
    assert by_name["my.histogram"].value == 2.0  # a histogram's sum
    assert by_name["my.exponential.histogram"].value == 10.0
    assert len({p.series for p in points}) == 4


def test_spec_logs_example_keeps_hex_ids_and_typed_attributes(fixtures_dir: Path) -> None:
    body = (_examples(fixtures_dir) / "logs.json").read_bytes()
    (e,) = log_events(parse_request("logs", body, "json"))
    # protobuf's JSON parser would read these as base64 and get them wrong; they must survive as hex
    assert e.trace_id == "5b8efff798038103d269b633813fc60c"
    assert e.span_id == "eee19b7ec3c1b174"
    assert e.body == "Example log record"
    assert e.attributes["int.attribute"] == 10 and e.attributes["boolean.attribute"] is True
    assert e.attributes["double.attribute"] == pytest.approx(637.704)
    assert e.attributes["array.attribute"] == ["many", "values"]
    assert e.name is None  # a plain log line, not an event
    assert e.time_ns == 1544712660300000000


def test_spec_events_example_takes_the_name_from_event_name(fixtures_dir: Path) -> None:
    body = (_examples(fixtures_dir) / "events.json").read_bytes()
    (e,) = log_events(parse_request("logs", body, "json"))
    assert e.name == "browser.page_view"
    assert e.body["url"].startswith("https://")


def test_protobuf_and_json_of_the_same_requests_give_identical_rows() -> None:
    metrics = metrics_request(day_of_usage() + [Point("claude_code.commit.count", 3, {"session.id": "s"},
                                                      as_int=True)])
    logs = logs_request([api_request("claude-opus-4-6[1m]", 0.5, 10, 20), event("api_error", {"status_code": 529})])
    for signal, msg in (("metrics", metrics), ("logs", logs)):
        from_pb = parse_request(signal, msg.SerializeToString(), "protobuf")
        from_json = parse_request(signal, to_json(msg), "json")
        flatten = metric_points if signal == "metrics" else log_events
        rows_pb, rows_json = list(flatten(from_pb)), list(flatten(from_json))
        assert rows_pb == rows_json and len(rows_pb) > 1


def test_json_with_bare_number_ints_and_snake_case_keys_decodes_like_the_spec_form() -> None:
    msg = metrics_request([Point("claude_code.session.count", 2, as_int=True)])
    spec_form = json.loads(to_json(msg))
    text = json.dumps(spec_form)
    # the same payload as Claude Code has been seen sending: 64-bit ints as bare numbers
    bare = json.loads(text)
    dp = bare["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"][0]
    dp["timeUnixNano"], dp["startTimeUnixNano"], dp["asInt"] = int(dp["timeUnixNano"]), int(
        dp["startTimeUnixNano"]), int(dp["asInt"])
    snake = text.replace("resourceMetrics", "resource_metrics").replace("scopeMetrics", "scope_metrics").replace(
        "dataPoints", "data_points").replace("timeUnixNano", "time_unix_nano")
    expected = list(metric_points(parse_request("metrics", text.encode(), "json")))
    assert expected[0].value == 2.0 and expected[0].is_int and expected[0].time_ns == T0
    assert list(metric_points(parse_request("metrics", json.dumps(bare).encode(), "json"))) == expected
    assert list(metric_points(parse_request("metrics", snake.encode(), "json"))) == expected


def test_unknown_json_fields_are_ignored() -> None:
    text = json.loads(to_json(metrics_request([Point("claude_code.commit.count", 1)])))
    text["somethingNew"] = {"x": 1}
    text["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["futureField"] = 7
    (p,) = metric_points(parse_request("metrics", json.dumps(text).encode(), "json"))
    assert p.name == "claude_code.commit.count"


@pytest.mark.parametrize(
    ("signal", "body", "encoding", "reason"),
    [
        ("metrics", b"\xff\xff\xff garbage", "protobuf", "protobuf"),
        ("logs", b"{not json", "json", "not valid JSON"),
        ("metrics", b"[1, 2]", "json", "must be an object"),
        ("metrics", b'{"resourceMetrics": "nope"}', "json", "OTLP/JSON"),
        ("metrics", b'{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"sum": {"dataPoints": '
                    b'[{"asInt": "twelve"}]}}]}]}]}', "json", "OTLP/JSON"),
    ],
)
def test_bad_payloads_raise_payload_error_with_a_reason(signal: str, body: bytes, encoding: str,
                                                        reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        parse_request(signal, body, encoding)  # type: ignore[arg-type]


def test_claude_code_event_names_come_from_body_or_the_short_event_name_attribute() -> None:
    req = logs_request([api_request("claude-sonnet-5", 0.01, 1, 2)])
    req.resource_logs[0].scope_logs[0].log_records[0].ClearField("body")  # only `event.name` = api_request
    (e,) = log_events(req)
    assert e.name == "claude_code.api_request"
    (e2,) = log_events(logs_request([api_request("claude-sonnet-5", 0.01, 1, 2)]))
    assert e2.name == "claude_code.api_request"


def test_numeric_attributes_sent_as_strings_are_read_as_numbers() -> None:
    (e,) = log_events(logs_request([api_request("claude-sonnet-5", 0.0123, 100, 200, as_strings=True)]))
    assert e.attributes["input_tokens"] == "100"
    assert attr_int(e.attributes, "input_tokens") == 100
    assert attr_float(e.attributes, "cost_usd") == pytest.approx(0.0123)
    assert attr_float({"x": "n/a"}, "x") is None and attr_int({}, "x") is None


def test_collector_json_lines_export_dispatches_on_the_top_level_key(fixtures_dir: Path, tmp_path: Path) -> None:
    ex = _examples(fixtures_dir)
    lines = [json.dumps(json.loads((ex / name).read_text())) for name in ("metrics.json", "trace.json", "logs.json")]
    path = tmp_path / "data.json"
    path.write_text("\n".join(lines) + "\n\n")
    got = list(read_export_file(path))
    assert [s for s, _ in got] == ["metrics", "logs"]  # the trace line is skipped
    assert isinstance(got[0][1], ExportMetricsServiceRequest) and isinstance(got[1][1], ExportLogsServiceRequest)


def test_collector_length_prefixed_protobuf_export_reads_metrics_and_logs(tmp_path: Path) -> None:
    m = metrics_request(day_of_usage()).SerializeToString()
    lg = logs_request([api_request("claude-sonnet-5", 0.01, 1, 2)]).SerializeToString()
    path = tmp_path / "data.pb"
    path.write_bytes(b"".join(struct.pack(">I", len(b)) + b for b in (m, lg, m)))
    got = list(read_export_file(path))
    assert [s for s, _ in got] == ["metrics", "logs", "metrics"]
    assert len(list(metric_points(got[2][1]))) == len(day_of_usage())  # type: ignore[arg-type]


def test_truncated_protobuf_export_names_the_file_and_offset(tmp_path: Path) -> None:
    m = metrics_request(day_of_usage()).SerializeToString()
    path = tmp_path / "cut.pb"
    path.write_bytes(struct.pack(">I", len(m)) + m + struct.pack(">I", len(m)) + m[:10])
    with pytest.raises(PayloadError) as info:
        list(read_export_file(path))
    assert info.value.where == f"{path} at byte {4 + len(m)}"


def test_json_lines_export_with_a_bad_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"resourceLogs": []}\n{"resourceMetrics": [}\n')
    with pytest.raises(PayloadError) as info:
        list(read_export_file(path))
    assert info.value.where == f"{path}:2"


def test_absurdly_nested_json_is_a_payload_error_not_a_crash() -> None:
    head = b'{"resourceLogs": [{"resource": {"attributes": [{"key": "k", "value": '
    deep = head + b'{"arrayValue": {"values": [' * 5000
    with pytest.raises(PayloadError):
        parse_request("logs", deep + b"]}}" * 5000 + b"}]}}]}", "json")


def test_a_series_cache_gives_the_same_points_and_keeps_equal_looking_values_apart() -> None:
    # 1, 1.0 and True compare equal in Python but are different attribute values (and series): the cache
    # is keyed by their protobuf bytes, so each keeps its own series
    odd = [Point("claude_code.commit.count", 1.0, {"session.id": "s", "x": v}) for v in (1, 1.0, True, "1")]
    requests = [metrics_request(day_of_usage(t=T0 + i * 60_000_000_000) + odd) for i in range(3)]
    cache: dict[tuple[object, ...], tuple[dict[str, object], str]] = {}
    cached = [p for r in requests for p in metric_points(r, cache)]
    assert cached == [p for r in requests for p in metric_points(r)]
    assert len({p.series for p in cached}) == len(day_of_usage()) + len(odd)
    assert 0 < len(cache) <= len(day_of_usage()) + len(odd)  # hits: each series decoded once


@pytest.mark.parametrize("name, signal", [("metrics.json", "metrics"), ("logs.json", "logs"), ("events.json", "logs"),
                                          ("trace.json", None)])
def test_a_pretty_printed_otlp_json_document_is_read_as_one_request(fixtures_dir: Path, name: str,
                                                                    signal: str | None) -> None:
    # the spec's examples are single requests over many lines, not JSON lines
    path = _examples(fixtures_dir) / name
    assert len(path.read_text().splitlines()) > 10
    got = list(read_export_file(path))
    assert [s for s, _ in got] == ([signal] if signal else [])  # a trace request has nothing to ingest
    if signal == "metrics":
        assert {p.name for p in metric_points(got[0][1])} >= {"my.counter", "my.gauge"}  # type: ignore[arg-type]


def test_a_broken_pretty_printed_document_names_the_line_it_breaks_on(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "resourceMetrics": [\n    {"scopeMetrics": ]\n  ]\n}\n')
    with pytest.raises(PayloadError) as info:
        list(read_export_file(path))
    assert info.value.where == f"{path}:3" and "one JSON document" in info.value.message
