"""``correlate sync --source pagerduty`` into a real DuckDB store, against a real local HTTP server.

All pages and incidents here are HAND-BUILT in PagerDuty's documented v2 shape.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from correlate.config import load_config
from correlate.store import Store
from correlate.sync import SyncContext, run_sync
from tests.cli import run_cli, write_config
from tests.httpserver import Reply, Request, serve

TOKEN = "pd-secret-value-123"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)  # the clock's now on the pinned day below


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRELATE_TODAY", NOW.date().isoformat())


def pagerduty_config(tmp_path: Path, url: str) -> Path:
    return write_config(tmp_path, f"""
[sources.pagerduty]
base_url = "{url}"
token_env = "PAGERDUTY_TOKEN"
lookback_days = 14
backfill_days = 60

[[teams]]
name = "payments"
services = ["PSVC1"]

[[teams]]
name = "web"
pagerduty_teams = ["Web"]
""")


def built(n: int, created: datetime, **extra: Any) -> dict[str, Any]:
    """HAND-BUILT incident."""
    body: dict[str, Any] = {
        "id": f"PINC{n}", "incident_number": n, "title": f"incident {n}", "status": "triggered",
        "urgency": "high", "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "resolved_at": None,
        "service": {"id": "PSVC1", "summary": "checkout"}, "teams": [], "acknowledgements": []}
    body.update(extra)
    return body


def pd_server(incidents: Callable[[], list[dict[str, Any]]]) -> Callable[[Request], Reply]:
    """Serves the incidents created in the requested [since, until), one page (HAND-BUILT envelope)."""
    def handler(req: Request) -> Reply:
        lo = datetime.fromisoformat(req.q("since").replace("Z", "+00:00"))
        hi = datetime.fromisoformat(req.q("until").replace("Z", "+00:00"))
        hits = [i for i in incidents() if lo <= datetime.fromisoformat(i["created_at"].replace("Z", "+00:00")) < hi]
        return Reply(200, {"incidents": hits, "limit": 100, "offset": 0, "more": False})
    return handler


def run(config_path: Path, since: Any = None) -> Any:
    config = load_config(config_path)
    with Store.open(config.store_path) as store:
        summary = run_sync(SyncContext(config, store), ["pagerduty"], since)[0]
        rows = store.query("SELECT incident_id, team, status, acknowledged_at, resolved_at FROM incidents "
                           "ORDER BY incident_id")
        cursor = store.get_cursor("pagerduty", "incidents", "")
    return summary, rows, cursor


def test_sync_maps_teams_stores_cursor_and_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERDUTY_TOKEN", TOKEN)
    data = [built(1, NOW - timedelta(days=3)),
            built(2, NOW - timedelta(days=2), service={"id": "POTHER", "summary": "x"},
                  teams=[{"id": "PT9", "summary": "Web"}]),
            built(3, NOW - timedelta(days=1), service={"id": "PNOBODY", "summary": "y"})]
    with serve(pd_server(lambda: data)) as server:
        cfg = pagerduty_config(tmp_path, server.url)
        summary, rows, cursor = run(cfg)
        again_summary, again, _ = run(cfg)
    second_since = datetime.fromisoformat(server.requests[-1].q("since").replace("Z", "+00:00"))
    teams = dict(zip(rows.incident_id, rows.team.fillna("(none)"), strict=True))
    assert teams == {"PINC1": "payments", "PINC2": "web", "PINC3": "(none)"}
    assert summary.rows["incidents"] == 3
    assert any("1 incidents on services no team owns" in n for n in summary.notes)
    assert again.equals(rows)
    assert cursor is not None and datetime.fromisoformat(cursor.replace("Z", "+00:00")) >= NOW - timedelta(minutes=1)
    # the second sync starts at the first one's cursor minus the 14-day lookback (earlier than the
    # oldest still-open incident, PINC1, 3 days old)
    assert second_since == datetime.fromisoformat(cursor.replace("Z", "+00:00")) - timedelta(days=14)
    assert again_summary.rows["incidents"] == 3


def test_an_open_incident_older_than_the_lookback_is_re_read_until_it_resolves(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERDUTY_TOKEN", TOKEN)
    old = NOW - timedelta(days=40)
    state = {"incident": built(1, old, acknowledgements=[{"at": (old + timedelta(minutes=5)).isoformat()}],
                               status="acknowledged")}
    with serve(pd_server(lambda: [state["incident"]])) as server:
        cfg = pagerduty_config(tmp_path, server.url)
        run(cfg)
        # resolved meanwhile; PagerDuty clears acknowledgements on resolve
        state["incident"] = built(1, old, status="resolved", resolved_at=NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
        _, rows, _ = run(cfg)
    second_since = datetime.fromisoformat(server.requests[-1].q("since").replace("Z", "+00:00"))
    assert second_since <= old
    (row,) = rows.itertuples()
    assert row.status == "resolved"
    assert row.acknowledged_at == old + timedelta(minutes=5)  # the first acknowledgement is kept


def test_a_missing_token_variable_is_a_config_error_naming_it(tmp_path: Path) -> None:
    from correlate.errors import ConfigError

    cfg = pagerduty_config(tmp_path, "http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="PAGERDUTY_TOKEN"):
        run(cfg)


def test_cli_401_exits_2_without_showing_the_token(tmp_path: Path) -> None:
    reply = Reply(401, {"error": {"message": "Authentication failed", "code": 2006}})
    with serve(lambda req: reply) as server:
        cfg = pagerduty_config(tmp_path, server.url)
        done = run_cli("sync", "--source", "pagerduty", config=cfg, secrets={"PAGERDUTY_TOKEN": TOKEN})
    assert done.returncode == 2, done.stderr
    assert "AuthError" in done.stderr and "PAGERDUTY_TOKEN" in done.stderr
    assert TOKEN not in done.stdout + done.stderr
