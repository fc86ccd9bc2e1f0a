"""``correlate export deployments --out FILE.csv``: the DORA audit trail, one row per deployment.

Each row shows whether the deployment counts for DORA (successful, production), the merged PRs it
first shipped with their lead times and the rule that linked each, and the failures linked to it
with their rules. Merged PRs whose lead time is a merge-time proxy (repos without deploy data) get
rows of their own, ``source = merge_proxy``, so every lead time in a report can be traced here.
Links are the ones stored by the last sync or import (``correlate.dora.linkage.link_all``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from correlate.config import Config, load_config
from correlate.console import console
from correlate.csv_writer import write_csv
from correlate.dora.linkage import drop_temp, prepare
from correlate.export_window import check_window
from correlate.ownership import team_of_repo, team_of_service
from correlate.store import Store

__all__ = ["EXPORT_COLUMNS", "deployments_frame", "export_deployments"]

EXPORT_COLUMNS = [
    "source", "deployment_id", "team", "repo", "service", "environment", "status", "kind", "sha", "started_at",
    "finished_at", "counts_for_dora", "changes", "change_prs", "lead_times_h", "change_rules", "lead_time_median_h",
    "failed", "failures", "failure_rules",
]


def export_deployments(config_path: Path, out: Path, since: date | None, until: date | None) -> None:
    """Write the audit CSV for deployments that finished between ``since`` and ``until`` (inclusive days)."""
    check_window(since, until)
    config = load_config(config_path)
    with Store.open(config.store_path, read_only=True) as store:  # an export only reads
        frame = deployments_frame(store, config, since, until)
    out = write_csv(frame, Path(out))
    counted = int(frame["counts_for_dora"].fillna(False).astype(bool).sum())
    failed = int(frame["failed"].astype(bool).sum())
    proxies = int((frame["source"] == "merge_proxy").sum())
    console.print(f"Wrote {len(frame) - proxies:,} deployments ({counted:,} count for DORA, {failed:,} with a linked "
                  f"failure) and {proxies:,} merge-proxy changes to {out}", soft_wrap=True)


def deployments_frame(store: Store, config: Config, since: date | None, until: date | None) -> pd.DataFrame:
    """The export as a DataFrame (columns :data:`EXPORT_COLUMNS`), ordered by finish time."""
    tz = ZoneInfo(config.timezone)
    lo = datetime.combine(since, time(), tzinfo=tz) if since else datetime(1970, 1, 1, tzinfo=tz)
    hi = datetime.combine(until + timedelta(days=1), time(), tzinfo=tz) if until else datetime(9999, 1, 1, tzinfo=tz)
    with store.transaction():
        prepare(store, config)
        deps = store.query("""
            SELECT d.source, d.deployment_id, d.team, d.repo, d.service, d.environment, d.status, d.kind, d.sha,
                   d.started_at, d.finished_at, (x.deployment_id IS NOT NULL) AS counts_for_dora, x.team AS owner
            FROM deployments d
            LEFT JOIN _dora_dep x ON x.source = d.source AND x.deployment_id = d.deployment_id
            WHERE d.finished_at >= ? AND d.finished_at < ?""", [lo, hi])
        changes = store.query("""
            SELECT c.deployment_source AS source, c.deployment_id,
                   string_agg(c.repo || '#' || c.number, ';' ORDER BY c.repo, c.number) AS change_prs,
                   string_agg(coalesce(CAST(round(c.lead_time_s / 3600.0, 2) AS VARCHAR), ''), ';'
                              ORDER BY c.repo, c.number) AS lead_times_h,
                   string_agg(c.rule, ';' ORDER BY c.repo, c.number) AS change_rules,
                   count(*) AS changes, round(median(c.lead_time_s) / 3600.0, 2) AS lead_time_median_h
            FROM deployment_changes c GROUP BY ALL""")
        failures = store.query("""
            SELECT deployment_source AS source, deployment_id,
                   string_agg(incident_source || ':' || incident_id, ';' ORDER BY incident_source, incident_id)
                       AS failures,
                   string_agg(rule, ';' ORDER BY incident_source, incident_id) AS failure_rules
            FROM deployment_failures GROUP BY ALL""")
        proxies = store.query("""
            SELECT 'merge_proxy' AS source, c.deployment_id, NULL AS team, c.repo, NULL AS service,
                   NULL AS environment, NULL AS status, 'merge_proxy' AS kind, p.merge_commit_sha AS sha,
                   NULL AS started_at, p.merged_at AS finished_at, FALSE AS counts_for_dora, NULL AS owner
            FROM deployment_changes c JOIN pull_requests p ON p.repo = c.repo AND p.number = c.number
            WHERE c.rule = 'merge_proxy' AND p.merged_at >= ? AND p.merged_at < ?""", [lo, hi])
        drop_temp(store)
    frame = pd.concat([deps, proxies], ignore_index=True) if len(proxies) else deps
    owner = [o if isinstance(o, str) else (t if isinstance(t, str) else
             team_of_repo(config, r if isinstance(r, str) else None)
             or team_of_service(config, s if isinstance(s, str) else None))
             for o, t, r, s in zip(frame["owner"], frame["team"], frame["repo"], frame["service"], strict=True)]
    frame = frame.assign(team=pd.Series(owner, index=frame.index, dtype="object")).drop(columns=["owner"])
    frame = frame.merge(changes, on=["source", "deployment_id"], how="left")
    frame = frame.merge(failures, on=["source", "deployment_id"], how="left")
    frame["changes"] = frame["changes"].fillna(0).astype("int64")
    frame["failed"] = frame["failures"].notna()
    frame = frame.sort_values(["finished_at", "source", "deployment_id"], kind="stable")
    return frame[EXPORT_COLUMNS].reset_index(drop=True)
