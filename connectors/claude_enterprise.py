"""Claude Enterprise Analytics API (claude.ai Enterprise organisations) → actor-day, skill and connector records.

Per UTC day, four listings under ``/v1/organizations/analytics``:

* ``/users?date=D`` — per-user Claude Code metrics (note the ``_count`` renames against the
  Claude Code Analytics API: ``distinct_session_count``, ``commit_count``, ``accepted_count`` ...).
  Every product block is present for every user, all zeros when unused, so a user enters the
  Claude Code table only with some Claude Code activity (or Claude Code cost).
* ``/user_cost_report`` for ``[D, D+1)``, ``products[]=claude_code``, ``group_by[]=model`` — cost
  per user and model as decimal strings in US cents. ``amount`` is documented as "post-discount,
  pre-credit": the list price less the organisation's discounts, before usage credits are applied, so
  it is not the invoice (on seat-based plans the cost endpoints reflect usage credits only). It is
  stored as ``cost_provenance="discounted"`` (:data:`COST_PROVENANCE`); ``list_amount`` is kept in
  ``extra_json``.
* ``/user_usage_report`` for the same window — tokens per user and model (cache writes split into
  5-minute and 1-hour; ``tokens_cache_creation`` is their sum, ``tokens_cache_creation_1h`` the 1-hour part).
* ``/skills?date=D`` and ``/connectors?date=D`` — org-wide use per skill and connector.

Cost restatement (:func:`fetch_cost_window`) asks both per-user reports for up to 31 days at once
with ``bucket_width=1d``. The reference (Get Per-User Cost / Get Per-User Token Usage) documents that
parameter on these endpoints: each row stays one actor (and model) and carries its bucket's
``starting_at``/``ending_at``. The nested ``data[] = {starting_at, ending_at, results[]}`` shape
belongs to the organisation-wide ``/cost_report`` and ``/usage_report``, which have no per-user
rows; an answer in that shape is flattened all the same, in case an endpoint ever answers so.

Operational rules (sources.md §2): 60 requests per minute per organisation, shared by every key,
so requests go through a client-side :class:`RateLimiter` that waits via ``connectors._http.wait``;
a day that is not aggregated yet answers 400 naming the latest available day
(:class:`LatestDayReached`); an expired cursor answers 410 and the listing restarts from its first
page; data exists from 2026-01-01.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from connectors import _http
from connectors._fields import Ctx, get_count, get_decimal, get_map, get_rows, get_str, json_body, sum_present
from connectors.enterprise_records import EnterpriseConnectorDay, EnterpriseSkillDay
from connectors.errors import FatalSourceError, TransientSourceError
from connectors.records import AIEditActions, AIUsageDay, AIUsageModelDay

__all__ = [
    "COST_PROVENANCE",
    "EARLIEST_DAY",
    "KEY_HINT",
    "EnterpriseClient",
    "EnterpriseDay",
    "LatestDayReached",
    "RateLimiter",
    "StoredDay",
    "fetch_cost_window",
    "fetch_day",
    "make_client",
    "probe",
    "restate_day",
]

SOURCE = "claude_enterprise"
TOOL = "claude_code"
# `amount` is "post-discount, pre-credit" (the API reference): not the vendor's invoice, so not "billed"
COST_PROVENANCE = "discounted"
PATH_TAG = "enterprise_api"
BASE = "/v1/organizations/analytics"
ANTHROPIC_VERSION = "2023-06-01"
EARLIEST_DAY = date(2026, 1, 1)
REQUESTS_PER_MINUTE = 60
PAGE_LIMIT = 1000
MAX_RESTARTS = 3  # 410s in a row for one listing before giving up
KEY_HINT = (
    "a Claude Enterprise Analytics API key with the read:analytics scope (created by the primary owner at "
    "claude.ai > Organization settings > API); a Console Admin key (sk-ant-admin01-...) does not work here"
)
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


class LatestDayReached(FatalSourceError):
    """The API has not aggregated the day asked for yet (HTTP 400 naming the latest available day).

    Not a failure of the sync: it stops there. ``latest`` is the day the API named, when it named one.
    """

    def __init__(self, message: str, *, source: str, latest: date | None, **kw: object) -> None:
        super().__init__(message, source=source, **kw)  # type: ignore[arg-type]
        self.latest = latest


class RateLimiter:
    """At most ``per_minute`` requests in any 60-second window, waiting through ``_http.wait``.

    Slots are booked on a schedule (not re-read from the clock after waiting), so a replaced waiter
    that does not sleep, as in tests, still sees the right waits and never spins.
    """

    def __init__(self, per_minute: int = REQUESTS_PER_MINUTE, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._slots: deque[float] = deque()

    def acquire(self) -> None:
        """Wait, if needed, until one more request fits in the window; then book it."""
        now = self.clock()
        start = now
        if len(self._slots) >= self.per_minute:
            # the request per_minute back must be a full minute old when this one starts
            start = max(now, self._slots[-self.per_minute] + 60.0)
        if start > now:
            # whole seconds: after a burst, one short wait frees every slot booked in that second,
            # instead of a stream of millisecond waits (each of which the CLI would announce)
            start = now + math.ceil(start - now)
            _http.wait(start - now, f"{SOURCE}: {self.per_minute} requests/minute per organisation")
        self._slots.append(start)
        while len(self._slots) > self.per_minute:
            self._slots.popleft()


# One limiter per organisation endpoint for the whole process: the budget is the organisation's.
_LIMITERS: dict[str, RateLimiter] = {}


@dataclass
class EnterpriseClient:
    """An httpx client for the Analytics API, its rate limiter and the env var its key came from."""

    http: httpx.Client
    env_var: str | None
    limiter: RateLimiter
    requests: int = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> EnterpriseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_client(base_url: str, api_key: str, *, env_var: str | None = None,
                limiter: RateLimiter | None = None) -> EnterpriseClient:
    """A client whose requests share the organisation's per-minute budget (the key stays in headers)."""
    http = _http.make_client(base_url, headers={"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION})
    return EnterpriseClient(http, env_var, limiter or _LIMITERS.setdefault(base_url.rstrip("/"), RateLimiter()))


_Rows = list[Mapping[str, Any]]
_Records = tuple[list[AIUsageDay], list[AIUsageModelDay], list[AIEditActions]]


@dataclass(frozen=True)
class EnterpriseDay:
    """One UTC day of the Enterprise Analytics API as records."""

    day: date
    usage: list[AIUsageDay]
    models: list[AIUsageModelDay]
    edits: list[AIEditActions]
    skills: list[EnterpriseSkillDay]
    connectors: list[EnterpriseConnectorDay]
    users_listed: int = 0  # rows /users returned, Claude Code users or not


def list_rows(client: EnterpriseClient, endpoint: str, params: list[tuple[str, str]], *, unit: str,
              limit: int = PAGE_LIMIT) -> list[Mapping[str, Any]]:
    """Every row of one listing, following ``next_page`` (and ``has_more`` where the endpoint has it).

    A 410 (cursor expired after a data refresh) restarts the listing from its first page, so rows
    from two refreshes are never mixed.

    Raises:
        LatestDayReached: HTTP 400 naming the latest available day.
        AuthError: 401/403 (names the env var and the key type needed).
        PayloadError: a page not in the documented shape, or a repeated cursor.
        TransientSourceError: retries ran out, or the cursor kept expiring.
    """
    stream = endpoint.strip("/")
    ctx = Ctx(SOURCE, stream, unit)
    for _attempt in range(MAX_RESTARTS + 1):
        rows: list[Mapping[str, Any]] = []
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            query = [*params, ("limit", str(limit))] + ([("page", cursor)] if cursor else [])
            client.limiter.acquire()
            client.requests += 1
            response = _http.request(client.http, "GET", f"{BASE}{endpoint}", source=SOURCE, stream=stream,
                                     env_var=client.env_var, key_hint=KEY_HINT,
                                     ok_status=frozenset({200, 400, 410}), params=query)
            if response.status_code == 410:
                break  # the cursor expired after a refresh: start this listing again
            if response.status_code == 400:
                raise _bad_request(response, ctx, unit)
            body = json_body(response, ctx)
            rows.extend(get_rows(body, "data", ctx))
            cursor = get_str(body, "next_page", ctx, "next_page")
            if body.get("has_more") is False or not cursor:
                return rows
            if cursor in seen:
                raise ctx.fail("next_page", "repeats a cursor already followed (the pages would loop)")
            seen.add(cursor)
    raise TransientSourceError(
        f"the {stream} cursor for {unit} kept expiring (HTTP 410 {MAX_RESTARTS + 1} times) while the API "
        "refreshed its data. Re-run later to resume from the saved cursor.",
        source=SOURCE, stream=stream, status=410,
    )


def fetch_day(client: EnterpriseClient, day: date) -> EnterpriseDay:
    """Fetch users, Claude Code cost and tokens, skills and connectors of ``day`` and turn them into records.

    Raises:
        LatestDayReached: ``day`` is not available yet (nothing of it is returned).
        FatalSourceError: ``day`` is before 2026-01-01, or another 400.
        AuthError, PayloadError, TransientSourceError: see :func:`list_rows`.
    """
    if day < EARLIEST_DAY:
        raise FatalSourceError(f"the Enterprise Analytics API has no data before {EARLIEST_DAY}; asked for {day}.",
                               source=SOURCE)
    unit = day.isoformat()
    users = list_rows(client, "/users", [("date", unit)], unit=unit)
    nxt = (day + timedelta(days=1)).isoformat()
    window = [("starting_at", f"{unit}T00:00:00Z"), ("ending_at", f"{nxt}T00:00:00Z"), ("products[]", TOOL),
              ("group_by[]", "model")]
    cost = list_rows(client, "/user_cost_report", window, unit=unit)
    tokens = list_rows(client, "/user_usage_report", window, unit=unit)
    skills = list_rows(client, "/skills", [("date", unit)], unit=unit)
    connectors = list_rows(client, "/connectors", [("date", unit)], unit=unit)
    usage, models, edits = _claude_code(day, users, cost, tokens)
    return EnterpriseDay(day, usage, models, edits, _skills(day, skills), _connectors(day, connectors),
                         users_listed=len(users))


@dataclass(frozen=True)
class StoredDay:
    """What the store holds of one enterprise day that the cost reports do not restate: the ``/users`` metrics.

    Attributes:
        counts: actor -> (user_id, {sessions, lines_added, lines_removed, commits, prs}).
        edits: actor -> {edit tool: (accepted, rejected)}.
    """

    counts: dict[str, tuple[str | None, dict[str, int | None]]]
    edits: dict[str, dict[str, tuple[int | None, int | None]]]


def fetch_cost_window(client: EnterpriseClient, start: date, end: date) -> dict[date, tuple[_Rows, _Rows]]:
    """Claude Code cost and token rows per user and model for every day of ``[start, end]`` (at most 31 days).

    One bucketed listing each (``bucket_width=1d``), so restating a month of revised cost costs two
    requests, not two per day.

    Returns:
        day -> (cost rows, token rows); days without rows are absent.
    """
    if (end - start).days >= 31:
        raise ValueError("the cost reports answer at most 31 days per request")
    unit = f"{start.isoformat()}..{end.isoformat()}"
    window = [("starting_at", f"{start.isoformat()}T00:00:00Z"),
              ("ending_at", f"{(end + timedelta(days=1)).isoformat()}T00:00:00Z"), ("bucket_width", "1d"),
              ("products[]", TOOL), ("group_by[]", "model")]
    out: dict[date, tuple[_Rows, _Rows]] = {}
    for position, endpoint in enumerate(("/user_cost_report", "/user_usage_report")):
        ctx = Ctx(SOURCE, endpoint.strip("/"), unit)
        for p, row, bucket in _bucket_rows(list_rows(client, endpoint, window, unit=unit, limit=PAGE_LIMIT), ctx):
            day = _bucket_day(bucket, ctx, p, start, end)
            out.setdefault(day, ([], []))[position].append(row)
    return out


def _bucket_rows(rows: _Rows, ctx: Ctx) -> list[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """``(path, row, bucket)`` per per-user row: the row is its own bucket (the documented per-user shape),
    or a bucket's ``results[]`` entry (the organisation reports' shape) with that bucket."""
    out: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = []
    for i, row in enumerate(rows):
        results = row.get("results")
        if results is None or "actor" in row:
            out.append((f"data[{i}]", row, row))
            continue
        if not isinstance(results, list):
            raise ctx.fail(f"data[{i}].results", f"should be a list but is a {type(results).__name__}")
        for j, result in enumerate(results):
            if not isinstance(result, Mapping):
                raise ctx.fail(f"data[{i}].results[{j}]", f"should be an object but is a {type(result).__name__}")
            out.append((f"data[{i}].results[{j}]", result, row))
    return out


def _bucket_day(bucket: Mapping[str, Any], ctx: Ctx, p: str, start: date, end: date) -> date:
    """The UTC day a one-day bucket covers; a bucket that is not one whole day of the window is refused.

    A row filed under the wrong day would replace that day's cost, so the bucket is checked rather than
    trusted: ``starting_at`` at 00:00 UTC within ``[start, end]``, and ``ending_at`` (when given) a day later.
    """
    stamps = []
    for key in ("starting_at", "ending_at"):
        stamp = get_str(bucket, key, ctx, f"{p}.{key}")
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
        except ValueError:
            raise ctx.fail(f"{p}.{key}", f"should be an RFC 3339 time but is {stamp!r:.40}") from None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        stamps.append(when.astimezone(UTC) if when else None)
    first, last = stamps
    if first is None:
        raise ctx.fail(f"{p}.starting_at", "is missing; a bucketed report row names its bucket")
    day = first.date()
    if first != datetime(day.year, day.month, day.day, tzinfo=UTC) or not start <= day <= end:
        raise ctx.fail(f"{p}.starting_at", f"is {first.isoformat()}, not the start of a day in {start}..{end}")
    if last is not None and last - first != timedelta(days=1):
        raise ctx.fail(f"{p}.ending_at", f"is {last.isoformat()}: the bucket is not one day (bucket_width=1d)")
    return day


def restate_day(day: date, stored: StoredDay, cost: _Rows, tokens: _Rows) -> _Records:
    """Rebuild one day's Claude Code records from stored ``/users`` metrics and fresh cost and token rows."""
    people = {actor: _User(uid, dict(counts), dict(stored.edits.get(actor, {})))
              for actor, (uid, counts) in stored.counts.items()}
    email_of = {u.user_id: actor for actor, u in people.items() if u.user_id and "@" in actor}
    _add_cost(people, email_of, day, cost)
    _add_tokens(people, email_of, day, tokens)
    return _emit(day, people)


# -- parsing -------------------------------------------------------------------------------------------

_COUNTS = ("sessions", "lines_added", "lines_removed", "commits", "prs")
_TOKENS = ("input", "output", "cache_read", "cache_5m", "cache_1h")


@dataclass
class _Model:
    cents: Decimal | None = None
    cost_requests: int | None = None
    usage_requests: int | None = None
    tokens: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(_TOKENS))

    @property
    def requests(self) -> int | None:
        # the usage report counts requests too; prefer it, the cost report is the fallback
        return self.usage_requests if self.usage_requests is not None else self.cost_requests

    @property
    def cache_creation(self) -> int | None:
        return sum_present(self.tokens["cache_5m"], self.tokens["cache_1h"])


@dataclass
class _User:
    user_id: str | None
    counts: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(_COUNTS))
    edits: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    cents: Decimal | None = None
    list_cents: Decimal | None = None
    models: dict[str, _Model] = field(default_factory=dict)


def _claude_code(day: date, users: _Rows, cost: _Rows, tokens: _Rows) -> _Records:
    """Join ``/users`` metrics, ``/user_cost_report`` cost and ``/user_usage_report`` tokens per person."""
    people: dict[str, _User] = {}
    email_of = _add_users(people, day, users)
    _add_cost(people, email_of, day, cost)
    _add_tokens(people, email_of, day, tokens)
    return _emit(day, people)


def _add_users(people: dict[str, _User], day: date, users: list[Mapping[str, Any]]) -> dict[str, str]:
    ctx = Ctx(SOURCE, "users", day.isoformat())
    email_of: dict[str, str] = {}
    for i, row in enumerate(users):
        p = f"data[{i}]"
        who = get_map(row, "user", ctx, f"{p}.user") or {}
        email = (get_str(who, "email_address", ctx, f"{p}.user.email_address") or "").strip()
        uid = get_str(who, "id", ctx, f"{p}.user.id")
        actor = email or uid
        if not actor:
            raise ctx.fail(f"{p}.user", "names neither an email_address nor an id")
        if uid and email:
            email_of[uid] = email
        cc = get_map(row, "claude_code_metrics", ctx, f"{p}.claude_code_metrics") or {}
        cp = f"{p}.claude_code_metrics"
        core = get_map(cc, "core_metrics", ctx, f"{cp}.core_metrics") or {}
        loc = get_map(core, "lines_of_code", ctx, f"{cp}.core_metrics.lines_of_code") or {}
        counts = {
            "sessions": get_count(core, "distinct_session_count", ctx, f"{cp}.core_metrics.distinct_session_count"),
            "lines_added": get_count(loc, "added_count", ctx, f"{cp}.core_metrics.lines_of_code.added_count"),
            "lines_removed": get_count(loc, "removed_count", ctx, f"{cp}.core_metrics.lines_of_code.removed_count"),
            "commits": get_count(core, "commit_count", ctx, f"{cp}.core_metrics.commit_count"),
            "prs": get_count(core, "pull_request_count", ctx, f"{cp}.core_metrics.pull_request_count"),
        }
        person = people.setdefault(actor, _User(uid))  # the same person twice on one day: add up, do not drop
        person.counts = {k: sum_present(person.counts[k], v) for k, v in counts.items()}
        actions = get_map(cc, "tool_actions", ctx, f"{cp}.tool_actions") or {}
        for name in actions:
            tp = f"{cp}.tool_actions.{name}"
            pair = get_map(actions, name, ctx, tp)
            if pair is not None:
                old_a, old_r = person.edits.get(name, (None, None))
                accepted = get_count(pair, "accepted_count", ctx, f"{tp}.accepted_count")
                rejected = get_count(pair, "rejected_count", ctx, f"{tp}.rejected_count")
                person.edits[name] = (sum_present(old_a, accepted), sum_present(old_r, rejected))
    return email_of


def _report_actor(row: Mapping[str, Any], email_of: dict[str, str], ctx: Ctx, p: str) -> tuple[str, str | None]:
    """The person a cost/usage report row belongs to: email, else the users listing's email, else the id."""
    who = get_map(row, "actor", ctx, f"{p}.actor") or {}
    uid = get_str(who, "user_id", ctx, f"{p}.actor.user_id")
    email = (get_str(who, "email", ctx, f"{p}.actor.email") or "").strip() or email_of.get(uid or "", "")
    actor = email or uid
    if not actor:
        raise ctx.fail(f"{p}.actor", "names neither an email nor a user_id")
    return actor, uid


def _add_cost(people: dict[str, _User], email_of: dict[str, str], day: date, rows: list[Mapping[str, Any]]) -> None:
    ctx = Ctx(SOURCE, "user_cost_report", day.isoformat())
    for i, row in enumerate(rows):
        p = f"data[{i}]"
        actor, uid = _report_actor(row, email_of, ctx, p)
        currency = get_str(row, "currency", ctx, f"{p}.currency")
        if currency is not None and currency.upper() != "USD":
            raise ctx.fail(f"{p}.currency", f"is {currency!r}; only USD amounts are understood")
        cents = get_decimal(row, "amount", ctx, f"{p}.amount")
        person = people.setdefault(actor, _User(uid))
        person.cents = sum_present(person.cents, cents)
        person.list_cents = sum_present(person.list_cents, get_decimal(row, "list_amount", ctx, f"{p}.list_amount"))
        m = person.models.setdefault(get_str(row, "model", ctx, f"{p}.model") or "unknown", _Model())
        m.cents = sum_present(m.cents, cents)
        m.cost_requests = sum_present(m.cost_requests, get_count(row, "requests", ctx, f"{p}.requests"))


def _add_tokens(people: dict[str, _User], email_of: dict[str, str], day: date,
                rows: list[Mapping[str, Any]]) -> None:
    ctx = Ctx(SOURCE, "user_usage_report", day.isoformat())
    for i, row in enumerate(rows):
        p = f"data[{i}]"
        actor, uid = _report_actor(row, email_of, ctx, p)
        person = people.setdefault(actor, _User(uid))
        m = person.models.setdefault(get_str(row, "model", ctx, f"{p}.model") or "unknown", _Model())
        cache = get_map(row, "cache_creation", ctx, f"{p}.cache_creation") or {}
        found = {
            "input": get_count(row, "uncached_input_tokens", ctx, f"{p}.uncached_input_tokens"),
            "output": get_count(row, "output_tokens", ctx, f"{p}.output_tokens"),
            "cache_read": get_count(row, "cache_read_input_tokens", ctx, f"{p}.cache_read_input_tokens"),
            "cache_5m": get_count(cache, "ephemeral_5m_input_tokens", ctx,
                                  f"{p}.cache_creation.ephemeral_5m_input_tokens"),
            "cache_1h": get_count(cache, "ephemeral_1h_input_tokens", ctx,
                                  f"{p}.cache_creation.ephemeral_1h_input_tokens"),
        }
        m.tokens = {k: sum_present(m.tokens[k], v) for k, v in found.items()}
        m.usage_requests = sum_present(m.usage_requests, get_count(row, "requests", ctx, f"{p}.requests"))


def _emit(day: date, people: dict[str, _User]) -> _Records:
    usage: list[AIUsageDay] = []
    models: list[AIUsageModelDay] = []
    edit_rows: list[AIEditActions] = []
    for actor, u in sorted(people.items()):
        active = any(v for v in u.counts.values()) or any(a or r for a, r in u.edits.values())
        used_tokens = any(any(v for v in m.tokens.values()) for m in u.models.values())
        if not active and not u.cents and not used_tokens:
            continue  # a chat-only (or idle) user: not a Claude Code actor-day
        accepted = rejected = None
        for name, (a, r) in sorted(u.edits.items()):
            accepted, rejected = sum_present(accepted, a), sum_present(rejected, r)
            edit_rows.append(AIEditActions(tool=TOOL, source=PATH_TAG, day=day, actor=actor, edit_tool=name,
                                           accepted=a, rejected=r))
        totals: dict[str, int | None] = dict.fromkeys(("input", "output", "cache_read", "cache_creation", "requests"))
        for model, m in sorted(u.models.items()):
            models.append(AIUsageModelDay(
                tool=TOOL, source=PATH_TAG, day=day, actor=actor, model=model,
                tokens_input=m.tokens["input"], tokens_output=m.tokens["output"],
                tokens_cache_read=m.tokens["cache_read"], tokens_cache_creation=m.cache_creation,
                tokens_cache_creation_1h=m.tokens["cache_1h"], requests=m.requests, cost_usd=_usd(m.cents),
                cost_provenance=COST_PROVENANCE if m.cents is not None else None,
            ))
            for name, value in (("input", m.tokens["input"]), ("output", m.tokens["output"]),
                                ("cache_read", m.tokens["cache_read"]), ("cache_creation", m.cache_creation),
                                ("requests", m.requests)):
                totals[name] = sum_present(totals[name], value)
        extra: dict[str, Any] = {}
        if u.user_id:
            extra["user_id"] = u.user_id
        if u.list_cents is not None:
            extra["list_cost_usd"] = _usd(u.list_cents)
        usage.append(AIUsageDay(
            tool=TOOL, source=PATH_TAG, day=day, actor=actor, actor_type="user",
            sessions=u.counts["sessions"], requests=totals["requests"], lines_added=u.counts["lines_added"],
            lines_removed=u.counts["lines_removed"], commits=u.counts["commits"], prs=u.counts["prs"],
            edit_accepted=accepted, edit_rejected=rejected, tokens_input=totals["input"],
            tokens_output=totals["output"], tokens_cache_read=totals["cache_read"],
            tokens_cache_creation=totals["cache_creation"], cost_usd=_usd(u.cents),
            cost_provenance=COST_PROVENANCE if u.cents is not None else None,
            extra_json=json.dumps(extra, sort_keys=True) if extra else None,
        ))
    return usage, models, edit_rows


def _usd(cents: Decimal | None) -> float | None:
    return None if cents is None else float(cents / 100)


def _nested_count(row: Mapping[str, Any], block: str, key: str, ctx: Ctx, p: str) -> int | None:
    inner = get_map(row, block, ctx, f"{p}.{block}") or {}
    return get_count(inner, key, ctx, f"{p}.{block}.{key}")


_SKILL_FIELDS = {"skill_name", "skill_display_name", "distinct_user_count", "invocation_count", "chat_metrics",
                 "claude_code_metrics", "cowork_metrics", "share_status"}
_CONNECTOR_FIELDS = {"connector_name", "connector_display_name", "distinct_user_count", "chat_metrics",
                     "claude_code_metrics", "cowork_metrics", "read_call_count", "write_call_count",
                     "unclassified_call_count"}


def _extra(row: Mapping[str, Any], known: set[str]) -> str | None:
    rest = {k: v for k, v in row.items() if k not in known}
    return json.dumps(rest, sort_keys=True, default=str) if rest else None


def _skills(day: date, rows: list[Mapping[str, Any]]) -> list[EnterpriseSkillDay]:
    ctx = Ctx(SOURCE, "skills", day.isoformat())
    out = []
    for i, row in enumerate(rows):
        p = f"data[{i}]"
        name = get_str(row, "skill_name", ctx, f"{p}.skill_name")
        if not name:
            raise ctx.fail(f"{p}.skill_name", "is missing")
        out.append(EnterpriseSkillDay(
            source=PATH_TAG, day=day, skill_name=name,
            skill_display_name=get_str(row, "skill_display_name", ctx, f"{p}.skill_display_name"),
            distinct_user_count=get_count(row, "distinct_user_count", ctx, f"{p}.distinct_user_count"),
            invocation_count=get_count(row, "invocation_count", ctx, f"{p}.invocation_count"),
            chat_conversations=_nested_count(row, "chat_metrics", "distinct_conversation_skill_used_count", ctx, p),
            claude_code_sessions=_nested_count(row, "claude_code_metrics", "distinct_session_skill_used_count", ctx,
                                               p),
            cowork_sessions=_nested_count(row, "cowork_metrics", "distinct_session_skill_used_count", ctx, p),
            share_status=get_str(row, "share_status", ctx, f"{p}.share_status"),
            extra_json=_extra(row, _SKILL_FIELDS),
        ))
    return out


def _connectors(day: date, rows: list[Mapping[str, Any]]) -> list[EnterpriseConnectorDay]:
    ctx = Ctx(SOURCE, "connectors", day.isoformat())
    out = []
    for i, row in enumerate(rows):
        p = f"data[{i}]"
        name = get_str(row, "connector_name", ctx, f"{p}.connector_name")
        if not name:
            raise ctx.fail(f"{p}.connector_name", "is missing")
        key = "distinct_session_connector_used_count"
        out.append(EnterpriseConnectorDay(
            source=PATH_TAG, day=day, connector_name=name,
            connector_display_name=get_str(row, "connector_display_name", ctx, f"{p}.connector_display_name"),
            distinct_user_count=get_count(row, "distinct_user_count", ctx, f"{p}.distinct_user_count"),
            chat_conversations=_nested_count(row, "chat_metrics", "distinct_conversation_connector_used_count", ctx,
                                             p),
            claude_code_sessions=_nested_count(row, "claude_code_metrics", key, ctx, p),
            cowork_sessions=_nested_count(row, "cowork_metrics", key, ctx, p),
            read_call_count=get_count(row, "read_call_count", ctx, f"{p}.read_call_count"),
            write_call_count=get_count(row, "write_call_count", ctx, f"{p}.write_call_count"),
            unclassified_call_count=get_count(row, "unclassified_call_count", ctx, f"{p}.unclassified_call_count"),
            extra_json=_extra(row, _CONNECTOR_FIELDS),
        ))
    return out


def _bad_request(response: httpx.Response, ctx: Ctx, unit: str) -> FatalSourceError:
    """A 400 that names the latest available day becomes :class:`LatestDayReached`; others stay fatal."""
    message = _http._error_text(response)
    where = _http.redact_url(response.request.url)
    asked = date.fromisoformat(unit[:10])  # a day, or the first day of a window "D1..D2"
    named = []
    for text in _DATE.findall(message):
        try:
            named.append(date.fromisoformat(text))
        except ValueError:
            continue
    earlier = [d for d in named if d < asked]
    if earlier or re.search(r"latest|available|not yet|too recent", message, re.IGNORECASE):
        latest = max(earlier) if earlier else None
        return LatestDayReached(
            f"{unit} is not available yet; the latest available day is {latest or 'not named'} ({message})",
            source=SOURCE, stream=ctx.stream, status=400, where=where, latest=latest,
        )
    return FatalSourceError(f"{ctx.stream} refused the request for {unit} (HTTP 400): {message}",
                            source=SOURCE, stream=ctx.stream, status=400, where=where)



def probe(client: EnterpriseClient, day: date) -> tuple[bool, date | None]:
    """One cheap request (``/users`` for ``day``, one row, at most two attempts) for ``correlate doctor``.

    Returns:
        ``(True, None)`` when ``day`` is served; ``(False, latest)`` when the API says ``day`` is not
        aggregated yet (that still proves the key), with the latest day it named, if any.
    """
    unit = day.isoformat()
    ctx = Ctx(SOURCE, "users", unit)
    client.limiter.acquire()
    client.requests += 1
    response = _http.request(client.http, "GET", f"{BASE}/users", source=SOURCE, stream="users",
                             env_var=client.env_var, key_hint=KEY_HINT, max_attempts=2,
                             ok_status=frozenset({200, 400}), params={"date": unit, "limit": 1})
    if response.status_code == 400:
        error = _bad_request(response, ctx, unit)
        if isinstance(error, LatestDayReached):
            return False, error.latest
        raise error
    json_body(response, ctx)
    return True, None
