"""Pull requests in bulk through GraphQL, against the hand-built GitHub of ``fake_github`` (schema-executed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.errors import AuthError, FatalSourceError, PayloadError, RateLimitError
from connectors.github import connect, fetch_pull_requests
from connectors.github.pulls import PullRequestPage
from tests.connectors.github.fake_github import (
    FakeCommit,
    FakeGitHub,
    FakePR,
    FakeRepo,
    FakeReview,
    graphql_errors_reply,
)
from tests.httpserver import Reply, Server, serve

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
TOKEN = "ghp_FAKE-graphql-test-token"


def pr(number: int, *, reviews: int = 1, commits: int = 2, **kw: object) -> FakePR:
    created = T0 + timedelta(days=number)
    base = dict(
        number=number, author="ann", created_at=created, updated_at=created + timedelta(hours=6),
        merged_at=created + timedelta(hours=6), merge_sha=f"{number:040x}",
        reviews=[FakeReview(1000 * number + i, "bob", "APPROVED", created + timedelta(hours=1))
                 for i in range(reviews)],
        commits=[FakeCommit(f"{100000 * number + i:040x}", created - timedelta(hours=3) + timedelta(minutes=i))
                 for i in range(commits)],
    )
    base.update(kw)
    return FakePR(**base)  # type: ignore[arg-type]


@contextmanager
def github(*repos: FakeRepo) -> Iterator[tuple[FakeGitHub, Server]]:
    fake = FakeGitHub(list(repos))
    with serve(fake) as server:
        yield fake, server


def pages_of(server: Server, repo: str, since: datetime, **kw: object) -> list[PullRequestPage]:
    gh = connect(server.url, TOKEN)
    return list(fetch_pull_requests(gh, repo, since, token_env="GITHUB_TOKEN", **kw))  # type: ignore[arg-type]


def test_pages_newest_update_first_and_stop_at_the_window() -> None:
    repo = FakeRepo("acme/api", {n: pr(n) for n in range(1, 8)})
    with github(repo) as (fake, server):
        pages = pages_of(server, "acme/api", T0 + timedelta(days=3), page_size=2)
    numbers = [[p.number for p in page.pulls] for page in pages]
    assert numbers == [[7, 6], [5, 4], [3]]  # PR 2 is older than the window: the third page is the last
    assert [page.last for page in pages] == [False, False, True]
    assert len(server.requests) == 3
    assert pages[0].newest_updated_at == T0 + timedelta(days=7, hours=6)


def test_more_than_100_reviews_and_commits_are_paged_not_truncated() -> None:
    big = pr(5, reviews=130, commits=250)
    repo = FakeRepo("acme/api", {5: big, 4: pr(4)})
    with github(repo) as (fake, server):
        pages = pages_of(server, "acme/api", T0)
    page = pages[0]
    assert sum(1 for r in page.reviews if r.number == 5) == 130
    assert sum(1 for c in page.commits if c.number == 5) == 250
    assert len({c.sha for c in page.commits if c.number == 5}) == 250
    # 1 bulk page + 1 more review page + 2 more commit pages
    assert len(server.requests) == 4 and page.requests == 4
    record = next(p for p in page.pulls if p.number == 5)
    assert record.first_commit_at == big.commits[0].authored_at


def test_pr_facts_ready_time_and_ai_evidence() -> None:
    draft = pr(3, is_draft=False, ready_at=T0 + timedelta(days=3, hours=2),
               body="Summary\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)")
    still_draft = pr(2, is_draft=True, merged_at=None, merge_sha=None)
    trailer = pr(1, commits=0, labels=["ai-assisted", "backend"])
    trailer.commits = [FakeCommit("a" * 40, T0, "Fix\n\nMade-with: Cursor")]
    with github(FakeRepo("acme/api", {3: draft, 2: still_draft, 1: trailer})) as (_, server):
        pulls = {p.number: p for page in pages_of(server, "acme/api", T0 - timedelta(days=1)) for p in page.pulls}
    assert pulls[3].ready_at == T0 + timedelta(days=3, hours=2)  # opened as draft: the ready event
    assert (pulls[3].ai_rule, pulls[3].ai_tool) == ("generated_with_claude_code", "claude_code")
    assert pulls[2].ready_at is None and pulls[2].state == "open"
    assert pulls[1].ready_at == pulls[1].created_at
    assert (pulls[1].ai_rule, pulls[1].ai_tool) == ("made_with_cursor", "cursor")
    assert pulls[1].labels == '["ai-assisted", "backend"]'
    assert pulls[1].merge_commit_sha == f"{1:040x}" and pulls[1].state == "merged"


def test_generated_paths_fetch_files_and_exclude_them_from_size() -> None:
    p = pr(1, additions=1010, deletions=20, files=[("src/app.py", 10, 20), ("poetry.lock", 1000, 0)])
    with github(FakeRepo("acme/api", {1: p})) as (_, server):
        with_files = pages_of(server, "acme/api", T0, generated_paths=("*.lock",))[0].pulls[0]
        without = pages_of(server, "acme/api", T0)[0].pulls[0]
    assert with_files.size_lines == 30
    assert without.size_lines is None and (without.additions, without.deletions) == (1010, 20)


def test_open_prs_older_than_the_window_are_reread_in_the_same_request() -> None:
    old_open = pr(1, merged_at=None, merge_sha=None)
    repo = FakeRepo("acme/api", {1: old_open, 9: pr(9)})
    with github(repo) as (fake, server):
        pages = pages_of(server, "acme/api", T0 + timedelta(days=5), reread_open=True)
    assert sorted(p.number for page in pages for p in page.pulls) == [1, 9]
    assert len(server.requests) == 1
    assert fake.queries[0][1]["withOpen"] is True


def test_not_found_errors_array_is_a_404_fatal_error() -> None:
    with github(FakeRepo("acme/api")) as (_, server), pytest.raises(FatalSourceError) as info:
        pages_of(server, "acme/gone", T0)
    assert info.value.status == 404
    assert "acme/gone" in str(info.value) and "GITHUB_TOKEN" in str(info.value)


@pytest.mark.parametrize(("error_type", "expected"), [
    ("RATE_LIMITED", RateLimitError),
    ("FORBIDDEN", AuthError),
    ("MAX_NODE_LIMIT_EXCEEDED", FatalSourceError),
])
def test_errors_array_maps_to_connector_errors(error_type: str, expected: type[Exception]) -> None:
    # Hand-built from GitHub's GraphQL docs: HTTP 200 with an `errors` array and no data.
    with github(FakeRepo("acme/api", {1: pr(1)})) as (fake, server):
        fake.replies.append(graphql_errors_reply([{"type": error_type, "message": f"{error_type} says no",
                                                   "path": ["repository"]}]))
        with pytest.raises(expected) as info:
            pages_of(server, "acme/api", T0)
    assert f"{error_type} says no" in str(info.value)
    assert TOKEN not in str(info.value)


def test_low_rate_limit_waits_until_reset(instant_waits: list[tuple[float, str]]) -> None:
    with github(FakeRepo("acme/api", {1: pr(1)})) as (fake, server):
        fake.remaining = 5
        fake.reset_at = datetime.now(UTC) + timedelta(seconds=300)
        pages_of(server, "acme/api", T0)
    assert len(instant_waits) == 1
    seconds, reason = instant_waits[0]
    assert 290 < seconds <= 302 and "rate limit" in reason


def test_renamed_repository_is_reported_on_the_page() -> None:
    with github(FakeRepo("acme/api", {1: pr(1)})) as (fake, server):
        fake.renamed["acme/api"] = "acme/api-v2"
        pages = pages_of(server, "acme/api", T0)
    assert pages[0].renamed_to == "acme/api-v2"


def test_bad_repo_name_is_a_clear_error() -> None:
    from connectors.errors import PayloadError

    with github(FakeRepo("acme/api")) as (_, server), pytest.raises(PayloadError, match="owner/name"):
        pages_of(server, "acme-api", T0)


def test_a_page_github_gives_up_on_is_retried_smaller() -> None:
    # Hand-built from the answer GitHub gives when a query runs too long (HTTP 200, errors, no data).
    timeout = {"message": "Something went wrong while executing your query. This may be the result of a timeout, "
                          "or it could be a GitHub bug.", "type": None}
    with github(FakeRepo("acme/api", {n: pr(n) for n in range(1, 4)})) as (fake, server):
        fake.replies += [graphql_errors_reply([timeout]), graphql_errors_reply([timeout])]
        pages = pages_of(server, "acme/api", T0)
        sizes = [variables["pageSize"] for _, variables in fake.queries]
    assert sorted(p.number for page in pages for p in page.pulls) == [1, 2, 3]
    assert sizes == [25]  # the two refused attempts (100, 50) never reached the query executor
    assert pages[0].requests == 3


def test_a_page_that_keeps_failing_at_the_smallest_size_raises_transient() -> None:
    from connectors.errors import TransientSourceError

    timeout = {"message": "Something went wrong: timeout", "type": None}
    with github(FakeRepo("acme/api", {1: pr(1)})) as (fake, server):
        fake.replies += [graphql_errors_reply([timeout])] * 5
        with pytest.raises(TransientSourceError, match="timeout"):
            pages_of(server, "acme/api", T0, page_size=20)
        assert len(server.requests) == 2  # 20, then 10 (the smallest), then give up


# -- nullable fields: null is unknown, and never stops the repository ----------------------------------------

def test_a_null_files_list_leaves_the_size_unknown_not_zero() -> None:
    # PullRequest.files is nullable in GitHub's schema; a 5,000-line PR was stored as 0 lines
    big = pr(1, additions=5000, deletions=0, changed_files=40, files_null=True)
    with github(FakeRepo("acme/api", {1: big, 2: pr(2, files=[("a.py", 3, 1)])})) as (_, server):
        pulls = {p.number: p for p in pages_of(server, "acme/api", T0, generated_paths=("*.lock",))[0].pulls}
    assert pulls[1].size_lines is None  # unknown: correlate falls back to additions + deletions
    assert (pulls[1].additions, pulls[1].deletions) == (5000, 0)
    assert pulls[2].size_lines == 4


def test_a_file_list_shorter_than_changed_files_leaves_the_size_unknown() -> None:
    # GitHub lists at most 3,000 files; a list that stops short cannot give the size outside generated paths
    cut = pr(1, additions=900, deletions=100, changed_files=3, files=[("a.py", 10, 0), ("b.py", 5, 5)])
    with github(FakeRepo("acme/api", {1: cut})) as (_, server):
        (pull,) = pages_of(server, "acme/api", T0, generated_paths=("*.lock",))[0].pulls
    assert pull.size_lines is None


def test_a_review_without_a_database_id_is_kept_under_its_node_id_and_the_repository_completes() -> None:
    # PullRequestReview.fullDatabaseId is nullable in GitHub's schema; one null used to abort the repository
    odd = pr(2, reviews=0)
    odd.reviews = [FakeReview(2001, "bob", "APPROVED", odd.created_at + timedelta(hours=1), no_database_id=True),
                   FakeReview(2002, "cy", "COMMENTED", odd.created_at + timedelta(hours=2))]
    many = pr(3, reviews=0)  # past the bulk page's 100 reviews: the nested reviews query reads the rest
    many.reviews = [FakeReview(3000 + i, "bob", "COMMENTED", many.created_at + timedelta(minutes=i),
                               no_database_id=i == 120) for i in range(130)]
    repo = FakeRepo("acme/api", {1: pr(1), 2: odd, 3: many, 4: pr(4)})
    with github(repo) as (_, server):
        first = [r for page in pages_of(server, "acme/api", T0) for r in page.reviews]
        again = [r for page in pages_of(server, "acme/api", T0) for r in page.reviews]

    assert {r.number for r in first} == {1, 2, 3, 4}
    ids = {(r.number, r.author, r.state): r.review_id for r in first if r.number == 2}
    assert ids == {(2, "bob", "APPROVED"): "PRR_kwDOfake2001", (2, "cy", "COMMENTED"): "2002"}
    assert "PRR_kwDOfake3120" in {r.review_id for r in first if r.number == 3}
    assert len({r.review_id for r in first if r.number == 3}) == 130
    assert [r.review_id for r in again] == [r.review_id for r in first]  # the same key on every sync


# -- a page that says more follow but gives no cursor: an error, never a silently short list ----------------------

class CursorlessGitHub(FakeGitHub):
    """Hand-built: the fake's own answers, except that the PR page (or its first PR's reviews) says more follow
    and gives no cursor. GitHub's schema allows a null ``endCursor``; with ``hasNextPage: true`` there is no way
    to read on, and a list cut there would pass for the whole one (a PR's reviews: "merged without review")."""

    def __init__(self, repos: list[FakeRepo], where: str) -> None:
        super().__init__(repos)
        self.where = where

    def graphql(self, body: dict[str, Any]) -> Reply:
        reply = super().graphql(body)
        repo = reply.body.get("data", {}).get("repository") or {}
        if "pullRequests" in repo:
            conn = repo["pullRequests"] if self.where == "page" else repo["pullRequests"]["nodes"][0]["reviews"]
            conn["pageInfo"] = {"hasNextPage": True, "endCursor": None}
        return reply


@pytest.mark.parametrize("where", ["page", "reviews"])
def test_more_to_read_without_a_cursor_is_a_payload_error_not_a_short_list(where: str) -> None:
    fake = CursorlessGitHub([FakeRepo("acme/api", {n: pr(n) for n in range(1, 4)})], where)
    with serve(fake) as server, pytest.raises(PayloadError, match="endCursor is null"):
        pages_of(server, "acme/api", T0)
