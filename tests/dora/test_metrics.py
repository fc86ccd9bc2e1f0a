"""DORA metrics over a hand-built timeline; every expected number is worked out in the comments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from connectors.records import Deployment, Incident, PullRequest
from correlate.dora.linkage import link_all
from correlate.dora.metrics import compute, wilson
from correlate.store import Store
from tests.dora.builders import T0, at, config, deploy, incident, pr

H = 3600.0
SINCE, UNTIL = T0.date(), T0.date() + timedelta(days=27)  # four complete weeks, Monday to Sunday


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    s = Store.open(store_path)
    yield s
    s.close()


def test_cfr_counts_each_deployment_once_however_many_failures_link_to_it(store: Store) -> None:
    store.upsert(Deployment, [deploy(f"d{n}", finished=at(days=n)) for n in range(10)])
    store.upsert(Incident, [
        incident("explicit", created=at(1, days=8), resolved=at(2, days=8), deployment="d3"),
        incident("near-a", created=at(1, days=3), resolved=at(2, days=3), repo="acme/api"),   # -> d3 by time
        incident("near-b", created=at(5, days=3), resolved=at(6, days=3), repo="acme/api"),   # -> d3 by time
        incident("other", created=at(1, days=6), resolved=at(3, days=6), repo="acme/api"),    # -> d6 by time
    ])
    link_all(store, config())
    cfr = compute(store, config(), since=SINCE, until=UNTIL).change_failure_rate
    assert (cfr.numerator, cfr.denominator) == (2, 10)  # d3 (three incidents) and d6
    assert cfr.value == pytest.approx(0.2)
    assert dict(cfr.evidence) == {"explicit": 1, "time_heuristic:repo": 3}
    assert (cfr.ci_low, cfr.ci_high) == wilson(2, 10)


def test_recovery_excludes_and_counts_unresolved_incidents(store: Store) -> None:
    store.upsert(Deployment, [deploy("d1", finished=at(0)), deploy("d2", finished=at(days=2)),
                              deploy("d3", finished=at(days=4)),
                              deploy("r3", finished=at(5, days=4), kind="rollback")])
    store.upsert(Incident, [
        incident("i1", created=at(1), resolved=at(3), repo="acme/api"),              # d1 restored 3 h after deploy
        incident("i2", created=at(1, days=2), resolved=None, repo="acme/api"),       # d2: still open
    ])
    link_all(store, config())
    m = compute(store, config(), since=SINCE, until=UNTIL)
    rec = m.failed_deployment_recovery
    # d1: 3 h (incident resolution); d3: rolled back 5 h after it finished; d2 excluded (unresolved)
    assert (rec.n, rec.excluded, rec.median_s) == (2, 1, 4 * H)
    restore = m.time_to_restore
    assert (restore.n, restore.excluded, restore.median_s) == (1, 1, 2 * H)  # i1: 1 h -> 3 h; i2 open


def test_lead_time_is_a_median_of_deploy_linked_changes_and_proxies_stay_apart(store: Store) -> None:
    store.upsert(Deployment, [deploy("d0", finished=at(-1)), deploy("d1", finished=at(10))])
    store.upsert(PullRequest, [
        pr(1, merged=at(1), sha="aaa1111", first_commit=at(0)),    # 10 h
        pr(2, merged=at(2), sha="aaa2222", first_commit=at(-10)),  # 20 h
        pr(3, merged=at(3), sha="aaa3333", first_commit=at(-90)),  # 100 h
        pr(4, merged=at(3), sha="aaa4444", first_commit=None),     # no first commit: excluded
        pr(5, merged=at(5), sha="bbb5555", first_commit=at(4), repo="acme/web"),  # proxy, 1 h
    ])
    link_all(store, config())
    lead = compute(store, config(), since=SINCE, until=UNTIL).lead_time
    assert (lead.median_s, lead.n, lead.excluded) == (20 * H, 3, 1)
    assert "1 merge-proxy" in lead.rule
    web = compute(store, config(), since=SINCE, until=UNTIL, team="web").lead_time
    assert (web.median_s, web.n) == (1 * H, 1) and web.rule.startswith("merge_proxy")


def test_deployment_frequency_uses_deploy_days_per_complete_week(store: Store) -> None:
    # week 1: Mon, Mon again, Tue (2 deploy days); week 2: none; weeks 3 and 4: Mon-Fri (5 each)
    finishes = [at(1), at(3), at(days=1)] + [at(days=d) for w in (14, 21) for d in range(w, w + 5)]
    store.upsert(Deployment, [deploy(f"d{n}", finished=t) for n, t in enumerate(finishes)])
    link_all(store, config())
    f = compute(store, config(), since=SINCE, until=UNTIL).deployment_frequency
    assert (f.deployments, f.days, f.deploy_days, f.weeks) == (13, 28, 12, 4)
    assert f.median_deploy_days_per_week == 3.5  # median of 2, 0, 5, 5
    assert f.per_week == pytest.approx(13 / 4)


def test_rework_incident_and_bug_rates(store: Store) -> None:
    store.upsert(Deployment, [deploy("d1", finished=at(0)), deploy("h1", finished=at(2), kind="hotfix"),
                              deploy("d2", finished=at(3)), deploy("d3", finished=at(days=3))])
    store.upsert(Incident, [incident("i1", created=at(1), resolved=at(4), repo="acme/api"),  # d2 during it
                            incident("b1", created=at(1), repo="acme/api", kind="bug"),
                            incident("b2", created=at(2), service="frontend", kind="bug")])
    store.upsert(PullRequest, [pr(n, merged=at(n), sha=f"abc{n:04d}", first_commit=at(0)) for n in range(1, 5)])
    link_all(store, config())
    m = compute(store, config(), since=SINCE, until=UNTIL, team="payments")
    assert (m.rework_rate.numerator, m.rework_rate.denominator) == (2, 4)  # h1 (hotfix) and d2 (during i1)
    assert (m.incident_rate.numerator, m.incident_rate.denominator) == (1, 28)
    assert m.incident_rate.value == pytest.approx(0.25)  # per week
    assert (m.bug_rate.numerator, m.bug_rate.denominator, m.bug_rate.value) == (1, 4, 25.0)  # b2 belongs to web


def test_a_team_sees_only_its_own_deployments(store: Store) -> None:
    store.upsert(Deployment, [deploy("api", finished=at(1)), deploy("web", finished=at(2), repo="acme/web"),
                              deploy("svc", finished=at(3), repo=None, service="checkout")])
    link_all(store, config())
    assert compute(store, config(), since=SINCE, until=UNTIL, team="payments").deployment_frequency.deployments == 2
    assert compute(store, config(), since=SINCE, until=UNTIL, team="web").deployment_frequency.deployments == 1
    assert compute(store, config(), since=date(2026, 4, 1), until=date(2026, 4, 2)).change_failure_rate.value is None


def test_wilson_interval_matches_the_closed_form() -> None:
    # 3 of 10, z = 1.96: centre 0.35551, half-width 0.24771 (Wilson 1927 formula, computed by hand)
    low, high = wilson(3, 10)
    assert (round(low, 4), round(high, 4)) == (0.1078, 0.6032)
    assert wilson(0, 0) == (None, None)


def test_a_revert_pr_counts_as_a_failure_recovered_when_the_revert_ships(store: Store) -> None:
    store.upsert(PullRequest, [
        replace(pr(1, merged=at(1), sha="aaa1111", first_commit=at(0)), title="Add cache"),
        replace(pr(2, merged=at(5), sha="aaa2222", first_commit=at(4)), title='Revert "Add cache"'),
    ])
    store.upsert(Deployment, [deploy("d0", finished=at(0.5)), deploy("d1", finished=at(2)),
                              deploy("d2", finished=at(7))])
    link_all(store, config())
    m = compute(store, config(), since=SINCE, until=UNTIL)
    assert (m.change_failure_rate.numerator, m.change_failure_rate.denominator) == (1, 3)
    rec = m.failed_deployment_recovery
    assert (rec.n, rec.excluded, rec.median_s) == (1, 0, 5 * H)  # d1 finished at 2 h, the revert shipped at 7 h
