"""``correlate sync --source claude_code`` end to end: real HTTP server on 127.0.0.1, real DuckDB file.

Pages are hand-built from the documented shapes (sources.md §1), see tests/claude_pages.py.
"""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from connectors.errors import TransientSourceError
from correlate import clock
from correlate.config import load_config
from correlate.errors import ConfigError
from correlate.ingest import claude_code as ingest
from correlate.store import Store
from correlate.sync import SyncContext, SyncSummary, run_source
from tests.claude_pages import cc_page, cc_row, model
from tests.cli import run_cli, write_config
from tests.httpserver import Reply, Request, serve

ENV = "CC_TEST_ADMIN_KEY"
FAKE_KEY = "sk-ant-admin01-FAKE-7c1d9e"


def claude_code_config(tmp_path: Path, url: str, backfill_days: int = 3) -> Path:
    return write_config(tmp_path, f'[sources.claude_code]\nbase_url = "{url}"\napi_key_env = "{ENV}"\n'
                                  f'backfill_days = {backfill_days}\n')


def day_handler(req: Request) -> Reply:
    """Two developers a day; one split across a local and a remote row."""
    day = date.fromisoformat(req.q("starting_at") or "")
    rows = [
        cc_row(day, email="ana@acme.io", terminal="vscode", models=[model("claude-opus-5", 120.5)]),
        cc_row(day, email="ana@acme.io", terminal="web", remote=True, models=[model("claude-opus-5", 10)]),
        cc_row(day, email="bo@acme.io", models=[model("claude-sonnet-5", 33)]),
    ]
    return Reply(200, cc_page(rows))


def run(config_path: Path, since: date | None = None) -> SyncSummary:
    config = load_config(config_path)
    with Store.open(config.store_path) as store:
        return run_source(SyncContext(config=config, store=store), ingest.SOURCE, since)


def table(config_path: Path, name: str) -> pd.DataFrame:
    with Store.open(load_config(config_path).store_path, read_only=True) as store:
        return store.query(f"SELECT * FROM {name} ORDER BY ALL")


def cursor(config_path: Path) -> str | None:
    with Store.open(load_config(config_path).store_path, read_only=True) as store:
        return store.get_cursor("claude_code", "usage_report")


def days_asked(requests: list[Request]) -> list[str]:
    return [r.q("starting_at") or "" for r in requests]


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, FAKE_KEY)


def test_first_run_backfills_day_by_day_to_today_and_sets_the_cursor(tmp_path: Path, key: None) -> None:
    today = clock.today()
    with serve(day_handler) as server:
        summary = run(claude_code_config(tmp_path, server.url, backfill_days=3))

    expected = [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert days_asked(server.requests) == expected
    usage = table(tmp_path / "correlate.toml", "ai_usage_daily")
    assert len(usage) == 6  # 2 actor-days x 3 days: ana's split rows became one
    assert set(usage["source"]) == {"analytics_api"} and set(usage["tool"]) == {"claude_code"}
    ana = usage[usage["actor"] == "ana@acme.io"].iloc[0]
    assert ana["sessions"] == 10 and ana["cost_usd"] == pytest.approx(1.305)
    assert cursor(tmp_path / "correlate.toml") == today.isoformat()
    assert summary.rows["actor-days"] == 6 and summary.rows["model rows"] == 6
    assert FAKE_KEY.encode() not in (tmp_path / "store.duckdb").read_bytes()


def test_syncing_twice_leaves_the_same_rows_and_repulls_only_the_last_two_days(tmp_path: Path, key: None) -> None:
    cfg = tmp_path / "correlate.toml"
    with serve(day_handler) as server:
        claude_code_config(tmp_path, server.url, backfill_days=5)
        run(cfg)
        first = {t: table(cfg, t) for t in ("ai_usage_daily", "ai_usage_model_daily", "ai_edit_actions")}
        n_first = len(server.requests)
        run(cfg)
        second = {t: table(cfg, t) for t in first}

    today = clock.today()
    assert days_asked(server.requests[n_first:]) == [(today - timedelta(days=1)).isoformat(), today.isoformat()]
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])


def test_a_repulled_day_replaces_rows_that_vanished_from_the_source(tmp_path: Path, key: None) -> None:
    cfg = tmp_path / "correlate.toml"
    day = clock.today() - timedelta(days=1)
    answers = {"first": True}

    def handler(req: Request) -> Reply:
        asked = date.fromisoformat(req.q("starting_at") or "")
        rows = [cc_row(asked, email="ana@acme.io")]
        if answers["first"]:
            rows.append(cc_row(asked, email="gone@acme.io"))
        return Reply(200, cc_page(rows))

    with serve(handler) as server:
        claude_code_config(tmp_path, server.url)
        run(cfg, since=day)
        answers["first"] = False
        run(cfg, since=day)

    assert list(table(cfg, "ai_usage_daily")["actor"]) == ["ana@acme.io"] * 2  # yesterday and today
    assert set(table(cfg, "ai_usage_model_daily")["actor"]) == {"ana@acme.io"}
    assert set(table(cfg, "ai_edit_actions")["actor"]) == {"ana@acme.io"}


def test_a_failure_mid_range_keeps_earlier_days_and_the_next_run_resumes_from_the_cursor(
        tmp_path: Path, key: None) -> None:
    cfg = tmp_path / "correlate.toml"
    today = clock.today()
    days = [today - timedelta(days=n) for n in range(4, -1, -1)]  # five days, oldest first
    broken = {"day": days[2].isoformat()}

    def handler(req: Request) -> Reply:
        if req.q("starting_at") == broken["day"]:
            return Reply(503, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
        return day_handler(req)

    with serve(handler) as server:
        claude_code_config(tmp_path, server.url, backfill_days=5)
        with pytest.raises(TransientSourceError):
            run(cfg)
        stored = sorted(set(table(cfg, "ai_usage_daily")["day"].dt.date))
        assert stored == days[:2]
        assert cursor(cfg) == days[1].isoformat()

        broken["day"] = ""
        n_before = len(server.requests)
        run(cfg)

    # resumes at the cursor (re-pulling it and the day before, the freshness lag), not at the backfill start
    assert days_asked(server.requests[n_before:]) == [d.isoformat() for d in days]
    assert days_asked(server.requests[n_before:])[0] == (days[1] - timedelta(days=1)).isoformat()
    assert sorted(set(table(cfg, "ai_usage_daily")["day"].dt.date)) == days
    assert cursor(cfg) == today.isoformat()


def test_since_refetches_old_days_without_rewinding_the_cursor(tmp_path: Path, key: None) -> None:
    cfg = tmp_path / "correlate.toml"
    today = clock.today()
    with serve(day_handler) as server:
        claude_code_config(tmp_path, server.url, backfill_days=1)
        run(cfg)
        run(cfg, since=today - timedelta(days=6))

    assert cursor(cfg) == today.isoformat()
    assert len(set(table(cfg, "ai_usage_daily")["day"])) == 7


def test_missing_key_variable_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with serve(day_handler) as server, pytest.raises(ConfigError, match=ENV):
        run(claude_code_config(tmp_path, server.url))
    assert server.requests == []


# -- through the CLI, in a subprocess ---------------------------------------------------------------------

def cli(config_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, config=config_path, secrets={ENV: FAKE_KEY})


def assert_key_absent(result: subprocess.CompletedProcess[str], store: Path) -> None:
    assert FAKE_KEY not in result.stdout and FAKE_KEY not in result.stderr
    if store.exists():
        assert FAKE_KEY.encode() not in store.read_bytes()


def test_cli_401_exits_2_naming_the_variable_and_never_shows_the_key(tmp_path: Path) -> None:
    body = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
    with serve(lambda req: Reply(401, body)) as server:
        result = cli(claude_code_config(tmp_path, server.url), "sync", "--source", "claude_code")

    assert result.returncode == 2, result.stderr
    assert "AuthError" in result.stderr and ENV in result.stderr and "Admin API key" in result.stderr
    assert server.requests[0].headers["x-api-key"] == FAKE_KEY  # the key was really sent...
    assert_key_absent(result, tmp_path / "store.duckdb")  # ...and never echoed or stored
