"""``correlate sync --source github``: pull requests, reviews, commits, deployments, incident issues, teams.

Per repository (the configured ``repos``, else every unarchived repository of ``org``), one unit of work:

1. **Pull requests**, newest update first, from the cursor (newest ``updatedAt`` stored) minus
   ``lookback_days``, or ``backfill_days`` back on the first run. Each page is one store
   transaction (the PRs' facts, reviews, commits and comments, and the PR metrics derived from them);
   the cursor moves in the transaction of the repository's last page, so a crash re-reads at most one
   repository. PRs the store holds as open and that are older than the window are read again until
   they close.
2. **Deployments** per ``deployments_from``: GitHub Deployments (with the commits each successful
   production deployment introduced, from the compare API), releases, or merged PRs as the
   labelled proxy ``github_merges``.
3. **Incident and bug issues** from ``incident_labels`` / ``bug_labels``, owned by the repo's team.

Then, with ``import_teams``, the organisation's team membership. A repository that is gone
(deleted, renamed away, invisible to the token) is reported in the summary, not fatal. AI attribution
by usage and the DORA links are the derive stage's (:mod:`correlate.derive`), after every source.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pandas as pd

from connectors.errors import FatalSourceError
from connectors.github import rest
from connectors.github.client import connect
from connectors.github.pulls import PullRequestPage, fetch_pull_requests
from connectors.github.records import DeploymentCommit, PRComment, PRCommit, TeamMember
from connectors.records import Deployment, Incident, PullRequest, Review, record_columns
from correlate import clock
from correlate.config import Config, GitHubSource
from correlate.errors import ConfigError
from correlate.identity import normalize_identity
from correlate.ownership import team_of_repo
from correlate.store import Store
from correlate.sync import Batch, Cursor, Rows, Run, Source

__all__ = ["SOURCE", "page_rows"]

SOURCE_NAME = "github"
PR_STREAM = "pull_requests"
DEPLOY_STREAM = "deployments"
ISSUE_STREAM = "issues"


def _connect(run: Run) -> AbstractContextManager[Any]:
    cfg: GitHubSource = run.section
    if not cfg.repos and not cfg.org:
        raise ConfigError("[sources.github] needs `repos = [\"owner/name\", ...]` or `org = \"name\"`.",
                          path=str(run.config.path) if run.config.path else None, key="sources.github")
    if cfg.import_teams and not cfg.org:
        raise ConfigError("import_teams needs `org`.", key="sources.github")
    token = run.config.secret(cfg.token_env, what="a GitHub token that can read the repositories")
    return nullcontext(connect(cfg.base_url, token.reveal()))


def _plan(run: Run) -> list[str]:
    from correlate.derive import ai_usage_days

    cfg: GitHubSource = run.section
    run.state["started"] = clock.now()
    run.state["ai_days"] = ai_usage_days(run.store, run.config)  # once per run, not per page
    return list(cfg.repos) or rest.list_org_repos(run.client, str(cfg.org), token_env=cfg.token_env)


def _fetch(run: Run, repo: str) -> Iterator[Batch]:
    cfg: GitHubSource = run.section
    try:
        yield from _pull_requests(run, repo)
        yield from _deployments(run, repo)
        if cfg.incident_labels or cfg.bug_labels:
            yield from _issues(run, repo)
    except FatalSourceError as exc:
        if exc.status != 404:
            raise
        yield Batch(notes=[f"{repo} not found (deleted, transferred or not visible to ${cfg.token_env}); skipped"],
                    status="not found, skipped")


def _window_start(run: Run, stream: str, repo: str) -> datetime:
    if run.since is not None:
        return datetime.combine(run.since, time(0), UTC)
    cursor = run.cursor(stream, repo)
    if cursor:
        return datetime.fromisoformat(cursor) - timedelta(days=run.section.lookback_days)
    started: datetime = run.state["started"]
    return started - timedelta(days=run.section.backfill_days)


def _pull_requests(run: Run, repo: str) -> Iterator[Batch]:
    store, cfg, gh = run.store, run.section, run.client
    window = _window_start(run, PR_STREAM, repo)
    stale_open = [int(n) for n in store.query(
        "SELECT number FROM pull_requests WHERE repo = ? AND state = 'open' AND updated_at < ? ORDER BY number",
        [repo, window])["number"]]
    # PRs stored with the same updatedAt are not read again; `--since` re-reads (and re-derives) all.
    known = None if run.since is not None else {
        int(n): t.to_pydatetime() for n, t in store.query(
            "SELECT number, updated_at FROM pull_requests WHERE repo = ? AND updated_at >= ?",
            [repo, window]).itertuples(index=False)}
    pages: Iterator[PullRequestPage]
    if cfg.api == "rest":
        pages = rest.fetch_pull_requests_rest(gh, repo, window, token_env=cfg.token_env, reread_open=stale_open,
                                              generated_paths=cfg.generated_paths, known=known)
    else:
        pages = fetch_pull_requests(gh, repo, window, token_env=cfg.token_env, reread_open=bool(stale_open),
                                    generated_paths=cfg.generated_paths, known=known)
    old = run.cursor(PR_STREAM, repo)
    newest = datetime.fromisoformat(old) if old else None
    count = 0
    renamed_noted = False
    for page in pages:
        notes = []
        if page.renamed_to and not renamed_noted:
            renamed_noted = True
            notes.append(f"{repo} now answers as {page.renamed_to} (transferred or renamed); its rows stay "
                         f"under {repo}: update `repos` in the config")
        if page.newest_updated_at and (newest is None or page.newest_updated_at > newest):
            newest = page.newest_updated_at
        count += len(page.pulls)
        yield Batch(rows=page_rows(page, run.config, run.state["ai_days"]),
                    cursor=Cursor(PR_STREAM, newest, repo) if page.last and newest is not None else None,
                    counts={"pull requests": len(page.pulls), "reviews": len(page.reviews)}, notes=notes,
                    status=f"{count:,} pull requests")


def page_rows(page: PullRequestPage, config: Config, ai_days: pd.DataFrame) -> list[Rows]:
    """The mapping of one page: PRs with their derived columns (the derive stage's own rule, so a stored PR is
    never without them), reviews, and each PR's commits and comments as a set (a force-push can drop commits,
    an edit can delete a comment)."""
    from correlate.derive import derived_pull_requests

    if not page.pulls:
        return []
    numbers = sorted({p.number for p in page.pulls})
    prs = pd.DataFrame([_fields(p) for p in page.pulls], columns=record_columns(PullRequest))
    activity = pd.DataFrame([_fields(a) for a in page.activity],
                            columns=["number", "author", "author_type", "at", "kind", "state"]).assign(repo=page.repo)
    derived = derived_pull_requests(prs, activity, config, ai_days)
    comments = [PRComment(page.repo, a.number, a.author, a.at, a.author_type) for a in page.activity
                if a.kind == "comment" and a.author and a.at is not None]
    mine = {"repo": page.repo, "number": numbers}
    return [Rows(PullRequest, derived[record_columns(PullRequest)]), Rows(Review, page.reviews),
            Rows(PRCommit, page.commits, mine), Rows(PRComment, comments, mine)]


def _latest(stream: str, repo: str, times: list[datetime | None]) -> Cursor | None:
    newest = max((t for t in times if t is not None), default=None)
    return Cursor(stream, newest, repo) if newest is not None else None


def _deployments(run: Run, repo: str) -> Iterator[Batch]:
    store, cfg, gh = run.store, run.section, run.client
    window = _window_start(run, DEPLOY_STREAM, repo)
    if cfg.deployments_from == "merges":
        merged = store.query(
            "SELECT number, merge_commit_sha, merged_at, base_branch FROM pull_requests "
            "WHERE repo = ? AND merged_at >= ? ORDER BY merged_at", [repo, window])
        deployments = [
            Deployment(source="github_merges", deployment_id=f"{repo}#{int(r.number)}", repo=repo,
                       environment="merge (proxy: no deploy data)", sha=r.merge_commit_sha,
                       started_at=r.merged_at.to_pydatetime(), finished_at=r.merged_at.to_pydatetime(),
                       status="success", kind="deploy", is_production=True)
            for r in merged.itertuples()
        ]
        ids = [d.deployment_id for d in deployments]
        # in the cursor's transaction: a run stopped between the two would leave older merges without
        # commits for good (the next run's window starts at the cursor minus lookback_days)
        yield Batch(rows=[Rows(Deployment, deployments)], then=lambda s: _merge_proxy_commits(s, repo, ids),
                    cursor=_latest(DEPLOY_STREAM, repo, [d.started_at for d in deployments]),
                    counts={"deployments": len(deployments)}, status=f"{len(deployments)} deployments")
        return
    if cfg.deployments_from == "releases":
        source = "github_releases"
        deployments = rest.fetch_releases(gh, repo, window, token_env=cfg.token_env)
    else:
        source = SOURCE_NAME
        settled = set(store.query(
            "SELECT deployment_id FROM deployments WHERE source = ? AND repo = ? AND started_at >= ? "
            "AND (status IN ('success', 'failure', 'error') OR NOT is_production)",
            [SOURCE_NAME, repo, window])["deployment_id"]) if run.since is None else set()
        deployments = rest.fetch_deployments(gh, repo, window, production_environments=cfg.production_environments,
                                             token_env=cfg.token_env, settled=settled)
    yield Batch(rows=[Rows(Deployment, deployments)],
                cursor=_latest(DEPLOY_STREAM, repo, [d.started_at for d in deployments]),
                counts={"deployments": len(deployments)}, status=f"{len(deployments)} deployments")
    missing = _deployments_missing_commits(store, source, repo)
    for _dep_id, rows in rest.deployment_commits(gh, repo, missing, token_env=cfg.token_env):
        yield Batch(rows=[Rows(DeploymentCommit, rows)], counts={"deployment comparisons": 1})


def _issues(run: Run, repo: str) -> Iterator[Batch]:
    cfg = run.section
    incidents, newest = rest.fetch_incident_issues(
        run.client, repo, _window_start(run, ISSUE_STREAM, repo), incident_labels=cfg.incident_labels,
        bug_labels=cfg.bug_labels, token_env=cfg.token_env)
    owner = team_of_repo(run.config, repo)
    incidents = [Incident(**{**_fields(i), "team": owner}) for i in incidents]
    yield Batch(rows=[Rows(Incident, incidents)], cursor=_latest(ISSUE_STREAM, repo, [newest]),
                counts={"incident/bug issues": len(incidents)})


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def _deployments_missing_commits(store: Store, source: str, repo: str) -> list[tuple[str, str, str, str]]:
    """Successful production deployments with a SHA and a predecessor, whose commits are not stored yet."""
    frame = store.query(
        """
        WITH ok AS (
            SELECT deployment_id, sha, finished_at,
                   lag(sha) OVER (ORDER BY finished_at, deployment_id) AS prev_sha
            FROM deployments
            WHERE source = ? AND repo = ? AND is_production AND status = 'success' AND sha IS NOT NULL
        )
        SELECT deployment_id, prev_sha, sha FROM ok
        WHERE prev_sha IS NOT NULL AND prev_sha <> sha
          AND NOT EXISTS (SELECT 1 FROM deployment_commits c
                          WHERE c.deployment_source = ? AND c.deployment_id = ok.deployment_id)
        ORDER BY finished_at
        """, [source, repo, source])
    return [(source, r.deployment_id, r.prev_sha, r.sha) for r in frame.itertuples()]


def _merge_proxy_commits(store: Store, repo: str, deployment_ids: list[str]) -> None:
    """For the merge proxy, a "deployment" introduces the PR's commits and its merge commit (call inside the
    transaction that stores those deployments)."""
    if not deployment_ids:
        return
    rows = store.query(
        """
        SELECT 'github_merges' AS deployment_source, ? || '#' || CAST(number AS VARCHAR) AS deployment_id, repo, sha
        FROM pr_commits WHERE repo = ? AND list_contains(?, ? || '#' || CAST(number AS VARCHAR))
        UNION
        SELECT 'github_merges', ? || '#' || CAST(number AS VARCHAR), repo, merge_commit_sha FROM pull_requests
        WHERE repo = ? AND merge_commit_sha IS NOT NULL AND list_contains(?, ? || '#' || CAST(number AS VARCHAR))
        """, [repo, repo, deployment_ids, repo, repo, repo, deployment_ids, repo])
    store.upsert(DeploymentCommit, rows)


def _finish(run: Run) -> None:
    """With ``import_teams``, the organisation's team membership, and how it compares with the config's."""
    cfg: GitHubSource = run.section
    if not cfg.import_teams:
        return
    org = str(cfg.org)
    members = rest.fetch_team_members(run.client, org, token_env=cfg.token_env)
    run.commit(Batch(rows=[Rows(TeamMember, members, {"org": org})], counts={"team memberships": len(members)}))
    config_team: dict[str, set[str]] = {}
    for m in run.config.memberships:
        config_team.setdefault(m.identity, set()).add(m.team)
    logins = {normalize_identity(m.login) for m in members}
    known = {login for login in logins if login in config_team}
    differ = {normalize_identity(m.login) for m in members
              if normalize_identity(m.login) in config_team and m.team not in config_team[normalize_identity(m.login)]}
    if logins:
        run.summary.notes.append(
            f"teams: {len(logins)} logins from {len({m.team for m in members})} GitHub teams; "
            f"{len(known) / len(logins):.0%} also in the config mapping"
            + (f", {len(differ)} in another team there (the config wins)" if differ else ""))


SOURCE = Source(name=SOURCE_NAME, section="github", connect=_connect, plan=_plan, fetch=_fetch, finish=_finish)

