"""The Copilot connector against a local server serving hand-built pages in GitHub's documented shape
(see tests/connectors/copilot_pages.py for where each shape comes from)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from connectors.copilot import API_VERSION, CopilotClient, CopilotScope, map_team_row, map_user_row
from connectors.errors import AuthError, PayloadError, TransientSourceError
from connectors.records import record_columns
from connectors.tool_records import CopilotUserTeam
from correlate.store import Store
from tests.connectors.copilot_pages import DOC_USER_ROW, FakeCopilot, ndjson, team_row, user_row
from tests.httpserver import serve

DAY = "2026-05-07"
TOKEN = "ghp_FAKE-copilot-test-token"


def two_users(report: str, day: str) -> list[str] | None:
    if report == "users-1-day":
        return [ndjson([user_row(day, 1001, "alice")]), ndjson([user_row(day, 1002, "bob")])]
    if report == "user-teams-1-day":
        return [ndjson([team_row(day, 1001, "alice", 42, "frontend"), team_row(day, 1001, "alice", 43, "backend"),
                        team_row(day, 1002, "bob", 42, "frontend")])]
    return None


def client_for(server_url: str) -> CopilotClient:
    return CopilotClient(server_url, TOKEN, CopilotScope("org", "acme"), env_var="GITHUB_TOKEN")


def test_two_step_download_reads_every_linked_file_without_sending_the_token_to_the_download_host() -> None:
    fake = FakeCopilot(two_users)
    with serve(fake) as server:
        fake.url = server.url
        with client_for(server.url) as client:
            result = client.fetch_day(date.fromisoformat(DAY))

    assert result.available
    assert sorted(r.actor for r in result.usage) == ["alice", "bob"]  # one row from each of two links
    assert sorted((t.user_login, t.team_slug) for t in result.teams) == [
        ("alice", "backend"), ("alice", "frontend"), ("bob", "frontend")]
    api_calls = [r for r in server.requests if "/copilot/metrics/reports/" in r.path]
    downloads = [r for r in server.requests if r.path.startswith("/signed/")]
    assert {(r.path.rsplit("/", 1)[-1], r.q("day")) for r in api_calls} == {("users-1-day", DAY),
                                                                             ("user-teams-1-day", DAY)}
    assert all(r.headers["x-github-api-version"] == API_VERSION == "2026-03-10" for r in api_calls)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in api_calls)
    assert len(downloads) == 3 and all("authorization" not in r.headers for r in downloads)


def test_an_expired_download_link_is_re_requested_once_and_the_fresh_link_used() -> None:
    fake = FakeCopilot(two_users, expire_first_links=1)
    with serve(fake) as server:
        fake.url = server.url
        with client_for(server.url) as client:
            result = client.fetch_day(date.fromisoformat(DAY))

    assert fake.report_calls.count(("users-1-day", DAY)) == 2  # first links expired (410), asked again
    assert fake.report_calls.count(("user-teams-1-day", DAY)) == 1
    assert result.links_refreshed == 1
    assert sorted(r.actor for r in result.usage) == ["alice", "bob"]


def test_links_that_expire_again_after_a_refresh_fail_as_transient_without_the_signature() -> None:
    fake = FakeCopilot(two_users, expire_first_links=2)
    with serve(fake) as server:
        fake.url = server.url
        with client_for(server.url) as client, pytest.raises(TransientSourceError) as err:
            client.fetch_day(date.fromisoformat(DAY))
    assert "expired again" in str(err.value)
    assert "SECRETSIG" not in str(err.value) and "sig=" not in str(err.value)


def test_a_day_without_a_report_is_reported_as_unavailable_not_as_empty() -> None:
    fake = FakeCopilot(lambda report, day: None)
    with serve(fake) as server:
        fake.url = server.url
        with client_for(server.url) as client:
            result = client.fetch_day(date(2026, 5, 7))
    assert result.available is False and result.usage == []


def test_a_refused_token_is_an_auth_error_naming_the_variable_and_never_the_token() -> None:
    fake = FakeCopilot(two_users, report_status=401)
    with serve(fake) as server:
        fake.url = server.url
        with client_for(server.url) as client, pytest.raises(AuthError) as err:
            client.fetch_day(date(2026, 5, 7))
    assert err.value.env_var == "GITHUB_TOKEN" and "GITHUB_TOKEN" in str(err.value)
    assert TOKEN not in str(err.value) and err.value.exit_code == 2


def test_a_line_that_is_not_json_names_the_report_file_and_line() -> None:
    def broken(report: str, day: str) -> list[str] | None:
        return [ndjson([user_row(day, 1, "a")]) + "{not json\n"] if report == "users-1-day" else [""]

    fake = FakeCopilot(broken)
    with serve(fake) as server:
        fake.url = server.url
        with client_for(server.url) as client, pytest.raises(PayloadError) as err:
            client.fetch_day(date.fromisoformat(DAY))
    assert err.value.where == f"users-1-day {DAY} file 1 line 2"


def test_the_documented_example_row_maps_onto_the_shared_columns() -> None:
    row = map_user_row(DOC_USER_ROW, where="example")

    assert (row.tool, row.source, row.actor, row.day) == ("copilot", "copilot_api", "login1", date(2025, 10, 1))
    assert row.requests == 0 + 2  # IDE prompts (0) + CLI prompts (2): GitHub counts them apart
    assert (row.lines_suggested, row.lines_accepted, row.lines_added, row.lines_removed) == (10, 8, 8, 0)
    assert row.edit_accepted == 1
    assert (row.tokens_input, row.tokens_output) == (3800, 5000)  # CLI tokens, the only tokens GitHub reports
    extra = json.loads(row.extra_json or "{}")
    assert extra["used_cli"] is True and extra["code_generation_activity_count"] == 1
    assert extra["totals_by_cli"]["session_count"] == 2 and extra["user_id"] == 1
    assert "user_login" not in extra and "loc_added_sum" not in extra  # mapped fields are not duplicated


def test_columns_copilot_does_not_have_stay_empty_never_zero() -> None:
    row = map_user_row(user_row(DAY, 7, "carol"), where="x")  # no totals_by_cli: no CLI use that day

    assert row.tokens_input is None and row.tokens_output is None
    for column in ("sessions", "active_seconds", "commits", "prs", "edit_rejected", "tokens_cache_read",
                   "tokens_cache_creation", "customer_type"):
        assert getattr(row, column) is None, column
    assert (row.cost_usd, row.cost_provenance) == (None, "unknown")
    # agent edits (28 lines) are not accepted suggestions: they were never suggested
    assert (row.lines_added, row.lines_accepted) == (88, 60)


def test_without_the_feature_breakdown_accepted_lines_are_unknown() -> None:
    row = map_user_row({k: v for k, v in user_row(DAY, 7, "carol").items() if k != "totals_by_feature"}, where="x")
    assert row.lines_accepted is None and row.lines_added == 88


def test_a_configured_seat_price_becomes_the_daily_share_marked_seat() -> None:
    row = map_user_row(user_row("2026-02-10", 7, "carol"), where="x", seat_cost_usd_per_month=19.0)
    assert row.cost_provenance == "seat"
    assert row.cost_usd == pytest.approx(19.0 / 28)  # February 2026 has 28 days


@pytest.mark.parametrize("field, value", [("loc_added_sum", "88"), ("loc_added_sum", -1), ("loc_added_sum", True),
                                          ("user_login", None), ("day", "07/05/2026")])
def test_malformed_rows_are_payload_errors_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(PayloadError) as err:
        map_user_row({**user_row(DAY, 7, "carol"), field: value}, where="users-1-day f1 line 3")
    assert field in str(err.value) and err.value.where == "users-1-day f1 line 3"


def test_team_rows_keep_the_scope_and_slug() -> None:
    team = map_team_row(team_row(DAY, 1001, "alice", 42, "frontend"), scope="org:acme", where="x")
    assert team == CopilotUserTeam(scope="org:acme", day=date(2026, 5, 7), user_id=1001, team_id=42,
                                   user_login="alice", team_slug="frontend")


def test_the_user_teams_table_has_exactly_the_record_columns(store_path: object) -> None:
    with Store.open(store_path) as store:  # type: ignore[arg-type]
        cols = store.query("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                           "ORDER BY ordinal_position", [CopilotUserTeam.TABLE])["column_name"].tolist()
        assert cols == record_columns(CopilotUserTeam)
        team = map_team_row(team_row(DAY, 1, "a", 2, "b"), scope="org:acme", where="x")
        assert store.upsert(CopilotUserTeam, [team, team]) == 1
        assert store.count(CopilotUserTeam) == 1


def test_a_row_for_another_day_than_asked_is_a_payload_error() -> None:
    def wrong_day(report: str, day: str) -> list[str] | None:
        return [ndjson([user_row("2026-05-06", 1, "a")])] if report == "users-1-day" else [""]

    fake = FakeCopilot(wrong_day)
    with serve(fake) as server:
        fake.url = server.url
        with client_for(server.url) as client, pytest.raises(PayloadError) as err:
            client.fetch_day(date.fromisoformat(DAY))
    assert "not for 2026-05-07" in str(err.value) and err.value.where == f"users-1-day {DAY} file 1 line 1"


def test_enterprise_reports_live_under_the_enterprise_path() -> None:
    scope = CopilotScope("enterprise", "acme-inc")
    assert scope.report_path("users-1-day") == "/enterprises/acme-inc/copilot/metrics/reports/users-1-day"
    assert scope.label == "enterprise:acme-inc"
