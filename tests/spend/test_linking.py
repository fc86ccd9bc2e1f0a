"""Linking spend to PRs: each rule on hand-built rows, best evidence first, and nothing guessed."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from correlate.spend.linking import LINK_RULES, LinkResult, link_spend
from tests.spend.conftest import Build, D, at, commit, pr, session, usage

SHA1 = "abcdef1234567890abcdef1234567890abcdef12"
SHA2 = "1234567abcdef1234567abcdef1234567abcdef1"


def by_rule(result: LinkResult, rule: str) -> dict[tuple[str | None, int | None], float]:
    rows = result.links[result.links["rule"] == rule]
    return {(r.repo if isinstance(r.repo, str) else None, None if pd.isna(r.number) else int(r.number)): r.cost_usd
            for r in rows.itertuples()}


def test_a_session_whose_commit_is_in_a_pr_links_its_share_and_the_rest_falls_through(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 10.0)],
              prs=[pr(1, "alice-gh", D - timedelta(days=1), D + timedelta(days=1), merged=D + timedelta(days=3))])
    inputs = b.inputs(sessions=[session("alice@acme.com", D, "s1", 6.0, commits=[SHA1[:7]]),
                                session("alice@acme.com", D, "s2", 4.0)],
                      commits=[commit("acme/pay", 1, SHA1, at(D))])
    result = link_spend(inputs, b.config.root.spend)
    assert by_rule(result, "session_commit") == {("acme/pay", 1): pytest.approx(6.0)}
    # the session without git activity is not evidence: its 4 dollars go to the author-day rule
    assert by_rule(result, "author_day") == {("acme/pay", 1): pytest.approx(4.0)}
    assert result.links["cost_usd"].sum() == pytest.approx(10.0)


def test_a_full_commit_id_matches_a_pr_head_sha_without_pr_commits(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 5.0)],
              prs=[pr(2, "alice-gh", D, D, merged=D, head_sha=SHA2)])
    result = link_spend(b.inputs(sessions=[session("alice@acme.com", D, "s1", 5.0, commits=[SHA2])]),
                        b.config.root.spend)
    assert by_rule(result, "session_commit") == {("acme/pay", 2): pytest.approx(5.0)}


def test_a_session_on_a_prs_head_branch_links_to_it_but_base_branches_never_do(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 9.0)],
              prs=[pr(3, "alice-gh", D, D + timedelta(days=2), merged=D + timedelta(days=4), head_branch="alice/x"),
                   pr(4, "alice-gh", D, D, head_branch="main", size=1)])
    result = link_spend(b.inputs(sessions=[session("alice@acme.com", D, "s1", 3.0, branch="alice/x"),
                                           session("alice@acme.com", D, "s2", 6.0, branch="main")]),
                        b.config.root.spend)
    assert by_rule(result, "session_branch") == {("acme/pay", 3): pytest.approx(3.0)}
    assert "session_unshipped" not in set(result.links["rule"])


def test_a_branch_of_someone_else_does_not_link(build: Build) -> None:
    b = build(usage=[usage("bob@acme.com", D, 2.0)],
              prs=[pr(5, "alice-gh", D, D, merged=D, head_branch="fix-typo")])
    result = link_spend(b.inputs(sessions=[session("bob@acme.com", D, "s1", 2.0, branch="fix-typo")]),
                        b.config.root.spend)
    assert by_rule(result, "session_branch") == {}


def test_git_activity_in_no_pr_is_unshipped_only_when_it_can_be_checked(build: Build) -> None:
    b = build(usage=[usage("carol@acme.com", D, 4.0)],
              prs=[pr(6, "carol-gh", D + timedelta(days=20), D + timedelta(days=20), repo="acme/search")])
    sessions = [session("carol@acme.com", D, "s1", 4.0, commits=["deadbeefcafe"], branch="spike/x")]
    # no PR commits and no head branches stored: nothing can be said about the commits -> unattributed
    blind = link_spend(b.inputs(sessions=sessions), b.config.root.spend)
    assert set(blind.links["rule"]) == {"unattributed"}
    assert not blind.commits_checkable and not blind.branches_checkable
    # with PR commits stored, commits that are in no PR are unshipped work
    stored = [commit("acme/search", 6, SHA1, at(D + timedelta(days=20)))]
    seen = link_spend(b.inputs(sessions=sessions, commits=stored), b.config.root.spend)
    assert by_rule(seen, "session_unshipped") == {(None, None): pytest.approx(4.0)}


def test_co_authored_commits_that_day_take_the_rest_before_the_author_day_rule(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 12.0)],
              prs=[pr(7, "alice-gh", D, D + timedelta(days=1), size=10),
                   pr(8, "alice-gh", D, D + timedelta(days=1), size=1000)])
    result = link_spend(b.inputs(commits=[commit("acme/pay", 7, SHA1, at(D, 11), "claude_code"),
                                          commit("acme/pay", 7, SHA2, at(D, 12), "claude_code"),
                                          commit("acme/pay", 8, "f" * 40, at(D, 13), None)]),
                        b.config.root.spend)
    assert by_rule(result, "co_authored") == {("acme/pay", 7): pytest.approx(12.0)}
    assert by_rule(result, "author_day") == {}


def test_another_tools_trailer_does_not_link_claude_code_spend(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 3.0)], prs=[pr(9, "alice-gh", D, D)])
    result = link_spend(b.inputs(commits=[commit("acme/pay", 9, SHA1, at(D, 11), "cursor")]), b.config.root.spend)
    assert by_rule(result, "co_authored") == {}
    assert by_rule(result, "author_day") == {("acme/pay", 9): pytest.approx(3.0)}


def test_the_author_day_rule_splits_across_prs_in_writing_by_size(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 8.0)],
              prs=[pr(10, "alice-gh", D - timedelta(days=2), D, size=300),
                   pr(11, "alice-gh", D, D + timedelta(days=3), size=100),
                   pr(12, "alice-gh", D + timedelta(days=1), D + timedelta(days=3), size=5000),  # starts later
                   pr(13, "bob-gh", D, D, size=100)])  # someone else's
    result = link_spend(b.inputs(), b.config.root.spend)
    assert by_rule(result, "author_day") == {("acme/pay", 10): pytest.approx(6.0), ("acme/pay", 11): pytest.approx(2.0)}


def test_spend_with_no_evidence_and_no_pr_in_writing_is_unattributed_not_guessed(build: Build) -> None:
    b = build(usage=[usage("carol@acme.com", D, 7.0)],
              prs=[pr(14, "carol-gh", D + timedelta(days=3), D + timedelta(days=4), merged=D + timedelta(days=5),
                      repo="acme/search")])
    result = link_spend(b.inputs(), b.config.root.spend)
    assert by_rule(result, "unattributed") == {(None, None): pytest.approx(7.0)}
    assert result.rule_shares()["unattributed"] == pytest.approx(1.0)


def test_sessions_covering_part_of_a_day_link_only_that_part(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 10.0)],
              prs=[pr(15, "alice-gh", D, D, merged=D, head_branch="alice/y")])
    result = link_spend(b.inputs(sessions=[session("alice@acme.com", D, "s1", 2.5, branch="alice/y")]),
                        b.config.root.spend)
    assert by_rule(result, "session_branch") == {("acme/pay", 15): pytest.approx(2.5)}
    assert by_rule(result, "author_day") == {("acme/pay", 15): pytest.approx(7.5)}


def test_sessions_costing_more_than_the_day_are_scaled_to_it(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 10.0)],
              prs=[pr(16, "alice-gh", D, D, merged=D, head_branch="alice/z")])
    result = link_spend(b.inputs(sessions=[session("alice@acme.com", D, "s1", 15.0, branch="alice/z"),
                                           session("alice@acme.com", D, "s2", 5.0)]), b.config.root.spend)
    assert by_rule(result, "session_branch") == {("acme/pay", 16): pytest.approx(7.5)}
    assert result.links["cost_usd"].sum() == pytest.approx(10.0)


def test_one_session_seen_by_two_paths_counts_once(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 10.0)],
              prs=[pr(17, "alice-gh", D, D, merged=D, head_branch="alice/w")])
    sessions = [session("alice@acme.com", D, "s1", 4.0, branch="alice/w", source="otel"),
                session("alice@acme.com", D, "s1", 4.0, branch="alice/w", source="transcripts")]
    result = link_spend(b.inputs(sessions=sessions), b.config.root.spend, precedence=("otel", "transcripts"))
    assert by_rule(result, "session_branch") == {("acme/pay", 17): pytest.approx(4.0)}


def test_rule_shares_name_every_rule_and_add_up_to_one(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 6.0), usage("carol@acme.com", D, 2.0)],
              prs=[pr(18, "alice-gh", D, D, merged=D)])
    shares = link_spend(b.inputs(), b.config.root.spend).rule_shares()
    assert list(shares) == list(LINK_RULES)
    assert shares["author_day"] == pytest.approx(0.75) and shares["unattributed"] == pytest.approx(0.25)
    assert sum(shares.values()) == pytest.approx(1.0)
