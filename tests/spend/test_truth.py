"""The classifier against a synthetic organisation whose sessions have known fates (tests/spend/synthetic.py).

Tolerances, stated once: class shares of team-mapped spend in the settled window are within
``TOL`` (2 percentage points) of the truth, except that waste which left no visible trace (abandoned
sessions without commits or branch, and Cursor spend, which has no session telemetry) cannot be
seen: it may show as unattributed or be spread by the fallback rules, so wasteful may fall short of
the truth, and unattributed exceed it, by at most that invisible share plus ``TOL``.
"""

from __future__ import annotations

import pytest

from correlate.config import SpendConfig
from correlate.spend.classify import CLASSES, Classified, classify
from correlate.spend.inputs import SpendInputs
from correlate.spend.linking import LinkResult, link_spend
from tests.spend.conftest import World

TOL = 0.02


def shares(c: Classified) -> dict[str, float]:
    by = c.detail.groupby("class")["cost_usd"].sum()
    total = float(by.sum())
    return {k: float(by.get(k, 0.0)) / total for k in CLASSES}


Base = tuple[SpendConfig, LinkResult, Classified, SpendInputs]


@pytest.fixture(scope="module")
def base(world: World) -> Base:
    """Classified with the cost-above-median rule off: the planted truth has no notion of "too expensive"."""
    spend = SpendConfig(inefficiency_multiple=None)
    inputs = world.inputs()
    links = link_spend(inputs, spend, world.config.root.ingest.precedence)
    return spend, links, classify(inputs, links, spend), inputs


def test_class_shares_are_within_tolerance_of_the_truth(world: World, base: Base) -> None:
    _, _, c, _ = base
    truth = world.truth()
    assert c.detail["cost_usd"].sum() == pytest.approx(truth["cost_usd"].sum(), rel=1e-9)
    true = (truth.groupby("true_class")["cost_usd"].sum() / truth["cost_usd"].sum()).to_dict()
    est = shares(c)
    invisible = float(truth.loc[(truth["fate"] == "abandoned") & truth["evidence"].isin(["none", "no_telemetry"]),
                                "cost_usd"].sum() / truth["cost_usd"].sum())
    for cls in ("productive", "inefficient", "pending"):
        assert est[cls] == pytest.approx(true.get(cls, 0.0), abs=TOL), cls
    assert -TOL <= true["wasteful"] - est["wasteful"] <= invisible + TOL
    assert -TOL <= est["unattributed"] - true["unattributed"] <= invisible + TOL
    assert 0.02 < invisible < 0.2  # the world does plant invisible waste, so the bounds above mean something


def test_spend_that_left_no_trace_is_unattributed_not_guessed(world: World, base: Base) -> None:
    _, _, c, _ = base
    truth = world.truth()
    untraced = truth.groupby(["tool", "day", "actor"])["fate"].agg(lambda f: set(f) == {"untraced"})
    days = untraced[untraced].reset_index()[["tool", "day", "actor"]]
    assert len(days) > 20
    hit = c.detail.merge(days, on=["tool", "day", "actor"])
    assert set(hit["class"]) == {"unattributed"}
    assert hit["cost_usd"].sum() == pytest.approx(truth.merge(days, on=["tool", "day", "actor"])["cost_usd"].sum())


def test_each_rule_carries_part_of_the_spend_and_is_reported(base: Base) -> None:
    _, links, _, _ = base
    s = links.rule_shares()
    assert sum(s.values()) == pytest.approx(1.0)
    for rule in ("session_commit", "session_branch", "session_unshipped", "co_authored", "author_day", "unattributed"):
        assert s[rule] > 0.005, rule


def test_without_session_or_commit_evidence_it_degrades_to_the_author_day_rule(world: World) -> None:
    spend = SpendConfig()
    inputs = world.inputs(evidence=False)
    links = link_spend(inputs, spend)
    s = links.rule_shares()
    assert {r for r, v in s.items() if v > 0} == {"author_day", "unattributed"}
    assert not links.sessions_available and not links.commits_checkable


def moved(world: World, base: Base, **change: object) -> dict[str, float]:
    spend, links, _, inputs = base
    changed = spend.model_copy(update=change)
    if "wasteful_days" in change:  # it also bounds branch matching, so link again
        links = link_spend(inputs, changed, world.config.root.ingest.precedence)
    return shares(classify(inputs, links, changed))


@pytest.mark.parametrize(("change", "up", "down"), [
    ({"follow_up_days": 3}, "productive", "inefficient"),          # fewer follow-up fixes count
    ({"review_rounds": 1}, "inefficient", "productive"),        # one changes-requested round is enough
    ({"review_rounds": 4}, "productive", "inefficient"),
    ({"inefficiency_multiple": 1.5}, "inefficient", "productive"),  # the cost-above-median rule switched on
    ({"wasteful_days": 60}, "pending", "wasteful"),             # unshipped work waits longer before it counts
])
def test_every_threshold_moves_the_shares_in_the_expected_direction(world: World, base: Base,
                                                                   change: dict[str, object], up: str,
                                                                   down: str) -> None:
    before = shares(base[2])
    after = moved(world, base, **change)
    assert after[up] > before[up] + 0.001, (change, before, after)
    assert after[down] < before[down] - 0.001, (change, before, after)
    assert sum(after.values()) == pytest.approx(1.0)


def test_a_larger_multiple_or_more_evidence_needed_means_less_inefficient(world: World, base: Base) -> None:
    loose = moved(world, base, inefficiency_multiple=1.5)
    strict = moved(world, base, inefficiency_multiple=3.0)
    sparse = moved(world, base, inefficiency_multiple=1.5, min_evidence_prs=10_000)
    assert strict["inefficient"] < loose["inefficient"]
    assert sparse["inefficient"] == pytest.approx(shares(base[2])["inefficient"])
