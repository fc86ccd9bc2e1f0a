"""``correlate sync --source github`` end to end: hand-built GitHub (schema-executed GraphQL) → real DuckDB store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from connectors.github.records import DeploymentCommit, PRCommit
from connectors.records import AIUsageDay, Deployment, Incident, PullRequest, Review
from correlate import cli
from correlate.config import from_mapping
from correlate.store import Store
from correlate.sync import SyncContext, run_sync
from tests.cli import write_config
from tests.connectors.github.fake_github import (
    FakeCommit,
    FakeDeployment,
    FakeGitHub,
    FakePR,
    FakeRepo,
    FakeReview,
)
from tests.connectors.github.replay import Replay, replay_dir
from tests.httpserver import Server, serve

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
TOKEN = "ghp_FAKE-sync-test-token"
TABLES = (PullRequest, Review, PRCommit, Deployment, DeploymentCommit, Incident)


def pr(number: int, **kw: Any) -> FakePR:
    created = T0 + timedelta(days=number)
    base: dict[str, Any] = dict(
        number=number, author="ann", created_at=created, updated_at=created + timedelta(hours=6),
        merged_at=created + timedelta(hours=6), merge_sha=f"{number:040x}",
        reviews=[FakeReview(1000 * number, "bob", "APPROVED", created + timedelta(hours=2))],
        commits=[FakeCommit(f"{100000 * number:040x}", created - timedelta(hours=3))],
    )
    base.update(kw)
    return FakePR(**base)


def config(server: Server, store_path: Path, **github: Any) -> Any:
    section = {"base_url": server.url, "repos": ["acme/api"], "deployments_from": "merges",
               "incident_labels": [], "bug_labels": []}
    section.update(github)
    return from_mapping({
        "store": {"path": str(store_path)},
        "teams": [{"name": "Platform", "members": ["ann", "bob"], "repos": ["acme/api"]}],
        "people": [{"ids": ["ann", "ann@acme.example"]}],
        "sources": {"github": section},
    }, path=None)


@contextmanager
def fake_github(*repos: FakeRepo) -> Iterator[tuple[FakeGitHub, Server]]:
    fake = FakeGitHub(list(repos))
    with serve(fake) as server:
        yield fake, server


def run(cfg: Any, store_path: Path, since: date | None = None) -> Any:
    with Store.open(store_path) as store:
        return run_sync(SyncContext(cfg, store), ["github"], since)[0]


def dump(store_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store.open(store_path) as store:
        out = {t.TABLE: sorted(map(tuple, store.query(f"SELECT * FROM {t.TABLE}").astype(str).to_numpy()))
               for t in TABLES}
        out["sync_state"] = sorted(map(tuple, store.query(
            "SELECT source, stream, \"partition\", cursor FROM sync_state").astype(str).to_numpy()))
    return out


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)


def test_full_sync_stores_prs_with_derived_stages(store_path: Path) -> None:
    draft = pr(3, ready_at=T0 + timedelta(days=3, hours=1),
               comments=[("renovate[bot]", "Bot", T0 + timedelta(days=3, hours=1, minutes=5)),
                         ("ann", "User", T0 + timedelta(days=3, hours=1, minutes=6)),
                         ("carol", "User", T0 + timedelta(days=3, hours=1, minutes=30))])
    unreviewed = pr(2, reviews=[], labels=["claude-code-assisted"])
    open_pr = pr(1, merged_at=None, merge_sha=None, reviews=[])
    with fake_github(FakeRepo("acme/api", {3: draft, 2: unreviewed, 1: open_pr})) as (_, server):
        summary = run(config(server, store_path), store_path)
    assert summary.rows["pull requests"] == 3
    with Store.open(store_path) as store:
        rows = store.query("SELECT * FROM pull_requests ORDER BY number").set_index("number")
        cursor = store.get_cursor("github", "pull_requests", "acme/api")
    p3 = rows.loc[3]
    # first response: the bot and the author's own comment do not count; carol at +30 min does
    assert p3.first_review_at == pd.Timestamp(T0 + timedelta(days=3, hours=1, minutes=30))
    assert p3.coding_s == 4 * 3600  # first commit 3 h before creation, ready 1 h after
    assert p3.pickup_s == 30 * 60
    assert p3.review_s == 6 * 3600 - 90 * 60
    assert p3.cycle_s == 5 * 3600 and p3.lifetime_s == 9 * 3600
    assert bool(p3.merged_without_review) is False
    assert bool(rows.loc[2].merged_without_review) is True
    assert rows.loc[2].pickup_s == 6 * 3600  # no review, no approval: pickup runs to the merge
    assert rows.loc[2].review_s == 0
    assert (bool(rows.loc[2].ai_assisted), rows.loc[2].ai_rule) == (True, "label")
    p1 = rows.loc[1]
    assert p1.state == "open" and pd.isna(p1.cycle_s) and pd.isna(p1.pickup_s) and pd.isna(p1.merged_without_review)
    assert rows.loc[3].size_lines == 12
    assert cursor == (T0 + timedelta(days=3, hours=6)).isoformat()


def test_resync_of_unchanged_repo_costs_one_request_and_changes_nothing(store_path: Path) -> None:
    repo = FakeRepo("acme/api", {n: pr(n) for n in range(1, 6)})
    # the newest PR, inside the lookback window, has more reviews than one page holds
    repo.pulls[5].reviews = [FakeReview(50000 + i, "bob", "COMMENTED", T0 + timedelta(days=5, hours=1))
                             for i in range(150)]
    with fake_github(repo, FakeRepo("acme/web", {1: pr(1)})) as (_, server):
        cfg = config(server, store_path, repos=["acme/api", "acme/web"])
        run(cfg, store_path)
        first = dump(store_path)
        before = len(server.requests)
        run(cfg, store_path)
        assert before == 3  # acme/api: 1 page + 1 more page of PR 5's reviews; acme/web: 1 page
        assert len(server.requests) - before == 2  # one per repository: unchanged PRs are not paged again
    assert dump(store_path) == first


def test_changed_pr_is_picked_up_and_open_prs_are_reread_until_they_close(store_path: Path) -> None:
    still_open = pr(1, merged_at=None, merge_sha=None, reviews=[])
    repo = FakeRepo("acme/api", {1: still_open, 20: pr(20)})
    with fake_github(repo) as (fake, server):
        cfg = config(server, store_path, lookback_days=1)
        run(cfg, store_path)
        # PR 1 merges; GitHub's search index sees it closed although its page position is old
        still_open.merged_at = T0 + timedelta(days=2)
        still_open.merge_sha = "f" * 40
        repo.pulls[20].reviews.append(FakeReview(7, "carol", "COMMENTED", T0 + timedelta(days=20, hours=1)))
        repo.pulls[20].updated_at += timedelta(hours=1)
        fake.queries.clear()
        run(cfg, store_path)
        assert fake.queries[0][1]["withOpen"] is True
    with Store.open(store_path) as store:
        states = dict(store.query("SELECT number, state FROM pull_requests").itertuples(index=False))
        reviews = store.query("SELECT count(*) AS n FROM reviews WHERE number = 20")["n"][0]
    assert reviews == 2
    # the merged PR was not in the window, and the search only returns open PRs: it stays as stored
    # until its own update moves it into the window (GitHub bumps updatedAt on merge)
    assert states[1] == "open"
    still_open.updated_at = T0 + timedelta(days=40)
    with fake_github(repo) as (fake, server):
        run(config(server, store_path, lookback_days=1), store_path)
    with Store.open(store_path) as store:
        assert store.query("SELECT state FROM pull_requests WHERE number = 1")["state"][0] == "merged"


def test_deleted_and_renamed_repos_are_reported_not_fatal(store_path: Path) -> None:
    with fake_github(FakeRepo("acme/api", {1: pr(1)})) as (fake, server):
        fake.renamed["acme/api"] = "acme/platform-api"
        summary = run(config(server, store_path, repos=["acme/gone", "acme/api"]), store_path)
    assert summary.rows["pull requests"] == 1
    assert [n for n in summary.notes if "acme/gone" in n] == [
        "acme/gone not found (deleted, transferred or not visible to $GITHUB_TOKEN); skipped"]
    assert [n for n in summary.notes if "acme/platform-api" in n] == [
        "acme/api now answers as acme/platform-api (transferred or renamed); its rows stay under acme/api: "
        "update `repos` in the config"]


def test_deployments_with_statuses_and_the_commits_each_introduced(store_path: Path) -> None:
    shas = [f"{i:040x}" for i in range(1, 8)]
    repo = FakeRepo("acme/api", {1: pr(1)}, commit_order=shas, deployments=[
        FakeDeployment(13, shas[6], "production", T0 + timedelta(days=3),
                       [(3, "failure", T0 + timedelta(days=3, minutes=9))]),
        FakeDeployment(12, shas[4], "production", T0 + timedelta(days=2),
                       [(22, "inactive", T0 + timedelta(days=3)), (21, "success", T0 + timedelta(days=2, minutes=5))]),
        FakeDeployment(11, shas[1], "staging", T0 + timedelta(days=1, hours=12)),
        FakeDeployment(10, shas[1], "production", T0 + timedelta(days=1),
                       [(1, "success", T0 + timedelta(days=1, minutes=5))]),
    ])
    with fake_github(repo) as (_, server):
        cfg = config(server, store_path, deployments_from="deployments")
        run(cfg, store_path)
        before = len(server.requests)
        run(cfg, store_path)  # a re-sync: no status or comparison is read again
        resync = [r.path for r in server.requests[before:]]
        compares = [r.path for r in server.requests if "/compare/" in r.path]
    assert compares == [f"/repos/acme/api/compare/{shas[1]}...{shas[4]}"]
    assert resync == ["/graphql", "/repos/acme/api/deployments"]
    with Store.open(store_path) as store:
        deps = store.query("SELECT deployment_id, status, is_production, finished_at FROM deployments "
                           "ORDER BY deployment_id").set_index("deployment_id")
        commits = store.query("SELECT deployment_id, sha FROM deployment_commits ORDER BY sha")
    assert deps.loc["12"].status == "success"  # `inactive` only means a later deployment replaced it
    assert deps.loc["13"].status == "failure" and pd.isna(deps.loc["11"].status)
    assert bool(deps.loc["11"].is_production) is False
    assert commits.groupby("deployment_id")["sha"].apply(list).to_dict() == {"12": shas[2:5]}


def test_merge_proxy_and_incidents_from_labelled_issues(store_path: Path) -> None:
    issue = {"id": 1, "number": 77, "title": "Checkout down", "state": "closed", "labels": [{"name": "incident"}],
             "created_at": "2026-10-05T10:00:00Z", "closed_at": "2026-10-05T12:00:00Z",
             "updated_at": "2026-10-05T12:00:00Z", "html_url": "https://github.com/acme/api/issues/77"}
    repo = FakeRepo("acme/api", {2: pr(2)}, issues=[issue])
    with fake_github(repo) as (_, server):
        run(config(server, store_path, incident_labels=["incident"]), store_path)
    with Store.open(store_path) as store:
        dep = store.query("SELECT * FROM deployments").iloc[0]
        shas = sorted(store.query("SELECT sha FROM deployment_commits")["sha"])
        inc = store.query("SELECT * FROM incidents").iloc[0]
    assert (dep.source, dep.deployment_id, dep.sha) == ("github_merges", "acme/api#2", f"{2:040x}")
    assert "proxy" in dep.environment
    assert shas == sorted([f"{2:040x}", f"{200000:040x}"])
    assert (inc.incident_id, inc.kind, inc.team) == ("acme/api#77", "incident", "Platform")


def test_author_claude_code_activity_marks_pr_ai_assisted(store_path: Path) -> None:
    with Store.open(store_path) as store:
        store.upsert(AIUsageDay, [AIUsageDay(tool="claude_code", source="analytics_api", day=date(2026, 10, 5),
                                             actor="ann@acme.example", commits=2)])
    with fake_github(FakeRepo("acme/api", {4: pr(4), 9: pr(9)})) as (_, server):
        run(config(server, store_path), store_path)
    with Store.open(store_path) as store:
        rows = store.query("SELECT number, ai_assisted, coalesce(ai_rule, '-') AS ai_rule FROM pull_requests "
                           "ORDER BY number")
    assert rows.to_dict("records") == [
        {"number": 4, "ai_assisted": True, "ai_rule": "usage_activity"},  # its life (first commit to merge) is 10-05
        {"number": 9, "ai_assisted": False, "ai_rule": "-"},
    ]


def test_usage_arriving_after_the_pr_was_stored_marks_it_on_the_next_sync(store_path: Path) -> None:
    with fake_github(FakeRepo("acme/api", {4: pr(4)})) as (_, server):
        cfg = config(server, store_path)
        run(cfg, store_path)
        with Store.open(store_path) as store:
            store.upsert(AIUsageDay, [AIUsageDay(tool="claude_code", source="analytics_api",
                                                 day=date(2026, 10, 5), actor="ann", prs=1)])
        before = len(server.requests)
        run(cfg, store_path)
        assert len(server.requests) - before == 1  # nothing re-read from GitHub for it
    with Store.open(store_path) as store:
        assert store.query("SELECT ai_rule FROM pull_requests")["ai_rule"].tolist() == ["usage_activity"]


def test_sync_twice_gives_the_same_store(store_path: Path) -> None:
    shas = [f"{i:040x}" for i in range(1, 4)]
    repo = FakeRepo("acme/api", {n: pr(n) for n in range(1, 4)}, commit_order=shas, deployments=[
        FakeDeployment(2, shas[2], "production", T0 + timedelta(days=2), [(2, "success", T0 + timedelta(days=2))]),
        FakeDeployment(1, shas[0], "production", T0 + timedelta(days=1), [(1, "success", T0 + timedelta(days=1))]),
    ])
    with fake_github(repo) as (_, server):
        cfg = config(server, store_path, deployments_from="deployments", incident_labels=["incident"],
                     bug_labels=["bug"])
        run(cfg, store_path)
        first = dump(store_path)
        run(cfg, store_path, since=date(2026, 9, 1))  # a forced full re-read
    second = dump(store_path)
    sync_first = first.pop("sync_state")
    sync_second = second.pop("sync_state")
    assert second == first
    assert [row[:3] for row in sync_first] == [row[:3] for row in sync_second]
    assert first["pull_requests"] and first["deployment_commits"]


def test_missing_token_variable_is_a_config_error(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from correlate.errors import ConfigError

    monkeypatch.delenv("GITHUB_TOKEN")
    with fake_github(FakeRepo("acme/api")) as (_, server), pytest.raises(ConfigError, match="GITHUB_TOKEN"):
        run(config(server, store_path), store_path)


def github_config(tmp_path: Path, base_url: str) -> Path:
    return write_config(tmp_path, f"""
[sources.github]
base_url = "{base_url}"
repos = ["acme/api"]
deployments_from = "merges"
incident_labels = []
bug_labels = []
""", store="cli.duckdb")


def test_cli_sync_stores_and_says_what_it_did(tmp_path: Path) -> None:
    with fake_github(FakeRepo("acme/api", {1: pr(1), 2: pr(2)})) as (_, server):
        result = CliRunner().invoke(cli.app, ["--config", str(github_config(tmp_path, server.url)), "sync",
                                              "--source", "github"])
    assert result.exit_code == 0, result.output
    assert "github: 2 pull requests" in result.output
    assert TOKEN not in result.output


def test_bad_credentials_exit_2_through_the_cli_without_printing_the_token(tmp_path: Path, fixtures_dir: Path) -> None:
    # GitHub answers a refused token with the same 401 on every endpoint; the recording is of
    # GET /user, so the server gives that recorded answer to whatever the sync asks first.
    replay = Replay([replay_dir(fixtures_dir) / "SpecificExceptions.testBadCredentials.txt"])
    recorded = replay.exchanges[0]
    with serve(lambda _req: replay.reply(recorded)) as server:
        result = CliRunner().invoke(cli.app, ["--config", str(github_config(tmp_path, server.url)), "sync",
                                              "--source", "github"])
    assert result.exit_code == 2
    assert "AuthError" in result.output and "GITHUB_TOKEN" in result.output and "Bad credentials" in result.output
    assert TOKEN not in result.output
    with Store.open(tmp_path / "cli.duckdb") as store:
        assert store.count(PullRequest) == 0


def test_rest_fallback_stores_the_same_pull_requests_as_graphql(tmp_path: Path) -> None:
    def build() -> FakeRepo:
        draft = pr(3, ready_at=T0 + timedelta(days=3, hours=1), labels=["ai-assisted"],
                   comments=[("carol", "User", T0 + timedelta(days=3, hours=2))])
        draft.commits.append(FakeCommit("c" * 40, T0 + timedelta(days=3), "Fix\n\nMade-with: Cursor", "ann"))
        return FakeRepo("acme/api", {3: draft, 2: pr(2, reviews=[]), 1: pr(1, merged_at=None, merge_sha=None)})

    tables = {}
    for api in ("graphql", "rest"):
        path = tmp_path / f"{api}.duckdb"
        with fake_github(build()) as (_, server):
            run(config(server, path, api=api), path)
        tables[api] = dump(path)
    for name in ("pull_requests", "reviews", "pr_commits", "deployments", "deployment_commits"):
        assert tables["rest"][name] == tables["graphql"][name], name
    assert len(tables["rest"]["pull_requests"]) == 3


def test_org_repositories_and_team_import_with_match_rate(store_path: Path) -> None:
    fake = FakeGitHub([FakeRepo("acme/api", {1: pr(1)}), FakeRepo("acme/web", {2: pr(2)})],
                      teams={"Platform": ["ann", "zed"], "Web": ["bob"]})
    with serve(fake) as server:
        cfg = config(server, store_path, repos=[], org="acme", import_teams=True)
        summary = run(cfg, store_path)
    assert summary.rows["pull requests"] == 2 and summary.rows["team memberships"] == 3
    with Store.open(store_path) as store:
        members = sorted(map(tuple, store.query("SELECT team, login FROM github_team_members").to_numpy()))
    assert members == [("Platform", "ann"), ("Platform", "zed"), ("Web", "bob")]
    # ann and bob are in the config mapping (2 of 3); bob is in Platform there, Web on GitHub: config wins
    note = next(n for n in summary.notes if n.startswith("teams:"))
    assert "67% also in the config mapping" in note and "1 in another team there (the config wins)" in note


def test_secondary_rate_limit_429_backs_off_as_told(store_path: Path,
                                                    instant_waits: list[tuple[float, str]]) -> None:
    from tests.httpserver import Reply

    with fake_github(FakeRepo("acme/api", {1: pr(1)})) as (fake, server):
        # hand-built from GitHub's docs on secondary rate limits (no recording of a 429 exists)
        fake.replies.append(Reply(429, {"message": "You have exceeded a secondary rate limit."},
                                  headers={"retry-after": "7"}))
        summary = run(config(server, store_path), store_path)
    assert summary.rows["pull requests"] == 1
    assert [s for s, _ in instant_waits] == [7.0]


def test_deleted_accounts_as_author_and_reviewer_are_stored_without_a_login(store_path: Path) -> None:
    ghost = pr(1, author=None, reviews=[FakeReview(9, None, "APPROVED", T0 + timedelta(days=1, hours=1))])
    with fake_github(FakeRepo("acme/api", {1: ghost})) as (_, server):
        run(config(server, store_path), store_path)
    with Store.open(store_path) as store:
        row = store.query("SELECT author, first_review_at, pickup_s, merged_without_review FROM pull_requests").iloc[0]
        review = store.query("SELECT author FROM reviews").iloc[0]
    assert row.author is None and review.author is None
    # a review by an unknown account cannot be told from the author's own: it is not a first review
    assert pd.isna(row.first_review_at) and row.pickup_s == 6 * 3600 and bool(row.merged_without_review)


def test_a_pull_request_whose_files_github_cannot_list_is_stored_with_its_full_size_not_zero(store_path: Path) -> None:
    # `files: null` (nullable in GitHub's schema) once stored a 5,000-line PR as 0 lines. Unknown size outside
    # generated paths falls back to additions + deletions (pr_metrics), the size GitHub states for the PR.
    repo = FakeRepo("acme/api", {1: pr(1, additions=4990, deletions=10, changed_files=60, files_null=True),
                                 2: pr(2, additions=30, deletions=5, changed_files=2,
                                       files=[("src/a.py", 20, 5), ("poetry.lock", 10, 0)])})
    with fake_github(repo) as (_, server):
        run(config(server, store_path, generated_paths=["*.lock"]), store_path, date(2026, 10, 1))
    with Store.open(store_path) as store:
        sizes = dict(store.con.execute("SELECT number, size_lines FROM pull_requests").fetchall())
    assert sizes == {1: 5000, 2: 25}
