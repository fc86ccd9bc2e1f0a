"""The REST side, through PyGithub objects: the PR fallback, deployments, releases, incident issues, teams.

Pull requests come from GraphQL (:mod:`connectors.github.pulls`) unless ``[sources.github] api =
"rest"``: servers without GraphQL, and the recorded PyGithub replays the tests run on. The REST
fallback costs about four requests per PR (detail for sizes, reviews, commits, timeline for the
ready-for-review event and comments; a fifth for files when ``generated_paths`` is set), against
about one per 100 PRs through GraphQL. GitHub's REST PR-commits list stops at 250 commits.

Deployments, releases, issues, comparisons and teams always use REST.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from github import Github
from github.Deployment import Deployment as GhDeployment
from github.PullRequest import PullRequest as GhPull
from github.Repository import Repository as GhRepository

from connectors.github.client import SOURCE, check_budget, translate_errors
from connectors.github.pulls import (
    Activity,
    PullRequestPage,
    commit_record,
    commits_evidence,
    is_generated,
    pull_from_parts,
)
from connectors.github.records import DeploymentCommit, TeamMember
from connectors.records import Deployment, Incident, Review

__all__ = [
    "deployment_commits",
    "deployment_record",
    "fetch_deployments",
    "fetch_incident_issues",
    "fetch_pull_requests_rest",
    "fetch_releases",
    "fetch_team_members",
    "list_org_repos",
    "pulls_in_window",
    "review_records",
]

# GitHub marks an older deployment `inactive` when a newer one to the same environment succeeds;
# that is not a verdict on the older one, so it is skipped when reading the latest status.
_SUPERSEDED = "inactive"
_FINISHED = {"success", "failure", "error"}


def fetch_pull_requests_rest(
    gh: Github,
    repo: str,
    since: datetime,
    *,
    token_env: str,
    reread_open: Sequence[int] = (),
    generated_paths: Sequence[str] = (),
    page_size: int = 100,
    known: Mapping[int, datetime] | None = None,
) -> Iterator[PullRequestPage]:
    """Yield pages of ``repo``'s PRs updated at or after ``since`` (newest update first) via REST.

    Args:
        reread_open: numbers of PRs the store holds as open; those older than the window are read
            again by number (until they close).
        Others as :func:`connectors.github.pulls.fetch_pull_requests`.
    """
    seen: set[int] = set()
    with translate_errors(stream="pull_requests", token_env=token_env, where=repo):
        r = gh.get_repo(repo)
        page = PullRequestPage(repo=repo)
        for pr in pulls_in_window(r, since):
            if known and known.get(pr.number) == pr.updated_at:
                page.skipped += 1  # unchanged since stored: skip its four detail requests
                seen.add(pr.number)
                continue
            _add_pull_rest(page, pr, repo=repo, generated_paths=generated_paths)
            seen.add(pr.number)
            if len(page.pulls) >= page_size:
                check_budget(gh)
                page.newest_updated_at = max((p.updated_at for p in page.pulls if p.updated_at), default=None)
                yield page
                page = PullRequestPage(repo=repo)
        for number in reread_open:
            if number not in seen:
                _add_pull_rest(page, r.get_pull(number), repo=repo, generated_paths=generated_paths)
        page.newest_updated_at = max((p.updated_at for p in page.pulls if p.updated_at), default=None)
        page.last = True
        check_budget(gh)
        yield page


def pulls_in_window(r: GhRepository, since: datetime) -> Iterator[GhPull]:
    """The repository's PRs (all states) updated at or after ``since``, newest update first.

    Pages follow the ``Link`` header and stop at the first PR older than ``since``: no page past
    the window is requested.
    """
    for pr in r.get_pulls(state="all", sort="updated", direction="desc"):
        if pr.updated_at is not None and pr.updated_at < since:
            return
        yield pr


def _add_pull_rest(page: PullRequestPage, pr: GhPull, *, repo: str, generated_paths: Sequence[str]) -> None:
    number = pr.number
    reviews = review_records(repo, number, pr.get_reviews())
    raw_commits = [(c.sha, c.commit.author.date if c.commit.author else None, c.commit.message,
                    c.author.login if c.author else None) for c in pr.get_commits()]
    commits = [commit_record(repo, number, sha, at, msg, login) for sha, at, msg, login in raw_commits]
    first_ready: tuple[str | None, datetime | None] | None = None
    activity = [Activity(number, rv.author, rv.author_type, rv.submitted_at, "review", rv.state) for rv in reviews]
    for event in pr.get_issue_timeline():
        kind = event.event
        if kind in ("ready_for_review", "convert_to_draft") and first_ready is None:
            first_ready = ("ReadyForReviewEvent" if kind == "ready_for_review" else "ConvertToDraftEvent",
                           event.created_at)
        elif kind == "commented":
            actor = event.actor
            activity.append(Activity(number, actor.login if actor else None, _user_type(actor), event.created_at,
                                     "comment"))
    size = _size_outside(list(pr.get_files()), pr.changed_files, generated_paths) if generated_paths else None
    # additions/deletions/changed_files are absent from the list answer: reading them completes the
    # object with GET /pulls/{number} (one request).
    pull = pull_from_parts(
        repo=repo, number=number, author=pr.user.login if pr.user else None, author_type=_user_type(pr.user),
        title=pr.title, state=pr.state, is_draft=pr.draft, created_at=pr.created_at, first_ready_event=first_ready,
        merged_at=pr.merged_at, closed_at=pr.closed_at, updated_at=pr.updated_at, additions=pr.additions,
        deletions=pr.deletions, changed_files=pr.changed_files, size_lines=size,
        merge_commit_sha=pr.merge_commit_sha if pr.merged_at else None, head_sha=pr.head.sha if pr.head else None,
        base_branch=pr.base.ref if pr.base else None, head_branch=pr.head.ref if pr.head else None,
        labels=[label.name for label in pr.labels], body=pr.body, commits=commits,
        commit_evidence=commits_evidence([(msg, login) for _, _, msg, login in raw_commits]),
    )
    page.pulls.append(pull)
    page.reviews += reviews
    page.commits += commits
    page.activity += activity


def _size_outside(files: list[Any], changed_files: int | None, generated_paths: Sequence[str]) -> int | None:
    """Lines changed outside ``generated_paths``; ``None`` (unknown) when the list is incomplete.

    The REST files list stops at 3,000 files, and a file without line counts cannot be summed: either
    way the size is unknown (correlate then falls back to additions + deletions), never an undercount.
    """
    if changed_files is not None and len(files) < changed_files:
        return None
    if any(f.additions is None or f.deletions is None for f in files):
        return None
    return sum(int(f.additions) + int(f.deletions) for f in files
               if not is_generated(f.filename or "", generated_paths))


def review_records(repo: str, number: int, reviews: Iterable[Any]) -> list[Review]:
    """PyGithub reviews as records; pending reviews (no submitted time, invisible to others) are left out."""
    return [
        Review(repo=repo, number=number, review_id=str(rv.id), author=rv.user.login if rv.user else None,
               author_type=_user_type(rv.user), state=rv.state, submitted_at=rv.submitted_at)
        for rv in reviews
        if rv.submitted_at is not None
    ]


def _user_type(user: Any) -> str | None:
    if user is None:
        return None
    kind = getattr(user, "type", None)
    return "Bot" if kind == "Bot" else ("User" if kind else None)


def fetch_deployments(
    gh: Github, repo: str, since: datetime, *, production_environments: Sequence[str], token_env: str,
    settled: Collection[str] = (),
) -> list[Deployment]:
    """GitHub Deployments of ``repo`` created at or after ``since`` (one list, newest first).

    For production ones (environment named in ``production_environments``, any case) the statuses
    are read: status is the latest one that is not ``inactive`` (``success``, ``failure``,
    ``error``, ``in_progress``, ``queued`` ...) and ``finished_at`` is its time when final. Other
    environments are kept with ``is_production`` False and no status (not worth a request each).
    Deployments in ``settled`` (ids already stored with a final status) are skipped: no status request.
    """
    production = {e.lower() for e in production_environments}
    out: list[Deployment] = []
    with translate_errors(stream="deployments", token_env=token_env, where=repo):
        for d in gh.get_repo(repo).get_deployments():
            if d.created_at is not None and d.created_at < since:
                break  # newest first
            if str(d.id) in settled:
                continue
            out.append(deployment_record(d, repo, is_production=(d.environment or "").lower() in production))
        check_budget(gh)
    return out


def deployment_record(d: GhDeployment, repo: str, *, is_production: bool) -> Deployment:
    """One PyGithub deployment as a record; production ones read their statuses (one request)."""
    latest = next((s for s in d.get_statuses() if s.state != _SUPERSEDED), None) if is_production else None
    state = latest.state if latest else None
    return Deployment(
        source=SOURCE, deployment_id=str(d.id), repo=repo, environment=d.environment, sha=d.sha,
        started_at=d.created_at, finished_at=latest.created_at if latest and state in _FINISHED else None,
        status=state, kind="deploy", is_production=is_production,
    )


def fetch_releases(gh: Github, repo: str, since: datetime, *, token_env: str) -> list[Deployment]:
    """Published, non-draft, non-prerelease releases as production deployments (source ``github_releases``).

    ``sha`` is set only when the release targets a commit SHA (it usually names a branch).
    """
    out: list[Deployment] = []
    with translate_errors(stream="releases", token_env=token_env, where=repo):
        for rel in gh.get_repo(repo).get_releases():
            published = rel.published_at or rel.created_at
            if published is not None and published < since:
                break  # newest first
            if rel.draft or rel.prerelease:
                continue
            target = rel.target_commitish or ""
            sha = target if len(target) == 40 and all(ch in "0123456789abcdef" for ch in target) else None
            out.append(Deployment(
                source="github_releases", deployment_id=str(rel.id), repo=repo, service=rel.tag_name,
                environment="release", sha=sha, started_at=rel.created_at, finished_at=published,
                status="success", kind="deploy", is_production=True,
            ))
        check_budget(gh)
    return out


def deployment_commits(
    gh: Github, repo: str, pairs: Iterable[tuple[str, str, str, str]], *, token_env: str
) -> Iterator[tuple[str, list[DeploymentCommit]]]:
    """For each ``(deployment_source, deployment_id, base_sha, head_sha)``, the commits head adds to base.

    Uses the compare API (``GET /repos/{repo}/compare/{base}...{head}``, paged). Yields
    ``(deployment_id, records)`` so the caller stores each deployment's commits with its own unit.
    The head commit itself is always included.
    """
    with translate_errors(stream="deployment_commits", token_env=token_env, where=repo):
        r = gh.get_repo(repo)
        for source, dep_id, base, head in pairs:
            shas = {c.sha for c in r.compare(base, head).commits} | {head}
            yield dep_id, [DeploymentCommit(source, dep_id, repo, sha) for sha in sorted(shas)]


def fetch_incident_issues(
    gh: Github, repo: str, since: datetime | None, *, incident_labels: Sequence[str], bug_labels: Sequence[str],
    token_env: str,
) -> tuple[list[Incident], datetime | None]:
    """Issues (not PRs) carrying an incident or bug label, updated since ``since`` (None: all), one list per label.

    An issue with both kinds of label is an incident. Returns the incidents and the newest
    ``updated_at`` seen (the next cursor).
    """
    found: dict[int, Incident] = {}
    newest: datetime | None = None
    with translate_errors(stream="issues", token_env=token_env, where=repo):
        r = gh.get_repo(repo)
        for kind, labels in (("bug", bug_labels), ("incident", incident_labels)):
            for label in labels:
                found_issues = (r.get_issues(state="all", labels=[label], since=since) if since is not None
                                else r.get_issues(state="all", labels=[label]))
                for issue in found_issues:
                    if _is_pull(issue):
                        continue
                    if issue.updated_at is not None and (newest is None or issue.updated_at > newest):
                        newest = issue.updated_at
                    found[issue.number] = Incident(
                        source=SOURCE, incident_id=f"{repo}#{issue.number}", number=issue.number, title=issue.title,
                        status=issue.state, repo=repo, kind=kind, created_at=issue.created_at,
                        resolved_at=issue.closed_at,
                    )
        check_budget(gh)
    return list(found.values()), newest


def _is_pull(issue: Any) -> bool:
    # The issues API lists PRs too. Reading `issue.pull_request` would cost a request per ordinary
    # issue (the key is absent, so PyGithub completes the object); the page URL says it for free.
    return "/pull/" in (issue.html_url or "")


def fetch_team_members(gh: Github, org: str, *, token_env: str) -> list[TeamMember]:
    """Every (team, member login) of ``org``'s teams (one request per team, plus the team list)."""
    out: list[TeamMember] = []
    with translate_errors(stream="teams", token_env=token_env, where=org):
        for team in gh.get_organization(org).get_teams():
            for member in team.get_members():
                out.append(TeamMember(org=org, team=team.name, login=member.login))
        check_budget(gh)
    return out


def list_org_repos(gh: Github, org: str, *, token_env: str) -> list[str]:
    """``owner/name`` of the organisation's repositories that are not archived."""
    with translate_errors(stream="repos", token_env=token_env, where=org):
        return [r.full_name for r in gh.get_organization(org).get_repos() if not r.archived]
