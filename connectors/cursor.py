"""Cursor Admin API: per-user daily usage and per-request usage events of a Cursor team.

Documented at https://cursor.com/docs/account/teams/admin-api (quoted in docs/sources.md §7)::

    POST https://api.cursor.com/teams/daily-usage-data      {"startDate": <epoch ms>, "endDate": <epoch ms>}
    -> {"data": [{"date": 1710720000000, "email": …, "totalLinesAdded": …, …}], "period": {…}}
    POST https://api.cursor.com/teams/filtered-usage-events {"startDate", "endDate", "page", "pageSize"}
    -> {"totalUsageEventsCount": 113, "pagination": {"hasNextPage": true, …},
        "usageEvents": [{"timestamp": "1750979225854", "userEmail": …, "model": …,
                         "tokenUsage": {"inputTokens", "outputTokens", "cacheWriteTokens", "cacheReadTokens",
                                        "totalCents"}, …}]}

Basic auth with the API key as user name and an empty password. A request covers at most 30 days, so
longer ranges are split into windows (:func:`windows`). The team may send 20 requests a minute: a
client-side budget (:class:`RequestBudget`) waits through :func:`connectors._http.wait` before the
21st, and a 429 that still happens is retried by ``_http`` after its ``Retry-After``.

Token usage and cost exist only on token-billed events (``isTokenBasedCall``); for request-based
plans they are absent and stay NULL. Mapping rules: ``correlate/tool_mapping.py`` and docs/tools.md.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors import _http
from connectors._fields import Ctx, compact_json, get_count, get_number, get_text, sum_present
from connectors._seats import seat_share
from connectors.errors import PayloadError
from connectors.records import AIUsageDay, AIUsageModelDay

__all__ = [
    "EVENTS_PAGE_SIZE",
    "REQUESTS_PER_MINUTE",
    "WINDOW_DAYS",
    "CursorClient",
    "CursorWindow",
    "RequestBudget",
    "map_daily_row",
    "map_events",
    "windows",
]

SOURCE = "cursor"
WINDOW_DAYS = 30
REQUESTS_PER_MINUTE = 20
EVENTS_PAGE_SIZE = 500
MAX_PAGES = 10_000  # loop guard: a server that always says "hasNextPage" cannot keep us forever
KEY_HINT = "a Cursor Admin API key (team admin: Dashboard → Settings → Cursor Admin API Keys)"
_DAY_MS = 86_400_000

# Daily-usage fields that land in a shared column (the rest go to extra_json verbatim).
_MAPPED_DAILY_FIELDS = frozenset({
    "date", "day", "email", "totalLinesAdded", "totalLinesDeleted", "acceptedLinesAdded", "totalAccepts",
    "totalRejects",
})
_REQUEST_KINDS = ("composerRequests", "chatRequests", "agentRequests", "cmdkUsages")


def windows(start: date, end: date, size: int = WINDOW_DAYS) -> list[tuple[date, date]]:
    """Split the inclusive day range ``[start, end]`` into consecutive windows of at most ``size`` days."""
    out = []
    lo = start
    while lo <= end:
        hi = min(end, lo + timedelta(days=size - 1))
        out.append((lo, hi))
        lo = hi + timedelta(days=1)
    return out


def _epoch_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _ms_to_day(value: object, key: str, where: str) -> date:
    try:
        ms = int(str(value))
    except (TypeError, ValueError):
        raise PayloadError(f"field {key!r} should be epoch milliseconds, got {value!r:.40}", source=SOURCE,
                           where=where) from None
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).date()
    except (OverflowError, OSError, ValueError):
        raise PayloadError(f"field {key!r} is out of range for epoch milliseconds: {value!r:.40}", source=SOURCE,
                           where=where) from None


class RequestBudget:
    """At most ``per_minute`` requests in any 60 seconds (a sliding window), waiting when it is spent.

    Time is tracked virtually after a wait (``now`` never goes backwards), so the budget stays right
    when the waiter is replaced by a recorder in tests or by a countdown in the CLI.
    """

    def __init__(self, per_minute: int = REQUESTS_PER_MINUTE, *, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._sent: deque[float] = deque()

    def acquire(self) -> None:
        """Account for one request, first waiting (via ``_http.wait``) if the minute's budget is spent."""
        now = max(self._clock(), self._sent[-1] if self._sent else float("-inf"))
        while self._sent and now - self._sent[0] >= 60.0:
            self._sent.popleft()
        if len(self._sent) >= self.per_minute:
            until = self._sent[0] + 60.0
            _http.wait(until - now, f"cursor: {self.per_minute} requests/minute budget of the Admin API")
            now = until
            self._sent.popleft()
        self._sent.append(now)


@dataclass(frozen=True)
class CursorWindow:
    """One window of days: daily rows, model rows from usage events, and notes for the summary."""

    start: date
    end: date
    usage: list[AIUsageDay]
    models: list[AIUsageModelDay]
    notes: list[str] = field(default_factory=list)


class CursorClient:
    """The Admin API of one Cursor team. Use as a context manager.

    Args:
        base_url: ``https://api.cursor.com`` unless testing.
        api_key: the Admin API key (revealed from the ``Secret`` by the caller).
        env_var: the variable the key came from, named in an ``AuthError``.
        budget: the request budget; one per team, shared by both endpoints.
    """

    def __init__(self, base_url: str, api_key: str, *, env_var: str | None = None,
                 budget: RequestBudget | None = None) -> None:
        self.env_var = env_var
        self.budget = budget or RequestBudget()
        self._client = _http.make_client(base_url, auth=(api_key, ""),
                                         headers={"Content-Type": "application/json"})

    def __enter__(self) -> CursorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.budget.acquire()
        response = _http.request(self._client, "POST", path, json=body, source=SOURCE, stream=path.rsplit("/", 1)[-1],
                                 env_var=self.env_var, key_hint=KEY_HINT)
        try:
            data = response.json()
        except (ValueError, RecursionError):  # RecursionError: nesting past Python's limit
            raise PayloadError("answer is not JSON", source=SOURCE, where=path) from None
        if not isinstance(data, dict):
            raise PayloadError("answer is not a JSON object", source=SOURCE, where=path)
        return data

    def daily_usage(self, start: date, end: date) -> list[dict[str, Any]]:
        """Raw daily rows for ``[start, end]`` (≤ 30 days). Follows ``pagination`` when the answer has it."""
        if (end - start).days >= WINDOW_DAYS:
            raise ValueError(f"a Cursor request covers at most {WINDOW_DAYS} days; split with windows()")
        body: dict[str, Any] = {"startDate": _epoch_ms(start), "endDate": _epoch_ms(end) + _DAY_MS - 1}
        rows: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            data = self._post("/teams/daily-usage-data", body if page == 1 else {**body, "page": page})
            items = data.get("data")
            if not isinstance(items, list):
                raise PayloadError("answer has no `data` list", source=SOURCE, where="/teams/daily-usage-data")
            rows.extend(items)
            # Newer answers reportedly page (third-party guide); the documented shape does not.
            pagination = data.get("pagination")
            if not (isinstance(pagination, dict) and pagination.get("hasNextPage") is True and items):
                break
        return rows

    def usage_events(self, start: date, end: date, *, page_size: int = EVENTS_PAGE_SIZE) -> list[dict[str, Any]]:
        """Raw usage events for ``[start, end]``, every page."""
        events: list[dict[str, Any]] = []
        base = {"startDate": _epoch_ms(start), "endDate": _epoch_ms(end) + _DAY_MS - 1, "pageSize": page_size}
        for page in range(1, MAX_PAGES + 1):
            data = self._post("/teams/filtered-usage-events", {**base, "page": page})
            items = data.get("usageEvents")
            if items is None:
                items = []
            if not isinstance(items, list):
                raise PayloadError("`usageEvents` is not a list", source=SOURCE, where="/teams/filtered-usage-events")
            events.extend(items)
            if not items or not _has_next(data, len(events)):
                break
        return events

    def fetch_window(self, start: date, end: date, *, seat_cost_usd_per_month: float | None = None) -> CursorWindow:
        """Daily rows and usage events of ``[start, end]`` (≤ 30 days), mapped and combined.

        Raises:
            AuthError: the key was refused (names ``env_var``).
            RateLimitError: 429s outlasted the retry policy.
            PayloadError: a row is not in the documented shape.
        """
        daily = self.daily_usage(start, end)
        events = self.usage_events(start, end)
        models, day_totals, notes = map_events(events, start=start, end=end)
        usage = []
        inactive = 0
        for i, row in enumerate(daily):
            if not isinstance(row, dict):
                raise PayloadError(f"data[{i}] is not an object", source=SOURCE, where="/teams/daily-usage-data")
            # Cursor lists every member for every day; a stored row means "used the tool that day", as
            # for Claude Code and Copilot, so member-days Cursor marks inactive are counted, not stored.
            if row.get("isActive") is False:
                inactive += 1
                continue
            record = map_daily_row(row, where=f"/teams/daily-usage-data data[{i}]",
                                   totals=day_totals, seat_cost_usd_per_month=seat_cost_usd_per_month)
            if start <= record.day <= end:
                usage.append(record)
        if inactive:
            notes.append(f"{inactive} inactive member-days not stored")
        return CursorWindow(start=start, end=end, usage=usage, models=models, notes=notes)


def _has_next(data: Mapping[str, Any], fetched: int) -> bool:
    """Whether another page follows: ``pagination.hasNextPage`` when given, else fewer events fetched
    than ``totalUsageEventsCount`` (counted, not computed from the page size: the server may cap it)."""
    pagination = data.get("pagination")
    if isinstance(pagination, dict) and isinstance(pagination.get("hasNextPage"), bool):
        return bool(pagination["hasNextPage"])
    total = data.get("totalUsageEventsCount")
    return isinstance(total, int) and fetched < total


@dataclass
class _Totals:
    """Token and cost totals of one user-day from usage events (``None`` = no event carried them)."""

    tokens_input: int | None = None
    tokens_output: int | None = None
    tokens_cache_read: int | None = None
    tokens_cache_creation: int | None = None
    cost_cents: float | None = None
    events: int = 0
    request_units: float | None = None


def map_events(events: list[Any], *, start: date, end: date
               ) -> tuple[list[AIUsageModelDay], dict[tuple[date, str], _Totals], list[str]]:
    """Usage events grouped per (day, user, model) into ``AIUsageModelDay`` rows, plus per user-day totals.

    Cost is ``tokenUsage.totalCents`` plus ``cursorTokenFee`` (both US cents; sources.md §7: the
    dashboard total is their sum), provenance ``billed``. Events without ``tokenUsage`` (request-based
    billing) count as requests but leave tokens and cost empty.
    """
    groups: dict[tuple[date, str, str], _Totals] = {}
    per_day: dict[tuple[date, str], _Totals] = {}
    unattributed = 0
    for i, event in enumerate(events):
        where = f"/teams/filtered-usage-events usageEvents[{i}]"
        if not isinstance(event, dict):
            raise PayloadError("event is not an object", source=SOURCE, where=where)
        ctx = Ctx.at(SOURCE, where)
        email = get_text(event, "userEmail", ctx)
        if email is None:
            unattributed += 1
            continue
        day = _ms_to_day(event.get("timestamp"), "timestamp", where)
        if not start <= day <= end:
            continue
        model = get_text(event, "model", ctx) or "unknown"
        usage = event.get("tokenUsage")
        if usage is not None and not isinstance(usage, dict):
            raise PayloadError("`tokenUsage` is not an object", source=SOURCE, where=where)
        units = get_number(event, "requestsCosts", ctx)
        fee = get_number(event, "cursorTokenFee", ctx)
        for totals in (groups.setdefault((day, email, model), _Totals()), per_day.setdefault((day, email), _Totals())):
            totals.events += 1
            if units is not None:
                totals.request_units = (totals.request_units or 0.0) + units
            if usage:
                usage_ctx = Ctx.at(SOURCE, f"{where}.tokenUsage")
                totals.tokens_input = sum_present(totals.tokens_input, get_count(usage, "inputTokens", usage_ctx))
                totals.tokens_output = sum_present(totals.tokens_output, get_count(usage, "outputTokens", usage_ctx))
                totals.tokens_cache_read = sum_present(totals.tokens_cache_read,
                                                       get_count(usage, "cacheReadTokens", usage_ctx))
                totals.tokens_cache_creation = sum_present(totals.tokens_cache_creation,
                                                           get_count(usage, "cacheWriteTokens", usage_ctx))
                cents = get_number(usage, "totalCents", usage_ctx)
                if cents is not None or fee is not None:
                    totals.cost_cents = (totals.cost_cents or 0.0) + (cents or 0.0) + (fee or 0.0)
    models = [
        AIUsageModelDay(
            tool="cursor", source="cursor_api", day=day, actor=email, model=model,
            tokens_input=t.tokens_input, tokens_output=t.tokens_output, tokens_cache_read=t.tokens_cache_read,
            tokens_cache_creation=t.tokens_cache_creation, requests=t.events,
            cost_usd=None if t.cost_cents is None else t.cost_cents / 100,
            cost_provenance="unknown" if t.cost_cents is None else "billed",
        )
        for (day, email, model), t in sorted(groups.items())
    ]
    notes = [f"{unattributed} usage events without userEmail were not attributed"] if unattributed else []
    return models, per_day, notes


def map_daily_row(row: Mapping[str, Any], *, where: str, totals: Mapping[tuple[date, str], _Totals] | None = None,
                  seat_cost_usd_per_month: float | None = None) -> AIUsageDay:
    """One ``daily-usage-data`` row as ``AIUsageDay(tool="cursor", source="cursor_api")``.

    ``totals`` (from :func:`map_events`) adds that user-day's tokens and billed cost. Cost: billed
    usage when events carried it, plus the configured seat fee's daily share; provenance ``billed``,
    ``seat``, ``billed+seat``, or ``unknown`` with an empty cost.

    Raises:
        PayloadError: no ``email``, no readable ``date``/``day``, or a counter that is not a count.
    """
    ctx = Ctx.at(SOURCE, where)
    email = get_text(row, "email", ctx)
    if email is None:
        raise PayloadError("row has no 'email'", source=SOURCE, where=where)
    if isinstance(row.get("day"), str):
        try:
            day = date.fromisoformat(row["day"])
        except ValueError:
            raise PayloadError(f"field 'day' should be YYYY-MM-DD, got {row['day']!r:.40}", source=SOURCE,
                               where=where) from None
    else:
        day = _ms_to_day(row.get("date"), "date", where)
    t = (totals or {}).get((day, email), _Totals())

    billed = None if t.cost_cents is None else t.cost_cents / 100
    seat = None if seat_cost_usd_per_month is None else seat_share(day, seat_cost_usd_per_month)
    parts = [name for name, value in (("billed", billed), ("seat", seat)) if value is not None]
    cost = None if not parts else (billed or 0.0) + (seat or 0.0)

    extra = {k: v for k, v in row.items() if k not in _MAPPED_DAILY_FIELDS}
    if t.events:
        extra["usage_events"] = t.events
    if t.request_units is not None:
        extra["usage_event_request_units"] = round(t.request_units, 6)
    return AIUsageDay(
        tool="cursor",
        source="cursor_api",
        day=day,
        actor=email,
        actor_type="user",
        requests=sum_present(*(get_count(row, k, ctx) for k in _REQUEST_KINDS)),
        lines_added=get_count(row, "totalLinesAdded", ctx),
        lines_removed=get_count(row, "totalLinesDeleted", ctx),
        lines_accepted=get_count(row, "acceptedLinesAdded", ctx),
        edit_accepted=get_count(row, "totalAccepts", ctx),
        edit_rejected=get_count(row, "totalRejects", ctx),
        tokens_input=t.tokens_input,
        tokens_output=t.tokens_output,
        tokens_cache_read=t.tokens_cache_read,
        tokens_cache_creation=t.tokens_cache_creation,
        cost_usd=cost,
        cost_provenance="+".join(parts) if parts else "unknown",
        extra_json=compact_json(extra),
    )
