"""Claude Enterprise Analytics API connector and sync against a real HTTP server on 127.0.0.1.

All pages are hand-built from the documented shapes (sources.md §2); see tests/claude_pages.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors import claude_enterprise as api
from connectors.enterprise_records import EnterpriseConnectorDay, EnterpriseSkillDay
from connectors.errors import AuthError, PayloadError, TransientSourceError
from connectors.records import AIEditActions, record_columns
from correlate import clock
from correlate.config import load_config
from correlate.ingest import claude_enterprise as ingest
from correlate.store import Store
from correlate.sync import SyncContext, run_source
from tests.claude_pages import (
    ent_connector,
    ent_cost,
    ent_page,
    ent_skill,
    ent_usage,
    ent_user,
    latest_day_400,
    report_query_problem,
    user_report,
)
from tests.cli import write_config
from tests.httpserver import Reply, Request, serve

DAY = date(2026, 11, 2)
KEY = "sk-ant-api01-ANALYTICS-FAKE-key"
ENV = "ENT_TEST_ANALYTICS_KEY"


def org(users: list[dict[str, Any]] | None = None, cost: list[dict[str, Any]] | None = None,
        tokens: list[dict[str, Any]] | None = None) -> Callable[[Request], Reply]:
    """A one-page-per-listing organisation."""
    users = users if users is not None else [
        ent_user("ana@acme.io", sessions=4, added=120, removed=30, commits=2, prs=1, edit=(9, 1)),
        ent_user("chat.only@acme.io", messages=40),  # no Claude Code use at all
    ]
    cost = cost if cost is not None else [
        ent_cost("ana@acme.io", "claude-opus-5", "41280.000000", list_amount="51600.000000", requests=128),
        ent_cost("ana@acme.io", "claude-sonnet-5", "12.345000", requests=3),
        ent_cost("cost.only@acme.io", "claude-sonnet-5", "250.5"),
    ]
    tokens = tokens if tokens is not None else [
        ent_usage("ana@acme.io", "claude-opus-5", requests=120),
        ent_usage("ana@acme.io", "claude-sonnet-5", uncached=10, output=20, cache_read=30, cache_5m=0, cache_1h=40,
                  requests=3),
    ]
    reports = {f"{api.BASE}/user_cost_report": cost, f"{api.BASE}/user_usage_report": tokens}
    pages = {
        f"{api.BASE}/users": ent_page(users),
        f"{api.BASE}/skills": ent_page([ent_skill("pdf-extract"), ent_skill("skill_01privateid", users=1)]),
        f"{api.BASE}/connectors": ent_page([ent_connector("atlassian"), ent_connector("github", users=7)]),
    }

    def handler(req: Request) -> Reply:
        if req.path in reports:  # as documented; bucketed restatements get the same rows on every day asked
            return Reply(*user_report(req.path.rsplit("/", 1)[-1], req.query, reports[req.path]))
        return Reply(200, pages[req.path])

    return handler


def client(url: str, limiter: api.RateLimiter | None = None) -> api.EnterpriseClient:
    return api.make_client(url, KEY, env_var=ENV, limiter=limiter or api.RateLimiter())


def test_a_day_becomes_claude_code_actor_days_with_discounted_cost_per_model() -> None:
    with serve(org()) as server, client(server.url) as c:
        result = api.fetch_day(c, DAY)

    by_actor = {u.actor: u for u in result.usage}
    assert set(by_actor) == {"ana@acme.io", "cost.only@acme.io"}  # the chat-only user is not a Claude Code user
    ana = by_actor["ana@acme.io"]
    assert (ana.sessions, ana.lines_added, ana.lines_removed, ana.commits, ana.prs) == (4, 120, 30, 2, 1)
    assert (ana.edit_accepted, ana.edit_rejected) == (9, 1)
    assert ana.cost_usd == pytest.approx(412.92345)  # "41280.000000" + "12.345000" cents
    # `amount` is documented as post-discount, pre-credit: not what is billed, and labelled for what it is
    assert ana.cost_provenance == "discounted" and ana.source == "enterprise_api"
    assert ana.requests == 123  # the usage report's count is preferred over the cost report's (131)
    assert (ana.tokens_input, ana.tokens_output, ana.tokens_cache_read, ana.tokens_cache_creation) == (
        1010, 520, 8030, 540)
    assert '"list_cost_usd": 516.12345' in (ana.extra_json or "")
    only = by_actor["cost.only@acme.io"]
    assert only.cost_usd == pytest.approx(2.505) and only.sessions is None
    models = {(m.actor, m.model): m for m in result.models}
    opus = models[("ana@acme.io", "claude-opus-5")]
    assert opus.cost_usd == pytest.approx(412.80)
    assert (opus.tokens_cache_creation, opus.tokens_cache_creation_1h) == (500, 200)  # 5m + 1h, and the 1h part
    assert models[("cost.only@acme.io", "claude-sonnet-5")].tokens_input is None
    assert {e.edit_tool for e in result.edits if e.actor == "ana@acme.io"} == {
        "edit_tool", "multi_edit_tool", "notebook_edit_tool", "write_tool"}
    assert [s.skill_name for s in result.skills] == ["pdf-extract", "skill_01privateid"]
    assert result.skills[0].claude_code_sessions == 6
    github = [c for c in result.connectors if c.connector_name == "github"][0]
    assert (github.distinct_user_count, github.read_call_count, github.unclassified_call_count) == (7, 12, None)


def test_requests_carry_the_documented_parameters_and_headers() -> None:
    with serve(org()) as server, client(server.url) as c:
        api.fetch_day(c, DAY)

    by_path = {r.path.rsplit("/", 1)[-1]: r for r in server.requests}
    assert by_path["users"].q("date") == "2026-11-02" and by_path["users"].q("limit") == "1000"
    for name in ("user_cost_report", "user_usage_report"):
        report = by_path[name]
        assert report.q("starting_at") == "2026-11-02T00:00:00Z" and report.q("ending_at") == "2026-11-03T00:00:00Z"
        assert report.query["products[]"] == ["claude_code"] and report.query["group_by[]"] == ["model"]
    assert all(r.headers["x-api-key"] == KEY and r.headers["anthropic-version"] == "2023-06-01"
               for r in server.requests)


def test_pages_are_followed_by_next_page_and_has_more() -> None:
    users = {None: ent_page([ent_user("a@x.io", sessions=1)], "u2"),
             "u2": ent_page([ent_user("b@x.io", sessions=2)], "u3"),
             "u3": ent_page([ent_user("c@x.io", sessions=3)])}
    cost = {None: ent_page([ent_cost("a@x.io", "m", "100")], "c2", has_more=True),
            "c2": ent_page([ent_cost("b@x.io", "m", "200")], "ignored", has_more=False)}

    def handler(req: Request) -> Reply:
        if req.path.endswith("/users"):
            return Reply(200, users[req.q("page")])
        if req.path.endswith("/user_cost_report"):
            return Reply(200, cost[req.q("page")])
        return Reply(200, ent_page([]))

    with serve(handler) as server, client(server.url) as c:
        result = api.fetch_day(c, DAY)

    assert [u.actor for u in result.usage] == ["a@x.io", "b@x.io", "c@x.io"]
    assert [u.cost_usd for u in result.usage] == [1.0, 2.0, None]


def test_a_400_naming_the_latest_day_is_latest_day_reached() -> None:
    with serve(lambda req: Reply(400, latest_day_400("2026-10-30"))) as server, client(server.url) as c, \
            pytest.raises(api.LatestDayReached) as info:
        api.fetch_day(c, DAY)
    assert info.value.latest == date(2026, 10, 30)


def test_a_410_restarts_the_listing_from_its_first_page() -> None:
    calls = {"expired": False}

    def handler(req: Request) -> Reply:
        if not req.path.endswith("/users"):
            return Reply(200, ent_page([]))
        if req.q("page") is None:
            return Reply(200, ent_page([ent_user("a@x.io", sessions=1)], "p2"))
        if not calls["expired"]:
            calls["expired"] = True
            return Reply(410, {"type": "error", "error": {"type": "gone", "message": "cursor expired"}})
        return Reply(200, ent_page([ent_user("b@x.io", sessions=1)]))

    with serve(handler) as server, client(server.url) as c:
        result = api.fetch_day(c, DAY)

    user_pages = [r.q("page") for r in server.requests if r.path.endswith("/users")]
    assert user_pages == [None, "p2", None, "p2"]
    assert [u.actor for u in result.usage] == ["a@x.io", "b@x.io"]  # not a@x.io twice


def test_a_cursor_that_keeps_expiring_gives_up_as_transient() -> None:
    def handler(req: Request) -> Reply:
        if req.q("page"):
            return Reply(410, {"type": "error", "error": {"type": "gone", "message": "expired"}})
        return Reply(200, ent_page([ent_user("a@x.io", sessions=1)], "p2"))

    with serve(handler) as server, client(server.url) as c, pytest.raises(TransientSourceError, match="410"):
        api.fetch_day(c, DAY)


def test_429_with_retry_after_then_success(instant_waits: list[tuple[float, str]]) -> None:
    inner = org()
    seen = {"n": 0}

    def handler(req: Request) -> Reply:
        seen["n"] += 1
        if seen["n"] == 1:
            return Reply(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}},
                         headers={"retry-after": "12"})
        return inner(req)

    with serve(handler) as server, client(server.url) as c:
        result = api.fetch_day(c, DAY)
    assert len(result.usage) == 2 and (12.0, ) == tuple(w for w, _ in instant_waits)


def test_401_names_the_variable_and_the_analytics_key_type() -> None:
    body = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
    with serve(lambda req: Reply(401, body)) as server, client(server.url) as c, pytest.raises(AuthError) as info:
        api.fetch_day(c, DAY)
    text = str(info.value)
    assert ENV in text and "read:analytics" in text and "Admin key" in text and KEY not in text


def test_the_client_keeps_to_the_per_minute_budget(instant_waits: list[tuple[float, str]]) -> None:
    with serve(org()) as server, client(server.url, api.RateLimiter(per_minute=3)) as c:
        api.fetch_day(c, DAY)  # five listings, one page each: the fourth and fifth wait for the window

    assert len(instant_waits) == 2
    assert all(55 < seconds <= 60 and "requests/minute" in reason for seconds, reason in instant_waits)


def test_rate_limiter_books_slots_a_minute_apart_on_a_fake_clock(instant_waits: list[tuple[float, str]]) -> None:
    now = {"t": 1000.0}
    limiter = api.RateLimiter(per_minute=2, clock=lambda: now["t"])
    for _ in range(5):
        limiter.acquire()
    # slots 1-2 at t=1000, 3-4 wait until 1060, 5 until 1120
    assert [round(w) for w, _ in instant_waits] == [60, 60, 120]


def test_unknown_tool_key_is_kept_and_wrong_type_names_field_and_day() -> None:
    users = [ent_user("a@x.io", sessions=1, extra_tools={"refactor_tool": {"accepted_count": 2, "rejected_count": 1}})]
    with serve(org(users=users, cost=[], tokens=[])) as server, client(server.url) as c:
        result = api.fetch_day(c, DAY)
    assert ("refactor_tool", 2, 1) in {(e.edit_tool, e.accepted, e.rejected) for e in result.edits}

    bad = ent_user("a@x.io", sessions=1)
    bad["claude_code_metrics"]["core_metrics"]["commit_count"] = "2"
    with serve(org(users=[bad], cost=[], tokens=[])) as server, client(server.url) as c, \
            pytest.raises(PayloadError) as info:
        api.fetch_day(c, DAY)
    assert "claude_code_metrics.core_metrics.commit_count" in str(info.value) and "2026-11-02" in str(info.value)


@pytest.mark.parametrize("record", [EnterpriseSkillDay, EnterpriseConnectorDay])
def test_record_fields_match_the_migrated_table(store_path: Path, record: Any) -> None:
    with Store.open(store_path) as store:
        cols = list(store.query(f"SELECT * FROM {record.TABLE} LIMIT 0").columns)
    assert cols == record_columns(record)


# -- sync ------------------------------------------------------------------------------------------------

def enterprise_config(tmp_path: Path, url: str, backfill_days: int = 5) -> Path:
    return write_config(tmp_path, f'[sources.claude_enterprise]\nbase_url = "{url}"\napi_key_env = "{ENV}"\n'
                                  f'backfill_days = {backfill_days}\n')


def test_sync_stops_at_the_latest_available_day_and_stores_what_came_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    yesterday = clock.today() - timedelta(days=1)
    latest = yesterday - timedelta(days=2)
    inner = org()

    def handler(req: Request) -> Reply:
        asked = req.q("date") or (req.q("starting_at") or "")[:10]
        if date.fromisoformat(asked) > latest:
            return Reply(400, latest_day_400(latest.isoformat()))
        return inner(req)

    with serve(handler) as server:
        config = load_config(enterprise_config(tmp_path, server.url))
        with Store.open(config.store_path) as store:
            summary = run_source(SyncContext(config=config, store=store), ingest.SOURCE, None)
            stored = store.query("SELECT DISTINCT day FROM ai_usage_daily ORDER BY day")["day"].dt.date.tolist()
            skills = store.count(EnterpriseSkillDay)
            cursor = store.get_cursor("claude_enterprise", "analytics")

    assert stored == [yesterday - timedelta(days=n) for n in (4, 3, 2)]
    assert skills == 6 and cursor == latest.isoformat()
    assert any(f"latest available day is {latest}" in n for n in summary.notes)
    assert summary.rows["actor-days"] == 6


def test_sync_twice_gives_the_same_rows_and_a_failure_keeps_earlier_days(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    yesterday = clock.today() - timedelta(days=1)
    inner = org()
    broken = {"day": ""}

    def handler(req: Request) -> Reply:
        asked = req.q("date") or (req.q("starting_at") or "")[:10]
        if asked == broken["day"]:
            return Reply(502, {"type": "error", "error": {"type": "api_error", "message": "bad gateway"}})
        return inner(req)

    tables = ("ai_usage_daily", "ai_usage_model_daily", "ai_edit_actions", EnterpriseSkillDay.TABLE,
              EnterpriseConnectorDay.TABLE)
    with serve(handler) as server:
        config = load_config(enterprise_config(tmp_path, server.url, backfill_days=4))

        def sync_and_read() -> dict[str, Any]:
            with Store.open(config.store_path) as store:
                run_source(SyncContext(config=config, store=store), ingest.SOURCE, None)
                return {t: store.query(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}

        first = sync_and_read()
        second = sync_and_read()
        for name in tables:
            assert first[name].equals(second[name]), name

        broken["day"] = yesterday.isoformat()
        with pytest.raises(TransientSourceError):
            sync_and_read()

    with Store.open(config.store_path, read_only=True) as store:
        days = store.query("SELECT DISTINCT day FROM ai_usage_daily ORDER BY day")["day"].dt.date.tolist()
        assert days == [yesterday - timedelta(days=n) for n in (3, 2, 1, 0)]  # nothing lost by the failure
        assert store.get_cursor("claude_enterprise", "analytics") == yesterday.isoformat()


def test_sync_with_an_admin_key_refused_names_variable_and_scope_and_stores_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI's exit code 2 for AuthError is covered through a subprocess in tests/ingest/test_claude_code_sync.py
    admin_key = "sk-ant-admin01-FAKE-0a7b"
    monkeypatch.setenv(ENV, admin_key)
    body = {"type": "error", "error": {"type": "permission_error", "message": "key lacks read:analytics"}}
    with serve(lambda req: Reply(403, body)) as server:
        config = load_config(enterprise_config(tmp_path, server.url))
        with Store.open(config.store_path) as store, pytest.raises(AuthError) as info:
            run_source(SyncContext(config=config, store=store), ingest.SOURCE, None)
        assert len(server.requests) == 1  # a refused key is not retried

    text = str(info.value)
    assert info.value.exit_code == 2 and ENV in text and "read:analytics" in text and admin_key not in text
    assert admin_key.encode() not in config.store_path.read_bytes()
    with Store.open(config.store_path, read_only=True) as store:
        assert store.get_cursor("claude_enterprise", "analytics") is None


def test_cost_of_older_days_is_restated_within_the_revision_period_keeping_their_metrics(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    yesterday = clock.today() - timedelta(days=1)
    price = {"cents": "100"}

    def handler(req: Request) -> Reply:
        name = req.path.rsplit("/", 1)[-1]
        if name in ("user_cost_report", "user_usage_report") and req.q("bucket_width") == "1d":
            row = (ent_cost("ana@acme.io", "claude-opus-5", price["cents"]) if name == "user_cost_report"
                   else ent_usage("ana@acme.io", "claude-opus-5", uncached=7))
            return Reply(*user_report(name, req.query, [row]))
        return org(cost=[ent_cost("ana@acme.io", "claude-opus-5", price["cents"])],
                   tokens=[ent_usage("ana@acme.io", "claude-opus-5")])(req)

    with serve(handler) as server:
        config = load_config(enterprise_config(tmp_path, server.url, backfill_days=6))
        with Store.open(config.store_path) as store:
            run_source(SyncContext(config=config, store=store), ingest.SOURCE, None)
        price["cents"] = "300.5"  # the vendor revised every day's cost
        n_first = len(server.requests)
        with Store.open(config.store_path) as store:
            summary = run_source(SyncContext(config=config, store=store), ingest.SOURCE, None)
            ana = store.query("SELECT day, sessions, cost_usd, tokens_input, edit_accepted FROM ai_usage_daily "
                              "WHERE actor = 'ana@acme.io' ORDER BY day")
            edits = store.count(AIEditActions)

    second = server.requests[n_first:]
    users_days = [r.q("date") for r in second if r.path.endswith("/users")]
    assert users_days == [(yesterday - timedelta(days=n)).isoformat() for n in (2, 1, 0)]  # the lag window only
    bucketed = [r for r in second if r.q("bucket_width") == "1d"]
    assert len(bucketed) == 2
    assert bucketed[0].q("starting_at") == f"{yesterday - timedelta(days=5)}T00:00:00Z"
    assert bucketed[0].q("ending_at") == f"{yesterday - timedelta(days=2)}T00:00:00Z"
    assert list(ana["cost_usd"]) == pytest.approx([3.005] * 6)
    assert bucketed[0].q("limit") == "1000" and report_query_problem("user_cost_report", bucketed[0].query) is None
    assert list(ana["sessions"]) == [4] * 6 and list(ana["edit_accepted"]) == [9] * 6  # metrics kept
    assert list(ana["tokens_input"])[:3] == [7] * 3  # restated days carry the bucketed tokens
    assert edits == 6 * 4
    assert any("cost restated for 3 earlier day(s)" in n for n in summary.notes)


# -- the cost window: per-user reports bucketed by day, as the API reference documents them -------------------

W1, W3 = date(2026, 11, 1), date(2026, 11, 3)


def test_the_cost_window_asks_as_documented_and_files_each_row_under_its_bucket_day() -> None:
    cost = [ent_cost("ana@acme.io", "claude-opus-5", "100"), ent_cost("bo@acme.io", "claude-opus-5", "50")]
    tokens = [ent_usage("ana@acme.io", "claude-opus-5")]
    with serve(org(cost=cost, tokens=tokens)) as server, client(server.url) as c:
        window = api.fetch_cost_window(c, W1, W3)

    assert [r.path.rsplit("/", 1)[-1] for r in server.requests] == ["user_cost_report", "user_usage_report"]
    for req in server.requests:  # the stand-in answers 400 to anything the reference does not document
        assert report_query_problem(req.path.rsplit("/", 1)[-1], req.query) is None
        assert (req.q("bucket_width"), req.q("ending_at")) == ("1d", "2026-11-04T00:00:00Z")
    assert sorted(window) == [W1, date(2026, 11, 2), W3]
    day_cost, day_tokens = window[date(2026, 11, 2)]
    assert [(r["actor"]["email"], r["starting_at"], r["ending_at"]) for r in day_cost] == [
        ("ana@acme.io", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z"),
        ("bo@acme.io", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z")]
    assert len(day_tokens) == 1


def test_the_stand_in_refuses_what_the_reference_does_not_document() -> None:
    q = {"starting_at": ["2026-11-01T00:00:00Z"], "ending_at": ["2026-11-04T00:00:00Z"]}
    assert report_query_problem("user_cost_report", {**q, "bucket_width": ["1d"]}) is None
    assert "ending_at is required" in (report_query_problem(
        "user_cost_report", {"starting_at": q["starting_at"], "bucket_width": ["1d"]}) or "")
    assert "unknown" in (report_query_problem("user_cost_report", {**q, "bucket": ["1d"]}) or "")
    assert "31 days" in (report_query_problem("user_usage_report", {**q, "ending_at": ["2026-12-05T00:00:00Z"]})
                         or "")
    assert "order_by" in (report_query_problem("user_usage_report", {**q, "order_by": ["amount"]}) or "")
    assert "limit" in (report_query_problem("user_cost_report", {**q, "limit": ["1001"]}) or "")


def _answer(rows: list[dict[str, Any]]) -> Callable[[Request], Reply]:
    return lambda req: Reply(200, {"data": rows, "has_more": False, "next_page": None})


@pytest.mark.parametrize(("stamps", "field"), [
    (("2026-11-02T00:00:00Z", "2026-11-02T01:00:00Z"), "ending_at"),    # an hourly bucket, not a day
    (("2026-11-02T06:00:00Z", "2026-11-03T06:00:00Z"), "starting_at"),  # a day that is not a UTC day
    (("2026-11-09T00:00:00Z", "2026-11-10T00:00:00Z"), "starting_at"),  # outside the window asked for
    ((None, None), "starting_at"),                                      # no bucket at all
])
def test_a_row_whose_bucket_is_not_one_day_of_the_window_is_refused_not_filed(
        stamps: tuple[str | None, str | None], field: str) -> None:
    row = {**ent_cost("ana@acme.io", "claude-opus-5", "100"), "starting_at": stamps[0], "ending_at": stamps[1]}
    with serve(_answer([row])) as server, client(server.url) as c, pytest.raises(PayloadError) as info:
        api.fetch_cost_window(c, W1, W3)
    assert f"data[0].{field}" in str(info.value) and "user_cost_report" in str(info.value)


def test_an_answer_in_the_organisation_reports_bucket_shape_is_flattened() -> None:
    # /cost_report's documented shape (data[] = {starting_at, ending_at, results[]}); accepted defensively
    def bucket(day: str, amount: str) -> dict[str, Any]:
        return {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{date.fromisoformat(day) + timedelta(days=1)}"
                                                                f"T00:00:00Z",
                "results": [ent_cost("ana@acme.io", "claude-opus-5", amount)]}

    with serve(_answer([bucket("2026-11-01", "100"), bucket("2026-11-03", "300")])) as server, \
            client(server.url) as c:
        window = api.fetch_cost_window(c, W1, W3)
    assert sorted(window) == [W1, W3]
    assert window[W3][0][0]["amount"] == "300" and window[W3][1][0]["amount"] == "300"


def test_a_store_that_called_enterprise_cost_billed_is_relabelled_when_opened(store_path: Path) -> None:
    # migration 0018: rows synced before the label was corrected carry 'billed'; other sources keep theirs
    from connectors.records import AIUsageDay, AIUsageModelDay

    with Store.open(store_path) as store:
        store.upsert(AIUsageDay, [
            AIUsageDay("claude_code", "enterprise_api", DAY, "ana@acme.io", cost_usd=4.0, cost_provenance="billed"),
            AIUsageDay("cursor", "cursor_api", DAY, "ana@acme.io", cost_usd=1.0, cost_provenance="billed"),
        ])
        store.upsert(AIUsageModelDay, [AIUsageModelDay("claude_code", "enterprise_api", DAY, "ana@acme.io",
                                                       "claude-opus-5", cost_usd=4.0, cost_provenance="billed")])
        store.con.execute("DELETE FROM schema_version WHERE version = 18")  # as written by the previous release
    with Store.open(store_path) as store:
        daily = dict(store.con.execute("SELECT source, cost_provenance FROM ai_usage_daily").fetchall())
        model = store.con.execute("SELECT cost_provenance FROM ai_usage_model_daily").fetchall()
    assert daily == {"enterprise_api": "discounted", "cursor_api": "billed"}
    assert model == [("discounted",)]
