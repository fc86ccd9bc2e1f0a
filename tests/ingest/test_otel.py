"""Folding Claude Code OpenTelemetry into the store: totals, temporality, exactly-once, attribution.

Every Claude Code payload here is HAND-BUILT from the documented shapes (tests/otlp_payloads.py).
"""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message

from connectors.otel_records import AISessionDay, OtelEvent, OtelMetricDelta, OtelSeriesState
from connectors.records import AIUsageDay, AIUsageModelDay, record_columns
from correlate.config import from_mapping
from correlate.ingest.otel import SPOOL, fold_messages, fold_spool, import_files
from correlate.otlp.spool import Spool, encode_record, segments
from correlate.store import Store
from correlate.sync import SyncContext, run_source
from tests.otlp_payloads import (
    MINUTE,
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

TABLES = ("ai_usage_daily", "ai_usage_model_daily", "ai_session_daily", "ai_edit_actions", "otel_metric_deltas",
          "otel_events", "otel_series_state")
HOUR = 60 * MINUTE


def snapshot(store: Store, tables: tuple[str, ...] = TABLES) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables``; floats rounded to 1e-9 (differencing cumulative doubles is not exact)."""
    def norm(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(round(v, 9) if isinstance(v, float) else v for v in row)

    return {t: sorted((norm(r) for r in store.con.execute(f"SELECT * FROM {t}").fetchall()), key=repr)
            for t in tables}


def fold(store: Store, messages: list[tuple[str, Message]], tz: str = "UTC") -> None:
    with store.transaction():
        fold_messages(store, messages, tz=tz, team_attribute="team.id")


def usage(store: Store) -> dict[str, Any]:
    rows = store.query("SELECT * FROM ai_usage_daily ORDER BY day, actor").to_dict("records")
    assert len(rows) == 1, rows
    return rows[0]


def test_migration_tables_match_the_record_types(store_path: Path) -> None:
    with Store.open(store_path) as store:
        for rt in (OtelMetricDelta, OtelSeriesState, OtelEvent, AISessionDay):
            cols = [r[0] for r in store.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [rt.TABLE]).fetchall()]
            assert cols == record_columns(rt), rt.TABLE


def test_a_day_of_metrics_becomes_one_actor_day_with_every_counter(store_path: Path) -> None:
    with Store.open(store_path) as store:
        fold(store, [("metrics", metrics_request(day_of_usage()))])
        row = usage(store)
        assert (row["tool"], row["source"], row["actor"], row["actor_type"]) == (
            "claude_code", "otel", "dev@example.com", "user")
        assert row["day"].date() == date(2026, 9, 21)
        assert (row["sessions"], row["lines_added"], row["lines_removed"], row["commits"], row["prs"]) == (
            1, 120, 30, 2, 1)
        assert (row["edit_accepted"], row["edit_rejected"], row["active_seconds"]) == (5, 1, 900.0)
        assert (row["tokens_input"], row["tokens_output"], row["tokens_cache_read"], row["tokens_cache_creation"]) == (
            1200, 800, 50000, 3000)
        assert row["cost_usd"] == pytest.approx(0.04) and row["cost_provenance"] == "estimated"
        extra = json.loads(row["extra_json"])
        assert extra["totals_from"] == "metrics" and extra["team"] == "payments"
        assert extra["active_seconds_user"] == 600.0 and extra["active_seconds_cli"] == 300.0
        edits = store.query("SELECT edit_tool, accepted, rejected FROM ai_edit_actions ORDER BY edit_tool")
        assert edits.values.tolist() == [["edit_tool", 5, 0], ["write_tool", 0, 1]]
        (model,) = store.query("SELECT * FROM ai_usage_model_daily").to_dict("records")
        assert model["model"] == "claude-sonnet-4-6" and model["tokens_input"] == 1200
        assert model["cost_usd"] == pytest.approx(0.04)


def _series(temporality: int) -> list[tuple[str, Message]]:
    """The same usage over 2 days as delta requests or as cumulative ones (with a restart on day 2)."""
    increments = [(i, 1.0 + (i % 3), 100.0 * (i + 1), 0.01 * (i + 1)) for i in range(12)]
    requests: list[tuple[str, Message]] = []
    totals = {"s1": [0.0, 0.0, 0.0], "s2": [0.0, 0.0, 0.0]}
    for i, commits, tokens, cost in increments:
        t = T0 + i * 4 * HOUR  # spans two days
        session = "s1" if i < 8 else "s2"  # s2: the process restarted, a new start time
        start = T0 - MINUTE if session == "s1" else T0 + 8 * 4 * HOUR - MINUTE
        acc = totals[session]
        acc[0] += commits
        acc[1] += tokens
        acc[2] += cost
        values = (commits, tokens, cost) if temporality == 1 else tuple(acc)
        # delta points start where the previous one ended; cumulative ones at the process start
        pstart = t - 4 * HOUR if temporality == 1 else start
        attrs = {"session.id": "same-series"}  # one series across the restart: only the start time changes
        requests.append(("metrics", metrics_request([
            Point("claude_code.commit.count", values[0], attrs, t, pstart),
            Point("claude_code.token.usage", values[1], {**attrs, "type": "input", "model": "claude-opus-5"}, t,
                  pstart),
            Point("claude_code.cost.usage", values[2], {**attrs, "model": "claude-opus-5"}, t, pstart),
        ], temporality=temporality)))
    return requests


def test_delta_and_cumulative_series_give_the_same_totals(tmp_path: Path) -> None:
    results = []
    for temporality in (1, 2):
        with Store.open(tmp_path / f"t{temporality}.duckdb") as store:
            fold(store, _series(temporality))
            results.append(store.query(
                "SELECT day, actor, commits, tokens_input, round(cost_usd, 9) AS cost FROM ai_usage_daily ORDER BY day"
            ).to_dict("records"))
    assert results[0] == results[1]
    assert len(results[0]) == 3  # 12 points, 4 h apart from 14:13 UTC: three calendar days
    assert sum(r["commits"] for r in results[0]) == sum(1 + (i % 3) for i in range(12))
    assert sum(r["tokens_input"] for r in results[0]) == sum(100 * (i + 1) for i in range(12))


def test_cumulative_differencing_continues_across_folds(tmp_path: Path) -> None:
    requests = _series(2)
    with Store.open(tmp_path / "once.duckdb") as once:
        fold(once, requests)
        expected = snapshot(once, ("ai_usage_daily", "ai_usage_model_daily"))
    with Store.open(tmp_path / "split.duckdb") as split:
        for part in (requests[:3], requests[3:9], requests[9:]):
            fold(split, part)
        assert snapshot(split, ("ai_usage_daily", "ai_usage_model_daily")) == expected
        fold(split, requests[4:6])  # a late repeat of cumulative points is not counted again
        assert snapshot(split, ("ai_usage_daily", "ai_usage_model_daily")) == expected


def test_metrics_give_totals_and_api_request_events_give_detail_never_both(store_path: Path) -> None:
    # the events deliberately disagree with the metrics, so double counting or mixing would show
    events = logs_request([api_request("claude-sonnet-4-6", 9.0, 7, 7, request_id="r1"),
                           api_request("claude-sonnet-4-6", 9.0, 7, 7, request_id="r2", t=T0 + MINUTE),
                           event("api_error", {"model": "claude-sonnet-4-6", "status_code": 529,
                                               "error": "overloaded"})])
    with Store.open(store_path) as store:
        fold(store, [("metrics", metrics_request(day_of_usage())), ("logs", events)])
        row = usage(store)
        assert (row["tokens_input"], row["cost_usd"], row["requests"]) == (1200, pytest.approx(0.04), 2)
        assert json.loads(row["extra_json"])["api_errors"] == 1
        assert store.count(OtelEvent) == 3


def test_an_actor_day_with_only_events_takes_totals_from_api_request_events(store_path: Path) -> None:
    events = logs_request([api_request("claude-haiku-4-5", 0.25, 100, 50, 1000, 10, request_id="a"),
                           api_request("claude-haiku-4-5", 0.5, 200, 60, as_strings=True, request_id="b")])
    with Store.open(store_path) as store:
        fold(store, [("logs", events)])
        row = usage(store)
        assert (row["tokens_input"], row["tokens_output"], row["tokens_cache_read"], row["requests"]) == (
            300, 110, 1000, 2)
        assert row["cost_usd"] == pytest.approx(0.75)
        assert row["sessions"] is None or row["sessions"] != row["sessions"]  # not reported: NULL, not 0
        assert json.loads(row["extra_json"])["totals_from"] == "api_request_events"


def test_day_is_taken_in_the_configured_time_zone(tmp_path: Path) -> None:
    late = 1_790_033_400_000_000_000  # 2026-09-21T23:30:00Z = 2026-09-22 01:30 in Berlin
    req = metrics_request([Point("claude_code.commit.count", 1.0, {"session.id": "x"}, late)])
    for tz, expected in (("UTC", date(2026, 9, 21)), ("Europe/Berlin", date(2026, 9, 22))):
        with Store.open(tmp_path / f"{tz.replace('/', '_')}.duckdb") as store:
            fold(store, [("metrics", req)], tz=tz)
            assert usage(store)["day"].date() == expected


def test_actor_falls_back_from_email_to_account_to_install_id(store_path: Path) -> None:
    base = {"session.id": "s"}
    reqs = [("metrics", metrics_request([Point("claude_code.commit.count", 1.0)], user={**base, **u}))
            for u in ({"user.account_uuid": "acc-9", "user.id": "inst"}, {"user.id": "inst-7"}, {})]
    with Store.open(store_path) as store:
        fold(store, reqs)
        got = store.query("SELECT actor, actor_type FROM ai_usage_daily ORDER BY actor").values.tolist()
    assert got == [["acc-9", "user"], ["inst-7", "unknown"], ["unknown", "unknown"]]


def test_sessions_keep_team_commit_ids_and_branch(store_path: Path) -> None:
    events = logs_request([
        api_request("claude-sonnet-4-6", 0.01, 1, 1, **{"git.branch": "feature/x"}),
        event("tool_result", {"tool_name": "Bash", "success": "true", "tool_parameters": json.dumps(
            {"bash_command": "git commit", "git_commit_id": "c0ffee"})}),
        event("tool_result", {"tool_name": "Bash", "success": "false", "tool_parameters": "{not json"}),
        event("user_prompt", {"prompt": "secret prompt text", "prompt_length": 18}),
    ])
    with Store.open(store_path) as store:
        fold(store, [("metrics", metrics_request(day_of_usage())), ("logs", events)])
        (s,) = store.query("SELECT * FROM ai_session_daily").to_dict("records")
        assert (s["session_id"], s["team"], s["git_branch"]) == ("sess-1", "payments", "feature/x")
        assert json.loads(s["commit_ids"]) == ["c0ffee"] and json.loads(s["models"]) == ["claude-sonnet-4-6"]
        assert (s["lines_added"], s["requests"], s["tokens_input"]) == (120, 1, 1200)
        assert store.count(OtelEvent) == 3  # the prompt event is not kept
        assert "secret prompt" not in json.dumps(snapshot(store), default=str)


def _write_spool(spool_dir: Path, messages: list[tuple[str, Message]], *, as_json: bool = False) -> None:
    spool = Spool(spool_dir)
    for signal, msg in messages:
        if as_json:
            spool.append(signal, "json", to_json(msg))
        else:
            spool.append(signal, "protobuf", msg.SerializeToString())
    spool.close()


def test_fold_twice_is_the_same_store_and_repeated_requests_count_once(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    msgs: list[tuple[str, Message]] = [("metrics", metrics_request(day_of_usage())),
                                       ("logs", logs_request([api_request("claude-sonnet-4-6", 0.04, 1, 1)]))]
    _write_spool(spool_dir, msgs + msgs[:1], as_json=True)  # the exporter retried the metrics request
    with Store.open(tmp_path / "store.duckdb") as store:
        stats = fold_spool(store, spool_dir, tz="UTC", team_attribute="team.id")
        assert stats.requests == 3
        first = snapshot(store)
        assert usage(store)["commits"] == 2  # not 4
        assert segments(spool_dir) == []
        _write_spool(spool_dir, [])  # nothing new
        assert fold_spool(store, spool_dir, tz="UTC", team_attribute="team.id").requests == 0
        assert snapshot(store) == first


def test_a_fold_during_appends_takes_what_is_complete_and_resumes_later(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    spool = Spool(spool_dir)  # a live receiver: its segment stays .open and locked
    series = _series(2)
    with Store.open(tmp_path / "store.duckdb") as store:
        for signal, msg in series[:5]:
            spool.append(signal, "protobuf", msg.SerializeToString())
        # a request half-written at the moment of the fold
        assert spool.current is not None
        with open(spool.current, "ab") as f:
            f.write(encode_record("metrics", "protobuf", series[5][1].SerializeToString())[:20])
        assert fold_spool(store, spool_dir, tz="UTC", team_attribute="team.id").requests == 5
        assert [p.suffix for p in segments(spool_dir)] == [".open"]  # not closed under a live receiver
    spool.close()
    with Store.open(tmp_path / "store.duckdb") as store:
        stats = fold_spool(store, spool_dir, tz="UTC", team_attribute="team.id")
        assert stats.requests == 0 and len(stats.damaged) == 1  # the torn tail is kept aside, reported
        assert [p.suffix for p in spool_dir.iterdir()] == [".damaged"]
        _write_spool(spool_dir, series[5:])
        assert fold_spool(store, spool_dir, tz="UTC", team_attribute="team.id").requests == len(series) - 5
        got = snapshot(store, ("ai_usage_daily",))
    with Store.open(tmp_path / "ref.duckdb") as ref:
        fold(ref, series)
        assert got == snapshot(ref, ("ai_usage_daily",))


def test_sync_entry_point_folds_the_configured_spool(tmp_path: Path) -> None:
    _write_spool(tmp_path / "spool", [("metrics", metrics_request(day_of_usage()))])
    config = from_mapping({"otel": {"spool_dir": str(tmp_path / "spool"), "team_attribute": "team.id"},
                           "calendar": {"timezone": "America/New_York"}}, path=None)
    with Store.open(tmp_path / "store.duckdb") as store:
        summary = run_source(SyncContext(config=config, store=store), SPOOL, None)
        assert summary.rows["requests"] == 1 and "otel" in summary.describe()
        assert usage(store)["day"].date() == date(2026, 9, 21)


def test_import_otlp_files_is_idempotent_and_all_or_nothing(tmp_path: Path) -> None:
    good = tmp_path / "export.json"
    lines = [json.dumps(json.loads(to_json(metrics_request(day_of_usage())))),
             json.dumps(json.loads(to_json(logs_request([api_request("claude-sonnet-4-6", 0.04, 1, 1)]))))]
    good.write_text("\n".join(lines) + "\n")
    bad = tmp_path / "bad.json"
    bad.write_text(lines[0] + "\n{broken\n")
    cfg = tmp_path / "correlate.toml"
    cfg.write_text('[store]\npath = "store.duckdb"\n')
    import_files(cfg, [good])
    with Store.open(tmp_path / "store.duckdb") as store:
        first = snapshot(store)
        assert usage(store)["requests"] == 1
    import_files(cfg, [good])
    from connectors.errors import PayloadError

    with pytest.raises(PayloadError):
        import_files(cfg, [bad])
    with Store.open(tmp_path / "store.duckdb") as store:
        assert snapshot(store) == first
        assert store.count(AIUsageDay) == 1 and store.count(AIUsageModelDay) == 1


def test_user_header_attribute_names_are_the_documented_ones() -> None:
    # guards the hand-built payloads against drifting from sources.md §3
    assert set(USER) <= {"user.email", "user.account_uuid", "user.account_id", "user.id", "organization.id",
                         "session.id", "terminal.type", "app.version"}


def test_json_and_protobuf_spools_of_the_same_requests_fold_to_the_same_store(tmp_path: Path) -> None:
    msgs: list[tuple[str, Message]] = [*_series(2)[:4], ("metrics", metrics_request(day_of_usage())),
                                       ("logs", logs_request([api_request("claude-opus-5", 0.2, 10, 20),
                                                              event("api_error", {"status_code": "529"})]))]
    snaps = []
    for as_json in (False, True):
        _write_spool(tmp_path / f"spool{as_json}", msgs, as_json=as_json)
        with Store.open(tmp_path / f"s{as_json}.duckdb") as store:
            fold_spool(store, tmp_path / f"spool{as_json}", tz="UTC", team_attribute="team.id")
            snaps.append(snapshot(store))
    assert snaps[0] == snaps[1] and snaps[0]["otel_events"]


def test_folds_racing_a_rotating_receiver_count_every_request_once(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    spool = Spool(spool_dir, rotate_bytes=1_000)  # rotates every few requests
    n = 40
    bodies = [metrics_request([Point("claude_code.commit.count", 1.0, {"session.id": f"r{i}"}, T0 + i)])
              .SerializeToString() for i in range(n)]
    done = threading.Event()
    errors: list[BaseException] = []

    def receive() -> None:
        try:
            for b in bodies:
                spool.append("metrics", "protobuf", b)
        except BaseException as exc:  # surfaced below: a dead receiver must fail the test, not hang it
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=receive)
    with Store.open(tmp_path / "store.duckdb") as store:
        thread.start()
        damaged: list[str] = []
        while not done.wait(0.02):
            damaged += fold_spool(store, spool_dir, tz="UTC", team_attribute=None).damaged
        thread.join()
        assert errors == []
        spool.close()
        damaged += fold_spool(store, spool_dir, tz="UTC", team_attribute=None).damaged
        assert damaged == []
        assert usage(store)["commits"] == n
        assert segments(spool_dir) == []


def test_import_otlp_command_exits_1_naming_the_bad_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from correlate.cli import app

    cfg = tmp_path / "correlate.toml"
    cfg.write_text('[store]\npath = "store.duckdb"\n')
    good = tmp_path / "ok.json"
    good.write_text(json.dumps(json.loads(to_json(metrics_request(day_of_usage())))) + "\n")
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceMetrics": []}\n{"resourceMetrics": 5}\n')
    ok = CliRunner().invoke(app, ["--config", str(cfg), "import", "otlp", str(good)], env={"COLUMNS": "200"})
    assert ok.exit_code == 0, ok.output
    assert "14 metric increments" in ok.output
    failed = CliRunner().invoke(app, ["--config", str(cfg), "import", "otlp", str(bad)], env={"COLUMNS": "300"})
    assert failed.exit_code == 1
    assert "PayloadError" in failed.output and f"{bad}:2" in failed.output


def _cumulative(value: float, start: int, t: int) -> tuple[str, Message]:
    """One cumulative commit-count point of a process without session id or service.instance.id."""
    attrs = {"user.email": "dev@example.com", "organization.id": "org-1"}  # no session.id: one series for both
    return ("metrics", metrics_request([Point("claude_code.commit.count", value, {}, t, start)], temporality=2,
                                       user=attrs))


def test_concurrent_cumulative_streams_of_one_series_are_each_differenced(tmp_path: Path) -> None:
    # two Claude Code processes with identical attributes and their own start times, exporting interleaved:
    # A (start S) at 5 then 8, B (start S + 1 s) at 3 then 6: 8 + 6 = 14 commits, not A's 8 plus B's last step
    s, second = T0 - HOUR, 1_000_000_000
    a1, b1, a2, b2 = (_cumulative(5.0, s, T0), _cumulative(3.0, s + second, T0 + second),
                      _cumulative(8.0, s, T0 + MINUTE), _cumulative(6.0, s + second, T0 + MINUTE + second))
    with Store.open(tmp_path / "one.duckdb") as store:
        fold(store, [a1, b1, a2, b2])
        assert usage(store)["commits"] == 14
        fold(store, [a2, b1, b2, a1])  # both processes re-exported (retries): nothing counted twice
        assert usage(store)["commits"] == 14
    with Store.open(tmp_path / "split.duckdb") as split:
        for request in (a1, b1, a2, b2):  # one fold per request: differencing resumes per stream
            fold(split, [request])
        assert usage(split)["commits"] == 14
        # a genuine restart of A (a new start time) counts its first value whole; a drop without a new start
        # time is a reset too
        fold(split, [_cumulative(2.0, T0 + 2 * MINUTE, T0 + 3 * MINUTE), _cumulative(1.0, s, T0 + 4 * MINUTE)])
        assert usage(split)["commits"] == 14 + 2 + 1
