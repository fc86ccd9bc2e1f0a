"""``correlate export deployments``: one audit row per deployment, with its changes, failures and rules."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from connectors.records import Deployment, Incident, PullRequest
from correlate.config import load_config
from correlate.dora.export import EXPORT_COLUMNS, export_deployments
from correlate.dora.linkage import link_all
from correlate.store import Store
from tests.dora.builders import T0, at, deploy, incident, pr

CONFIG = """
[store]
path = "store.duckdb"

[[teams]]
name = "payments"
repos = ["acme/api"]
services = ["checkout"]

[[teams]]
name = "web"
repos = ["acme/web"]
"""


def test_the_export_is_the_audit_trail(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "correlate.toml"
    cfg.write_text(CONFIG)
    config = load_config(cfg)
    with Store.open(config.store_path) as store:
        store.upsert(PullRequest, [pr(1, merged=at(1), sha="aaa1111", first_commit=at(0)),
                                   pr(2, merged=at(2), sha="aaa2222", first_commit=at(-2)),
                                   pr(3, merged=at(3), sha="bbb3333", first_commit=at(1), repo="acme/web")])
        store.upsert(Deployment, [deploy("d0", finished=at(-1)), deploy("d1", finished=at(6)),
                                  deploy("s1", finished=at(7), environment="staging"),
                                  deploy("late", finished=at(days=40))])
        store.upsert(Incident, [incident("i1", created=at(7), repo="acme/api"),
                                incident("i2", created=at(8), repo="acme/api", deployment="d1")])
        link_all(store, config)
    out = tmp_path / "audit" / "deployments.csv"
    export_deployments(cfg, out, T0.date() - timedelta(days=1), T0.date() + timedelta(days=7))
    with out.open() as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == EXPORT_COLUMNS
        rows = {r["deployment_id"]: r for r in reader}
    assert set(rows) == {"d0", "d1", "s1", "acme/web#3"}  # 'late' is outside the window
    d1 = rows["d1"]
    assert (d1["team"], d1["counts_for_dora"], d1["changes"]) == ("payments", "True", "2")
    assert (d1["change_prs"], d1["lead_times_h"], d1["change_rules"]) == ("acme/api#1;acme/api#2", "6.0;8.0",
                                                                           "time_order;time_order")
    assert d1["lead_time_median_h"] == "7.0"
    assert (d1["failed"], d1["failures"], d1["failure_rules"]) == ("True", "csv:i1;csv:i2",
                                                                   "time_heuristic:repo;explicit")
    assert (rows["s1"]["counts_for_dora"], rows["s1"]["failed"]) == ("False", "False")
    proxy = rows["acme/web#3"]
    assert (proxy["source"], proxy["kind"], proxy["team"], proxy["lead_times_h"]) == ("merge_proxy", "merge_proxy",
                                                                                       "web", "2.0")
    said = capsys.readouterr().out
    assert "Wrote 3 deployments (2 count for DORA, 1 with a linked failure) and 1 merge-proxy" in said
    assert str(out) in said


def test_the_cli_writes_the_export_and_says_where(tmp_path: Path) -> None:
    import subprocess
    import sys

    cfg = tmp_path / "correlate.toml"
    cfg.write_text(CONFIG)
    with Store.open(load_config(cfg).store_path) as store:
        store.upsert(Deployment, [deploy("d1", finished=at(1))])
    out = tmp_path / "deployments.csv"
    done = subprocess.run([sys.executable, "-m", "correlate", "--config", str(cfg), "export", "deployments",
                           "--out", str(out)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert "Wrote 1 deployments" in done.stdout and out.name in done.stdout
    assert out.read_text().splitlines()[0] == ",".join(EXPORT_COLUMNS)
