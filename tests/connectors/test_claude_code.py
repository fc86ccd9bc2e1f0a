"""Claude Code Analytics API connector against a real HTTP server on 127.0.0.1.

All pages are hand-built from the documented shapes (sources.md §1); see tests/claude_pages.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from connectors import claude_code as api
from connectors.errors import AuthError, PayloadError
from tests.claude_pages import cc_page, cc_row, model
from tests.httpserver import Reply, Request, serve

DAY = date(2026, 11, 2)
KEY = "sk-ant-admin01-TEST-not-a-real-key"


def fetch(url: str, day: date = DAY, **kw: object) -> api.ClaudeCodeDay:
    with api.make_client(url, KEY) as client:
        return api.fetch_day(client, day, env_var="ANTHROPIC_ADMIN_KEY", **kw)  # type: ignore[arg-type]


def test_follows_next_page_until_has_more_is_false_with_the_documented_request() -> None:
    pages = {
        None: cc_page([cc_row(DAY, email="a@x.com")], "page_Mg=="),
        "page_Mg==": cc_page([cc_row(DAY, email="b@x.com")], "page_Mw=="),
        "page_Mw==": cc_page([cc_row(DAY, email="c@x.com")]),
    }
    with serve(lambda req: Reply(200, pages[req.q("page")])) as server:
        result = fetch(server.url)

    assert [u.actor for u in result.usage] == ["a@x.com", "b@x.com", "c@x.com"]
    assert result.pages == 3 and result.api_rows == 3
    first, second, third = server.requests
    assert first.path == api.PATH
    assert first.q("starting_at") == "2026-11-02" and first.q("limit") == "1000" and first.q("page") is None
    assert second.q("page") == "page_Mg==" and third.q("page") == "page_Mw=="
    assert first.headers["x-api-key"] == KEY
    assert first.headers["anthropic-version"] == "2023-06-01"


def test_fractional_cents_become_exact_dollars() -> None:
    rows = [cc_row(DAY, models=[model("claude-opus-5", 141.5), model("claude-sonnet-5", "0.25")])]
    with serve(lambda req: Reply(200, cc_page(rows))) as server:
        result = fetch(server.url)

    (usage,) = result.usage
    assert usage.cost_usd == pytest.approx(1.4175, abs=1e-12)
    assert usage.cost_provenance == "estimated"
    by_model = {m.model: m.cost_usd for m in result.models}
    assert by_model == {"claude-opus-5": pytest.approx(1.415), "claude-sonnet-5": pytest.approx(0.0025)}


def test_api_actor_is_keyed_by_api_key_name() -> None:
    rows = [cc_row(DAY, api_key_name="ci-bot-key", terminal="tmux", models=[])]
    with serve(lambda req: Reply(200, cc_page(rows))) as server:
        (usage,) = fetch(server.url).usage

    assert usage.actor == "ci-bot-key" and usage.actor_type == "api_key"
    # no model block: tokens and cost were not stated, so they stay empty rather than 0
    assert usage.tokens_input is None and usage.cost_usd is None and usage.cost_provenance is None


def test_split_terminal_and_remote_rows_add_up_to_one_actor_day() -> None:
    local = cc_row(DAY, terminal="vscode", sessions=3, added=100, removed=10, commits=2, prs=1,
                   tool_actions={"edit_tool": {"accepted": 10, "rejected": 2}},
                   models=[model("claude-opus-5", 100, inp=1000, out=200, cache_read=50, cache_creation=5)])
    remote = cc_row(DAY, terminal="web", remote=True, sessions=2, added=40, removed=4, commits=1, prs=0,
                    tool_actions={"edit_tool": {"accepted": 5, "rejected": 1}, "write_tool": {"accepted": 1,
                                                                                              "rejected": 0}},
                    models=[model("claude-opus-5", 50, inp=10, out=20, cache_read=30, cache_creation=40),
                            model("claude-sonnet-5", 7, inp=1, out=2, cache_read=3, cache_creation=4)])
    with serve(lambda req: Reply(200, cc_page([local, remote]))) as server:
        result = fetch(server.url)

    (u,) = result.usage
    assert (u.sessions, u.lines_added, u.lines_removed, u.commits, u.prs) == (5, 140, 14, 3, 1)
    assert (u.edit_accepted, u.edit_rejected) == (16, 3)
    assert (u.tokens_input, u.tokens_output, u.tokens_cache_read, u.tokens_cache_creation) == (1011, 222, 83, 49)
    assert u.cost_usd == pytest.approx(1.57)
    assert '"remote_rows": 1' in (u.extra_json or "") and '"web"' in (u.extra_json or "")
    models = {m.model: (m.tokens_input, m.cost_usd) for m in result.models}
    assert models == {"claude-opus-5": (1010, pytest.approx(1.5)), "claude-sonnet-5": (1, pytest.approx(0.07))}
    edits = {e.edit_tool: (e.accepted, e.rejected) for e in result.edits}
    assert edits == {"edit_tool": (15, 3), "write_tool": (1, 0)}


def test_unknown_tool_actions_key_is_kept() -> None:
    rows = [cc_row(DAY, tool_actions={"edit_tool": {"accepted": 1, "rejected": 0},
                                      "refactor_tool": {"accepted": 4, "rejected": 2}})]
    with serve(lambda req: Reply(200, cc_page(rows))) as server:
        result = fetch(server.url)

    assert {e.edit_tool: (e.accepted, e.rejected) for e in result.edits} == {
        "edit_tool": (1, 0), "refactor_tool": (4, 2)}
    assert (result.usage[0].edit_accepted, result.usage[0].edit_rejected) == (5, 2)


def test_missing_optional_blocks_stay_empty_and_extra_fields_are_ignored() -> None:
    row = cc_row(DAY)
    del row["core_metrics"]["commits_by_claude_code"]
    del row["tool_actions"]
    row["some_future_field"] = {"x": 1}
    with serve(lambda req: Reply(200, cc_page([row]))) as server:
        (u,) = fetch(server.url).usage

    assert u.commits is None and u.edit_accepted is None
    assert u.sessions == 5


def test_429_with_retry_after_is_waited_out(instant_waits: list[tuple[float, str]]) -> None:
    answers = [Reply(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
                     headers={"retry-after": "7"}),
               Reply(200, cc_page([cc_row(DAY)]))]
    with serve(lambda req: answers.pop(0)) as server:
        result = fetch(server.url)

    assert len(result.usage) == 1
    assert [w for w, _ in instant_waits] == [7.0]


def test_500_then_success_is_retried(instant_waits: list[tuple[float, str]]) -> None:
    answers = [Reply(500, {"type": "error", "error": {"type": "api_error", "message": "boom"}}),
               Reply(200, cc_page([cc_row(DAY)]))]
    with serve(lambda req: answers.pop(0)) as server:
        result = fetch(server.url)

    assert len(result.usage) == 1 and len(server.requests) == 2
    assert len(instant_waits) == 1


def test_401_is_an_auth_error_naming_the_variable_and_the_key_type() -> None:
    body = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
    with serve(lambda req: Reply(401, body)) as server, pytest.raises(AuthError) as info:
        fetch(server.url)

    text = str(info.value)
    assert "ANTHROPIC_ADMIN_KEY" in text and "Admin API key" in text
    assert KEY not in text
    assert info.value.exit_code == 2


def test_a_repeated_cursor_is_a_payload_error_not_an_endless_loop() -> None:
    def handler(req: Request) -> Reply:
        return Reply(200, cc_page([cc_row(DAY)], "page_same"))

    with serve(handler) as server, pytest.raises(PayloadError, match="repeats a cursor"):
        fetch(server.url)
    assert len(server.requests) == 2


def test_a_wrongly_typed_field_names_the_field_and_the_day() -> None:
    row = cc_row(DAY)
    row["core_metrics"]["num_sessions"] = "five"
    with serve(lambda req: Reply(200, cc_page([row]))) as server, pytest.raises(PayloadError) as info:
        fetch(server.url)

    assert "data[0].core_metrics.num_sessions" in str(info.value)
    assert "2026-11-02" in str(info.value)


def test_a_row_for_another_day_is_refused() -> None:
    with serve(lambda req: Reply(200, cc_page([cc_row(date(2026, 11, 1))]))) as server, \
            pytest.raises(PayloadError, match="not the day asked for"):
        fetch(server.url)


def test_an_empty_day_gives_no_records() -> None:
    with serve(lambda req: Reply(200, cc_page([]))) as server:
        result = fetch(server.url)
    assert (result.usage, result.models, result.edits) == ([], [], [])


def test_a_dropped_connection_is_retried(instant_waits: list[tuple[float, str]]) -> None:
    answers = [Reply(reset_connection=True), Reply(200, cc_page([cc_row(DAY)]))]
    with serve(lambda req: answers.pop(0)) as server:
        result = fetch(server.url)

    assert len(result.usage) == 1 and len(server.requests) == 2 and len(instant_waits) == 1


def test_a_timed_out_request_is_retried(instant_waits: list[tuple[float, str]]) -> None:
    answers = [Reply(200, cc_page([]), delay_s=1.0), Reply(200, cc_page([cc_row(DAY)]))]
    with serve(lambda req: answers.pop(0)) as server, api.make_client(server.url, KEY, timeout=0.3) as client:
        result = api.fetch_day(client, DAY)

    assert len(result.usage) == 1 and len(server.requests) == 2
    assert "ReadTimeout" in instant_waits[0][1]
