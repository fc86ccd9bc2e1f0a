"""``correlate sync --source pagerduty``: incidents into the store, one window per transaction.

Incidents change until they resolve (acknowledged, reassigned, resolved), and PagerDuty selects
them by creation time. So every sync re-reads from the stored cursor minus ``lookback_days``, and
further back to the oldest incident still open in the store, so an incident opened long ago
is re-read until it resolves. Upserts on (source, incident_id) make the overlap harmless.

The cursor (``pagerduty/incidents``) is the end of the last window whose incidents are stored,
written in the same transaction as those incidents. At the end the DORA linkage is recomputed.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

from connectors.pagerduty import SOURCE, PagerDutyIncident, fetch_window, make_pagerduty_client, windows
from connectors.records import Incident
from correlate.config import Config
from correlate.dora.linkage import link_all
from correlate.ownership import team_of_pagerduty_teams, team_of_service
from correlate.errors import ConfigError
from correlate.store import Store
from correlate.sync import SyncContext, SyncSummary

__all__ = ["sync", "start_of_sync"]

STREAM = "incidents"


def sync(ctx: SyncContext, since: date | None) -> SyncSummary:
    """Fetch PagerDuty incidents created since the cursor (minus the lookback) and store them.

    Args:
        ctx: config, open store and optional progress display.
        since: a first day chosen by the user (overrides the cursor), or None.

    Raises:
        ConfigError: ``[sources.pagerduty]`` is missing or its token variable is unset.
        AuthError: PagerDuty refused the token (exit 2; the message names the variable).
    """
    cfg = ctx.config.root.sources.pagerduty
    if cfg is None:
        raise ConfigError("add a [sources.pagerduty] section to sync PagerDuty.", path=str(ctx.config.path))
    token = ctx.config.secret(cfg.token_env, what="a PagerDuty REST API key")
    now = datetime.now(UTC).replace(microsecond=0)
    start = start_of_sync(ctx.store, since=since, now=now, lookback_days=cfg.lookback_days,
                          backfill_days=cfg.backfill_days)
    spans = windows(start, now)
    summary = SyncSummary(source=SOURCE)
    stored = unmapped = 0
    task = ctx.progress.add_task("pagerduty incidents", total=len(spans)) if ctx.progress is not None else None
    with make_pagerduty_client(cfg.base_url, token.reveal()) as client:
        for lo, hi in spans:
            found = fetch_window(client, lo, hi, env_var=cfg.token_env)
            rows = _with_teams(ctx.config, found)
            rows = _keep_first_acknowledgement(ctx.store, rows)
            unmapped += sum(1 for r in rows if r.team is None)
            with ctx.store.transaction() as tx:
                stored += tx.upsert(Incident, rows)
                tx.set_cursor(SOURCE, STREAM, "", hi.strftime("%Y-%m-%dT%H:%M:%SZ"))
            if task is not None:
                ctx.progress.advance(task)
    links = link_all(ctx.store, ctx.config)
    summary.rows["incidents"] = stored
    if unmapped:
        summary.notes.append(f"{unmapped} incidents on services no team owns: add them to [[teams]] services "
                             "or pagerduty_teams")
    summary.notes.append(links.describe())
    return summary


def start_of_sync(store: Store, *, since: date | None, now: datetime, lookback_days: int,
                  backfill_days: int) -> datetime:
    """Where this sync starts reading (creation time), per the module docstring."""
    if since is not None:
        return datetime.combine(since, time(), tzinfo=UTC)
    earliest = now - timedelta(days=backfill_days)
    cursor = store.get_cursor(SOURCE, STREAM, "")
    if cursor is None:
        return earliest
    start = datetime.fromisoformat(cursor.replace("Z", "+00:00")) - timedelta(days=lookback_days)
    row = store.con.execute(
        "SELECT min(created_at) FROM incidents WHERE source = ? AND resolved_at IS NULL "
        "AND coalesce(status, '') <> 'resolved'", [SOURCE]).fetchone()
    if row and row[0] is not None:
        start = min(start, row[0].astimezone(UTC))
    return max(start, earliest)


def _with_teams(config: Config, found: list[PagerDutyIncident]) -> list[Incident]:
    """Service ownership first (``[[teams]] services``), then PagerDuty teams (``pagerduty_teams``)."""
    out = []
    for item in found:
        inc = item.incident
        team = team_of_service(config, inc.service, item.service_name) or team_of_pagerduty_teams(config, item.teams)
        out.append(dataclasses.replace(inc, team=team))
    return out


def _keep_first_acknowledgement(store: Store, rows: list[Incident]) -> list[Incident]:
    """PagerDuty forgets acknowledgements on resolve; keep the earliest one already stored."""
    ids = [r.incident_id for r in rows]
    if not ids:
        return rows
    known = dict(store.con.execute(
        "SELECT incident_id, acknowledged_at FROM incidents WHERE source = ? AND acknowledged_at IS NOT NULL "
        "AND list_contains(?, incident_id)", [SOURCE, ids]).fetchall())
    out = []
    for r in rows:
        before = known.get(r.incident_id)
        if before is not None and (r.acknowledged_at is None or before < r.acknowledged_at):
            r = dataclasses.replace(r, acknowledged_at=before.astimezone(UTC))
        out.append(r)
    return out
