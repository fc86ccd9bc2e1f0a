"""``correlate sync --source copilot``: GitHub Copilot's daily per-user and user-teams reports.

Unit of work: one UTC day. Its usage rows and team rows replace whatever the store held for that day
and scope, and the cursor (the last day stored) moves in the same transaction. Days are fetched from
the day after the cursor, less ``LOOKBACK_DAYS`` (GitHub may restate a recent day), up to yesterday
(UTC): a day's report exists only once the day is processed.
"""

from __future__ import annotations

from datetime import date, timedelta

from connectors.copilot import FIRST_REPORT_DAY, CopilotClient, CopilotScope
from connectors.errors import FatalSourceError
from connectors.records import AIUsageDay
from connectors.tool_records import CopilotUserTeam
from correlate.config import CopilotSource
from correlate.errors import ConfigError
from correlate.ingest._days import advance_cursor, first_day, first_stored_day, utc_today
from correlate.sync import SyncContext, SyncSummary

__all__ = ["LOOKBACK_DAYS", "STREAM", "scope_of", "sync"]

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


def sync(ctx: SyncContext, since: date | None) -> SyncSummary:
    """Fetch every day not yet stored (or from ``since``) and store it day by day.

    Raises:
        ConfigError: no ``[sources.copilot]`` section, scope ambiguous, or the token variable unset.
        AuthError: the token was refused (exit 2).
        FatalSourceError: GitHub has a report for none of the (not recent) days asked for.
        TransientSourceError: retries ran out; days stored so far stay stored.
    """
    config = ctx.config
    section = config.root.sources.copilot
    where = str(config.path) if config.path else None
    if section is None:
        raise ConfigError("add a [sources.copilot] section to sync Copilot.", path=where)
    scope = scope_of(section, where)
    token = config.secret(section.token_env, what="a GitHub token that can read Copilot usage metrics")

    today = utc_today()
    last = today - timedelta(days=1)
    first, notes = _first_day(ctx, scope, since, section.backfill_days, today)
    summary = SyncSummary(source="copilot", notes=notes)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if not days:
        return summary

    missing: list[date] = []
    task = ctx.progress.add_task(f"copilot {scope.label}", total=len(days)) if ctx.progress else None
    with CopilotClient(section.base_url, token.reveal(), scope, env_var=section.token_env) as client:
        for day in days:
            result = client.fetch_day(day, seat_cost_usd_per_month=section.seat_cost_usd_per_month)
            if not result.available:
                if (today - day).days <= NOT_READY_DAYS:
                    summary.notes.append(f"report for {day} not published yet; it is fetched next time")
                    break
                # Keep what the store has for the day (a missing report is not an empty one), and leave
                # the cursor alone: a later day with a report moves it past this one.
                missing.append(day)
            else:
                with ctx.store.transaction() as tx:
                    tx.replace(AIUsageDay, {"tool": "copilot", "source": "copilot_api", "day": day}, result.usage)
                    tx.replace(CopilotUserTeam, {"scope": scope.label, "day": day}, result.teams)
                    advance_cursor(tx, "copilot", STREAM, day, scope.label)  # never backwards (--since)
                summary.rows["user-days"] = summary.rows.get("user-days", 0) + len(result.usage)
                summary.rows["team memberships"] = summary.rows.get("team memberships", 0) + len(result.teams)
                if result.links_refreshed:
                    summary.notes.append(f"{day}: re-requested expired download links")
            if task is not None:
                ctx.progress.advance(task)
    if missing and not summary.rows:
        raise FatalSourceError(
            f"GitHub has no Copilot usage report for {scope.label} on any day from {missing[0]} to {missing[-1]}. "
            "Check the org/enterprise name, that the token may read its Copilot metrics, and that the "
            "'Copilot usage metrics' policy is enabled; if Copilot started later, pass --since YYYY-MM-DD.",
            source="copilot", stream=STREAM)
    if missing:
        summary.notes.append(
            f"GitHub had no report for {len(missing)} day(s) between {missing[0]} and {missing[-1]}; "
            "what the store held for them is kept")
    return summary


def _first_day(ctx: SyncContext, scope: CopilotScope, since: date | None, backfill_days: int,
               today: date) -> tuple[date, list[str]]:
    """Where this sync starts, clamped to what GitHub serves (from 2025-10-10, one year back)."""
    notes: list[str] = []
    first = first_day(since=since, cursor=ctx.store.get_cursor("copilot", STREAM, scope.label),
                      end=today - timedelta(days=1), backfill_days=backfill_days, lag_days=LOOKBACK_DAYS,
                      first_stored=first_stored_day(ctx.store, "copilot", "copilot_api"))
    floor = max(FIRST_REPORT_DAY, today - timedelta(days=HISTORY_DAYS))
    if first < floor:
        notes.append(f"Copilot reports start at {floor} (from 2025-10-10, at most a year back); earlier days skipped")
        first = floor
    return first, notes
