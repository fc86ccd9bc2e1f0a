"""The derive stage: the same derived tables whatever order the sources synced in, and re-runnable on its own.

Four sources against local servers serving HAND-BUILT pages (the GitHub of tests/connectors/github/
fake_github.py, the documented Claude Code Analytics rows of tests/claude_pages.py, PagerDuty incidents
in the v2 shape of tests/ingest/test_pagerduty_sync.py) and a CSV import, synced one by one in several
orders, each into its own store. Every derived table must come out the same: before the derive stage,
a PR whose author's Claude Code activity arrived after the PR stayed unmarked until GitHub synced again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.records import PullRequest, record_columns
from correlate.config import load_config
from correlate.ingest.csv_import import import_deployments
from correlate.store import Store
from correlate.sync import SyncContext, run_sync
from tests.claude_pages import cc_page, cc_row, model
from tests.cli import run_cli
from tests.connectors.github.fake_github import FakeCommit, FakeGitHub, FakePR, FakeRepo, FakeReview
from tests.httpserver import Reply, Request, serve
from tests.ingest.test_pagerduty_sync import built, pd_server

TODAY = date(2026, 10, 20)
DERIVED = ("pull_requests", "deployment_changes", "deployment_failures")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def _github() -> FakeGitHub:
    def pr(number: int, author: str, day: int, *, merged: bool = True, **kw: Any) -> FakePR:
        created = at(day, 9)
        return FakePR(number=number, author=author, created_at=created, updated_at=at(day, 17),
                      merged_at=at(day, 15) if merged else None, merge_sha=f"{number:040x}" if merged else None,
                      commits=[FakeCommit(f"{number:02x}{day:038x}", created - timedelta(hours=3))], **kw)

    return FakeGitHub([FakeRepo("acme/api", {
        1: pr(1, "dev0", 10, reviews=[FakeReview(11, "dev1", "APPROVED", at(10, 11))]),  # dev0 used Claude Code
        2: pr(2, "dev1", 12, comments=[("dev0", "User", at(12, 10))]),
        3: pr(3, "dev0", 15, merged=False, labels=["ai-assisted"]),  # open; dev0's usage on the 16th is in its life
        4: pr(4, "dev1", 16, title='Revert "a change"'),
    })])


def _claude_code(req: Request) -> Reply:
    day = date.fromisoformat((req.q("starting_at") or "")[:10])
    rows = [cc_row(day, email="Dev0@acme.example", commits=2, prs=0, models=[model("claude-opus-5", 90)])
            ] if day.day in (10, 16) else []
    return Reply(200, cc_page(rows))


def _incidents() -> list[dict[str, Any]]:
    return [built(1, at(12, 16), status="resolved", resolved_at="2026-10-12T18:00:00Z"),
            built(2, at(16, 19))]


DEPLOYS = """id,repo,service,started_at,finished_at
d1,acme/api,checkout,2026-10-10T16:00:00Z,2026-10-10T16:10:00Z
d2,acme/api,checkout,2026-10-12T15:30:00Z,2026-10-12T15:40:00Z
d3,acme/api,checkout,2026-10-16T16:00:00Z,2026-10-16T16:10:00Z
"""


@contextmanager
def servers() -> Iterator[dict[str, str]]:
    with serve(_github()) as gh, serve(_claude_code) as cc, serve(pd_server(_incidents)) as pd:
        yield {"github": gh.url, "claude_code": cc.url, "pagerduty": pd.url}


def write_config(folder: Path, urls: dict[str, str]) -> Path:
    folder.mkdir()
    (folder / "deploys.csv").write_text(DEPLOYS, encoding="utf-8")
    path = folder / "correlate.toml"
    path.write_text(f"""
[store]
path = "store.duckdb"

[[teams]]
name = "payments"
members = [["dev0", "dev0@acme.example"], "dev1"]
repos = ["api"]
services = ["checkout"]

[sources.github]
base_url = "{urls['github']}"
repos = ["acme/api"]
deployments_from = "releases"
incident_labels = []
bug_labels = []
backfill_days = 30

[sources.claude_code]
base_url = "{urls['claude_code']}"
backfill_days = 15

[sources.pagerduty]
base_url = "{urls['pagerduty']}"
backfill_days = 30
""", encoding="utf-8")
    return path


def step(config_path: Path, name: str) -> None:
    if name == "csv":
        import_deployments(config_path, config_path.parent / "deploys.csv")
        return
    config = load_config(config_path)
    with Store.open(config.store_path) as store:
        run_sync(SyncContext(config, store), [name], None)


def derived(config_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store.open(config_path.parent / "store.duckdb") as store:
        return {t: sorted(store.con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in DERIVED}


def ai_rules(tables: dict[str, list[tuple[Any, ...]]]) -> dict[int, str | None]:
    rule = record_columns(PullRequest).index("ai_rule")
    return {row[1]: row[rule] for row in tables["pull_requests"]}


ORDERS = [
    ("claude_code", "github", "csv", "pagerduty"),  # usage before the PRs, incidents after the deployments
    ("github", "claude_code", "pagerduty", "csv"),  # usage after the PRs, incidents before the deployments
    ("pagerduty", "csv", "github", "claude_code"),
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRELATE_TODAY", TODAY.isoformat())
    for var in ("GITHUB_TOKEN", "ANTHROPIC_ADMIN_KEY", "PAGERDUTY_TOKEN"):
        monkeypatch.setenv(var, "FAKE-derive-test-token")


def test_derived_tables_are_the_same_whatever_order_the_sources_synced_in(tmp_path: Path, env: None) -> None:
    results = []
    with servers() as urls:
        for i, order in enumerate(ORDERS):
            config = write_config(tmp_path / f"order{i}", urls)
            for name in order:
                step(config, name)
            results.append(derived(config))
    first = results[0]
    # the derived facts the comparison is about are there at all
    assert ai_rules(first) == {1: "usage_activity", 2: None, 3: "label", 4: None}
    assert {r[-1] for r in first["deployment_failures"]} == {"time_heuristic:team", "revert"}
    assert {r[-1] for r in first["deployment_changes"]} == {"time_order", "merge_proxy"}
    for other in results[1:]:
        for table in DERIVED:
            assert other[table] == first[table], table


def test_derive_is_re_runnable_and_picks_up_a_config_change(tmp_path: Path, env: None) -> None:
    with servers() as urls:
        config = write_config(tmp_path / "once", urls)
        for name in ORDERS[0]:
            step(config, name)
    before = derived(config)
    result = run_cli("derive", config=config)
    assert result.returncode == 0, result.stderr
    assert "derive:" in result.stdout and "DORA links recomputed" in result.stdout
    assert derived(config) == before  # nothing changed, nothing moves
    # the label is no longer an AI label: derive alone re-decides PR 3 (no re-sync), by its author's usage now
    config.write_text(config.read_text().replace("bug_labels = []", 'bug_labels = []\nai_labels = ["other"]'))
    assert run_cli("derive", config=config).returncode == 0
    assert ai_rules(derived(config)) == {1: "usage_activity", 2: None, 3: "usage_activity", 4: None}
