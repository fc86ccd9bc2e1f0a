"""``correlate sync --source pagerduty``: incidents into the store, one window per transaction.

Incidents change until they resolve (acknowledged, reassigned, resolved), and PagerDuty selects
them by creation time. So every sync re-reads from the stored cursor minus ``lookback_days``, and
further back to the oldest incident still open in the store, so an incident opened long ago
is re-read until it resolves. Upserts on (source, incident_id) make the overlap harmless.

The cursor (``pagerduty/incidents``) is the end of the last window whose incidents are stored,
written in the same transaction as those incidents. Which deployment an incident is blamed on is the
derive stage's work (:mod:`correlate.derive`), after every source.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connectors.pagerduty import SOURCE as NAME
from connectors.pagerduty import PagerDutyIncident, fetch_window, make_pagerduty_client, windows
from connectors.records import Incident
from correlate import clock
from correlate.config import Config
from correlate.ownership import team_of_pagerduty_teams, team_of_service
from correlate.store import Store
from correlate.sync import Batch, Cursor, Rows, Run, Source

__all__ = ["SOURCE", "start_of_sync"]

STREAM = "incidents"

Window = tuple[datetime, datetime]


def _connect(run: Run) -> AbstractContextManager[Any]:
    token = run.config.secret(run.section.token_env, what="a PagerDuty REST API key")
    return make_pagerduty_client(run.section.base_url, token.reveal())


def _plan(run: Run) -> list[Window]:
    now = clock.now().replace(microsecond=0)
    start = start_of_sync(run.store, since=run.since, now=now, lookback_days=run.section.lookback_days,
                          backfill_days=run.section.backfill_days)
    return windows(start, now)


def _fetch(run: Run, span: Window) -> Iterator[Batch]:
    lo, hi = span
    found = fetch_window(run.client, lo, hi, env_var=run.section.token_env)
    rows = _keep_first_acknowledgement(run.store, _with_teams(run.config, found))
    run.state["unmapped"] = run.state.get("unmapped", 0) + sum(1 for r in rows if r.team is None)
    yield Batch(rows=[Rows(Incident, rows)], cursor=Cursor(STREAM, hi.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                           forward_only=False),
                counts={"incidents": len(rows)})


def _finish(run: Run) -> None:
    if run.state.get("unmapped"):
        run.summary.notes.append(f"{run.state['unmapped']} incidents on services no team owns: add them to "
                                 "[[teams]] services or pagerduty_teams")


def start_of_sync(store: Store, *, since: date | None, now: datetime, lookback_days: int,
                  backfill_days: int) -> datetime:
    """Where this sync starts reading (creation time), per the module docstring."""
    if since is not None:
        return datetime.combine(since, time(), tzinfo=UTC)
    earliest = now - timedelta(days=backfill_days)
    cursor = store.get_cursor(NAME, STREAM, "")
    if cursor is None:
        return earliest
    start = datetime.fromisoformat(cursor.replace("Z", "+00:00")) - timedelta(days=lookback_days)
    row = store.one("SELECT min(created_at) FROM incidents WHERE source = ? AND resolved_at IS NULL "
                    "AND coalesce(status, '') <> 'resolved'", [NAME])
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
        "AND list_contains(?, incident_id)", [NAME, ids]).fetchall())
    out = []
    for r in rows:
        before = known.get(r.incident_id)
        if before is not None and (r.acknowledged_at is None or before < r.acknowledged_at):
            r = dataclasses.replace(r, acknowledged_at=before.astimezone(UTC))
        out.append(r)
    return out


SOURCE = Source(name=NAME, section="pagerduty", connect=_connect, plan=_plan, fetch=_fetch, finish=_finish,
                label=lambda span: f"{span[0]:%Y-%m-%d}…{span[1]:%Y-%m-%d}")
