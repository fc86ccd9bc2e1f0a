"""``correlate sync --source copilot``: GitHub Copilot's daily per-user and user-teams reports.

Unit of work: one UTC day. Its usage rows and team rows replace whatever the store held for that day
and scope, and the cursor (the last day stored) moves in the same transaction. Days are fetched from
the day after the cursor, less ``LOOKBACK_DAYS`` (GitHub may restate a recent day), up to yesterday
(UTC): a day's report exists only once the day is processed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

from connectors.copilot import FIRST_REPORT_DAY, CopilotClient, CopilotScope
from connectors.errors import FatalSourceError
from connectors.records import AIUsageDay
from connectors.tool_records import CopilotUserTeam
from correlate import clock
from correlate.config import CopilotSource
from correlate.errors import ConfigError
from correlate.ingest.usage_days import first_day, first_stored_day
from correlate.store import Store
from correlate.sync import Batch, Cursor, EndOfData, Rows, Run, Source

__all__ = ["LOOKBACK_DAYS", "SOURCE", "STREAM", "scope_of"]

STREAM = "users-1-day"
LOOKBACK_DAYS = 2
HISTORY_DAYS = 365  # GitHub serves reports up to one year back
NOT_READY_DAYS = 3  # a missing report this recent is "not published yet", not a gap


def scope_of(section: CopilotSource, config_path: str | None) -> CopilotScope:
    """The org or enterprise named in ``[sources.copilot]``.

    Raises:
        ConfigError: both or neither of ``org`` and ``enterprise`` are set (their reports would write
            the same user-days twice).
    """
    if bool(section.org) == bool(section.enterprise):
        raise ConfigError("set exactly one of `org` or `enterprise` (the reports of one org or one enterprise).",
                          path=config_path, key="sources.copilot")
    return CopilotScope("org", section.org) if section.org else CopilotScope("enterprise", section.enterprise or "")


def _connect(run: Run) -> AbstractContextManager[Any]:
    section = run.section
    run.state["scope"] = scope = scope_of(section, str(run.config.path) if run.config.path else None)
    token = run.config.secret(section.token_env, what="a GitHub token that can read Copilot usage metrics")
    return CopilotClient(section.base_url, token.reveal(), scope, env_var=section.token_env)


def _plan(run: Run) -> list[date]:
    today = clock.today()
    first, notes = _first_day(run.store, run.state["scope"], run.since, run.section.backfill_days, today)
    run.summary.notes.extend(notes)
    run.state["missing"] = []
    last = today - timedelta(days=1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _fetch(run: Run, day: date) -> Iterator[Batch]:
    scope: CopilotScope = run.state["scope"]
    result = run.client.fetch_day(day, seat_cost_usd_per_month=run.section.seat_cost_usd_per_month)
    if not result.available:
        if (clock.today() - day).days <= NOT_READY_DAYS:
            raise EndOfData(f"report for {day} not published yet; it is fetched next time")
        # Keep what the store has for the day (a missing report is not an empty one), and leave
        # the cursor alone: a later day with a report moves it past this one.
        run.state["missing"].append(day)
        return
    yield Batch(rows=[Rows(AIUsageDay, result.usage, {"tool": "copilot", "source": "copilot_api", "day": day}),
                      Rows(CopilotUserTeam, result.teams, {"scope": scope.label, "day": day})],
                cursor=Cursor(STREAM, day, scope.label),
                counts={"user-days": len(result.usage), "team memberships": len(result.teams)},
                notes=[f"{day}: re-requested expired download links"] if result.links_refreshed else [])


def _finish(run: Run) -> None:
    missing: list[date] = run.state.get("missing", [])
    if missing and not run.summary.rows:
        raise FatalSourceError(
            f"GitHub has no Copilot usage report for {run.state['scope'].label} on any day from {missing[0]} to "
            f"{missing[-1]}. Check the org/enterprise name, that the token may read its Copilot metrics, and that "
            "the 'Copilot usage metrics' policy is enabled; if Copilot started later, pass --since YYYY-MM-DD.",
            source="copilot", stream=STREAM)
    if missing:
        run.summary.notes.append(
            f"GitHub had no report for {len(missing)} day(s) between {missing[0]} and {missing[-1]}; "
            "what the store held for them is kept")


def _first_day(store: Store, scope: CopilotScope, since: date | None, backfill_days: int,
               today: date) -> tuple[date, list[str]]:
    """Where this sync starts, clamped to what GitHub serves (from 2025-10-10, one year back)."""
    notes: list[str] = []
    first = first_day(since=since, cursor=store.get_cursor("copilot", STREAM, scope.label),
                      end=today - timedelta(days=1), backfill_days=backfill_days, lag_days=LOOKBACK_DAYS,
                      first_stored=first_stored_day(store, "copilot", "copilot_api"))
    floor = max(FIRST_REPORT_DAY, today - timedelta(days=HISTORY_DAYS))
    if first < floor:
        notes.append(f"Copilot reports start at {floor} (from 2025-10-10, at most a year back); earlier days skipped")
        first = floor
    return first, notes


SOURCE = Source(name="copilot", section="copilot", connect=_connect, plan=_plan, fetch=_fetch, finish=_finish)
