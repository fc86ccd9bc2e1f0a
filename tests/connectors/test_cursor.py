"""The Cursor connector against a local server serving hand-built pages in Cursor's documented shape
(see tests/connectors/cursor_pages.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from connectors.cursor import CursorClient, RequestBudget, map_daily_row, map_events, windows
from connectors.errors import AuthError, PayloadError
from tests.connectors.cursor_pages import DAY_MS, FakeCursor, daily_row, days, event, ms
from tests.httpserver import Reply, Request, serve

KEY = "key_fakeCURSORadminKEY0000"
D1, D2 = date(2026, 3, 18), date(2026, 3, 19)


def test_windows_split_a_range_into_spans_of_at_most_30_days() -> None:
    spans = windows(date(2026, 1, 1), date(2026, 3, 6))  # 65 days
    assert spans == [(date(2026, 1, 1), date(2026, 1, 30)), (date(2026, 1, 31), date(2026, 3, 1)),
                     (date(2026, 3, 2), date(2026, 3, 6))]
    assert windows(date(2026, 1, 2), date(2026, 1, 1)) == []


def test_a_window_combines_daily_rows_with_billed_token_usage_per_user_day_and_model() -> None:
    fake = FakeCursor(
        daily=lambda s, e: [daily_row(d, email) for d in days(s, e)
                            for email in ("dev@company.com", "ops@company.com")],
        events=lambda s, e: [event(D1, "dev@company.com"), event(D1, "dev@company.com", cents=40.0, hour=11),
                             event(D1, "dev@company.com", "gpt-5", cents=1.5),
                             event(D2, "ops@company.com", tokens=False)],
    )
    with serve(fake) as server, CursorClient(server.url, KEY, env_var="CURSOR_API_KEY") as client:
        window = client.fetch_window(D1, D2)

    requests = [(path, body) for path, body in fake.bodies]
    assert requests[0] == ("/teams/daily-usage-data", {"startDate": ms(D1), "endDate": ms(D2) + DAY_MS - 1})
    by_key = {(r.day, r.actor): r for r in window.usage}
    assert len(by_key) == 4
    dev = by_key[(D1, "dev@company.com")]
    assert (dev.lines_added, dev.lines_removed, dev.lines_accepted) == (1543, 892, 1102)
    assert (dev.edit_accepted, dev.edit_rejected) == (73, 14)
    assert dev.requests == 45 + 128 + 12 + 67  # composer + chat + agent + cmd-K
    assert (dev.tokens_input, dev.tokens_output, dev.tokens_cache_read, dev.tokens_cache_creation) == (
        3 * 126, 3 * 450, 3 * 11964, 3 * 6112)
    assert dev.cost_usd == pytest.approx((20.18232 + 40.0 + 1.5) / 100) and dev.cost_provenance == "billed"
    extra = json.loads(dev.extra_json or "{}")
    assert extra["mostUsedModel"] == "gpt-4" and extra["totalTabsAccepted"] == 289 and extra["usage_events"] == 3

    models = {(m.day, m.actor, m.model): m for m in window.models}
    opus = models[(D1, "dev@company.com", "claude-4-opus")]
    assert (opus.requests, opus.tokens_input, opus.cost_usd) == (2, 252, pytest.approx(0.6018232))
    assert opus.cost_provenance == "billed"
    request_billed = models[(D2, "ops@company.com", "claude-4-opus")]
    assert request_billed.requests == 1
    assert (request_billed.tokens_input, request_billed.cost_usd, request_billed.cost_provenance) == (
        None, None, "unknown")


def test_member_days_cursor_marks_inactive_are_counted_not_stored() -> None:
    fake = FakeCursor(daily=lambda s, e: [daily_row(D1, "dev@company.com"),
                                          daily_row(D1, "idle@company.com", isActive=False, totalLinesAdded=0)])
    with serve(fake) as server, CursorClient(server.url, KEY) as client:
        window = client.fetch_window(D1, D1)
    assert [r.actor for r in window.usage] == ["dev@company.com"]
    assert window.notes == ["1 inactive member-days not stored"]


def test_columns_cursor_does_not_report_stay_empty_never_zero() -> None:
    row = map_daily_row({"date": ms(D1), "email": "dev@company.com", "isActive": True}, where="x")
    for column in ("sessions", "requests", "active_seconds", "lines_added", "lines_removed", "lines_suggested",
                   "lines_accepted", "commits", "prs", "edit_accepted", "edit_rejected", "tokens_input",
                   "tokens_output", "tokens_cache_read", "tokens_cache_creation", "cost_usd"):
        assert getattr(row, column) is None, column
    assert row.cost_provenance == "unknown"
    assert json.loads(row.extra_json or "{}") == {"isActive": True}


def test_seat_price_adds_its_daily_share_and_says_so_in_the_provenance() -> None:
    _, totals, _ = map_events([event(D1, "dev@company.com", cents=50.0)], start=D1, end=D1)
    billed_and_seat = map_daily_row(daily_row(D1, "dev@company.com"), where="x", totals=totals,
                                    seat_cost_usd_per_month=40.0)
    seat_only = map_daily_row(daily_row(D1, "ops@company.com"), where="x", totals=totals,
                              seat_cost_usd_per_month=40.0)
    assert billed_and_seat.cost_provenance == "billed+seat"
    assert billed_and_seat.cost_usd == pytest.approx(0.50 + 40.0 / 31)  # March has 31 days
    assert (seat_only.cost_provenance, seat_only.cost_usd) == ("seat", pytest.approx(40.0 / 31))


def test_usage_events_are_read_page_by_page_until_the_last() -> None:
    many = [event(D1, f"u{i}@company.com") for i in range(23)]
    fake = FakeCursor(daily=lambda s, e: [], events=lambda s, e: many)
    with serve(fake) as server, CursorClient(server.url, KEY) as client:
        got = client.usage_events(D1, D1, page_size=10)
    assert len(got) == 23
    assert [b["page"] for p, b in fake.bodies] == [1, 2, 3]


def test_a_429_waits_are_the_servers_retry_after(instant_waits: list[tuple[float, str]]) -> None:
    fake = FakeCursor(daily=lambda s, e: [daily_row(D1, "dev@company.com")], limit_first=2)
    with serve(fake) as server, CursorClient(server.url, KEY) as client:
        rows = client.daily_usage(D1, D1)
    assert len(rows) == 1
    assert [w for w, _ in instant_waits] == [7.0, 7.0]
    assert "HTTP 429" in instant_waits[0][1]


def test_the_client_side_budget_waits_before_the_21st_request_in_a_minute(
        instant_waits: list[tuple[float, str]]) -> None:
    budget = RequestBudget(20, clock=lambda: 1000.0)  # a clock that stands still: only waits move time
    for _ in range(45):
        budget.acquire()
    assert [round(s, 6) for s, _ in instant_waits] == [60.0, 60.0]  # before the 21st and the 41st
    assert all("20 requests/minute" in reason for _, reason in instant_waits)


def test_the_budget_is_spent_by_real_requests_too(instant_waits: list[tuple[float, str]]) -> None:
    fake = FakeCursor(daily=lambda s, e: [])
    with serve(fake) as server, CursorClient(server.url, KEY, budget=RequestBudget(3, clock=lambda: 0.0)) as client:
        for _ in range(4):
            client.daily_usage(D1, D1)
    assert len(fake.bodies) == 4
    assert [s for s, _ in instant_waits] == [60.0]


def test_a_refused_key_is_an_auth_error_naming_the_variable_and_never_the_key() -> None:
    fake = FakeCursor(daily=lambda s, e: [], key="key_somethingelse")
    with serve(fake) as server, CursorClient(server.url, KEY, env_var="CURSOR_API_KEY") as client:
        with pytest.raises(AuthError) as err:
            client.daily_usage(D1, D1)
    assert err.value.env_var == "CURSOR_API_KEY" and "CURSOR_API_KEY" in str(err.value)
    assert KEY not in str(err.value)


def test_a_request_never_spans_more_than_30_days() -> None:
    with CursorClient("http://127.0.0.1:9", KEY) as client, pytest.raises(ValueError):
        client.daily_usage(D1, D1 + timedelta(days=30))


def test_events_outside_the_window_or_without_a_user_are_left_out_and_counted() -> None:
    anonymous = {**event(D1, "x@company.com"), "userEmail": None}
    before = event(D1 - timedelta(days=1), "a@company.com")
    models, _, notes = map_events([before, anonymous, event(D1, "b@company.com")], start=D1, end=D1)
    assert [(m.actor, m.day) for m in models] == [("b@company.com", D1)]
    assert notes == ["1 usage events without userEmail were not attributed"]


def test_a_malformed_daily_row_is_a_payload_error_naming_the_field() -> None:
    with pytest.raises(PayloadError) as err:
        map_daily_row(daily_row(D1, "dev@company.com", totalAccepts="73"), where="data[4]")
    assert "totalAccepts" in str(err.value) and err.value.where == "data[4]"
    with pytest.raises(PayloadError, match="'date'"):
        map_daily_row({"email": "dev@company.com", "date": "yesterday"}, where="data[0]")


def test_without_pagination_the_event_count_decides_even_when_the_server_caps_the_page_size() -> None:
    many = [event(D1, f"u{i}@company.com") for i in range(12)]

    def capped(req: Request) -> Reply:  # hand-built: answers 5 per page whatever was asked, no `pagination`
        page = int(req.json()["page"])
        return Reply(200, {"totalUsageEventsCount": len(many), "usageEvents": many[(page - 1) * 5: page * 5]})

    with serve(capped) as server, CursorClient(server.url, KEY) as client:
        got = client.usage_events(D1, D1, page_size=500)
    assert len(got) == 12 and len(server.requests) == 3
