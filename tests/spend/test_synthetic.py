"""The planted spend world is consistent with the organisation it extends."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors.records import AIUsageDay, PullRequest
from tests.spend.conftest import World


def test_sessions_split_each_claude_code_actor_day_exactly(world: World) -> None:
    usage = world.world.org.tables[AIUsageDay]
    claude = usage[(usage["tool"] == "claude_code") & (usage["cost_usd"] > 0)].set_index(["day", "actor"])["cost_usd"]
    sessions = world.world.sessions.groupby(["day", "actor"])["cost_usd"].sum()
    assert len(sessions) == len(claude)
    assert (sessions.reindex(claude.index) - claude).abs().max() < 1e-9


def test_every_session_has_a_fate_and_a_class_and_pr_sessions_name_a_stored_pr(world: World) -> None:
    truth = world.world.truth
    assert set(truth["fate"]) == {"pr", "abandoned", "untraced"}
    assert set(truth["true_class"]) == {"productive", "inefficient", "wasteful", "pending", "unattributed"}
    prs = world.world.org.tables[PullRequest]
    keys = set(zip(prs["repo"], prs["number"], strict=True))
    on_pr = truth[truth["fate"] == "pr"]
    assert all((r, int(n)) in keys for r, n in zip(on_pr["repo"], on_pr["number"], strict=True))


def test_planted_trouble_is_visible_in_the_pr_table(world: World) -> None:
    prs = world.world.org.tables[PullRequest]
    titles = prs["title"].astype(str)
    assert titles.str.startswith('Revert "').sum() > 5
    assert titles.str.startswith("Fix regression from #").sum() > 5
    assert prs["head_branch"].notna().all()
    assert pd.Series(list(world.world.org.truth["spend_planted"].values())).nunique() == 3
    assert world.world.pr_commits["sha"].str.len().eq(40).all()
    assert world.world.pr_commits["message_has_ai_trailer"].mean() == pytest.approx(0.2, abs=0.15)
