"""``correlate sync --source claude_code``: the Claude Code Analytics API into the store, a day at a time.

Each UTC day is one unit of work: its actor-day, per-model and edit-tool rows for the
``analytics_api`` path *replace* whatever that day held (the API restates a day as it fills in)
and the cursor moves to that day, in one transaction. A failure on day N leaves days before N
stored and the cursor on N-1; the next run resumes there. See :mod:`correlate.ingest.usage_days` for
which days a run covers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from connectors import claude_code as api
from correlate import clock
from correlate.ingest.usage_days import first_stored_day, plan_days, usage_day_rows
from correlate.sync import Batch, Cursor, Run, Source

__all__ = ["LAG_DAYS", "SOURCE", "STREAM"]

STREAM = "usage_report"
# Data appears within about an hour and today is partial: re-pull the last two stored days.
LAG_DAYS = 2


def _connect(run: Run) -> AbstractContextManager[Any]:
    key = run.config.secret(run.section.api_key_env, what="an Anthropic Admin API key (sk-ant-admin01-...)")
    return api.make_client(run.section.base_url, key.reveal())


def _plan(run: Run) -> list[date]:
    return plan_days(since=run.since, cursor=run.cursor(STREAM), end=clock.today(),
                     backfill_days=run.section.backfill_days, lag_days=LAG_DAYS,
                     first_stored=first_stored_day(run.store, api.TOOL, api.PATH_TAG))


def _fetch(run: Run, day: date) -> Iterator[Batch]:
    result = api.fetch_day(run.client, day, env_var=run.section.api_key_env)
    run.state.setdefault("days", []).append(day)
    run.state["cost"] = run.state.get("cost", 0.0) + sum(u.cost_usd or 0.0 for u in result.usage)
    yield Batch(rows=usage_day_rows(api.TOOL, api.PATH_TAG, day, result.usage, result.models, result.edits),
                cursor=Cursor(STREAM, day),
                counts={"actor-days": len(result.usage), "model rows": len(result.models),
                        "edit-tool rows": len(result.edits)})


def _finish(run: Run) -> None:
    days = run.state.get("days")
    if days:
        run.summary.notes.append(f"{len(days)} day(s) {days[0]}..{days[-1]}, "
                                 f"estimated cost ${run.state['cost']:,.2f}")


SOURCE = Source(name=api.SOURCE, section="claude_code", connect=_connect, plan=_plan, fetch=_fetch, finish=_finish)
