"""Hand-built Claude Analytics API pages (no public recording exists).

Every page here is built by hand from the documented shapes in ``shared/docs/sources.md`` §1
(Claude Code Analytics API) and §2 (Enterprise Analytics API); values are illustrative.
"""

from __future__ import annotations

from datetime import date
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
