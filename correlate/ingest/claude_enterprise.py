"""``correlate sync --source claude_enterprise``: the Claude Enterprise Analytics API, a day at a time.

Each UTC day (never before 2026-01-01) is one unit of work: its Claude Code actor-days, per-model
cost, edit-tool rows (``source="enterprise_api"``) and the org's skill and connector use replace
what that day held, and the cursor moves to it, in one transaction. The engagement endpoints lag
about a day and are revised for a few days, so each run re-pulls the last ``LAG_DAYS`` stored days.
When the API answers that a day is not aggregated yet, the run stops there and says so: that is
the normal end of a run, not an error. Cost is revised for up to 30 days: after the days fetched,
stored days older than this run's window but within the revision period get their cost restated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

from connectors import claude_enterprise as api
from connectors.enterprise_records import EnterpriseConnectorDay, EnterpriseSkillDay
from correlate import clock
from correlate.ingest.usage_days import first_stored_day, plan_days, usage_day_rows
from correlate.store import Store
from correlate.sync import Batch, Cursor, EndOfData, Rows, Run, Source

__all__ = ["LAG_DAYS", "SOURCE", "STREAM"]

STREAM = "analytics"
# Engagement data "may be revised by a few percent over the following days".
LAG_DAYS = 3
# Cost and usage "are revised for up to 30 days": older days get their cost restated (two requests per run).
COST_REVISION_DAYS = 30


def _connect(run: Run) -> AbstractContextManager[Any]:
    cfg = run.section
    key = run.config.secret(cfg.api_key_env, what="a Claude Enterprise Analytics API key (read:analytics scope)")
    return api.make_client(cfg.base_url, key.reveal(), env_var=cfg.api_key_env)


def _plan(run: Run) -> list[date]:
    # engagement data lags about a day: yesterday is the newest day worth asking for
    days = plan_days(since=run.since, cursor=run.cursor(STREAM), end=clock.today() - timedelta(days=1),
                     backfill_days=run.section.backfill_days, lag_days=LAG_DAYS, earliest=api.EARLIEST_DAY,
                     first_stored=_first_stored(run.store))
    if run.since is not None and run.since < api.EARLIEST_DAY:
        run.summary.notes.append(f"the Enterprise Analytics API has data from {api.EARLIEST_DAY} only; started there")
    run.state.update(first_fetched=days[0] if days else None, stored=[], cost=0.0)
    return days


def _fetch(run: Run, day: date) -> Iterator[Batch]:
    try:
        result = api.fetch_day(run.client, day)
    except api.LatestDayReached as stop:
        latest = f"the latest available day is {stop.latest}" if stop.latest else "the API named no day"
        raise EndOfData(f"stopped before {day}: not aggregated yet ({latest})") from None
    run.state["stored"].append(day)
    run.state["cost"] += sum(u.cost_usd or 0.0 for u in result.usage)
    yield Batch(
        rows=[*usage_day_rows(api.TOOL, api.PATH_TAG, day, result.usage, result.models, result.edits),
              Rows(EnterpriseSkillDay, result.skills, {"source": api.PATH_TAG, "day": day}),
              Rows(EnterpriseConnectorDay, result.connectors, {"source": api.PATH_TAG, "day": day})],
        cursor=Cursor(STREAM, day),
        counts={"actor-days": len(result.usage), "model rows": len(result.models), "edit-tool rows": len(result.edits),
                "skill rows": len(result.skills), "connector rows": len(result.connectors)})


def _finish(run: Run) -> None:
    restated = _restate_costs(run)
    stored: list[date] = run.state["stored"]
    if restated:
        run.summary.notes.append(f"cost restated for {restated} earlier day(s) (the API revises cost for 30 days)")
    if stored:
        run.summary.notes.insert(0, f"{len(stored)} day(s) {stored[0]}..{stored[-1]}, Claude Code cost "
                                    f"${run.state['cost']:,.2f}, {run.client.requests} requests")
    elif run.state["first_fetched"] is None:
        run.summary.notes.append(f"no days to fetch (data exists from {api.EARLIEST_DAY})")


def _first_stored(store: Store) -> date | None:
    """The first day this store holds from the Enterprise API (actor-days, skills or connectors)."""
    row = store.one(
        "SELECT min(day) FROM (SELECT day FROM claude_enterprise_skill_daily WHERE source = ? "
        "UNION ALL SELECT day FROM claude_enterprise_connector_daily WHERE source = ?)",
        [api.PATH_TAG, api.PATH_TAG])
    days = [d for d in (first_stored_day(store, api.TOOL, api.PATH_TAG), row[0] if row else None) if d]
    return min(days) if days else None


def _restate_costs(run: Run) -> int:
    """Re-read cost and tokens of stored days older than this run's window but within the revision period.

    The ``/users`` metrics of those days are kept as stored; cost, tokens and requests are replaced.
    Returns the number of days restated.
    """
    store = run.store
    cursor = run.cursor(STREAM)
    if cursor is None:
        return 0
    last = date.fromisoformat(cursor)
    first_fetched: date | None = run.state["first_fetched"]
    end = min(last, (first_fetched or last + timedelta(days=1)) - timedelta(days=1))
    row = store.one(
        "SELECT min(day) FROM (SELECT day FROM ai_usage_daily WHERE source = ? AND tool = ? "
        "UNION ALL SELECT day FROM claude_enterprise_skill_daily WHERE source = ? "
        "UNION ALL SELECT day FROM claude_enterprise_connector_daily WHERE source = ?)",
        [api.PATH_TAG, api.TOOL, api.PATH_TAG, api.PATH_TAG])
    if not row or row[0] is None:
        return 0
    # only days this store has synced: restating a day never fetched would store cost without its metrics
    start = max(last - timedelta(days=COST_REVISION_DAYS - 1), row[0], api.EARLIEST_DAY)
    if start > end:
        return 0
    window = api.fetch_cost_window(run.client, start, end)
    n = 0
    day = start
    while day <= end:
        cost, tokens = window.get(day, ([], []))
        usage, models, edits = api.restate_day(day, _stored_day(store, day), cost, tokens)
        run.commit(Batch(rows=usage_day_rows(api.TOOL, api.PATH_TAG, day, usage, models, edits)))
        n += 1
        day += timedelta(days=1)
    return n


def _stored_day(store: Store, day: date) -> api.StoredDay:
    con = store.con
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


SOURCE = Source(name=api.SOURCE, section="claude_enterprise", connect=_connect, plan=_plan, fetch=_fetch,
                finish=_finish)
