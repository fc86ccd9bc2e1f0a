"""Event times within a plausible window (correlate.plausible): one impossible timestamp is quarantined, counted
and reported, and never stored, so it cannot size the calendar or a lead time.

The three cases seen in the field, each through the path a user takes: a transcript line dated 0001-01-02
(the default ``export panel`` then ran out of memory), OTLP points at 1970 and 2262 (854,016 panel rows where
2,900 are normal), and a CSV deployment dated 2099 (PRs got a lead time of 73 years). Transcript lines, OTLP
requests and CSV rows are HAND-BUILT (tests/connectors/test_transcripts.py, tests/otlp_payloads.py).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.github.records import PRCommit
from connectors.records import AIUsageDay, PullRequest
from correlate.config import from_mapping
from correlate.errors import ConfigError
from correlate.ingest.csv_import import import_deployments
from correlate.ingest.otel import fold_messages
from correlate.ingest.transcripts import import_dir
from correlate.plausible import PlausibleWindow
from correlate.report.queries import data_span
from correlate.store import Store
from tests.cli import run_cli, write_config
from tests.connectors.test_transcripts import line, write
from tests.otlp_payloads import MINUTE, T0, Point, api_request, logs_request, metrics_request

TODAY = "2026-10-20"
TEAM = """
[[teams]]
name = "payments"
members = [["dev@example.com"]]
repos = ["acme/api"]
"""


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRELATE_TODAY", TODAY)


def quarantined(store: Store) -> list[tuple[str, list[str], str, str]]:
    return [(t, json.loads(k), c, v) for t, k, c, v in store.con.execute(
        "SELECT table_name, row_key, column_name, value FROM quarantine ORDER BY ALL").fetchall()]


def test_a_transcript_line_dated_year_one_is_quarantined_and_the_default_export_spans_the_real_days(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write(tmp_path, "-src-app/s1.jsonl", [
        line("m1", "r1", ts="2026-08-30T10:00:00.000Z"),
        line("m2", "r2", ts="0001-01-02T10:00:00.000Z"),  # a clock reset on the developer's machine
        line("m3", "r3", ts="2026-08-31T10:00:00.000Z"),
    ])
    cfg = write_config(tmp_path, TEAM)
    import_dir(cfg, root, "dev@example.com")
    out = capsys.readouterr().out
    with Store.open(tmp_path / "store.duckdb") as store:
        days = [d for (d,) in store.con.execute("SELECT DISTINCT day FROM ai_usage_daily ORDER BY 1").fetchall()]
        assert days == [date(2026, 8, 30), date(2026, 8, 31)]
        assert ("ai_usage_daily", ["claude_code", "transcripts", "0001-01-02", "dev@example.com"], "day",
                "0001-01-02") in quarantined(store)
        assert data_span(store) == (date(2026, 8, 30), date(2026, 8, 31))
    assert "quarantined 3 rows with an event time outside 2015-01-01..2026-10-21" in out
    assert "ai_usage_daily" in out and "quarantine table" in out
    export = run_cli("export", "panel", "--out", str(tmp_path / "panel.csv"), config=cfg)
    assert export.returncode == 0, export.stderr
    assert "Wrote 2 rows" in export.stdout  # one team x the two real days


def _delta(name: str, value: float, t: int, **attrs: str) -> Point:
    return Point(name, value, attrs, time_ns=t, start_ns=t - MINUTE)


def test_otlp_points_at_1970_and_2262_are_quarantined_before_they_reach_a_series_or_the_calendar(
        store_path: Path) -> None:
    year_1970 = 5 * MINUTE  # 1970-01-01T00:05Z
    year_2262 = 2**63 - 10 * MINUTE  # the last minutes an int64 nanosecond clock can hold
    cumulative = [  # one cumulative token series: 100, then a damaged point, then the real next value 130
        Point("claude_code.token.usage", v, {"type": "input", "model": "claude-opus-4-6"}, t, T0 - 10 * MINUTE)
        for v, t in ((100.0, T0), (150.0, year_2262), (130.0, T0 + MINUTE))]
    messages = [
        ("metrics", metrics_request(cumulative[:1], temporality=2)),
        ("metrics", metrics_request(cumulative[1:2], temporality=2)),
        ("metrics", metrics_request(cumulative[2:], temporality=2)),
        ("metrics", metrics_request([_delta("claude_code.cost.usage", 0.5, T0, model="claude-opus-4-6"),
                                     _delta("claude_code.cost.usage", 9.0, year_1970, model="claude-opus-4-6")])),
        ("logs", logs_request([api_request("claude-opus-4-6", 0.5, 100, 10, t=T0),
                               api_request("claude-opus-4-6", 7.0, 100, 10, t=year_2262, request_id="req_2")])),
    ]
    with Store.open(store_path) as store, store.transaction():
        stats = fold_messages(store, messages, tz="UTC", team_attribute=None)
    assert stats.quarantined == 3  # the 2262 point, the 1970 point, the 2262 event
    with Store.open(store_path) as store:
        assert [(t, c) for t, _, c, _ in quarantined(store)] == [
            ("otel_events", "occurred_at"), ("otel_metric_deltas", "time_ns"), ("otel_metric_deltas", "time_ns")]
        usage = store.con.execute("SELECT day, tokens_input, cost_usd FROM ai_usage_daily").fetchall()
        deltas = store.con.execute("SELECT min(day), max(day), count(*) FROM otel_metric_deltas").fetchone()
        events = store.con.execute("SELECT count(*) FROM otel_events").fetchone()
        span = data_span(store)
    day = datetime.fromtimestamp(T0 / 1e9, UTC).date()
    # the series continues from 100 to 130: the damaged 150 did not become its last point
    assert usage == [(day, 130, 0.5)]
    assert deltas == (day, day, 3) and events == (1,)
    assert span == (day, day)


DEPLOYS = """id,repo,finished_at
d1,acme/api,2026-03-02T09:00:00Z
d2,acme/api,2099-03-02T09:00:00Z
"""


def test_a_csv_deployment_dated_2099_is_quarantined_and_gives_no_lead_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, TEAM)
    merged = datetime(2026, 3, 3, 12, tzinfo=UTC)  # after d1: only a later deployment could ship it
    with Store.open(tmp_path / "store.duckdb") as store:
        store.upsert(PullRequest, [PullRequest("acme/api", 7, "dev", created_at=merged, first_commit_at=merged,
                                               merged_at=merged, merge_commit_sha="a" * 40)])
        store.upsert(PRCommit, [PRCommit("acme/api", 7, "b" * 40, merged)])
    (tmp_path / "deploys.csv").write_text(DEPLOYS, encoding="utf-8")
    import_deployments(cfg, tmp_path / "deploys.csv")
    out = capsys.readouterr().out
    with Store.open(tmp_path / "store.duckdb") as store:
        assert [d for (d,) in store.con.execute("SELECT deployment_id FROM deployments").fetchall()] == ["d1"]
        lead = store.con.execute("SELECT max(lead_time_s) FROM deployment_changes").fetchone()
        assert quarantined(store) == [("deployments", ["csv", "d2"], "finished_at", "2099-03-02T09:00:00+00:00")]
    assert lead == (None,)  # not deployed yet, rather than 73 years
    assert "Imported 1 deployments" in out and "quarantined 1 rows" in out


def test_the_window_is_configurable_and_checked(tmp_path: Path) -> None:
    config = from_mapping({"ingest": {"plausible_since": "2026-01-01", "plausible_until": "2026-06-30"}}, path=None)
    window = PlausibleWindow.of(config)
    assert (window.first, window.last) == (date(2026, 1, 1), date(2026, 6, 30))
    assert PlausibleWindow.of(None).last == date(2026, 10, 21)  # tomorrow, by the pinned clock
    rows = [AIUsageDay("claude_code", "otel", d, "a@x.com", sessions=1)
            for d in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1))]
    with Store.open(tmp_path / "s.duckdb", window=window) as store:
        assert store.upsert(AIUsageDay, rows) == 2
        assert store.quarantined == {"ai_usage_daily": 2}
    with pytest.raises(ConfigError, match="plausible_until"):
        from_mapping({"ingest": {"plausible_since": "2026-01-01", "plausible_until": "2025-06-30"}}, path=None)


def test_rows_quarantined_in_a_rolled_back_transaction_are_not_counted(store_path: Path) -> None:
    bad = AIUsageDay("claude_code", "otel", date(1999, 1, 1), "a@x.com", sessions=1)
    with Store.open(store_path) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert(AIUsageDay, [bad])
            raise RuntimeError("stop")
        assert store.quarantined == {} and quarantined(store) == []
        store.upsert(AIUsageDay, [bad])
        assert store.quarantined == {"ai_usage_daily": 1} and len(quarantined(store)) == 1
