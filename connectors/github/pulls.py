"""Pull requests in bulk through GraphQL: pages of up to 100, newest update first, nested lists complete.

:func:`fetch_pull_requests` yields one :class:`PullRequestPage` per GraphQL page of a repository,
until the pages reach PRs last updated before ``since``. Nested connections that overflow their
first page (reviews, commits, comments, files) are followed with their own queries, so no PR is
stored with a truncated review or commit list.

The records carry raw facts; stage durations, first review and the AI decision are derived by
``correlate.pr_metrics`` from the records plus :attr:`PullRequestPage.activity`. Two facts are
settled here because they need text that is not stored: ``ai_rule``/``ai_tool`` hold the evidence
found in the PR body or commit messages (:mod:`connectors.github.attribution`), and ``size_lines``
holds additions + deletions outside ``generated_paths`` when the complete changed-file list was fetched
(None when it was not asked for, or GitHub answered it null or cut short; correlate then uses additions +
deletions). A review's key is its ``fullDatabaseId``, else its node ``id`` (both nullable fields are
read as unknown, never as 0, and never stop the repository).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from github import Github

from connectors._fields import MAX_NUMBER, Ctx, get_bool, get_count, get_map, get_str
from connectors.errors import PayloadError, RateLimitError, TransientSourceError
from connectors.github import graphql
from connectors.github.attribution import agent_tool, text_evidence
from connectors.github.client import SOURCE
from connectors.github.records import PRCommit
from connectors.records import PullRequest, Review

__all__ = [
    "Activity",
    "PullRequestPage",
    "actor_type",
    "commit_record",
    "commits_evidence",
    "fetch_pull_requests",
    "is_generated",
    "pull_from_parts",
    "split_repo",
]

PAGE_SIZE = 100
MIN_PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class Activity:
    """A review or conversation comment on a PR: the input of "first review" (not stored itself)."""

    number: int
    author: str | None
    author_type: str | None
    at: datetime | None
    kind: str  # review | comment
    state: str | None = None


@dataclass
class PullRequestPage:
    """One page of one repository's PRs with their reviews, commits and review/comment activity."""

    repo: str
    pulls: list[PullRequest] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    commits: list[PRCommit] = field(default_factory=list)
    activity: list[Activity] = field(default_factory=list)
    newest_updated_at: datetime | None = None
    last: bool = False  # no further page will follow for this repository
    renamed_to: str | None = None  # GitHub answered for another owner/name (transferred or renamed)
    requests: int = 0
    skipped: int = 0  # PRs unchanged since they were stored


def split_repo(full_name: str) -> tuple[str, str]:
    """``owner/name`` → ``(owner, name)``; a PayloadError names the bad value."""
    owner, _, name = full_name.partition("/")
    if not owner or not name or "/" in name:
        raise PayloadError(f"repository {full_name!r} is not in owner/name form", source=SOURCE)
    return owner, name


def fetch_pull_requests(
    gh: Github,
    repo: str,
    since: datetime,
    *,
    token_env: str,
    reread_open: bool = False,
    generated_paths: Sequence[str] = (),
    page_size: int = PAGE_SIZE,
    known: Mapping[int, datetime] | None = None,
) -> Iterator[PullRequestPage]:
    """Yield pages of ``repo``'s PRs updated at or after ``since``, newest update first.

    Args:
        gh: client from :func:`connectors.github.client.connect`.
        repo: ``owner/name``.
        since: the window's start (cursor minus lookback, or the backfill start).
        token_env: named in auth errors.
        reread_open: also re-read the repository's open PRs that are older than the window, in the
            first request (the store knows some are open).
        generated_paths: glob patterns of generated files; when given, changed files are fetched and
            ``size_lines`` excludes them.
        page_size: PRs per GraphQL page (GitHub allows up to 100).
        known: ``number → updatedAt`` of PRs already stored; a PR whose ``updatedAt`` is unchanged is
            skipped (its nested lists are not paged again), so the lookback overlap costs nothing.

    Raises:
        FatalSourceError: status 404 when the repository is gone or invisible to the token.
    """
    owner, name = split_repo(repo)
    with_files = bool(generated_paths)
    after: str | None = None
    first = True
    retried = 0
    while True:
        variables = {
            "owner": owner, "name": name, "pageSize": page_size, "after": after, "withFiles": with_files,
            "withOpen": bool(reread_open and first),
            "openQuery": f"repo:{repo} is:pr is:open sort:updated-asc",
        }
        try:
            data = graphql.run(gh, "pull_requests", variables, token_env=token_env, where=repo)
        except RateLimitError:
            raise
        except TransientSourceError:
            # GitHub gives up on heavy pages (timeouts, 502s after retries): halve the page and retry
            # from the same cursor, down to MIN_PAGE_SIZE; then let the error through.
            if page_size <= MIN_PAGE_SIZE:
                raise
            page_size = max(MIN_PAGE_SIZE, page_size // 2)
            retried += 1
            continue
        page = PullRequestPage(repo=repo, requests=1 + retried)
        retried = 0
        repository = data.get("repository")
        if not isinstance(repository, dict):
            raise PayloadError("GitHub GraphQL answered without `repository`", source=SOURCE, where=repo)
        actual = repository.get("nameWithOwner")
        if isinstance(actual, str) and actual.lower() != repo.lower():
            page.renamed_to = actual
        connection = repository.get("pullRequests") or {}
        nodes = [n for n in connection.get("nodes") or [] if isinstance(n, dict)]
        in_window = []
        reached_end = False
        for node in nodes:
            if not isinstance(node.get("number"), int):
                raise PayloadError(f"a pull request in {repo}'s page has no number", source=SOURCE, where=repo)
            updated = graphql.parse_time(node.get("updatedAt"))
            if updated is not None and updated < since:
                reached_end = True
                break
            in_window.append(node)
        seen = {n.get("number") for n in in_window}
        if first and reread_open:
            extra = ((data.get("openPulls") or {}).get("nodes")) or []
            in_window += [n for n in extra if isinstance(n, dict) and n.get("number") not in seen]
        for node in in_window:
            if known and known.get(int(node["number"])) == graphql.parse_time(node.get("updatedAt")):
                page.skipped += 1
                continue
            page.requests += _add_pull(gh, page, node, owner=owner, name=name, token_env=token_env,
                                       generated_paths=generated_paths)
        info = connection.get("pageInfo") or {}
        more = not reached_end and bool(info.get("hasNextPage"))
        if more and not info.get("endCursor"):
            # read as the last page, the PRs after it were never fetched while the cursor moved past them
            raise PayloadError(f"GitHub said more pull requests of {repo} follow but gave no cursor to read them "
                               "(pullRequests.pageInfo.endCursor is null); nothing of this page was stored, re-run "
                               "the sync", source=SOURCE, where=repo)
        page.newest_updated_at = max((p.updated_at for p in page.pulls if p.updated_at), default=None)
        page.last = not more
        yield page
        if page.last:
            return
        after = str(info["endCursor"])
        first = False


def _add_pull(gh: Github, page: PullRequestPage, node: dict[str, Any], *, owner: str, name: str, token_env: str,
              generated_paths: Sequence[str]) -> int:
    """Append one PR node's records to ``page``; returns the extra requests nested pages took.

    Fields are read with the typed readers of :mod:`connectors._fields`: one of the wrong type is a
    :class:`PayloadError` naming the field and the PR, never a wrong-typed record.
    """
    repo = page.repo
    number = node.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= MAX_NUMBER:
        # (the re-read open PRs come from a search, not the page loop that checks numbers first)
        raise PayloadError(f"a pull request in {repo}'s page has no usable number ({number!r:.30})", source=SOURCE,
                           where=repo)
    ctx = Ctx.at(SOURCE, f"{repo}#{number}")
    requests = 0

    def complete(key: str, query: str) -> list[Mapping[str, Any]]:
        nonlocal requests
        conn = get_map(node, key, ctx)
        if conn is None:
            return []
        items = _nodes(conn, ctx, key)
        info = get_map(conn, "pageInfo", ctx, f"{key}.pageInfo") or {}
        cursor = get_str(info, "endCursor", ctx, f"{key}.pageInfo.endCursor")
        while get_bool(info, "hasNextPage", ctx, f"{key}.pageInfo.hasNextPage"):
            if not cursor:  # a truncated list would pass for the whole one (e.g. reviews: "merged without review")
                raise PayloadError(f"GitHub said more {key} of {repo}#{number} follow but gave no cursor to read "
                                   f"them ({key}.pageInfo.endCursor is null)", source=SOURCE, where=f"{repo}#{number}")
            data = graphql.run(gh, query, {"owner": owner, "name": name, "number": number, "after": cursor},
                               token_env=token_env, where=f"{repo}#{number}")
            requests += 1
            more = (((data.get("repository") or {}).get("pullRequest") or {}).get("connection")) or {}
            items += _nodes(more, ctx, key)
            info = get_map(more, "pageInfo", ctx, f"{key}.pageInfo") or {}
            cursor = get_str(info, "endCursor", ctx, f"{key}.pageInfo.endCursor")
        return items

    reviews = complete("reviews", "pull_request_reviews")
    commits = complete("commits", "pull_request_commits")
    comments = complete("comments", "pull_request_comments")
    # `files` is nullable (GitHub answers null when it cannot list a PR's files, e.g. very large diffs):
    # null means the size outside generated paths is unknown, never a PR of 0 lines
    files = complete("files", "pull_request_files") if node.get("files") is not None else None

    author = get_map(node, "author", ctx) or {}
    review_rows = []
    for i, r in enumerate(reviews):
        p = f"reviews.nodes[{i}]"
        submitted = _time(r, "submittedAt", ctx, f"{p}.submittedAt")
        if submitted is None:
            continue  # pending reviews have no time and are invisible to others
        reviewer = get_map(r, "author", ctx, f"{p}.author")
        login = _login(reviewer, ctx, f"{p}.author")
        state = get_str(r, "state", ctx, f"{p}.state")
        review_rows.append(Review(
            repo=repo, number=number, review_id=_review_id(r, ctx, p, login, state, submitted), author=login,
            author_type=actor_type(reviewer), state=state, submitted_at=submitted))
    commit_rows = []
    messages: list[tuple[str | None, str | None]] = []
    for i, c in enumerate(commits):
        p = f"commits.nodes[{i}].commit"
        commit = get_map(c, "commit", ctx, p) or {}
        user = get_map(get_map(commit, "author", ctx, f"{p}.author") or {}, "user", ctx, f"{p}.author.user")
        login = _login(user, ctx, f"{p}.author.user")
        message = get_str(commit, "message", ctx, f"{p}.message")
        commit_rows.append(commit_record(repo, number, get_str(commit, "oid", ctx, f"{p}.oid"),
                                         _time(commit, "authoredDate", ctx, f"{p}.authoredDate"), message, login))
        messages.append((message, login))
    activity = [Activity(number, r.author, r.author_type, r.submitted_at, "review", r.state) for r in review_rows]
    for i, c in enumerate(comments):
        p = f"comments.nodes[{i}]"
        commenter = get_map(c, "author", ctx, f"{p}.author")
        activity.append(Activity(number, _login(commenter, ctx, f"{p}.author"), actor_type(commenter),
                                 _time(c, "createdAt", ctx, f"{p}.createdAt"), "comment"))
    timeline = _nodes(get_map(node, "timelineItems", ctx) or {}, ctx, "timelineItems")
    first_ready = None
    if timeline:
        first_ready = (get_str(timeline[0], "__typename", ctx, "timelineItems.nodes[0].__typename"),
                       _time(timeline[0], "createdAt", ctx, "timelineItems.nodes[0].createdAt"))
    changed_files = get_count(node, "changedFiles", ctx)
    size = None if files is None else _size_outside(files, changed_files, generated_paths, ctx)
    labels = [get_str(label, "name", ctx, f"labels.nodes[{i}].name")
              for i, label in enumerate(_nodes(get_map(node, "labels", ctx) or {}, ctx, "labels"))]
    pull = pull_from_parts(
        repo=repo, number=number, author=_login(author, ctx, "author"), author_type=actor_type(author),
        title=get_str(node, "title", ctx), state=get_str(node, "state", ctx), is_draft=get_bool(node, "isDraft", ctx),
        created_at=_time(node, "createdAt", ctx), first_ready_event=first_ready,
        merged_at=_time(node, "mergedAt", ctx), closed_at=_time(node, "closedAt", ctx),
        updated_at=_time(node, "updatedAt", ctx), additions=get_count(node, "additions", ctx),
        deletions=get_count(node, "deletions", ctx), changed_files=changed_files,
        size_lines=size, merge_commit_sha=get_str(get_map(node, "mergeCommit", ctx) or {}, "oid", ctx,
                                                  "mergeCommit.oid"),
        head_sha=get_str(node, "headRefOid", ctx), base_branch=get_str(node, "baseRefName", ctx),
        head_branch=get_str(node, "headRefName", ctx), labels=[label for label in labels if label is not None],
        body=get_str(node, "body", ctx), commits=commit_rows, commit_evidence=commits_evidence(messages),
    )
    page.pulls.append(pull)
    page.reviews += review_rows
    page.commits += commit_rows
    page.activity += activity
    return requests


def _review_id(r: Mapping[str, Any], ctx: Ctx, p: str, login: str | None, state: str | None,
               submitted: datetime) -> str:
    """The review's key: ``fullDatabaseId`` (the number REST calls ``id``), else its node ``id``.

    ``fullDatabaseId`` is nullable in GitHub's schema. The node ``id`` is the fallback because it is
    non-null, never reused and never changes for the same review, so a re-sync upserts the same row;
    it is also impossible to confuse with a database number (it is not all digits). Only if both are
    missing (an answer outside the schema) is the key built from who reviewed, when and how, which is
    still the same on every sync of that review.
    """
    for key in ("fullDatabaseId", "id"):
        value = r.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ctx.fail(f"{p}.{key}", f"should be an id but is {value!r:.40}")
        return str(value)
    return f"review:{login or 'ghost'}:{submitted.isoformat()}:{state or ''}"


def _size_outside(files: list[Mapping[str, Any]], changed_files: int | None, generated_paths: Sequence[str],
                  ctx: Ctx) -> int | None:
    """Lines changed outside ``generated_paths``; ``None`` (unknown) when the file list is not complete.

    Incomplete: fewer files listed than the PR's ``changedFiles`` (GitHub lists at most 3,000), or a
    file whose line counts are missing. Counting those as 0 would make a large PR look small.
    """
    if changed_files is not None and len(files) < changed_files:
        return None
    size = 0
    for i, f in enumerate(files):
        p = f"files.nodes[{i}]"
        added = get_count(f, "additions", ctx, f"{p}.additions")
        deleted = get_count(f, "deletions", ctx, f"{p}.deletions")
        if added is None or deleted is None:
            return None
        if not is_generated(get_str(f, "path", ctx, f"{p}.path") or "", generated_paths):
            size += added + deleted
    return size


def _nodes(conn: Mapping[str, Any], ctx: Ctx, path: str) -> list[Mapping[str, Any]]:
    """A connection's ``nodes`` (GraphQL may hold ``null`` for an item the token cannot see: skipped)."""
    items = conn.get("nodes")
    if items is None:
        return []
    if not isinstance(items, list):
        raise ctx.fail(f"{path}.nodes", f"should be a list but is a {type(items).__name__}")
    for i, item in enumerate(items):
        if item is not None and not isinstance(item, Mapping):
            raise ctx.fail(f"{path}.nodes[{i}]", f"should be an object but is a {type(item).__name__}")
    return [item for item in items if item is not None]


def _login(actor: Mapping[str, Any] | None, ctx: Ctx, path: str) -> str | None:
    return None if actor is None else get_str(actor, "login", ctx, f"{path}.login")


def _time(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> datetime | None:
    value = get_str(obj, key, ctx, path)
    try:
        return graphql.parse_time(value)
    except PayloadError:
        raise ctx.fail(path or key, f"is not an ISO 8601 time: {value!r:.40}") from None


def pull_from_parts(
    *, repo: str, number: int, author: str | None, author_type: str | None, title: str | None, state: str | None,
    is_draft: bool | None, created_at: datetime | None, first_ready_event: tuple[str | None, datetime | None] | None,
    merged_at: datetime | None, closed_at: datetime | None, updated_at: datetime | None, additions: int | None,
    deletions: int | None, changed_files: int | None, size_lines: int | None, merge_commit_sha: str | None,
    head_sha: str | None, base_branch: str | None, head_branch: str | None, labels: list[str], body: str | None,
    commits: list[PRCommit], commit_evidence: tuple[str, str] | None,
) -> PullRequest:
    """Build the raw :class:`PullRequest` (shared by the GraphQL and REST paths).

    ``ready_at`` follows definitions.md §4: the first ready-for-review event when the PR was opened
    as a draft (its first draft/ready event is a ready event), None while it is still a draft that
    never was ready, else ``created_at``. ``ai_rule``/``ai_tool`` hold the body's evidence, else
    ``commit_evidence`` (from :func:`commits_evidence`).
    """
    kind, when = first_ready_event or (None, None)
    if kind == "ReadyForReviewEvent":
        ready_at = when
    elif kind is None and is_draft:
        ready_at = None
    else:
        ready_at = created_at
    normalized_state = (state or "").lower() or None
    if merged_at is not None:
        normalized_state = "merged"
    first_commit = min((c.authored_at for c in commits if c.authored_at), default=None)
    evidence = text_evidence(body) or commit_evidence
    return PullRequest(
        repo=repo, number=number, author=author, author_type=author_type, title=title, state=normalized_state,
        is_draft=is_draft, created_at=created_at, ready_at=ready_at, first_commit_at=first_commit,
        merged_at=merged_at, closed_at=closed_at, updated_at=updated_at, additions=additions, deletions=deletions,
        changed_files=changed_files, size_lines=size_lines, merge_commit_sha=merge_commit_sha, head_sha=head_sha,
        base_branch=base_branch, head_branch=head_branch, labels=json.dumps(sorted(set(labels))),
        ai_rule=evidence[0] if evidence else None, ai_tool=evidence[1] if evidence else None,
    )


def commits_evidence(commits: list[tuple[str | None, str | None]]) -> tuple[str, str] | None:
    """The first AI evidence in ``(message, author login)`` pairs: a trailer or text first, else an agent author."""
    for message, _login in commits:
        found = text_evidence(message)
        if found:
            return found
    for _message, login in commits:
        tool = agent_tool(login)
        if tool:
            return "agent_author", tool
    return None


def commit_record(repo: str, number: int, sha: Any, authored: Any, message: Any, login: str | None) -> PRCommit:
    if not sha:
        raise PayloadError(f"a commit of {repo}#{number} has no SHA", source=SOURCE, where=f"{repo}#{number}")
    evidence = text_evidence(message if isinstance(message, str) else None)
    tool = evidence[1] if evidence else agent_tool(login)
    authored_at = authored if isinstance(authored, datetime) or authored is None else graphql.parse_time(authored)
    return PRCommit(repo=repo, number=number, sha=str(sha), authored_at=authored_at,
                    message_has_ai_trailer=evidence is not None, ai_tool=tool)


def actor_type(actor: Any) -> str | None:
    if not isinstance(actor, dict):
        return None
    kind = actor.get("__typename") or actor.get("type")
    return "Bot" if kind == "Bot" else ("User" if kind else None)


def is_generated(path: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], p) for p in patterns)

