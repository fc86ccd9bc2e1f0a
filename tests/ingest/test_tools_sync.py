"""``correlate sync --source copilot|cursor`` into a real DuckDB store, against local servers serving
hand-built vendor pages (tests/connectors/copilot_pages.py, tests/connectors/cursor_pages.py)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.copilot import CopilotScope
from connectors.errors import FatalSourceError, TransientSourceError
from connectors.records import AIUsageDay, AIUsageModelDay
from connectors.tool_records import CopilotUserTeam
from correlate.config import Config, from_mapping
from correlate.errors import ConfigError
from correlate.ingest import copilot as copilot_ingest
from correlate.ingest import cursor as cursor_ingest
from correlate.store import Store
from correlate.sync import SyncContext, run_source
from tests.cli import run_cli, write_config
from tests.connectors.copilot_pages import FakeCopilot, ndjson, team_row, user_row
from tests.connectors.cursor_pages import FakeCursor, daily_row, days, event
from tests.httpserver import Reply, Request, serve

TODAY = date(2026, 11, 20)  # pinned for every test below: syncs read up to the clock's yesterday
YESTERDAY = TODAY - timedelta(days=1)
GH_TOKEN = "ghp_FAKE-tools-test-token"
CURSOR_KEY = "key_fakeCURSORadminKEY0000"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRELATE_TODAY", TODAY.isoformat())


def config(store_path: Path, sources: dict[str, Any]) -> Config:
    return from_mapping({"store": {"path": str(store_path)}, "sources": sources}, path=store_path.parent / "c.toml")


def users_and_teams(logins: tuple[str, ...] = ("alice", "bob")):  # type: ignore[no-untyped-def]
    def files(report: str, day: str) -> list[str] | None:
        if report == "users-1-day":
            return [ndjson([user_row(day, 1000 + i, login) for i, login in enumerate(logins)])]
        return [ndjson([team_row(day, 1000 + i, login, 42, "frontend") for i, login in enumerate(logins)])]
    return files


# -- Copilot ------------------------------------------------------------------------------------------------

def test_copilot_sync_stores_each_day_with_its_cursor_and_a_re_sync_changes_nothing(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    fake = FakeCopilot(users_and_teams())
    with serve(fake) as server, Store.open(store_path) as store:
        fake.url = server.url
        cfg = config(store_path, {"copilot": {"base_url": server.url, "org": "acme", "backfill_days": 5}})
        first = run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, None)
        snapshot = store.query("SELECT * FROM ai_usage_daily ORDER BY day, actor")
        assert first.rows == {"user-days": 10, "team memberships": 10}
        assert store.get_cursor("copilot", "users-1-day", "org:acme") == YESTERDAY.isoformat()
        assert sorted(set(snapshot["day"].dt.date)) == [TODAY - timedelta(days=k) for k in range(5, 0, -1)]

        fake.report_calls.clear()
        run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, None)
        refetched = sorted({day for report, day in fake.report_calls})
        assert refetched == [(YESTERDAY - timedelta(days=1)).isoformat(), YESTERDAY.isoformat()]  # lookback
        again = store.query("SELECT * FROM ai_usage_daily ORDER BY day, actor")
        assert again.equals(snapshot)
        assert store.count(CopilotUserTeam) == 10


def test_copilot_re_pulled_days_are_replaced_so_vanished_rows_vanish(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    fake = FakeCopilot(users_and_teams())
    with serve(fake) as server, Store.open(store_path) as store:
        fake.url = server.url
        cfg = config(store_path, {"copilot": {"base_url": server.url, "org": "acme", "backfill_days": 3}})
        run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, None)
        fake.files = users_and_teams(("alice",))
        run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, YESTERDAY)
        left = store.query("SELECT actor FROM ai_usage_daily WHERE day = ?", [YESTERDAY])["actor"].tolist()
        assert left == ["alice"]
        assert store.count(AIUsageDay) == 3 * 2 - 1


def test_copilot_unpublished_recent_day_stops_the_sync_without_moving_the_cursor_past_it(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    files = users_and_teams()
    fake = FakeCopilot(lambda report, day: None if day == YESTERDAY.isoformat() else files(report, day))
    with serve(fake) as server, Store.open(store_path) as store:
        fake.url = server.url
        cfg = config(store_path, {"copilot": {"base_url": server.url, "org": "acme", "backfill_days": 4}})
        summary = run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, None)
        assert store.get_cursor("copilot", "users-1-day", "org:acme") == (YESTERDAY - timedelta(days=1)).isoformat()
        assert any("not published yet" in n for n in summary.notes)


def test_copilot_rows_keep_missing_columns_empty_and_take_the_configured_seat_price(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    fake = FakeCopilot(users_and_teams())
    with serve(fake) as server, Store.open(store_path) as store:
        fake.url = server.url
        cfg = config(store_path, {"copilot": {"base_url": server.url, "org": "acme", "backfill_days": 2,
                                              "seat_cost_usd_per_month": 19.0}})
        run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, None)
        rows = store.query("SELECT * FROM ai_usage_daily")
    assert len(rows) == 4 and set(rows["cost_provenance"]) == {"seat"}
    assert rows["sessions"].isna().all() and rows["edit_rejected"].isna().all()
    assert rows["tokens_input"].isna().all()  # no CLI use in these rows: unknown, not 0
    assert rows["lines_suggested"].notna().all()


def test_copilot_needs_exactly_one_of_org_or_enterprise(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    cfg = config(store_path, {"copilot": {"org": "acme", "enterprise": "acme-inc"}})
    with Store.open(store_path) as store, pytest.raises(ConfigError) as err:
        run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, None)
    assert "exactly one of `org` or `enterprise`" in str(err.value) and "sources.copilot" in str(err.value)


# -- Cursor -------------------------------------------------------------------------------------------------

def cursor_fake() -> FakeCursor:
    return FakeCursor(daily=lambda s, e: [daily_row(d, "dev@company.com") for d in days(s, e)],
                      events=lambda s, e: [event(d, "dev@company.com") for d in days(s, e)])


def test_cursor_sync_splits_the_backfill_into_30_day_windows_and_a_re_sync_changes_nothing(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURSOR_API_KEY", CURSOR_KEY)
    fake = cursor_fake()
    with serve(fake) as server, Store.open(store_path) as store:
        cfg = config(store_path, {"cursor": {"base_url": server.url, "backfill_days": 65}})
        summary = run_source(SyncContext(cfg, store), cursor_ingest.SOURCE, None)
        spans = [(b["startDate"], b["endDate"]) for p, b in fake.bodies if p == "/teams/daily-usage-data"]
        assert len(spans) == 3  # 65 days = 30 + 30 + 5
        assert all(end - start < 30 * 86_400_000 for start, end in spans)
        assert summary.rows == {"user-days": 65, "user-day-models": 65}
        assert store.get_cursor("cursor", "daily-usage-data", "") == YESTERDAY.isoformat()
        snapshot = store.query("SELECT * FROM ai_usage_daily ORDER BY day")
        models = store.count(AIUsageModelDay)

        fake.bodies.clear()
        run_source(SyncContext(cfg, store), cursor_ingest.SOURCE, None)
        assert len(fake.bodies) == 2  # one lookback window: daily rows + one page of events
        assert store.query("SELECT * FROM ai_usage_daily ORDER BY day").equals(snapshot)
        assert store.count(AIUsageModelDay) == models == 65
        billed = store.query("SELECT DISTINCT cost_provenance FROM ai_usage_daily")["cost_provenance"].tolist()
        assert billed == ["billed"]


def test_cursor_sync_keeps_within_20_requests_a_minute(
        store_path: Path, monkeypatch: pytest.MonkeyPatch, instant_waits: list[tuple[float, str]]) -> None:
    monkeypatch.setenv("CURSOR_API_KEY", CURSOR_KEY)
    fake = cursor_fake()
    with serve(fake) as server, Store.open(store_path) as store:
        cfg = config(store_path, {"cursor": {"base_url": server.url, "backfill_days": 330}})
        run_source(SyncContext(cfg, store), cursor_ingest.SOURCE, None)
    assert len(fake.bodies) == 22  # 11 windows x (daily rows + events)
    budget_waits = [s for s, reason in instant_waits if "requests/minute" in reason]
    # the 21st request waits for the first one's minute to pass; the 22nd at most a moment more
    assert 30 < budget_waits[0] <= 60 and sum(budget_waits) <= 60


def test_cursor_failure_keeps_earlier_windows_and_their_cursor(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURSOR_API_KEY", CURSOR_KEY)
    fake = cursor_fake()
    calls: list[int] = []

    def flaky(req: Request) -> Reply:
        calls.append(1)
        if len(calls) > 2:  # the second window never answers
            return Reply(503, {"error": "unavailable"})
        return fake(req)

    with serve(flaky) as server, Store.open(store_path) as store:
        cfg = config(store_path, {"cursor": {"base_url": server.url, "backfill_days": 40}})
        with pytest.raises(TransientSourceError):
            run_source(SyncContext(cfg, store), cursor_ingest.SOURCE, None)
        first_window_end = TODAY - timedelta(days=40) + timedelta(days=29)
        assert store.get_cursor("cursor", "daily-usage-data", "") == first_window_end.isoformat()
        assert store.count(AIUsageDay) == 30


def test_cursor_refused_key_exits_2_through_the_cli_naming_the_variable_not_the_key(tmp_path: Path) -> None:
    fake = FakeCursor(daily=lambda s, e: [], key="key_theRIGHTone")
    with serve(fake) as server:
        cfg = write_config(tmp_path, f'[sources.cursor]\nbase_url = "{server.url}"\n'
                                     'api_key_env = "CURSOR_API_KEY"\nbackfill_days = 3\n')
        done = run_cli("sync", "--source", "cursor", config=cfg, secrets={"CURSOR_API_KEY": CURSOR_KEY}, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "AuthError" in output and "CURSOR_API_KEY" in output
    assert CURSOR_KEY not in output
    with Store.open(tmp_path / "store.duckdb") as store:
        assert store.count(AIUsageDay) == 0 and store.get_cursor("cursor", "daily-usage-data", "") is None


def test_since_overrides_the_cursor(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURSOR_API_KEY", CURSOR_KEY)
    fake = cursor_fake()
    with serve(fake) as server, Store.open(store_path) as store:
        cfg = config(store_path, {"cursor": {"base_url": server.url, "backfill_days": 3}})
        run_source(SyncContext(cfg, store), cursor_ingest.SOURCE, YESTERDAY - timedelta(days=9))
        first_day = store.con.execute("SELECT min(day) FROM ai_usage_daily").fetchone()
    assert first_day == (YESTERDAY - timedelta(days=9),)


def test_copilot_days_before_github_keeps_reports_are_skipped_with_a_note(store_path: Path) -> None:
    with Store.open(store_path) as store:
        first, notes = copilot_ingest._first_day(store, CopilotScope("org", "acme"),
                                                 date(2025, 1, 1), 90, date(2026, 1, 15))
    assert first == date(2025, 10, 10)  # reports start 2025-10-10, and a year back is earlier still
    assert notes and "2025-10-10" in notes[0]


def test_the_sync_command_shows_progress_and_says_what_it_stored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from correlate import commands

    monkeypatch.setenv("CURSOR_API_KEY", CURSOR_KEY)
    with serve(cursor_fake()) as server:
        cfg = tmp_path / "correlate.toml"
        cfg.write_text(f'[store]\npath = "s.duckdb"\n\n[sources.cursor]\nbase_url = "{server.url}"\n'
                       'backfill_days = 3\n', encoding="utf-8")
        commands.sync(config_path=cfg, sources=["cursor"], since=None)
    out = capsys.readouterr()
    assert "cursor: 3 user-days, 3 user-day-models" in out.out
    assert str(tmp_path / "s.duckdb") in out.out.replace("\n", "")
    assert CURSOR_KEY not in out.out + out.err


def test_copilot_without_a_report_for_any_day_is_an_error_saying_what_to_check(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    fake = FakeCopilot(lambda report, day: None, org="acme")
    with serve(fake) as server, Store.open(store_path) as store:
        fake.url = server.url
        cfg = config(store_path, {"copilot": {"base_url": server.url, "org": "acme", "backfill_days": 6}})
        with pytest.raises(FatalSourceError) as err:
            run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, YESTERDAY - timedelta(days=5))
        assert "org:acme" in str(err.value) and "policy" in str(err.value)
        assert store.get_cursor("copilot", "users-1-day", "org:acme") is None


def test_copilot_a_gap_between_reported_days_keeps_the_stored_rows_of_the_gap(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    gap = (YESTERDAY - timedelta(days=5)).isoformat()
    files = users_and_teams()
    fake = FakeCopilot(files)
    with serve(fake) as server, Store.open(store_path) as store:
        fake.url = server.url
        cfg = config(store_path, {"copilot": {"base_url": server.url, "org": "acme", "backfill_days": 7}})
        run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, None)
        fake.files = lambda report, day: None if day == gap else files(report, day)
        summary = run_source(SyncContext(cfg, store), copilot_ingest.SOURCE, YESTERDAY - timedelta(days=6))
        assert store.query("SELECT count(*) AS n FROM ai_usage_daily WHERE day = ?", [gap])["n"][0] == 2
        assert store.get_cursor("copilot", "users-1-day", "org:acme") == YESTERDAY.isoformat()
        assert any("no report for 1 day(s)" in n for n in summary.notes)


def test_a_re_fetch_from_an_earlier_day_that_stops_part_way_leaves_the_cursor_where_it_was(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sync --since`` re-reads older days; stopping inside them must not move the cursor back, or the
    next plain run would fetch every later day again."""
    monkeypatch.setenv("CURSOR_API_KEY", CURSOR_KEY)
    fake = cursor_fake()
    calls: list[int] = []

    def flaky_after(n: int):  # type: ignore[no-untyped-def]
        def handler(req: Request) -> Reply:
            calls.append(1)
            return Reply(503, {"error": "unavailable"}) if len(calls) > n else fake(req)
        return handler

    with serve(fake) as server, Store.open(store_path) as store:
        cfg = config(store_path, {"cursor": {"base_url": server.url, "backfill_days": 3}})
        run_source(SyncContext(cfg, store), cursor_ingest.SOURCE, None)
        assert store.get_cursor("cursor", "daily-usage-data", "") == YESTERDAY.isoformat()
    with serve(flaky_after(2)) as server, Store.open(store_path) as store:
        cfg = config(store_path, {"cursor": {"base_url": server.url, "backfill_days": 3}})
        with pytest.raises(TransientSourceError):
            # the first window is stored
            run_source(SyncContext(cfg, store), cursor_ingest.SOURCE, YESTERDAY - timedelta(days=50))
        assert store.con.execute("SELECT min(day) FROM ai_usage_daily").fetchone() == (YESTERDAY - timedelta(days=50),)
        assert store.get_cursor("cursor", "daily-usage-data", "") == YESTERDAY.isoformat()
