"""Claude Code Analytics API (Admin API, Console / API-billed organisations) → actor-day records.

``GET /v1/organizations/usage_report/claude_code?starting_at=YYYY-MM-DD&limit=1000[&page=...]``
answers one UTC day per call, in pages linked by ``next_page`` while ``has_more``. A row is one
(actor, terminal_type, is_remote, customer_type) of that day, so one developer who used VS Code
locally and Claude Code on the web has several rows: :func:`aggregate_day` adds them up to one
actor-day, one row per model, and one row per edit tool (unknown tool keys kept).

Cost: ``model_breakdown[].estimated_cost.amount`` is US *cents* at list price, possibly fractional;
it is summed as a decimal and converted to dollars once (``cost_provenance="estimated"``).

Example::

    with make_client(base_url, api_key) as client:
        day = fetch_day(client, date(2026, 11, 1), env_var="ANTHROPIC_ADMIN_KEY")
        day.usage, day.models, day.edits

Shape reference: ``docs/sources.md`` §1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from connectors import _http
from connectors._fields import Ctx, get_bool, get_count, get_decimal, get_map, get_rows, get_str, json_body, sum_present
from connectors.records import AIEditActions, AIUsageDay, AIUsageModelDay

__all__ = [
    "KEY_HINT",
    "PATH",
    "SOURCE",
    "ClaudeCodeDay",
    "aggregate_day",
    "fetch_day",
    "fetch_rows",
    "make_client",
    "probe",
]

SOURCE = "claude_code"
STREAM = "usage_report"
TOOL = "claude_code"
PATH_TAG = "analytics_api"  # the `source` column of the records: which path the data came by
PATH = "/v1/organizations/usage_report/claude_code"
ANTHROPIC_VERSION = "2023-06-01"
PAGE_LIMIT = 1000
KEY_HINT = (
    "an Anthropic Admin API key (sk-ant-admin01-..., created by an organisation admin in the Claude Console); "
    "a claude.ai Enterprise Analytics key does not work here"
)


@dataclass(frozen=True)
class ClaudeCodeDay:
    """One UTC day from the Analytics API, aggregated to actor-day.

    Attributes:
        day: the day asked for.
        usage: one :class:`AIUsageDay` per actor.
        models: one :class:`AIUsageModelDay` per actor and model.
        edits: one :class:`AIEditActions` per actor and edit tool.
        api_rows: how many rows the API returned (before aggregation).
        pages: how many pages were read.
    """

    day: date
    usage: list[AIUsageDay]
    models: list[AIUsageModelDay]
    edits: list[AIEditActions]
    api_rows: int
    pages: int


def make_client(base_url: str, api_key: str, *, timeout: httpx.Timeout | float = _http.DEFAULT_TIMEOUT
                ) -> httpx.Client:
    """An httpx client for the Admin API with the key and version headers set (the key stays in headers)."""
    return _http.make_client(base_url, headers={"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION},
                             timeout=timeout)


def fetch_rows(
    client: httpx.Client, day: date, *, env_var: str | None = None, limit: int = PAGE_LIMIT
) -> Iterator[list[Mapping[str, Any]]]:
    """Yield the raw rows of ``day``, one list per page, following ``next_page`` while ``has_more``.

    Raises:
        AuthError: the key was refused (names ``env_var`` and the key type needed).
        PayloadError: the page is not in the documented shape, or a cursor repeats (loop guard).
        TransientSourceError, RateLimitError: retries ran out.
    """
    ctx = Ctx(SOURCE, STREAM, day.isoformat())
    params: dict[str, str | int] = {"starting_at": day.isoformat(), "limit": limit}
    seen: set[str] = set()
    while True:
        response = _http.request(client, "GET", PATH, source=SOURCE, stream=STREAM, env_var=env_var,
                                 key_hint=KEY_HINT, params=params)
        body = json_body(response, ctx)
        yield get_rows(body, "data", ctx)
        has_more = get_bool(body, "has_more", ctx, "has_more")
        cursor = get_str(body, "next_page", ctx, "next_page")
        if not has_more:
            return
        if not cursor:
            raise ctx.fail("next_page", "is empty although has_more is true")
        if cursor in seen:
            raise ctx.fail("next_page", "repeats a cursor already followed (the pages would loop)")
        seen.add(cursor)
        params = {"starting_at": day.isoformat(), "limit": limit, "page": cursor}


def fetch_day(client: httpx.Client, day: date, *, env_var: str | None = None,
              limit: int = PAGE_LIMIT) -> ClaudeCodeDay:
    """Fetch every page of ``day`` and aggregate it to actor-day records (see :func:`aggregate_day`)."""
    rows: list[Mapping[str, Any]] = []
    pages = 0
    for page in fetch_rows(client, day, env_var=env_var, limit=limit):
        rows.extend(page)
        pages += 1
    result = aggregate_day(day, rows)
    return ClaudeCodeDay(day, result.usage, result.models, result.edits, len(rows), pages)


class _Acc:
    """Running sums for one actor-day. ``None`` until some row states the value (absent is not 0)."""

    def __init__(self, actor_type: str) -> None:
        self.actor_type = actor_type
        self.sums: dict[str, int | None] = dict.fromkeys(
            ("sessions", "lines_added", "lines_removed", "commits", "prs"))
        self.customer_types: set[str] = set()
        self.subscription_types: set[str] = set()
        self.terminals: set[str] = set()
        self.remote_rows = 0
        self.rows = 0
        self.models: dict[str, dict[str, Any]] = {}
        self.edits: dict[str, list[int | None]] = {}

    def add(self, name: str, value: int | None) -> None:
        if value is not None:
            self.sums[name] = (self.sums[name] or 0) + value


def aggregate_day(day: date, rows: list[Mapping[str, Any]]) -> ClaudeCodeDay:
    """Aggregate one day's API rows (any split by terminal, remote or customer type) to actor-day records.

    Missing optional blocks leave their columns empty (``None``); unknown fields are ignored; unknown
    ``tool_actions`` keys become their own :class:`AIEditActions` rows.

    Raises:
        PayloadError: a field is present with the wrong type, or a row belongs to another day.
    """
    ctx = Ctx(SOURCE, STREAM, day.isoformat())
    actors: dict[str, _Acc] = {}
    for i, row in enumerate(rows):
        p = f"data[{i}]"
        _check_day(row, day, ctx, p)
        actor, actor_type = _actor(row, ctx, p)
        acc = actors.setdefault(actor, _Acc(actor_type))
        acc.rows += 1
        for name, store in (("customer_type", acc.customer_types), ("subscription_type", acc.subscription_types),
                            ("terminal_type", acc.terminals)):
            value = get_str(row, name, ctx, f"{p}.{name}")
            if value:
                store.add(value)
        if get_bool(row, "is_remote", ctx, f"{p}.is_remote"):
            acc.remote_rows += 1

        core = get_map(row, "core_metrics", ctx, f"{p}.core_metrics") or {}
        cp = f"{p}.core_metrics"
        acc.add("sessions", get_count(core, "num_sessions", ctx, f"{cp}.num_sessions"))
        loc = get_map(core, "lines_of_code", ctx, f"{cp}.lines_of_code") or {}
        acc.add("lines_added", get_count(loc, "added", ctx, f"{cp}.lines_of_code.added"))
        acc.add("lines_removed", get_count(loc, "removed", ctx, f"{cp}.lines_of_code.removed"))
        acc.add("commits", get_count(core, "commits_by_claude_code", ctx, f"{cp}.commits_by_claude_code"))
        acc.add("prs", get_count(core, "pull_requests_by_claude_code", ctx, f"{cp}.pull_requests_by_claude_code"))

        actions = get_map(row, "tool_actions", ctx, f"{p}.tool_actions") or {}
        for tool_name in actions:
            tp = f"{p}.tool_actions.{tool_name}"
            counts = get_map(actions, tool_name, ctx, tp)
            if counts is None:
                continue
            pair = acc.edits.setdefault(tool_name, [None, None])
            pair[0] = sum_present(pair[0], get_count(counts, "accepted", ctx, f"{tp}.accepted"))
            pair[1] = sum_present(pair[1], get_count(counts, "rejected", ctx, f"{tp}.rejected"))

        breakdown = row.get("model_breakdown")
        if breakdown is None:
            continue
        if not isinstance(breakdown, list):
            raise ctx.fail(f"{p}.model_breakdown", f"should be a list but is a {type(breakdown).__name__}")
        for j, entry in enumerate(breakdown):
            _add_model(acc, entry, ctx, f"{p}.model_breakdown[{j}]")

    return _records(day, actors, api_rows=len(rows))


def _check_day(row: Mapping[str, Any], day: date, ctx: Ctx, p: str) -> None:
    stamp = get_str(row, "date", ctx, f"{p}.date")
    if stamp is None:
        return  # tolerated: the request names the day
    try:
        # "2025-09-08T00:00:00Z" per the docs; a bare date is accepted too
        seen = datetime.fromisoformat(stamp.replace("Z", "+00:00")).date() if "T" in stamp else date.fromisoformat(
            stamp)
    except ValueError:
        raise ctx.fail(f"{p}.date", f"should be an RFC 3339 date but is {stamp!r}") from None
    if seen != day:
        raise ctx.fail(f"{p}.date", f"is {seen}, not the day asked for")


def _actor(row: Mapping[str, Any], ctx: Ctx, p: str) -> tuple[str, str]:
    actor = get_map(row, "actor", ctx, f"{p}.actor")
    if actor is None:
        raise ctx.fail(f"{p}.actor", "is missing (every row names its user or API key)")
    kind = get_str(actor, "type", ctx, f"{p}.actor.type")
    if kind == "user_actor":
        email = get_str(actor, "email_address", ctx, f"{p}.actor.email_address")
        if email and email.strip():
            return email.strip(), "user"
        raise ctx.fail(f"{p}.actor.email_address", "is missing on a user_actor")
    if kind == "api_actor":
        name = get_str(actor, "api_key_name", ctx, f"{p}.actor.api_key_name")
        if name and name.strip():
            return name.strip(), "api_key"
        raise ctx.fail(f"{p}.actor.api_key_name", "is missing on an api_actor")
    # An actor type newer than the docs: keep the row if it carries a recognisable identity.
    for key in ("email_address", "api_key_name", "id", "name"):
        value = get_str(actor, key, ctx, f"{p}.actor.{key}")
        if value and value.strip():
            return value.strip(), "unknown"
    raise ctx.fail(f"{p}.actor.type", f"is {kind!r}, which names no known identity field")


def _add_model(acc: _Acc, entry: Any, ctx: Ctx, mp: str) -> None:
    if not isinstance(entry, Mapping):
        raise ctx.fail(mp, f"should be an object but is a {type(entry).__name__}")
    model = get_str(entry, "model", ctx, f"{mp}.model")
    if not model:
        raise ctx.fail(f"{mp}.model", "is missing")
    m = acc.models.setdefault(model, {"input": None, "output": None, "cache_read": None, "cache_creation": None,
                                      "cents": None})
    tokens = get_map(entry, "tokens", ctx, f"{mp}.tokens") or {}
    for name in ("input", "output", "cache_read", "cache_creation"):
        m[name] = sum_present(m[name], get_count(tokens, name, ctx, f"{mp}.tokens.{name}"))
    cost = get_map(entry, "estimated_cost", ctx, f"{mp}.estimated_cost")
    if cost is None:
        return
    currency = get_str(cost, "currency", ctx, f"{mp}.estimated_cost.currency")
    if currency is not None and currency.upper() != "USD":
        raise ctx.fail(f"{mp}.estimated_cost.currency", f"is {currency!r}; only USD amounts are understood")
    cents = get_decimal(cost, "amount", ctx, f"{mp}.estimated_cost.amount")
    if cents is not None:
        m["cents"] = cents if m["cents"] is None else m["cents"] + cents


def _usd(cents: Decimal | None) -> float | None:
    return None if cents is None else float(cents / 100)


def _records(day: date, actors: dict[str, _Acc], *, api_rows: int) -> ClaudeCodeDay:
    usage: list[AIUsageDay] = []
    models: list[AIUsageModelDay] = []
    edits: list[AIEditActions] = []
    for actor, acc in sorted(actors.items()):
        totals: dict[str, int | None] = dict.fromkeys(("input", "output", "cache_read", "cache_creation"))
        cents: Decimal | None = None
        for model, m in sorted(acc.models.items()):
            for name in totals:
                totals[name] = sum_present(totals[name], m[name])
            if m["cents"] is not None:
                cents = m["cents"] if cents is None else cents + m["cents"]
            models.append(AIUsageModelDay(
                tool=TOOL, source=PATH_TAG, day=day, actor=actor, model=model,
                tokens_input=m["input"], tokens_output=m["output"], tokens_cache_read=m["cache_read"],
                tokens_cache_creation=m["cache_creation"], cost_usd=_usd(m["cents"]),
                cost_provenance="estimated" if m["cents"] is not None else None,
            ))
        accepted: int | None = None
        rejected: int | None = None
        for tool_name, (acc_n, rej_n) in sorted(acc.edits.items()):
            accepted, rejected = sum_present(accepted, acc_n), sum_present(rejected, rej_n)
            edits.append(AIEditActions(tool=TOOL, source=PATH_TAG, day=day, actor=actor, edit_tool=tool_name,
                                       accepted=acc_n, rejected=rej_n))
        extra = {"api_rows": acc.rows, "remote_rows": acc.remote_rows, "terminal_types": sorted(acc.terminals)}
        if acc.subscription_types:
            extra["subscription_types"] = sorted(acc.subscription_types)
        usage.append(AIUsageDay(
            tool=TOOL, source=PATH_TAG, day=day, actor=actor, actor_type=acc.actor_type,
            sessions=acc.sums["sessions"], lines_added=acc.sums["lines_added"],
            lines_removed=acc.sums["lines_removed"], commits=acc.sums["commits"], prs=acc.sums["prs"],
            edit_accepted=accepted, edit_rejected=rejected,
            tokens_input=totals["input"], tokens_output=totals["output"], tokens_cache_read=totals["cache_read"],
            tokens_cache_creation=totals["cache_creation"], cost_usd=_usd(cents),
            cost_provenance="estimated" if cents is not None else None,
            # an actor seen under both customer types on one day is rare; say so rather than pick one
            customer_type=",".join(sorted(acc.customer_types)) or None,
            extra_json=json.dumps(extra, sort_keys=True),
        ))
    return ClaudeCodeDay(day, usage, models, edits, api_rows, 0)


def probe(client: httpx.Client, day: date, *, env_var: str | None = None) -> int:
    """One cheap request (first page of ``day``, one row, at most two attempts): how many rows it holds.

    For ``correlate doctor``: proves the key, the URL and the shape without a day's worth of pages.
    """
    response = _http.request(client, "GET", PATH, source=SOURCE, stream=STREAM, env_var=env_var, key_hint=KEY_HINT,
                             max_attempts=2, params={"starting_at": day.isoformat(), "limit": 1})
    ctx = Ctx(SOURCE, STREAM, day.isoformat())
    return len(get_rows(json_body(response, ctx), "data", ctx))
