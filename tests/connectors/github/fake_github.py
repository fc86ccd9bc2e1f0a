"""A hand-built GitHub for tests and the request benchmark (not a recording).

GraphQL answers are produced by *executing* the query the connector sent against GitHub's
recorded schema (``tests/fixtures/github-graphql-schema/schema.graphql``) with graphql-core,
over a small in-memory model of repositories and pull requests. So every answer has exactly the
shape and types the schema gives that query, and a query the schema rejects fails here as it
would on GitHub. Pagination follows GitHub's documented cursor contract (``first``/``after``,
``pageInfo { hasNextPage endCursor }``). ``errors`` arrays, rate-limit numbers and a few REST
endpoints (deployments with statuses, compare, issues) are hand-built from GitHub's docs.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import graphql

from tests.httpserver import Reply, Request

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "github-graphql-schema" / "schema.graphql"


@cache
def schema() -> graphql.GraphQLSchema:
    """GitHub's schema. ``assume_valid``: GitHub's own SDL breaks two strictness rules (documented in README)."""
    return graphql.build_schema(SCHEMA_PATH.read_text(encoding="utf-8"), assume_valid_sdl=True, assume_valid=True)


def iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


@dataclass
class FakeReview:
    id: int
    author: str | None
    state: str
    submitted_at: datetime | None
    author_type: str = "User"
    no_database_id: bool = False  # `fullDatabaseId` is nullable in the schema: answer null

    @property
    def node_id(self) -> str:
        return f"PRR_kwDOfake{self.id}"  # the shape of GitHub's node IDs, not a real one


@dataclass
class FakeCommit:
    sha: str
    authored_at: datetime
    message: str = "change"
    login: str | None = None


@dataclass
class FakePR:
    number: int
    author: str | None
    created_at: datetime
    updated_at: datetime
    author_type: str = "User"
    title: str = "a change"
    body: str = ""
    is_draft: bool = False
    ready_at: datetime | None = None  # a ReadyForReviewEvent (opened as draft)
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    additions: int = 10
    deletions: int = 2
    changed_files: int = 1
    merge_sha: str | None = None
    labels: list[str] = field(default_factory=list)
    reviews: list[FakeReview] = field(default_factory=list)
    commits: list[FakeCommit] = field(default_factory=list)
    comments: list[tuple[str, str, datetime]] = field(default_factory=list)  # (login, typename, at)
    files: list[tuple[str, int, int]] = field(default_factory=list)
    files_null: bool = False  # `files` is nullable in the schema: GitHub answers null when it cannot list them

    @property
    def state(self) -> str:
        return "MERGED" if self.merged_at else ("CLOSED" if self.closed_at else "OPEN")


@dataclass
class FakeDeployment:
    id: int
    sha: str
    environment: str
    created_at: datetime
    statuses: list[tuple[int, str, datetime]] = field(default_factory=list)  # newest first


@dataclass
class FakeRepo:
    full_name: str
    pulls: dict[int, FakePR] = field(default_factory=dict)
    deployments: list[FakeDeployment] = field(default_factory=list)  # newest first
    commit_order: list[str] = field(default_factory=list)  # the default branch, oldest first
    issues: list[dict[str, Any]] = field(default_factory=list)


def _cursor(i: int) -> str:
    return base64.b64encode(f"cursor:{i}".encode()).decode()


def _offset(after: str | None) -> int:
    return int(base64.b64decode(after).decode().split(":")[1]) if after else 0


def connection(items: list[Any], first: int, after: str | None = None,
               node: Any = None) -> dict[str, Any]:
    """GitHub's connection contract: ``nodes`` from ``after`` on, ``pageInfo`` saying whether more follow.

    ``node`` (optional) turns the sliced items into answer nodes, so big lists are not built whole.
    """
    start = _offset(after)
    page = items[start:start + first]
    if node is not None:
        page = [node(item) for item in page]
    end = start + len(page)
    return {"nodes": page, "totalCount": len(items),
            "pageInfo": {"hasNextPage": end < len(items), "endCursor": _cursor(end) if page else after}}


class FakeGitHub:
    """The handler for :func:`tests.httpserver.serve`; ``repos`` holds the model, ``graphql_calls`` counts."""

    def __init__(self, repos: list[FakeRepo], *, remaining: int = 4999, org: str = "acme",
                 teams: dict[str, list[str]] | None = None) -> None:
        self.repos = {r.full_name.lower(): r for r in repos}
        self.org = org
        self.teams = teams or {}
        self.remaining = remaining
        self.reset_at = datetime.now(UTC) + timedelta(minutes=30)
        self.replies: list[Reply] = []  # queued raw replies (errors), served before executing
        self.renamed: dict[str, str] = {}
        self.queries: list[tuple[str, dict[str, Any]]] = []
        self.busy_s = 0.0  # wall time spent building answers (the benchmark subtracts it)

    # -- HTTP entry -----------------------------------------------------------------------------------
    def __call__(self, req: Request) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        start = time.perf_counter()
        try:
            if req.method == "POST" and req.path.endswith("/graphql"):
                return self.graphql(req.json())
            return self.rest(req)
        finally:
            self.busy_s += time.perf_counter() - start

    # -- GraphQL ------------------------------------------------------------------------------------
    def graphql(self, body: dict[str, Any]) -> Reply:
        query, variables = body["query"], body.get("variables") or {}
        self.queries.append((query, variables))
        self.remaining -= 1
        doc = graphql.parse(query)
        errors = graphql.validate(schema(), doc)
        if errors:  # what GitHub answers for a query its schema rejects
            return Reply(200, {"errors": [{"message": e.message, "type": "INVALID"} for e in errors]})
        result = graphql.execute_sync(schema(), doc, root_value=self._root(), variable_values=variables)
        if result.errors:
            raise AssertionError(f"fake GitHub could not answer: {result.errors}")
        data = result.data or {}
        missing = [v for k, v in (("repository", variables.get("owner")),) if k in data and data[k] is None]
        if missing:
            return Reply(200, {"data": data, "errors": [{
                "type": "NOT_FOUND", "path": ["repository"], "locations": [{"line": 1, "column": 1}],
                "message": f"Could not resolve to a Repository with the name '{variables['owner']}/"
                           f"{variables['name']}'."}]})
        return Reply(200, {"data": data}, headers={"x-ratelimit-remaining": str(self.remaining),
                                                    "x-ratelimit-limit": "5000",
                                                    "x-ratelimit-reset": str(int(self.reset_at.timestamp()))})

    def _root(self) -> dict[str, Any]:
        return {
            "rateLimit": {"cost": 1, "remaining": self.remaining, "resetAt": iso(self.reset_at), "limit": 5000},
            "repository": lambda info, owner, name, **_: self._repository(f"{owner}/{name}"),
            "search": lambda info, query, type, first, after=None, **_: self._search(query, first, after),
        }

    def _repository(self, full: str) -> dict[str, Any] | None:
        repo = self.repos.get(full.lower())
        if repo is None:
            return None
        ordered = sorted(repo.pulls.values(), key=lambda p: (p.updated_at, p.number), reverse=True)
        return {
            "nameWithOwner": self.renamed.get(full, repo.full_name),
            "pullRequests": lambda info, first, after=None, **_: connection(ordered, first, after, self._pr),
            "pullRequest": lambda info, number: self._pr(repo.pulls[number]) if number in repo.pulls else None,
        }

    def _search(self, query: str, first: int, after: str | None) -> dict[str, Any]:
        m = re.search(r"repo:(\S+)", query)
        repo = self.repos.get(m.group(1).lower()) if m else None
        pulls = [p for p in (repo.pulls.values() if repo else []) if p.state == "OPEN"]
        pulls.sort(key=lambda p: p.updated_at)
        return connection(pulls, first, after, self._pr)

    def _pr(self, p: FakePR) -> dict[str, Any]:
        def actor(login: str | None, typename: str) -> dict[str, Any] | None:
            # GitHub answers `author: null` for deleted accounts (shown as "ghost" on the web)
            return {"login": login, "__typename": typename} if login else None

        timeline = [{"__typename": "ReadyForReviewEvent", "createdAt": iso(p.ready_at)}] if p.ready_at else []
        return {
            "__typename": "PullRequest",
            "number": p.number, "title": p.title, "state": p.state, "isDraft": p.is_draft,
            "createdAt": iso(p.created_at), "updatedAt": iso(p.updated_at), "mergedAt": iso(p.merged_at),
            "closedAt": iso(p.closed_at or p.merged_at), "additions": p.additions, "deletions": p.deletions,
            "changedFiles": p.changed_files, "baseRefName": "main", "headRefName": f"branch-{p.number}",
            "headRefOid": p.commits[-1].sha if p.commits else "0" * 40, "body": p.body,
            "mergeCommit": {"oid": p.merge_sha} if p.merge_sha else None,
            "author": actor(p.author, "Bot" if p.author_type == "Bot" else "User"),
            "labels": lambda info, first, **_: connection([{"name": n} for n in p.labels], first),
            "timelineItems": lambda info, first, **_: connection(timeline, first),
            "reviews": lambda info, first, after=None, **_: connection([
                {"fullDatabaseId": None if r.no_database_id else str(r.id), "id": r.node_id, "state": r.state,
                 "submittedAt": iso(r.submitted_at),
                 "author": actor(r.author, r.author_type)} for r in p.reviews], first, after),
            "commits": lambda info, first, after=None, **_: connection([
                {"commit": {"oid": c.sha, "authoredDate": iso(c.authored_at), "message": c.message,
                            "author": {"user": {"login": c.login} if c.login else None}}}
                for c in p.commits], first, after),
            "comments": lambda info, first, after=None, **_: connection([
                {"createdAt": iso(at), "author": actor(login, typename)} for login, typename, at in p.comments],
                first, after),
            "files": lambda info, first, after=None, **_: None if p.files_null else connection([
                {"path": path, "additions": a, "deletions": d} for path, a, d in p.files], first, after),
        }

    # -- REST (hand-built from GitHub's REST docs) ---------------------------------------------------
    def rest(self, req: Request) -> Reply:
        org = self._org_rest(req)
        if org is not None:
            return org
        m = re.match(r"^/repos/([^/]+/[^/]+)/(.*)$", req.path)
        repo = self.repos.get(m.group(1).lower()) if m else None
        if repo is None or m is None:
            return Reply(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        pulls = self._pulls_rest(repo, m.group(2), req)
        if pulls is not None:
            return pulls
        rest_path = m.group(2)
        base = f"/repos/{repo.full_name}"
        if rest_path == "deployments":
            return Reply(200, [{"id": d.id, "sha": d.sha, "ref": d.sha, "environment": d.environment,
                                "created_at": iso(d.created_at), "updated_at": iso(d.created_at),
                                "url": f"{base}/deployments/{d.id}",
                                "statuses_url": f"{base}/deployments/{d.id}/statuses"} for d in repo.deployments])
        sm = re.match(r"^deployments/(\d+)/statuses$", rest_path)
        if sm:
            dep = next(d for d in repo.deployments if d.id == int(sm.group(1)))
            return Reply(200, [{"id": sid, "state": state, "created_at": iso(at), "environment": dep.environment}
                               for sid, state, at in dep.statuses])
        cm = re.match(r"^compare/([0-9a-f]+)\.\.\.([0-9a-f]+)$", rest_path)
        if cm:
            order = repo.commit_order
            lo, hi = order.index(cm.group(1)), order.index(cm.group(2))
            commits = [{"sha": s, "commit": {"message": "x"}} for s in order[lo + 1:hi + 1]]
            return Reply(200, {"status": "ahead", "ahead_by": len(commits), "total_commits": len(commits),
                               "commits": commits, "files": []})
        if rest_path == "issues":
            label = req.q("labels")
            chosen = [i for i in repo.issues if label in [lb["name"] for lb in i.get("labels", [])]]
            return Reply(200, chosen)
        if rest_path == "releases":
            return Reply(200, [])
        return Reply(404, {"message": "Not Found"})


    def _org_rest(self, req: Request) -> Reply | None:
        org = self.org
        if req.path == f"/orgs/{org}/repos":
            return Reply(200, [{"id": i, "name": r.full_name.split("/")[1], "full_name": r.full_name,
                                "archived": False, "url": f"/repos/{r.full_name}"}
                               for i, r in enumerate(self.repos.values())])
        if req.path == f"/orgs/{org}/teams":
            return Reply(200, [{"id": i + 1, "name": name, "slug": name.lower(), "url": f"/teams/{i + 1}"}
                               for i, name in enumerate(self.teams)])
        m = re.match(r"^/teams/(\d+)/members$", req.path)
        if m:
            logins = list(self.teams.values())[int(m.group(1)) - 1]
            return Reply(200, [{"login": login, "id": 100 + j, "type": "User"} for j, login in enumerate(logins)])
        return None

    def _pulls_rest(self, repo: FakeRepo, path: str, req: Request) -> Reply | None:
        """The REST pull-request endpoints the fallback reads, paged with ``Link`` like GitHub."""
        base = f"http://{req.headers.get('host', '127.0.0.1')}/repos/{repo.full_name}"

        def user(login: str, typename: str = "User") -> dict[str, Any]:
            return {"login": login, "id": abs(hash(login)) % 10**6, "type": typename}

        def item(p: FakePR, detail: bool = False) -> dict[str, Any]:
            out: dict[str, Any] = {
                "url": f"{base}/pulls/{p.number}", "issue_url": f"{base}/issues/{p.number}", "number": p.number,
                "title": p.title, "body": p.body,
                "state": "open" if p.state == "OPEN" else "closed", "draft": p.is_draft,
                "user": user(p.author, "Bot" if p.author_type == "Bot" else "User"),
                "created_at": iso(p.created_at), "updated_at": iso(p.updated_at),
                "closed_at": iso(p.closed_at or p.merged_at), "merged_at": iso(p.merged_at),
                "merge_commit_sha": p.merge_sha or "9" * 40,
                "head": {"ref": f"branch-{p.number}", "sha": p.commits[-1].sha if p.commits else "0" * 40},
                "base": {"ref": "main", "sha": "1" * 40}, "labels": [{"name": n} for n in p.labels],
            }
            if detail:
                out.update(additions=p.additions, deletions=p.deletions, changed_files=p.changed_files)
            return out

        def paged(items: list[Any]) -> Reply:
            per_page = int(req.q("per_page") or 30)
            page = int(req.q("page") or 1)
            chunk = items[(page - 1) * per_page: page * per_page]
            headers = {}
            if page * per_page < len(items):
                headers["link"] = f'<{req.path}?per_page={per_page}&page={page + 1}>; rel="next"'
            return Reply(200, chunk, headers=headers)

        if path == "pulls":
            ordered = sorted(repo.pulls.values(), key=lambda p: (p.updated_at, p.number), reverse=True)
            return paged([item(p) for p in ordered])
        m = re.match(r"^(pulls|issues)/(\d+)(?:/(\w+))?$", path)
        if not m or int(m.group(2)) not in repo.pulls:
            return None
        p = repo.pulls[int(m.group(2))]
        kind, sub = m.group(1), m.group(3)
        if kind == "pulls" and sub is None:
            return Reply(200, item(p, detail=True))
        if kind == "pulls" and sub == "reviews":
            return paged([{"id": r.id, "user": user(r.author, r.author_type), "state": r.state,
                           "submitted_at": iso(r.submitted_at)} for r in p.reviews])
        if kind == "pulls" and sub == "commits":
            return paged([{"sha": c.sha, "commit": {"author": {"date": iso(c.authored_at)}, "message": c.message},
                           "author": user(c.login) if c.login else None} for c in p.commits])
        if kind == "pulls" and sub == "files":
            return paged([{"filename": f, "additions": a, "deletions": d} for f, a, d in p.files])
        if kind == "issues" and sub == "timeline":
            events = [{"event": "ready_for_review", "created_at": iso(p.ready_at), "actor": user(p.author)}
                      ] if p.ready_at else []
            events += [{"event": "commented", "created_at": iso(at), "actor": user(login, typename)}
                       for login, typename, at in p.comments]
            return paged(events)
        return None


def graphql_errors_reply(errors: list[dict[str, Any]]) -> Reply:
    """A 200 answer carrying only an ``errors`` array (GitHub's way of refusing a query)."""
    return Reply(200, {"data": None, "errors": errors})


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)
