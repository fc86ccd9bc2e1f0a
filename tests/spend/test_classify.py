"""The classes on hand-built PRs: one rule per test, with the threshold that decides it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connectors.records import Deployment, DeploymentChange, DeploymentFailure, Incident, PullRequest, Review
from correlate.spend.classify import CLASSES, Classified, classify
from correlate.spend.linking import link_spend
from tests.spend.conftest import AS_OF, Build, D, at, commit, pr, session, usage

MERGED = D + timedelta(days=1)  # long before AS_OF: survival can be judged


def run(b, **kw) -> Classified:  # noqa: ANN001, ANN003
    inputs = b.inputs(**kw)
    return classify(inputs, link_spend(inputs, b.config.root.spend), b.config.root.spend)


def classes_of(c: Classified) -> dict[str, float]:
    by = c.detail.groupby("class")["cost_usd"].sum()
    return {k: pytest.approx(float(v)) for k, v in by.items() if abs(v) > 1e-9}


def reasons_of(c: Classified) -> set[str]:
    return set(c.detail.loc[c.detail["cost_usd"] > 1e-9, "reason"])


def one_pr(build: Build, p: PullRequest, *extra: object, cost: float = 10.0, **spend: object) -> Build:
    return build(usage=[usage("alice@acme.com", D, cost)], prs=[p, *[e for e in extra if isinstance(e, PullRequest)]],
                 reviews=[e for e in extra if isinstance(e, Review)], **spend)


def test_spend_on_a_merged_pr_that_survived_is_productive(build: Build) -> None:
    c = run(one_pr(build, pr(1, "alice-gh", D, D, merged=MERGED)))
    assert classes_of(c) == {"productive": 10.0}
    assert reasons_of(c) == {"merged_survived"}


def test_closed_unmerged_is_wasteful_and_open_is_pending(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 10.0)],
              prs=[pr(1, "alice-gh", D, D, closed=MERGED, size=100), pr(2, "alice-gh", D, D, size=300)])
    assert classes_of(run(b)) == {"wasteful": 2.5, "pending": 7.5}


def test_a_recent_merge_is_pending_until_follow_up_days_have_passed(build: Build) -> None:
    merged = AS_OF - timedelta(days=3)
    b = one_pr(build, pr(1, "alice-gh", D, D, merged=merged))
    assert classes_of(run(b)) == {"pending": 10.0}
    assert reasons_of(run(b)) == {"survival_window_open"}
    b2 = one_pr(build, pr(1, "alice-gh", D, D, merged=merged), follow_up_days=2)
    assert classes_of(run(b2)) == {"productive": 10.0}


def test_a_reverted_pr_is_inefficient(build: Build) -> None:
    revert = pr(2, "bob-gh", MERGED, MERGED, merged=MERGED + timedelta(days=2), title='Revert "Add retries"')
    c = run(one_pr(build, pr(1, "alice-gh", D, D, merged=MERGED, title="Add retries"), revert))
    assert classes_of(c) == {"inefficient": 10.0}
    assert reasons_of(c) == {"reverted"}


def test_a_follow_up_fix_counts_only_within_follow_up_days(build: Build) -> None:
    fix = pr(2, "bob-gh", MERGED, MERGED + timedelta(days=5), merged=MERGED + timedelta(days=6),
             title="Fix regression from #1")
    assert classes_of(run(one_pr(build, pr(1, "alice-gh", D, D, merged=MERGED), fix))) == {"inefficient": 10.0}
    assert classes_of(run(one_pr(build, pr(1, "alice-gh", D, D, merged=MERGED), fix, rework_days=4))) == {
        "productive": 10.0}


def test_changes_requested_rounds_at_the_threshold_make_it_inefficient(build: Build) -> None:
    rounds = [Review("acme/pay", 1, f"r{i}", "carol-gh", state="CHANGES_REQUESTED", submitted_at=at(D, 12 + i))
              for i in range(2)]
    assert classes_of(run(one_pr(build, pr(1, "alice-gh", D, D, merged=MERGED), *rounds))) == {"inefficient": 10.0}
    assert classes_of(run(one_pr(build, pr(1, "alice-gh", D, D, merged=MERGED), *rounds, review_rounds=3))) == {
        "productive": 10.0}


def test_a_pr_shipped_in_a_failed_deployment_is_inefficient(build: Build) -> None:
    b = one_pr(build, pr(1, "alice-gh", D, D, merged=MERGED))
    b.store.upsert(Deployment, [Deployment("ci", "d1", repo="acme/pay", status="success", finished_at=at(MERGED, 18))])
    b.store.upsert(DeploymentChange, [DeploymentChange("ci", "d1", "acme/pay", 1)])
    b.store.upsert(Incident, [Incident("pd", "i1", created_at=at(MERGED, 20))])
    b.store.upsert(DeploymentFailure, [DeploymentFailure("ci", "d1", "pd", "i1", rule="explicit")])
    c = run(b)
    assert classes_of(c) == {"inefficient": 10.0}
    assert reasons_of(c) == {"incident"}


def test_unshipped_git_activity_is_wasteful_after_wasteful_days_and_pending_before(build: Build) -> None:
    kw = {"sessions": [session("alice@acme.com", D, "s1", 10.0, commits=["0badc0de0badc0de"])],
          "commits": [commit("acme/pay", 9, "f" * 40, at(D + timedelta(days=90)))]}
    b = build(usage=[usage("alice@acme.com", D, 10.0)])
    assert classes_of(run(b, **kw)) == {"wasteful": 10.0}
    assert classes_of(run(b, **kw, as_of=D + timedelta(days=5))) == {"pending": 10.0}


def test_the_part_above_k_times_the_team_median_for_the_size_is_inefficient(build: Build) -> None:
    days = [date(2026, 3, d) for d in (2, 3, 4, 5, 6)]
    costs = [1.0, 1.0, 1.0, 1.0, 10.0]
    prs = [pr(i + 1, "alice-gh", d, d, merged=d + timedelta(days=1), size=100) for i, d in enumerate(days)]
    b = build(usage=[usage("alice@acme.com", d, c) for d, c in zip(days, costs, strict=True)], prs=prs)
    c = run(b, until=days[-1])
    # median 1.0, k = 2: of the 10-dollar PR, 8 dollars are above 2 x median
    assert classes_of(c) == {"productive": 6.0, "inefficient": 8.0}
    assert c.medians.to_dict("records") == [{"team": "payments", "size_bucket": "50-199", "n_prs": 5,
                                             "median_cost_usd": 1.0}]
    off = build(usage=[], prs=[], inefficiency_multiple=None)
    assert classes_of(run(off, until=days[-1])) == {"productive": 14.0}
    too_few = build(usage=[], prs=[], min_evidence_prs=6)
    assert classes_of(run(too_few, until=days[-1])) == {"productive": 14.0}


def test_every_dollar_is_in_exactly_one_class(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 10.0), usage("carol@acme.com", D, 4.0)],
              prs=[pr(1, "alice-gh", D, D, merged=MERGED, size=100), pr(2, "alice-gh", D, D, size=100)])
    c = run(b)
    assert set(c.detail["class"]) <= set(CLASSES)
    assert c.detail["cost_usd"].sum() == pytest.approx(14.0)
    assert classes_of(c) == {"productive": 5.0, "pending": 5.0, "unattributed": 4.0}


def test_a_revert_undoes_only_the_latest_pr_with_that_title(build: Build) -> None:
    older = pr(1, "alice-gh", D, D, merged=MERGED, title="Bump dependencies")
    newer = pr(2, "bob-gh", D, D, merged=MERGED + timedelta(days=1), title="Bump dependencies", size=100)
    revert = pr(3, "carol-gh", MERGED, MERGED, merged=MERGED + timedelta(days=2), title='Revert "Bump dependencies"')
    b = build(usage=[usage("alice@acme.com", D, 10.0), usage("bob@acme.com", D, 5.0)], prs=[older, newer, revert])
    c = run(b)
    by = c.detail.groupby("actor")["class"].agg(set).to_dict()
    assert by == {"alice@acme.com": {"productive"}, "bob@acme.com": {"inefficient"}}
