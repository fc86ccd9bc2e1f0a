"""``correlate sync --source github``: pull requests, reviews, commits, deployments, incident issues, teams.

Per repository (the configured ``repos``, else every unarchived repository of ``org``):

1. **Pull requests**, newest update first, from the cursor (newest ``updatedAt`` stored) minus
   ``lookback_days``, or ``backfill_days`` back on the first run. Each page is one store
   transaction (PRs with derived fields, reviews, PR commits); the cursor moves in the
   transaction of the repository's last page, so a crash re-reads at most one repository. PRs the
   store holds as open and that are older than the window are read again until they close.
2. **Deployments** per ``deployments_from``: GitHub Deployments (with the commits each successful
   production deployment introduced, from the compare API), releases, or merged PRs as the
   labelled proxy ``github_merges``.
3. **Incident and bug issues** from ``incident_labels`` / ``bug_labels``.

Then, with ``import_teams``, the organisation's team membership. A repository that is gone
(deleted, renamed away, invisible to the token) is reported in the summary, not fatal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from github import Github

from connectors.errors import FatalSourceError
from connectors.github import rest
from connectors.github.client import connect
from connectors.github.pulls import PullRequestPage, fetch_pull_requests
from connectors.github.records import DeploymentCommit, PRCommit, TeamMember
from connectors.records import Deployment, Incident, PullRequest, Review, record_columns
from correlate.config import Config, GitHubSource, normalize_identity
from correlate.errors import ConfigError
from correlate.pr_metrics import apply_usage_rule, derive_pr_metrics
from correlate.store import Store
from correlate.sync import SyncContext, SyncSummary

__all__ = ["ai_usage_days", "sync"]

SOURCE = "github"
PR_STREAM = "pull_requests"
DEPLOY_STREAM = "deployments"
ISSUE_STREAM = "issues"


def sync(ctx: SyncContext, since: date | None) -> SyncSummary:
    """Sync every configured repository; see the module docstring.

    Args:
        ctx: config, open store, optional rich progress.
        since: re-read from this day (UTC) instead of the saved cursors.

    Raises:
        ConfigError: no ``[sources.github]`` section, or neither ``repos`` nor ``org``; the token
            variable unset.
        AuthError, RateLimitError, TransientSourceError: from the connector (what is stored stays).
    """
    cfg = ctx.config.root.sources.github
    if cfg is None:
        raise ConfigError("no [sources.github] section; add one with `repos` or `org`.", key="sources.github")
    if not cfg.repos and not cfg.org:
        raise ConfigError("[sources.github] needs `repos = [\"owner/name\", ...]` or `org = \"name\"`.",
                          path=str(ctx.config.path) if ctx.config.path else None, key="sources.github")
    token = ctx.config.secret(cfg.token_env, what="a GitHub token that can read the repositories")
    gh = connect(cfg.base_url, token.reveal())
    summary = SyncSummary(SOURCE)
    repos = list(cfg.repos) or rest.list_org_repos(gh, str(cfg.org), token_env=cfg.token_env)
    ai_days = ai_usage_days(ctx.store, ctx.config)
    started = datetime.now(UTC)
    for repo in repos:
        task = ctx.progress.add_task(f"{repo}: pull requests", total=None) if ctx.progress is not None else None

        def report(text: str, task: Any = task, repo: str = repo) -> None:
            if task is not None:
                ctx.progress.update(task, description=f"{repo}: {text}")

        try:
            _sync_repo(ctx, gh, cfg, repo, since, summary, ai_days, started, report)
        except FatalSourceError as exc:
            if exc.status != 404:
                raise
            summary.notes.append(f"{repo} not found (deleted, transferred or not visible to ${cfg.token_env}); "
                                 "skipped")
            report("not found, skipped")
        if task is not None:
            ctx.progress.update(task, total=1, completed=1)
    if cfg.import_teams:
        if not cfg.org:
            raise ConfigError("import_teams needs `org`.", key="sources.github")
        _import_teams(ctx, gh, cfg, summary)
    # PRs, deployments and incident issues changed: rebuild the lead-time and failure links (issue 5's rules)
    from correlate.dora.linkage import link_all

    summary.notes.append(link_all(ctx.store, ctx.config).describe())
    return summary


def _window_start(store: Store, stream: str, repo: str, since: date | None, cfg: GitHubSource,
                  now: datetime) -> datetime:
    if since is not None:
        return datetime.combine(since, time(0), UTC)
    cursor = store.get_cursor(SOURCE, stream, repo)
    if cursor:
        return datetime.fromisoformat(cursor) - timedelta(days=cfg.lookback_days)
    return now - timedelta(days=cfg.backfill_days)


def _add(summary: SyncSummary, name: str, n: int) -> None:
    summary.rows[name] = summary.rows.get(name, 0) + n


def _sync_repo(ctx: SyncContext, gh: Github, cfg: GitHubSource, repo: str, since: date | None,
               summary: SyncSummary, ai_days: pd.DataFrame, now: datetime, report: Callable[[str], None]) -> None:
    store = ctx.store
    window = _window_start(store, PR_STREAM, repo, since, cfg, now)
    stale_open = [int(n) for n in store.query(
        "SELECT number FROM pull_requests WHERE repo = ? AND state = 'open' AND updated_at < ? ORDER BY number",
        [repo, window])["number"]]
    # PRs stored with the same updatedAt are not read again; `--since` re-reads (and re-derives) all.
    known = None if since is not None else {
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
    old_cursor = store.get_cursor(SOURCE, PR_STREAM, repo)
    newest = datetime.fromisoformat(old_cursor) if old_cursor else None
    count = 0
    renamed_noted = False
    for page in pages:
        if page.renamed_to and not renamed_noted:
            renamed_noted = True
            summary.notes.append(f"{repo} now answers as {page.renamed_to} (transferred or renamed); its rows stay "
                                 f"under {repo}: update `repos` in the config")
        if page.newest_updated_at and (newest is None or page.newest_updated_at > newest):
            newest = page.newest_updated_at
        with store.transaction():
            written = store_pull_request_page(store, page, cfg, ai_days)
            if page.last and newest is not None:
                store.set_cursor(SOURCE, PR_STREAM, repo, newest.isoformat())
        count += written
        _add(summary, "pull requests", written)
        _add(summary, "reviews", len(page.reviews))
        report(f"{count:,} pull requests")
    _refresh_usage_rule(store, repo, ai_days)
    _sync_deployments(ctx, gh, cfg, repo, since, summary, now, report)
    if cfg.incident_labels or cfg.bug_labels:
        issue_window = _window_start(store, ISSUE_STREAM, repo, since, cfg, now)
        incidents, newest_issue = rest.fetch_incident_issues(
            gh, repo, issue_window, incident_labels=cfg.incident_labels, bug_labels=cfg.bug_labels,
            token_env=cfg.token_env)
        owner = _repo_owner(ctx.config, repo)
        incidents = [Incident(**{**_fields(i), "team": owner}) for i in incidents]
        with store.transaction():
            store.upsert(Incident, incidents)
            _advance_cursor(store, ISSUE_STREAM, repo, newest_issue)
        _add(summary, "incident/bug issues", len(incidents))


def _refresh_usage_rule(store: Store, repo: str, ai_days: pd.DataFrame) -> None:
    """Apply the usage rule to stored PRs not re-read this time: usage data can arrive after the PR."""
    if ai_days.empty:
        return
    stored = store.query("SELECT * FROM pull_requests WHERE repo = ? AND NOT coalesce(ai_assisted, false)", [repo])
    if stored.empty:
        return
    marked = apply_usage_rule(stored, ai_days)
    changed = marked[marked["ai_assisted"].fillna(False).astype(bool)]
    if not changed.empty:
        with store.transaction():
            store.upsert(PullRequest, changed[record_columns(PullRequest)])


def _advance_cursor(store: Store, stream: str, repo: str, newest: datetime | None) -> None:
    """Move a time cursor forward to ``newest`` (never back; nothing seen leaves it as it is)."""
    old = store.get_cursor(SOURCE, stream, repo)
    if newest is not None and (old is None or newest > datetime.fromisoformat(old)):
        store.set_cursor(SOURCE, stream, repo, newest.isoformat())


def store_pull_request_page(store: Store, page: PullRequestPage, cfg: GitHubSource,
                            ai_days: pd.DataFrame | None = None) -> int:
    """Derive and upsert one page (call inside a transaction). Returns the PRs written.

    A PR's commits are replaced as a set, since a force-push can drop commits.
    """
    if not page.pulls:
        return 0
    prs = pd.DataFrame([_fields(p) for p in page.pulls], columns=record_columns(PullRequest))
    activity = pd.DataFrame([_fields(a) for a in page.activity],
                            columns=["number", "author", "author_type", "at", "kind", "state"]).assign(repo=page.repo)
    derived = derive_pr_metrics(prs, activity, bot_logins=cfg.bot_logins, ai_labels=cfg.ai_labels)
    if ai_days is not None and not ai_days.empty:
        derived = apply_usage_rule(derived, ai_days)
    store.upsert(PullRequest, derived[record_columns(PullRequest)])
    store.upsert(Review, page.reviews)
    numbers = sorted({p.number for p in page.pulls})
    store.con.execute("DELETE FROM pr_commits WHERE repo = ? AND list_contains(?, number)", [page.repo, numbers])
    store.upsert(PRCommit, page.commits)
    return len(page.pulls)


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def _repo_owner(config: Config, repo: str) -> str | None:
    for team in config.root.teams:
        if any(r.lower() == repo.lower() for r in team.repos):
            return team.name
    return None


def _sync_deployments(ctx: SyncContext, gh: Github, cfg: GitHubSource, repo: str, since: date | None,
                      summary: SyncSummary, now: datetime, report: Callable[[str], None]) -> None:
    store = ctx.store
    window = _window_start(store, DEPLOY_STREAM, repo, since, cfg, now)
    if cfg.deployments_from == "merges":
        source = "github_merges"
        merged = store.query(
            "SELECT number, merge_commit_sha, merged_at, base_branch FROM pull_requests "
            "WHERE repo = ? AND merged_at >= ? ORDER BY merged_at", [repo, window])
        deployments = [
            Deployment(source=source, deployment_id=f"{repo}#{int(r.number)}", repo=repo,
                       environment="merge (proxy: no deploy data)", sha=r.merge_commit_sha,
                       started_at=r.merged_at.to_pydatetime(), finished_at=r.merged_at.to_pydatetime(),
                       status="success", kind="deploy", is_production=True)
            for r in merged.itertuples()
        ]
    elif cfg.deployments_from == "releases":
        source = "github_releases"
        deployments = rest.fetch_releases(gh, repo, window, token_env=cfg.token_env)
    else:
        source = SOURCE
        settled = set(store.query(
            "SELECT deployment_id FROM deployments WHERE source = ? AND repo = ? AND started_at >= ? "
            "AND (status IN ('success', 'failure', 'error') OR NOT is_production)",
            [SOURCE, repo, window])["deployment_id"]) if since is None else set()
        deployments = rest.fetch_deployments(gh, repo, window, production_environments=cfg.production_environments,
                                             token_env=cfg.token_env, settled=settled)
    with store.transaction():
        store.upsert(Deployment, deployments)
        if source == "github_merges":
            # in the cursor's transaction: a run stopped between the two would leave older merges without
            # commits for good (the next run's window starts at the cursor minus lookback_days)
            _merge_proxy_commits(store, repo, [d.deployment_id for d in deployments])
        _advance_cursor(store, DEPLOY_STREAM, repo, max((d.started_at for d in deployments if d.started_at),
                                                        default=None))
    _add(summary, "deployments", len(deployments))
    report(f"{len(deployments)} deployments")
    if source != "github_merges":
        missing = _deployments_missing_commits(store, source, repo)
        if missing:
            for _dep_id, rows in rest.deployment_commits(gh, repo, missing, token_env=cfg.token_env):
                with store.transaction():
                    store.upsert(DeploymentCommit, rows)
            _add(summary, "deployment comparisons", len(missing))


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
    with store.transaction():
        store.upsert(DeploymentCommit, rows)


def _import_teams(ctx: SyncContext, gh: Github, cfg: GitHubSource, summary: SyncSummary) -> None:
    org = str(cfg.org)
    members = rest.fetch_team_members(gh, org, token_env=cfg.token_env)
    with ctx.store.transaction():
        ctx.store.replace(TeamMember, {"org": org}, members)
    config_team: dict[str, set[str]] = {}
    for m in ctx.config.memberships:
        config_team.setdefault(m.identity, set()).add(m.team)
    logins = {normalize_identity(m.login) for m in members}
    known = {login for login in logins if login in config_team}
    differ = {normalize_identity(m.login) for m in members
              if normalize_identity(m.login) in config_team and m.team not in config_team[normalize_identity(m.login)]}
    _add(summary, "team memberships", len(members))
    if logins:
        summary.notes.append(
            f"teams: {len(logins)} logins from {len({m.team for m in members})} GitHub teams; "
            f"{len(known) / len(logins):.0%} also in the config mapping"
            + (f", {len(differ)} in another team there (the config wins)" if differ else ""))


def ai_usage_days(store: Store, config: Config) -> pd.DataFrame:
    """Author-days with Claude Code commits or PRs, keyed by every identity of the same person.

    Usage rows name an email or API key; PRs name a GitHub login. The config's ``[[people]]`` and
    team members join them (a GitHub noreply address is its login already). Returns columns
    ``author`` and ``day``.
    """
    frame = store.query(
        "SELECT DISTINCT actor, day FROM ai_usage_daily "
        "WHERE tool = 'claude_code' AND (coalesce(commits, 0) > 0 OR coalesce(prs, 0) > 0)")
    if frame.empty:
        return pd.DataFrame(columns=["author", "day"])
    person_of: dict[str, str] = {}
    for m in config.memberships:
        person_of[m.identity] = m.person
    for entry in config.root.people:
        ids = [normalize_identity(i) for i in entry.ids]
        for ident in ids:
            person_of.setdefault(ident, ids[0])
    identities: dict[str, set[str]] = {}
    for ident, person in person_of.items():
        identities.setdefault(person, set()).add(ident)
    rows = []
    for actor, day in frame.itertuples(index=False):
        norm = normalize_identity(str(actor))
        for ident in identities.get(person_of.get(norm, ""), set()) | {norm}:
            rows.append((ident, day))
    return pd.DataFrame(rows, columns=["author", "day"]).drop_duplicates()

