"""PR stage derivation (definitions.md §4, §8, AI-assisted PRs): each rule on a hand-made PR."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from correlate.identity import is_bot
from correlate.pr_metrics import apply_usage_rule, derive_pr_metrics

T = pd.Timestamp("2026-03-02 09:00", tz="UTC")
H = pd.Timedelta(hours=1)


def prs(**overrides: Any) -> pd.DataFrame:
    row: dict[str, Any] = {
        "repo": "a/b", "number": 1, "author": "ann", "author_type": "User", "created_at": T, "ready_at": T,
        "first_commit_at": T - 2 * H, "merged_at": T + 10 * H, "closed_at": T + 10 * H, "additions": 40,
        "deletions": 2, "size_lines": None, "labels": "[]", "ai_rule": None, "ai_tool": None,
    }
    row.update(overrides)
    return pd.DataFrame([row])


def activity(*rows: tuple[str, str, pd.Timestamp, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame([{"repo": "a/b", "number": 1, "author": a, "author_type": t, "at": at, "kind": k,
                          "state": s} for a, t, at, k, s in rows])


def one(frame: pd.DataFrame, act: pd.DataFrame | None = None, **kw: Any) -> pd.Series:
    return derive_pr_metrics(frame, act, **kw).iloc[0]


def test_stages_from_first_human_review() -> None:
    row = one(prs(), activity(("bob", "User", T + 3 * H, "review", "COMMENTED"),
                              ("bob", "User", T + 5 * H, "review", "APPROVED")))
    assert row.first_review_at == T + 3 * H and row.first_approval_at == T + 5 * H
    assert (row.coding_s, row.pickup_s, row.review_s, row.cycle_s, row.lifetime_s) == (
        7200.0, 3 * 3600.0, 7 * 3600.0, 10 * 3600.0, 12 * 3600.0)
    assert row.merged_without_review is False


def test_bots_the_author_and_listed_ai_reviewers_are_not_a_first_review() -> None:
    act = activity(("dependabot[bot]", "User", T + 1 * H, "comment", None),
                   ("coderabbitai", "Bot", T + 1 * H, "review", "COMMENTED"),
                   ("review-robot", "User", T + 2 * H, "review", "APPROVED"),
                   ("ann", "User", T + 3 * H, "comment", None),
                   ("carol", "User", T + 4 * H, "comment", None))
    row = one(prs(), act, bot_logins=("Review-Robot",))
    assert row.first_review_at == T + 4 * H
    assert pd.isna(row.first_approval_at)
    assert row.merged_without_review is True  # a comment is not a review


def test_without_any_response_pickup_runs_to_approval_else_merge() -> None:
    approved_only = one(prs(), activity(("bob", "User", T + 6 * H, "review", "APPROVED")))
    assert approved_only.pickup_s == 6 * 3600
    nothing = one(prs())
    assert nothing.pickup_s == 10 * 3600 and nothing.review_s == 0
    assert nothing.merged_without_review is True


def test_missing_stages_stay_null_not_zero() -> None:
    open_pr = one(prs(merged_at=None, closed_at=None))
    assert pd.isna(open_pr.cycle_s) and pd.isna(open_pr.review_s) and pd.isna(open_pr.lifetime_s)
    assert pd.isna(open_pr.pickup_s) and open_pr.merged_without_review is None
    no_commits = one(prs(first_commit_at=None))
    assert pd.isna(no_commits.coding_s) and pd.isna(no_commits.lifetime_s) and no_commits.cycle_s == 36000
    still_draft = one(prs(ready_at=None, merged_at=None, closed_at=None))
    assert pd.isna(still_draft.pickup_s) and pd.isna(still_draft.cycle_s)


def test_a_stage_ending_before_it_starts_counts_as_zero() -> None:
    # correlate.pr_stages: a first commit authored after the PR opened did its coding inside the review
    row = one(prs(first_commit_at=T + 2 * H))
    assert row.coding_s == 0 and row.cycle_s == 36000 and row.lifetime_s == 8 * 3600


def test_review_during_draft_does_not_end_pickup() -> None:
    frame = prs(created_at=T - 5 * H, ready_at=T)
    row = one(frame, activity(("bob", "User", T - 1 * H, "comment", None),
                              ("bob", "User", T + 2 * H, "review", "APPROVED")))
    assert row.first_review_at == T + 2 * H and row.pickup_s == 7200


def test_size_prefers_the_connector_size_without_generated_files() -> None:
    assert one(prs()).size_lines == 42
    assert one(prs(size_lines=30)).size_lines == 30


@pytest.mark.parametrize(("overrides", "rule", "tool"), [
    ({"ai_rule": "co_author_claude", "ai_tool": "claude_code"}, "co_author_claude", "claude_code"),
    ({"author": "Copilot", "author_type": "Bot"}, "agent_author", "copilot"),
    ({"labels": json.dumps(["Claude-Code-Assisted"])}, "label", None),
    ({}, None, None),
])
def test_ai_rules_in_order(overrides: dict[str, Any], rule: str | None, tool: str | None) -> None:
    row = one(prs(**overrides), ai_labels=("claude-code-assisted",))
    assert row.ai_rule == rule and row.ai_tool == tool
    assert bool(row.ai_assisted) is (rule is not None)


def test_text_evidence_wins_over_a_label() -> None:
    row = one(prs(ai_rule="made_with_cursor", ai_tool="cursor", labels='["ai-assisted"]'), ai_labels=("ai-assisted",))
    assert (row.ai_rule, row.ai_tool) == ("made_with_cursor", "cursor")


def test_usage_rule_uses_the_pr_life_in_utc_days() -> None:
    derived = derive_pr_metrics(pd.concat([prs(), prs(number=2, author="bob")], ignore_index=True))
    days = pd.DataFrame({"author": ["ANN", "bob"], "day": [T.date(), (T - 3 * 24 * H).date()]})
    out = apply_usage_rule(derived, days).set_index("number")
    assert (bool(out.loc[1, "ai_assisted"]), out.loc[1, "ai_rule"], out.loc[1, "ai_tool"]) == (
        True, "usage_activity", "claude_code")
    assert bool(out.loc[2, "ai_assisted"]) is False  # bob's usage day is before his PR's first commit


def test_usage_rule_does_not_override_stronger_evidence() -> None:
    derived = derive_pr_metrics(prs(ai_rule="co_author_claude", ai_tool="claude_code"))
    out = apply_usage_rule(derived, pd.DataFrame({"author": ["ann"], "day": [T.date()]}))
    assert out.iloc[0].ai_rule == "co_author_claude"


def test_is_bot_rules() -> None:
    logins = pd.Series(["x[bot]", "Renovate", "ann", None, "ci-user"])
    types = pd.Series(["User", "User", "User", None, "Bot"])
    assert is_bot(logins, types, ()).tolist() == [True, True, False, False, True]


def test_vectorised_over_many_prs_keeps_rows_aligned() -> None:
    frame = pd.concat([prs(number=n, merged_at=T + n * H, closed_at=T + n * H) for n in range(1, 51)],
                      ignore_index=True)
    act = pd.DataFrame([{"repo": "a/b", "number": n, "author": "bob", "author_type": "User",
                         "at": T + pd.Timedelta(minutes=n), "kind": "review", "state": "APPROVED"}
                        for n in range(1, 51, 2)])
    out = derive_pr_metrics(frame, act).set_index("number")
    assert out.loc[3, "pickup_s"] == 180 and out.loc[4, "pickup_s"] == 4 * 3600
    assert out["cycle_s"].tolist() == [n * 3600.0 for n in range(1, 51)]
