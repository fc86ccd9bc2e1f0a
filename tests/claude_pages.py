"""Hand-built Claude Analytics API pages (no public recording exists).

Every page here is built by hand from the documented shapes in ``docs/sources.md`` §1
(Claude Code Analytics API) and §2 (Enterprise Analytics API); values are illustrative. The per-user
cost and usage reports (:func:`user_report`) follow the API reference pages "Get Per-User Cost"
(``/user_cost_report``) and "Get Per-User Token Usage" (``/user_usage_report``), 2026 versions: their
query parameters are checked as documented and refused with 400 otherwise, and rows carry the
bucket's ``starting_at``/``ending_at`` when ``bucket_width`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any


def cc_row(
    day: date,
    *,
    email: str | None = "developer@company.com",
    api_key_name: str | None = None,
    terminal: str = "vscode",
    remote: bool = False,
    customer_type: str = "api",
    sessions: int = 5,
    added: int = 1543,
    removed: int = 892,
    commits: int = 12,
    prs: int = 2,
    tool_actions: dict[str, dict[str, int]] | None = None,
    models: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One Claude Code Analytics API ``data[]`` row in the documented shape (sources.md §1 sample)."""
    actor = ({"type": "api_actor", "api_key_name": api_key_name} if api_key_name
             else {"type": "user_actor", "email_address": email})
    return {
        "date": f"{day.isoformat()}T00:00:00Z",
        "actor": actor,
        "organization_id": "dc9f6c26-b22c-4831-8d01-0446bada88f1",
        "customer_type": customer_type,
        "subscription_type": None,
        "terminal_type": terminal,
        "is_remote": remote,
        "core_metrics": {
            "num_sessions": sessions,
            "lines_of_code": {"added": added, "removed": removed},
            "commits_by_claude_code": commits,
            "pull_requests_by_claude_code": prs,
        },
        "tool_actions": tool_actions if tool_actions is not None else {
            "edit_tool": {"accepted": 45, "rejected": 5},
            "multi_edit_tool": {"accepted": 12, "rejected": 2},
            "write_tool": {"accepted": 8, "rejected": 1},
            "notebook_edit_tool": {"accepted": 3, "rejected": 0},
        },
        "model_breakdown": models if models is not None else [model("claude-opus-5", 141)],
    }


def model(name: str, cents: float | int | str, *, inp: int = 100000, out: int = 35000, cache_read: int = 10000,
          cache_creation: int = 5000) -> dict[str, Any]:
    """One ``model_breakdown[]`` element; ``cents`` is the documented ``estimated_cost.amount`` (US cents)."""
    return {
        "model": name,
        "tokens": {"input": inp, "output": out, "cache_read": cache_read, "cache_creation": cache_creation},
        "estimated_cost": {"currency": "USD", "amount": cents},
    }


def cc_page(rows: list[dict[str, Any]], next_page: str | None = None) -> dict[str, Any]:
    return {"data": rows, "has_more": next_page is not None, "next_page": next_page}


# -- Enterprise Analytics API (sources.md §2; field names from the 2026-08 reference) -----------------------

def ent_user(email: str, *, uid: str | None = None, sessions: int = 0, added: int = 0, removed: int = 0,
             commits: int = 0, prs: int = 0, edit: tuple[int, int] = (0, 0), messages: int = 0,
             extra_tools: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
    """One ``/users`` row: every product block present, zeros when unused (as documented)."""
    tools = {name: {"accepted_count": 0, "rejected_count": 0}
             for name in ("edit_tool", "multi_edit_tool", "notebook_edit_tool", "write_tool")}
    tools["edit_tool"] = {"accepted_count": edit[0], "rejected_count": edit[1]}
    tools.update(extra_tools or {})
    return {
        "user": {"id": uid or f"user_{email.split('@')[0]}", "email_address": email, "type": "user"},
        "last_activity_date": "2026-11-01",
        "chat_metrics": {"message_count": messages, "thinking_message_count": 0, "distinct_conversation_count": 0,
                         "connectors_used_count": 0, "distinct_skills_used_count": 0},
        "claude_code_metrics": {
            "core_metrics": {"commit_count": commits, "pull_request_count": prs, "distinct_session_count": sessions,
                             "lines_of_code": {"added_count": added, "removed_count": removed}},
            "tool_actions": tools,
        },
        "cowork_metrics": {"action_count": 0, "message_count": 0, "distinct_session_count": 0},
        "design_metrics": {"message_count": 0, "distinct_session_count": 0},
        "office_metrics": {p: {"message_count": 0} for p in ("excel", "outlook", "powerpoint", "word")},
        "science_metrics": {"message_count": 0},
        "web_search_count": 0,
    }


def ent_cost(email: str, model_name: str, amount: str, *, uid: str | None = None, list_amount: str | None = None,
             requests: int = 10) -> dict[str, Any]:
    """One ``/user_cost_report`` row grouped by model: ``amount`` is a decimal string in US cents."""
    return {
        "actor": {"type": "user_actor", "user_id": uid or f"user_{email.split('@')[0]}", "email": email,
                  "name": email.split("@")[0].title(), "deleted": False},
        "amount": amount,
        "list_amount": list_amount or amount,
        "currency": "USD",
        "model": model_name,
        "requests": requests,
    }


def ent_usage(email: str, model_name: str, *, uncached: int = 1000, output: int = 500, cache_read: int = 8000,
              cache_5m: int = 300, cache_1h: int = 200, requests: int = 10, uid: str | None = None) -> dict[str, Any]:
    """One ``/user_usage_report`` row grouped by model (token counts per user)."""
    return {
        "actor": {"type": "user_actor", "user_id": uid or f"user_{email.split('@')[0]}", "email": email,
                  "name": email.split("@")[0].title(), "deleted": False},
        "uncached_input_tokens": uncached, "output_tokens": output, "cache_read_input_tokens": cache_read,
        "cache_creation": {"ephemeral_5m_input_tokens": cache_5m, "ephemeral_1h_input_tokens": cache_1h},
        "server_tool_use": {"web_search_requests": 0}, "requests": requests,
        "total_tokens": uncached + output + cache_read + cache_5m + cache_1h, "model": model_name,
    }


def ent_skill(name: str, users: int = 3) -> dict[str, Any]:
    return {"skill_name": name, "skill_display_name": name.replace("-", " ").title(), "distinct_user_count": users,
            "chat_metrics": {"distinct_conversation_skill_used_count": 4},
            "claude_code_metrics": {"distinct_session_skill_used_count": 6},
            "cowork_metrics": {"distinct_session_skill_used_count": 0}}


def ent_connector(name: str, users: int = 2) -> dict[str, Any]:
    return {"connector_name": name, "connector_display_name": name.title(), "distinct_user_count": users,
            "chat_metrics": {"distinct_conversation_connector_used_count": 1},
            "claude_code_metrics": {"distinct_session_connector_used_count": 5},
            "cowork_metrics": {"distinct_session_connector_used_count": 0},
            "office_metrics": {"excel": {"distinct_session_connector_used_count": 0}},
            "read_call_count": 12, "write_call_count": 3, "unclassified_call_count": None}


def ent_page(rows: list[dict[str, Any]], next_page: str | None = None, *, has_more: bool | None = None
             ) -> dict[str, Any]:
    """Engagement listings carry only ``next_page``; the cost report also ``has_more``."""
    page: dict[str, Any] = {"data": rows, "next_page": next_page}
    if has_more is not None:
        page["has_more"] = has_more
    return page


def latest_day_400(latest: str) -> dict[str, Any]:
    """The 400 the docs describe for a too-recent date ("the error ... names the latest available day").

    The exact wording is not documented; this message is hand-written.
    """
    return {"type": "error", "error": {"type": "invalid_request_error",
                                       "message": f"Data is not yet available for the requested date. "
                                                  f"The latest available date is {latest}."}}


# -- the per-user cost and usage reports, as the API reference documents them ---------------------------------

_REPORT_PARAMS = {  # every query parameter the reference lists (list parameters in bracket notation)
    "starting_at", "ending_at", "bucket_width", "limit", "order", "order_by", "page", "exclude_deleted_users",
    "group_by[]", "products[]", "models[]", "user_ids[]", "context_windows[]", "inference_geos[]", "speeds[]",
    "rbac_group_ids[]", "slack_channel_ids[]", "claude_tag_categories[]", "claude_tag_user_ids[]",
}
_GROUP_BY = {"claude_tag_category", "claude_tag_user_id", "context_window", "inference_geo", "model", "product",
             "rbac_group_id", "slack_channel_id", "speed"}
_DOCUMENTED = {
    # endpoint -> (order_by values, extra group_by values)
    "user_cost_report": ({"amount", "list_amount"}, {"cost_type", "token_type"}),
    "user_usage_report": ({"output_tokens", "requests", "total_tokens", "uncached_input_tokens"}, set()),
}
_PRODUCTS = {"chat", "claude-tag", "claude_code", "claude_design", "claude_in_chrome", "cowork", "office_agent"}
_BUCKETS = {"1d": timedelta(days=1), "1h": timedelta(hours=1), "1m": timedelta(minutes=1)}


def _time(value: str) -> datetime:
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("not tz-aware")
    return when.astimezone(UTC)


def report_query_problem(endpoint: str, query: Mapping[str, list[str]], *, today: date | None = None) -> str | None:
    """Why the reference would refuse this query to ``/user_cost_report`` or ``/user_usage_report`` (None: none).

    ``today`` bounds the documented "within the last 365 days" (unchecked when None).
    """
    order_by, extra_groups = _DOCUMENTED[endpoint]
    unknown = sorted(set(query) - _REPORT_PARAMS)
    if unknown:
        return f"unknown query parameter(s): {', '.join(unknown)}"
    one = {k: v[0] for k, v in query.items() if v}
    if "starting_at" not in one:
        return "starting_at is required"
    try:
        start = _time(one["starting_at"])
        end = _time(one["ending_at"]) if "ending_at" in one else None
    except ValueError:
        return "starting_at and ending_at must be RFC 3339 times with a time zone"
    if start < datetime(2026, 1, 1, tzinfo=UTC) or (today and start.date() < today - timedelta(days=365)):
        return "starting_at must be within the last 365 days and no earlier than 2026-01-01T00:00:00Z"
    if end is not None and not start < end <= start + timedelta(days=31):
        return "the range may span at most 31 days (ending_at is exclusive)"
    width = one.get("bucket_width")
    if width is not None:
        if width not in _BUCKETS:
            return f"bucket_width must be one of 1d, 1h, 1m, not {width!r}"
        if end is None:
            return "ending_at is required when bucket_width is set"
        if width == "1m" and end - start > timedelta(hours=24):
            return "with bucket_width=1m the range may span at most 24 hours"
    if "limit" in one and not (one["limit"].isdigit() and 1 <= int(one["limit"]) <= 1000):
        return "limit must be 1-1000"
    if "order_by" in one and one["order_by"] not in order_by:
        return f"order_by must be one of {sorted(order_by)}"
    if "order" in one and one["order"] not in ("asc", "desc"):
        return "order must be asc or desc"
    bad = [g for g in query.get("group_by[]", []) if g not in _GROUP_BY | extra_groups]
    bad += [p for p in query.get("products[]", []) if p not in _PRODUCTS]
    return f"invalid value(s): {', '.join(bad)}" if bad else None


def user_report(endpoint: str, query: Mapping[str, list[str]], rows: list[dict[str, Any]], *,
                today: date | None = None) -> tuple[int, dict[str, Any]]:
    """``(status, body)`` of one per-user report answer: 400 for a query the reference refuses, else one page.

    With ``bucket_width`` every row is repeated for each bucket of ``[starting_at, ending_at)`` with that
    bucket's ``starting_at``/``ending_at`` (one actor may span several rows, as documented); without it each
    row aggregates the whole range and carries no bucket.
    """
    problem = report_query_problem(endpoint, query, today=today)
    if problem:
        return 400, {"type": "error", "error": {"type": "invalid_request_error", "message": problem}}
    one = {k: v[0] for k, v in query.items() if v}
    width = one.get("bucket_width")
    if width is None:
        data = [{**row, "starting_at": None, "ending_at": None} for row in rows]
    else:
        start, end, step = _time(one["starting_at"]), _time(one["ending_at"]), _BUCKETS[width]
        data = []
        at = start
        while at < end:
            stamp = {"starting_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "ending_at": min(at + step, end).strftime("%Y-%m-%dT%H:%M:%SZ")}
            data += [{**row, **stamp} for row in rows]
            at += step
    return 200, {"data": data, "has_more": False, "next_page": None,
                 "data_refreshed_at": "2026-12-01T04:00:00Z", "organization_id": "org_013FP9SaFPBg7Kw7fetjn6cF"}
