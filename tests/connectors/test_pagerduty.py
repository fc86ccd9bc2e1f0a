"""PagerDuty incidents against a real HTTP server on 127.0.0.1.

The incident object in the first test is recorded (Airbyte's source-pagerduty integration fixture,
tests/fixtures/pagerduty/airbyte-source-pagerduty/); every page envelope (``incidents``, ``limit``,
``offset``, ``more``) and every other incident here is HAND-BUILT after PagerDuty's documented shape.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors import pagerduty
from connectors.errors import AuthError, PayloadError
from connectors.pagerduty import fetch_window, make_pagerduty_client, parse_incident, windows
from tests.httpserver import Reply, Request, serve

TOKEN = "pd-test-token-not-real"
SINCE = datetime(2023, 10, 1, tzinfo=UTC)
UNTIL = datetime(2023, 10, 31, tzinfo=UTC)


def recorded_incident(fixtures_dir: Path) -> dict[str, Any]:
    path = fixtures_dir / "pagerduty/airbyte-source-pagerduty/expected_records.jsonl"
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row["stream"] == "incidents":
            return dict(row["data"])
    pytest.fail(f"no incident in {path}")


def page(items: list[dict[str, Any]], offset: int, more: bool) -> dict[str, Any]:
    """HAND-BUILT page envelope (PagerDuty classic pagination)."""
    return {"incidents": items, "limit": 100, "offset": offset, "more": more, "total": None}


def built_incident(n: int, created: datetime, **extra: Any) -> dict[str, Any]:
    """HAND-BUILT incident in PagerDuty's v2 shape, only the fields we read."""
    body = {"id": f"PINC{n:05d}", "incident_number": n, "title": f"incident {n}", "status": "resolved",
            "urgency": "high", "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resolved_at": (created + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "service": {"id": "PSVC1", "summary": "checkout"}, "teams": [], "acknowledgements": [],
            "priority": None}
    body.update(extra)
    return body


def test_the_recorded_incident_becomes_a_record_and_requests_follow_the_contract(fixtures_dir: Path) -> None:
    recorded = recorded_incident(fixtures_dir)
    with serve(lambda req: Reply(200, page([recorded], 0, False))) as server:
        with make_pagerduty_client(server.url, TOKEN) as client:
            found = fetch_window(client, SINCE, UNTIL, env_var="PAGERDUTY_TOKEN")
    (req,) = server.requests
    assert req.path == "/incidents"
    assert req.headers["authorization"] == f"Token token={TOKEN}"
    assert req.headers["accept"] == "application/vnd.pagerduty+json;version=2"
    assert (req.q("since"), req.q("until")) == ("2023-10-01T00:00:00Z", "2023-10-31T00:00:00Z")
    assert (req.q("limit"), req.q("offset"), req.q("time_zone")) == ("100", "0", "UTC")
    (item,) = found
    inc = item.incident
    assert (inc.source, inc.incident_id, inc.number, inc.title) == ("pagerduty", "Q2U8NVNBMCM7JW", 1, "admin")
    assert (inc.status, inc.urgency, inc.priority, inc.service) == ("triggered", "high", "P1", "P3VUFA7")
    assert inc.created_at == datetime(2023, 10, 7, 7, 25, 26, tzinfo=UTC)
    assert (inc.acknowledged_at, inc.resolved_at, inc.kind) == (None, None, "incident")
    assert item.service_name == "asd" and item.teams == ()


def test_first_acknowledgement_teams_and_resolution_are_read() -> None:
    created = datetime(2026, 1, 5, 10, tzinfo=UTC)
    obj = built_incident(7, created, status="resolved", resolved_at=None,
                         last_status_change_at="2026-01-05T12:00:00Z",
                         acknowledgements=[{"at": "2026-01-05T10:09:00Z"}, {"at": "2026-01-05T10:04:00Z"}],
                         teams=[{"id": "PTWEB", "summary": "Web"}], priority={"summary": "P2"})
    item = parse_incident(obj)
    assert item.incident.acknowledged_at == datetime(2026, 1, 5, 10, 4, tzinfo=UTC)
    assert item.incident.resolved_at == datetime(2026, 1, 5, 12, tzinfo=UTC)  # older payloads: last status change
    assert item.incident.priority == "P2"
    assert item.teams == (("PTWEB", "Web"),)


def test_pages_are_followed_while_more_is_true() -> None:
    created = datetime(2023, 10, 2, tzinfo=UTC)
    incidents = [built_incident(n, created + timedelta(minutes=n)) for n in range(230)]

    def handler(req: Request) -> Reply:
        offset = int(req.q("offset") or 0)
        chunk = incidents[offset:offset + 100]
        return Reply(200, page(chunk, offset, offset + 100 < len(incidents)))

    with serve(handler) as server, make_pagerduty_client(server.url, TOKEN) as client:
        found = fetch_window(client, SINCE, UNTIL)
    assert [r.q("offset") for r in server.requests] == ["0", "100", "200"]
    assert [f.incident.number for f in found] == list(range(230))


def test_a_window_too_big_for_offset_paging_is_split_not_truncated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pagerduty, "MAX_OFFSET", 200)  # PagerDuty's real cap is 10,000
    incidents = [built_incident(n, SINCE + timedelta(hours=n)) for n in range(500)]

    def handler(req: Request) -> Reply:
        lo = datetime.fromisoformat(req.q("since").replace("Z", "+00:00"))
        hi = datetime.fromisoformat(req.q("until").replace("Z", "+00:00"))
        hits = [i for i in incidents
                if lo <= datetime.fromisoformat(i["created_at"].replace("Z", "+00:00")) < hi]
        offset = int(req.q("offset") or 0)
        return Reply(200, page(hits[offset:offset + 100], offset, offset + 100 < len(hits)))

    with serve(handler) as server, make_pagerduty_client(server.url, TOKEN) as client:
        found = fetch_window(client, SINCE, SINCE + timedelta(hours=500))
    assert sorted(f.incident.number for f in found) == list(range(500))  # each exactly once
    assert all(int(r.q("offset") or 0) + 100 <= 200 for r in server.requests)


def test_429_is_honoured_with_retry_after(instant_waits: list[tuple[float, str]]) -> None:
    replies = iter([Reply(429, {"error": {"message": "Too many requests"}}, headers={"Retry-After": "7"}),
                    Reply(200, page([built_incident(1, SINCE)], 0, False))])
    with serve(lambda req: next(replies)) as server, make_pagerduty_client(server.url, TOKEN) as client:
        found = fetch_window(client, SINCE, UNTIL)
    assert len(server.requests) == 2 and len(found) == 1
    assert instant_waits[0][0] == 7.0


def test_401_is_an_auth_error_naming_the_variable_not_the_token() -> None:
    reply = Reply(401, {"error": {"message": "Authentication failed", "code": 2006}})
    with serve(lambda req: reply) as server, make_pagerduty_client(server.url, TOKEN) as client:
        with pytest.raises(AuthError) as caught:
            fetch_window(client, SINCE, UNTIL, env_var="PAGERDUTY_TOKEN")
    assert "PAGERDUTY_TOKEN" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_page_without_incidents_is_a_payload_error() -> None:
    with serve(lambda req: Reply(200, {"unexpected": True})) as server:
        with make_pagerduty_client(server.url, TOKEN) as client, pytest.raises(PayloadError):
            fetch_window(client, SINCE, UNTIL)


def test_windows_are_at_most_six_months_and_cover_the_span() -> None:
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    spans = windows(start, end)
    assert spans[0][0] == start and spans[-1][1] == end
    assert all(hi - lo <= timedelta(days=180) for lo, hi in spans)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
