"""The REST path against recorded GitHub answers (PyGithub's replay files) served from 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from github import Github

from connectors.errors import AuthError, RateLimitError, TransientSourceError
from connectors.github import rest
from connectors.github.client import connect, translate_errors
from tests.connectors.github.replay import Exchange, Replay, load, replay_dir, vendor_example
from tests.httpserver import serve

TOKEN = "ghp_FAKE-replay-test-token"
ENV = "GITHUB_TOKEN"


@contextmanager
def replaying(replay: Replay) -> Iterator[Github]:
    with serve(replay) as server:
        replay.base_url = server.url
        yield connect(server.url, TOKEN)


def files(fixtures_dir: Path, *names: str) -> list[Path]:
    return [replay_dir(fixtures_dir) / f"{n}.txt" for n in names]


def test_pull_list_stops_at_the_window_without_fetching_the_next_page(fixtures_dir: Path) -> None:
    replay = Replay(files(fixtures_dir, "Issue131.testGetPullsWithOrgHeadUser"))
    with replaying(replay) as gh:
        repo = gh.get_repo("openmicroscopy/ome-documentation")
        pulls = list(rest.pulls_in_window(repo, datetime(2013, 1, 24, tzinfo=UTC)))
    # recorded order: 234, 233, ... 223 (updated 2013-01-24 08:22), then 222 (updated 2013-01-23) ends the window
    assert [p.number for p in pulls] == [234, 233, 232, 231, 230, 229, 228, 226, 225, 223]
    assert replay.unmatched == []
    assert len(replay.answered) == 1  # the recorded Link to page 2 was not followed


def test_releases_follow_link_pages_to_the_end_and_skip_prereleases(fixtures_dir: Path) -> None:
    replay = Replay(files(fixtures_dir, "RequesterThrottleTestCase.testDeferRequests"))
    with replaying(replay) as gh:
        deployments = rest.fetch_releases(gh, "PyGithub/PyGithub", datetime(2018, 1, 1, tzinfo=UTC), token_env=ENV)
    assert replay.unmatched == []
    assert [path for _, path, _ in replay.answered] == [
        "/repos/PyGithub/PyGithub/releases", "/repositories/3544490/releases", "/repositories/3544490/releases"]
    # 30 recorded releases, 4 of them prereleases (v1.40a1..a4)
    assert len(deployments) == 26
    first = deployments[0]
    assert (first.source, first.deployment_id, first.service, first.status, first.is_production) == (
        "github_releases", "41982557", "v1.55", "success", True)
    assert first.finished_at == datetime(2021, 4, 26, 4, 44, 57, tzinfo=UTC)
    assert all(d.sha is None for d in deployments)  # these releases target a branch, not a SHA


def test_single_pull_request_with_size_commits_files_and_timeline(fixtures_dir: Path) -> None:
    # Recorded: the repository, PR 31 (additions/deletions), its commits, files and issue timeline.
    # Not recorded for PR 31: its reviews, so that one answer is GitHub's vendor-written example.
    replay = Replay(
        files(fixtures_dir, "Repository.testGetPulls", "PullRequest.setUp", "PullRequest.testGetCommits",
              "PullRequest.testGetFiles", "PullRequest.testGetIssueTimeline"),
        extra=[vendor_example(fixtures_dir, "pulls__list-reviews", "/repos/PyGithub/PyGithub/pulls/31/reviews")],
    )
    with replaying(replay) as gh:
        pages = list(rest.fetch_pull_requests_rest(
            gh, "PyGithub/PyGithub", datetime(2030, 1, 1, tzinfo=UTC), token_env=ENV, reread_open=[31],
            generated_paths=("*.txt",)))
    assert replay.unmatched == []
    pulls = [p for page in pages for p in page.pulls]
    assert [p.number for p in pulls] == [31]  # the listed PR 32 is older than the window; 31 re-read as open
    pr = pulls[0]
    assert (pr.additions, pr.deletions, pr.state, pr.author) == (511, 384, "merged", "jacquev6")
    assert pr.merged_at == datetime(2012, 5, 27, 10, 29, 7, tzinfo=UTC)
    assert pr.size_lines is not None and pr.size_lines < 511 + 384  # the *.txt replay files are excluded
    commits = [c for page in pages for c in page.commits]
    assert len(commits) == 3 and all(c.number == 31 and len(c.sha) == 40 for c in commits)
    assert pr.first_commit_at == min(c.authored_at for c in commits if c.authored_at)
    reviews = [r for page in pages for r in page.reviews]
    assert [(r.review_id, r.author, r.state) for r in reviews] == [("80", "octocat", "APPROVED")]


def test_reviews_keep_author_type_state_and_time(fixtures_dir: Path) -> None:
    replay = Replay(files(fixtures_dir, "PullRequestReview.testAttributes"))
    with replaying(replay) as gh:
        pr = gh.get_repo("PyGithub/PyGithub").get_pull(538)  # lazy: no request for the PR itself
        reviews = rest.review_records("PyGithub/PyGithub", 538, pr.get_reviews())
    assert replay.unmatched == []
    assert len(reviews) == 5
    assert (reviews[0].review_id, reviews[0].author, reviews[0].author_type, reviews[0].state) == (
        "28482091", "jzelinskie", "User", "APPROVED")
    assert reviews[0].submitted_at == datetime(2017, 3, 22, 19, 6, 59, tzinfo=UTC)
    assert [r.state for r in reviews[1:]] == ["COMMENTED"] * 4


def test_deployments_read_statuses_for_production_only(fixtures_dir: Path) -> None:
    # Recorded: the deployment list (one `test`, one `production`). The production deployment's
    # statuses were never recorded; that answer is GitHub's vendor-written example (state success).
    replay = Replay(
        files(fixtures_dir, "Repository.testGetDeployments"),
        extra=[vendor_example(fixtures_dir, "repos__list-deployment-statuses",
                              "/repos/PyGithub/PyGithub/deployments/262350588/statuses")],
    )
    with replaying(replay) as gh:
        deployments = rest.fetch_deployments(gh, "PyGithub/PyGithub", datetime(2020, 1, 1, tzinfo=UTC),
                                             production_environments=("Production",), token_env=ENV)
    assert replay.unmatched == []
    by_env = {d.environment: d for d in deployments}
    assert by_env["test"].is_production is False and by_env["test"].status is None
    prod = by_env["production"]
    assert (prod.deployment_id, prod.is_production, prod.status) == ("262350588", True, "success")
    assert prod.finished_at is not None and prod.sha


def test_recorded_deployment_statuses_latest_queued_is_not_finished(fixtures_dir: Path) -> None:
    replay = Replay(files(fixtures_dir, "Deployment.setUp", "DeploymentStatus.testGetStatuses"))
    with replaying(replay) as gh:
        d = gh.get_repo("jacquev6/PyGithub").get_deployment(263877258)
        record = rest.deployment_record(d, "jacquev6/PyGithub", is_production=True)
    assert (record.status, record.finished_at, record.environment) == ("queued", None, "test")


def test_teams_and_members(fixtures_dir: Path) -> None:
    # Recorded: the organisation and its two teams. Their member lists were not recorded; those
    # two answers are GitHub's vendor-written example (one member, octocat).
    replay = Replay(
        files(fixtures_dir, "Organization.setUp", "Organization.testGetTeams"),
        extra=[vendor_example(fixtures_dir, "teams__list-members-in-org", "/teams/141496/members"),
               vendor_example(fixtures_dir, "teams__list-members-in-org", "/teams/141487/members")],
    )
    with replaying(replay) as gh:
        members = rest.fetch_team_members(gh, "BeaverSoftware", token_env=ENV)
    assert replay.unmatched == []
    assert sorted((m.team, m.login) for m in members) == [("Members", "octocat"), ("Owners", "octocat")]
    assert {m.org for m in members} == {"BeaverSoftware"}


def test_issues_by_label_become_bugs_and_skip_pull_requests(fixtures_dir: Path) -> None:
    replay = Replay(files(fixtures_dir, "Repository.testGetIssuesWithArguments"))
    with replaying(replay) as gh:
        found, newest = rest.fetch_incident_issues(gh, "PyGithub/PyGithub", None, incident_labels=(),
                                                   bug_labels=("Bug",), token_env=ENV)
    assert [(i.incident_id, i.kind, i.title) for i in found] == [
        ("PyGithub/PyGithub#33", "bug", "get_issues() returns max. 250 items")]
    assert found[0].created_at is not None
    assert newest is not None and newest >= found[0].created_at
    assert replay.unmatched == []  # telling issues from PRs costs no request per issue


def _user_exchanges(fixtures_dir: Path) -> tuple[Exchange, Exchange]:
    ok, limited = load(replay_dir(fixtures_dir) / "SpecificExceptions.testRateLimitExceeded.txt")
    return ok, limited


def test_primary_rate_limit_403_waits_until_reset_then_succeeds(fixtures_dir: Path,
                                                                 instant_waits: list[tuple[float, str]]) -> None:
    ok, limited = _user_exchanges(fixtures_dir)
    reset = datetime.now(UTC) + timedelta(seconds=120)
    # The 2013 recording has no X-RateLimit-Reset header; the test adds one (the only change).
    limited.headers["x-ratelimit-reset"] = str(int(reset.timestamp()))
    replay = Replay([], extra=[limited, ok])
    with replaying(replay) as gh, translate_errors(stream="users", token_env=ENV):
        name = gh.get_user("jacquev6").name  # a lazy user: reading `name` makes the request
    assert name == "Vincent Jacques"
    assert len(instant_waits) == 1 and 110 < instant_waits[0][0] <= 122


def test_primary_rate_limit_too_far_off_raises_rate_limit_error(fixtures_dir: Path) -> None:
    _ok, limited = _user_exchanges(fixtures_dir)
    limited.headers["x-ratelimit-reset"] = str(int((datetime.now(UTC) + timedelta(hours=3)).timestamp()))
    replay = Replay([], extra=[limited])
    with replaying(replay) as gh, pytest.raises(RateLimitError) as info:
        with translate_errors(stream="users", token_env=ENV, where="jacquev6"):
            gh.get_user("jacquev6").name  # noqa: B018 - the request is the point
    assert info.value.reset_at is not None and info.value.reset_at > datetime.now(UTC) + timedelta(hours=2)
    assert "re-run" in str(info.value).lower()


def test_abuse_403_with_retry_after_backs_off_as_told(fixtures_dir: Path,
                                                      instant_waits: list[tuple[float, str]]) -> None:
    ok, abuse = load(replay_dir(fixtures_dir) / "SpecificExceptions.testAuthenticatedRateLimitExceeded.txt")
    replay = Replay([], extra=[abuse, ok])
    with replaying(replay) as gh, translate_errors(stream="search", token_env=ENV):
        first = next(iter(gh.search_code("jacquev6")))
    assert first.name
    assert [s for s, _ in instant_waits] == [60.0]


def test_502_then_success_retries(fixtures_dir: Path, instant_waits: list[tuple[float, str]]) -> None:
    bad = load(replay_dir(fixtures_dir) / "Retry.testRaisesRetryErrorAfterMaxRetries.txt")[0]
    good = load(replay_dir(fixtures_dir) / "Retry.testReturnsRepoAfter1Retry.txt")[1]
    replay = Replay([], extra=[bad, good])
    with replaying(replay) as gh, translate_errors(stream="repos", token_env=ENV):
        repo_id = gh.get_repo("PyGithub/PyGithub").id
    assert repo_id == 3544490
    assert [status for _, _, status in replay.answered] == [502, 200]
    assert all(seconds < 5 for seconds, _ in instant_waits)  # urllib3 retries the first failure at once


def test_502_every_time_becomes_transient_error(fixtures_dir: Path) -> None:
    bad = load(replay_dir(fixtures_dir) / "Retry.testRaisesRetryErrorAfterMaxRetries.txt")
    replay = Replay([], extra=bad * 2)  # 8 recorded 502s: more than the retry budget
    with replaying(replay) as gh, pytest.raises(TransientSourceError) as info:
        with translate_errors(stream="repos", token_env=ENV, where="PyGithub/PyGithub"):
            gh.get_repo("PyGithub/PyGithub").id  # noqa: B018
    assert info.value.status == 502
    assert "re-run" in str(info.value).lower()


def test_bad_credentials_401_is_auth_error_naming_the_variable_not_the_token(fixtures_dir: Path) -> None:
    replay = Replay(files(fixtures_dir, "SpecificExceptions.testBadCredentials"))
    with replaying(replay) as gh, pytest.raises(AuthError) as info:
        with translate_errors(stream="user", token_env=ENV):
            gh.get_user().name  # noqa: B018
    assert info.value.exit_code == 2 and info.value.env_var == ENV
    assert "GITHUB_TOKEN" in str(info.value) and TOKEN not in str(info.value)


def test_rest_file_lists_that_are_cut_short_or_lack_counts_leave_the_size_unknown() -> None:
    # Hand-built GitHub (tests/connectors/github/fake_github.py): the REST files list stops at 3,000 files,
    # and a file without line counts cannot be summed; both used to give a wrong size (or a TypeError)
    from tests.connectors.github.fake_github import FakeGitHub, FakePR, FakeRepo

    t0 = datetime(2026, 10, 1, tzinfo=UTC)

    def pull(number: int, files: list[Any], changed: int) -> FakePR:
        return FakePR(number=number, author="ann", created_at=t0, updated_at=t0 + timedelta(hours=number),
                      additions=5000, deletions=10, changed_files=changed, files=files)

    repo = FakeRepo("acme/api", {1: pull(1, [("a.py", 10, 0)], 2), 2: pull(2, [("a.py", None, None)], 1),
                                 3: pull(3, [("a.py", 10, 2), ("x.lock", 4988, 8)], 2)})
    with serve(FakeGitHub([repo])) as server:
        pages = list(rest.fetch_pull_requests_rest(connect(server.url, "ghp_FAKE"), "acme/api", t0, token_env=ENV,
                                                   generated_paths=("*.lock",)))
    sizes = {p.number: p.size_lines for page in pages for p in page.pulls}
    assert sizes == {1: None, 2: None, 3: 12}
