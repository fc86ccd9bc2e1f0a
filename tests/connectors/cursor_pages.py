"""A fake Cursor Admin API for tests, serving HAND-BUILT pages in Cursor's documented shape.

Shapes follow cursor.com/docs/account/teams/admin-api as quoted in docs/sources.md §7 and its
published examples (``daily-usage-data`` rows with ``date`` in epoch ms; ``filtered-usage-events`` with
``totalUsageEventsCount``, ``pagination`` and ``usageEvents[].tokenUsage``). None of it was recorded.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.httpserver import Reply, Request

DAY_MS = 86_400_000


def ms(day: date, hour: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp() * 1000)


def daily_row(day: date, email: str, **overrides: Any) -> dict[str, Any]:
    """A row like the documentation's first example (developer@company.com, 2024-03-18)."""
    row: dict[str, Any] = {
        "date": ms(day), "isActive": True, "totalLinesAdded": 1543, "totalLinesDeleted": 892,
        "acceptedLinesAdded": 1102, "acceptedLinesDeleted": 645, "totalApplies": 87, "totalAccepts": 73,
        "totalRejects": 14, "totalTabsShown": 342, "totalTabsAccepted": 289, "composerRequests": 45,
        "chatRequests": 128, "agentRequests": 12, "cmdkUsages": 67, "subscriptionIncludedReqs": 180,
        "apiKeyReqs": 0, "usageBasedReqs": 5, "bugbotUsages": 3, "mostUsedModel": "gpt-4",
        "applyMostUsedExtension": ".tsx", "tabMostUsedExtension": ".ts", "clientVersion": "0.25.1", "email": email,
    }
    row.update(overrides)
    return row


def event(day: date, email: str, model: str = "claude-4-opus", *, tokens: bool = True, cents: float = 20.18232,
          hour: int = 10) -> dict[str, Any]:
    """A usage event like the documentation's example; ``tokens=False`` is a request-billed event."""
    item: dict[str, Any] = {
        "timestamp": str(ms(day, hour)), "model": model, "kind": "Usage-based", "maxMode": True,
        "requestsCosts": 5, "isTokenBasedCall": tokens, "isFreeBugbot": False, "userEmail": email,
    }
    if tokens:
        item["tokenUsage"] = {"inputTokens": 126, "outputTokens": 450, "cacheWriteTokens": 6112,
                              "cacheReadTokens": 11964, "totalCents": cents}
    return item


@dataclass
class FakeCursor:
    """Serves ``POST /teams/daily-usage-data`` and ``POST /teams/filtered-usage-events``.

    ``daily(start, end)`` and ``events(start, end)`` produce the rows of a day range (dates, inclusive).
    ``key`` is the only accepted API key (Basic auth, empty password); ``limit_first`` answers that many
    requests with 429 and ``Retry-After: 7`` first.
    """

    daily: Callable[[date, date], list[dict[str, Any]]]
    events: Callable[[date, date], list[dict[str, Any]]] = lambda s, e: []
    key: str = "key_fakeCURSORadminKEY0000"
    limit_first: int = 0
    bodies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, req: Request) -> Reply:
        expected = "Basic " + base64.b64encode(f"{self.key}:".encode()).decode()
        if req.headers.get("authorization") != expected:
            return Reply(401, {"error": "Unauthorized"})
        if self.limit_first > 0:
            self.limit_first -= 1
            return Reply(429, {"error": "Too many requests"}, headers={"Retry-After": "7"})
        body = req.json()
        self.bodies.append((req.path, body))
        start = datetime.fromtimestamp(body["startDate"] / 1000, tz=UTC).date()
        end = datetime.fromtimestamp(body["endDate"] / 1000, tz=UTC).date()
        if body["endDate"] - body["startDate"] > 30 * DAY_MS:
            return Reply(400, {"error": "Date range cannot exceed 30 days"})
        period = {"startDate": body["startDate"], "endDate": body["endDate"]}
        if req.path == "/teams/daily-usage-data":
            return Reply(200, {"data": self.daily(start, end), "period": period})
        if req.path == "/teams/filtered-usage-events":
            items = self.events(start, end)
            size, page = int(body.get("pageSize", 10)), int(body.get("page", 1))
            chunk = items[(page - 1) * size: page * size]
            pages = max(1, -(-len(items) // size))
            return Reply(200, {
                "totalUsageEventsCount": len(items),
                "pagination": {"numPages": pages, "currentPage": page, "pageSize": size,
                               "hasNextPage": page < pages, "hasPreviousPage": page > 1},
                "usageEvents": chunk, "period": period,
            })
        return Reply(404, {"error": "Not found"})


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
