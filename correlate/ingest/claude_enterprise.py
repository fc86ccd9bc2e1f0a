"""``correlate sync --source claude_enterprise``: the Claude Enterprise Analytics API, a day at a time.

Each UTC day (never before 2026-01-01) is one unit of work: its Claude Code actor-days, per-model
cost, edit-tool rows (``source="enterprise_api"``) and the org's skill and connector use replace
what that day held, and the cursor moves to it, in one transaction. The engagement endpoints lag
about a day and are revised for a few days, so each run re-pulls the last ``LAG_DAYS`` stored days.
When the API answers that a day is not aggregated yet, the run stops there and says so: that is
the normal end of a run, not an error.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from connectors import claude_enterprise as api
from connectors.enterprise_records import EnterpriseConnectorDay, EnterpriseSkillDay
from correlate.errors import UsageError
from correlate.ingest._days import (
    advance_cursor,
    day_progress,
    first_stored_day,
    plan_days,
    replace_usage_day,
    utc_today,
)
from correlate.sync import SyncContext, SyncSummary

__all__ = ["LAG_DAYS", "STREAM", "sync"]

STREAM = "analytics"
# Engagement data "may be revised by a few percent over the following days".
LAG_DAYS = 3
# Cost and usage "are revised for up to 30 days": older days get their cost restated (two requests per run).
COST_REVISION_DAYS = 30


def sync(ctx: SyncContext, since: date | None) -> SyncSummary:
    """Fetch every planned day from the Enterprise Analytics API and store it, one transaction per day.

    Args:
        ctx: config, open store and progress display.
        since: first day to (re)fetch (clamped to 2026-01-01); ``None`` resumes from the cursor, or
            backfills ``[sources.claude_enterprise] backfill_days`` on the first run.

    Raises:
        ConfigError: the key's environment variable is unset.
        AuthError: the key was refused (an Analytics key with read:analytics is needed).
        TransientSourceError, RateLimitError, PayloadError: a day could not be fetched; earlier
            days are stored and the cursor points at the last of them.
    """
    cfg = ctx.config.root.sources.claude_enterprise
    if cfg is None:
        raise UsageError("source 'claude_enterprise' is not configured: add a [sources.claude_enterprise] section.")
    secret = ctx.config.secret(cfg.api_key_env, what="a Claude Enterprise Analytics API key (read:analytics scope)")
    # engagement data lags about a day: yesterday is the newest day worth asking for
    days = plan_days(since=since, cursor=ctx.store.get_cursor(api.SOURCE, STREAM),
                     end=utc_today() - timedelta(days=1), backfill_days=cfg.backfill_days, lag_days=LAG_DAYS,
                     earliest=api.EARLIEST_DAY, first_stored=_first_stored(ctx))
    summary = SyncSummary(source=api.SOURCE)
    if since is not None and since < api.EARLIEST_DAY:
        summary.notes.append(f"the Enterprise Analytics API has data from {api.EARLIEST_DAY} only; started there")
    totals = dict.fromkeys(("actor-days", "model rows", "edit-tool rows", "skill rows", "connector rows"), 0)
    cost = 0.0
    stored: list[date] = []
    with api.make_client(cfg.base_url, secret.reveal(), env_var=cfg.api_key_env) as client, \
            day_progress(ctx.progress, "claude_enterprise", len(days)) as advance:
        for day in days:
            try:
                result = api.fetch_day(client, day)
            except api.LatestDayReached as stop:
                latest = f"the latest available day is {stop.latest}" if stop.latest else "the API named no day"
                summary.notes.append(f"stopped before {day}: not aggregated yet ({latest})")
                break
            with ctx.store.transaction() as tx:
                replace_usage_day(tx, api.TOOL, api.PATH_TAG, day, result.usage, result.models, result.edits)
                tx.replace(EnterpriseSkillDay, {"source": api.PATH_TAG, "day": day}, result.skills)
                tx.replace(EnterpriseConnectorDay, {"source": api.PATH_TAG, "day": day}, result.connectors)
                advance_cursor(tx, api.SOURCE, STREAM, day)
            for name, rows in (("actor-days", result.usage), ("model rows", result.models),
                               ("edit-tool rows", result.edits), ("skill rows", result.skills),
                               ("connector rows", result.connectors)):
                totals[name] += len(rows)
            cost += sum(u.cost_usd or 0.0 for u in result.usage)
            stored.append(day)
            advance(day)
        restated = _restate_costs(ctx, client, days[0] if days else None)
    summary.rows = totals
    if restated:
        summary.notes.append(f"cost restated for {restated} earlier day(s) (the API revises cost for 30 days)")
    if stored:
        summary.notes.insert(0, f"{len(stored)} day(s) {stored[0]}..{stored[-1]}, Claude Code cost ${cost:,.2f}, "
                                f"{client.requests} requests")
    elif not days:
        summary.notes.append(f"no days to fetch (data exists from {api.EARLIEST_DAY})")
    return summary


def _first_stored(ctx: SyncContext) -> date | None:
    """The first day this store holds from the Enterprise API (actor-days, skills or connectors)."""
    row = ctx.store.con.execute(
        "SELECT min(day) FROM (SELECT day FROM claude_enterprise_skill_daily WHERE source = ? "
        "UNION ALL SELECT day FROM claude_enterprise_connector_daily WHERE source = ?)",
        [api.PATH_TAG, api.PATH_TAG]).fetchone()
    days = [d for d in (first_stored_day(ctx.store, api.TOOL, api.PATH_TAG), row[0] if row else None) if d]
    return min(days) if days else None


def _restate_costs(ctx: SyncContext, client: api.EnterpriseClient, first_fetched: date | None) -> int:
    """Re-read cost and tokens of stored days older than this run's window but within the revision period.

    The ``/users`` metrics of those days are kept as stored; cost, tokens and requests are replaced.
    Returns the number of days restated.
    """
    store = ctx.store
    cursor = store.get_cursor(api.SOURCE, STREAM)
    if cursor is None:
        return 0
    last = date.fromisoformat(cursor)
    end = min(last, (first_fetched or last + timedelta(days=1)) - timedelta(days=1))
    row = store.con.execute(
        "SELECT min(day) FROM (SELECT day FROM ai_usage_daily WHERE source = ? AND tool = ? "
        "UNION ALL SELECT day FROM claude_enterprise_skill_daily WHERE source = ? "
        "UNION ALL SELECT day FROM claude_enterprise_connector_daily WHERE source = ?)",
        [api.PATH_TAG, api.TOOL, api.PATH_TAG, api.PATH_TAG]).fetchone()
    if not row or row[0] is None:
        return 0
    # only days this store has synced: restating a day never fetched would store cost without its metrics
    start = max(last - timedelta(days=COST_REVISION_DAYS - 1), row[0], api.EARLIEST_DAY)
    if start > end:
        return 0
    window = api.fetch_cost_window(client, start, end)
    n = 0
    day = start
    while day <= end:
        cost, tokens = window.get(day, ([], []))
        usage, models, edits = api.restate_day(day, _stored_day(ctx, day), cost, tokens)
        with store.transaction() as tx:
            replace_usage_day(tx, api.TOOL, api.PATH_TAG, day, usage, models, edits)
        n += 1
        day += timedelta(days=1)
    return n


def _stored_day(ctx: SyncContext, day: date) -> api.StoredDay:
    con = ctx.store.con
    params = [api.TOOL, api.PATH_TAG, day]
    counts: dict[str, tuple[str | None, dict[str, int | None]]] = {}
    for actor, extra, *values in con.execute(
            "SELECT actor, extra_json, sessions, lines_added, lines_removed, commits, prs FROM ai_usage_daily "
            "WHERE tool = ? AND source = ? AND day = ?", params).fetchall():
        uid = json.loads(extra).get("user_id") if extra else None
        counts[actor] = (uid, dict(zip(("sessions", "lines_added", "lines_removed", "commits", "prs"), values,
                                       strict=True)))
    edits: dict[str, dict[str, tuple[int | None, int | None]]] = {}
    for actor, tool, accepted, rejected in con.execute(
            "SELECT actor, edit_tool, accepted, rejected FROM ai_edit_actions WHERE tool = ? AND source = ? "
            "AND day = ?", params).fetchall():
        edits.setdefault(actor, {})[tool] = (accepted, rejected)
    return api.StoredDay(counts, edits)
