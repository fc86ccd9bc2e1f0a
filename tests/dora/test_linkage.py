"""Linkage: which deployment shipped each merged PR, and which deployment each failure is blamed on.

Timelines are built by hand (tests/dora/builders.py); every expected value follows from the rules in
correlate/dora/linkage.py's docstring.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from connectors.github.records import DeploymentCommit, PRCommit
from connectors.records import Deployment, DeploymentChange, DeploymentFailure, Incident, PullRequest
from correlate.dora.linkage import link_all
from correlate.store import Store
from tests.dora.builders import at, config, deploy, incident, pr

H = 3600.0


@pytest.fixture
def store(store_path: Path) -> Store:
    s = Store.open(store_path)
    yield s
    s.close()


def changes(store: Store) -> dict[tuple[str, int], tuple[str, float | None, str]]:
    df = store.query("SELECT * FROM deployment_changes")
    return {(r.repo, r.number): (r.deployment_id, None if pd.isna(r.lead_time_s) else r.lead_time_s, r.rule)
            for r in df.itertuples()}


def failures(store: Store) -> set[tuple[str, str, str, str]]:
    df = store.query("SELECT deployment_id, incident_source, incident_id, rule FROM deployment_failures")
    return set(df.itertuples(index=False, name=None))


ANCESTRY = [DeploymentCommit("csv", "d1", "acme/api", "aaa1111"), DeploymentCommit("csv", "d1", "acme/api", "aaa2222"),
            DeploymentCommit("csv", "d2", "acme/api", "aaa3333")]


def _ancestry_timeline(store: Store) -> None:
    store.upsert(PullRequest, [
        pr(1, merged=at(1), sha="aaa1111", first_commit=at(-5)),
        pr(2, merged=at(2), sha="aaa2222", first_commit=at(0)),
        # merged before d1 but on a state d1 did not ship: only the later d2 contains it
        pr(3, merged=at(1.5), sha="aaa3333", first_commit=at(-1)),
        # merged, in no deployment's commits: not deployed yet
        pr(4, merged=at(3), sha="aaa4444", first_commit=at(2)),
    ])
    store.upsert(Deployment, [deploy("d0", finished=at(0.5)), deploy("d1", finished=at(4), sha="aaa2222"),
                              deploy("d2", finished=at(30))])


def test_a_deploy_containing_several_merges_gives_each_its_own_lead_time(store: Store) -> None:
    _ancestry_timeline(store)
    store.upsert(DeploymentCommit, ANCESTRY)  # the commits each deployment shipped
    link_all(store, config())
    got = changes(store)
    assert got[("acme/api", 1)] == ("d1", 9 * H, "ancestry")  # d1 finished at +4h, first commit at -5h
    assert got[("acme/api", 2)] == ("d1", 4 * H, "ancestry")


def test_a_merge_deployed_only_by_a_later_deploy_gets_that_deploy(store: Store) -> None:
    _ancestry_timeline(store)
    store.upsert(DeploymentCommit, ANCESTRY)  # the commits each deployment shipped
    link_all(store, config())
    got = changes(store)
    assert got[("acme/api", 3)] == ("d2", 31 * H, "ancestry")
    assert ("acme/api", 4) not in got  # in no deploy: not deployed, not guessed


def test_without_ancestry_an_exact_sha_wins_then_time_order(store: Store) -> None:
    _ancestry_timeline(store)
    link_all(store, config())
    got = changes(store)
    assert got[("acme/api", 2)] == ("d1", 4 * H, "sha")
    assert got[("acme/api", 3)] == ("d1", 5 * H, "time_order")  # trunk assumption: the next deploy
    assert got[("acme/api", 4)] == ("d1", 2 * H, "time_order")  # d1 began (3h50) after it merged (3h)


def test_merge_time_is_a_labelled_proxy_only_where_a_repo_has_no_deploy_data(store: Store) -> None:
    """No deploys at all, or none known before the merge (deploy data begins later): merge time stands in."""
    store.upsert(PullRequest, [
        pr(7, merged=at(10), sha="bbb7777", first_commit=at(4), repo="acme/web"),  # repo with no deploys
        pr(8, merged=at(-50), sha="aaa8888", first_commit=at(-52)),  # before acme/api's deploy data begins
        pr(9, merged=at(5), sha="ccc9999", first_commit=None),  # no first-commit time: lead time unknown
    ])
    store.upsert(Deployment, [deploy("d0", finished=at(-1)), deploy("d1", finished=at(6))])
    link_all(store, config())
    got = changes(store)
    assert got[("acme/web", 7)] == ("acme/web#7", 6 * H, "merge_proxy")
    assert got[("acme/api", 8)] == ("acme/api#8", 2 * H, "merge_proxy")
    assert got[("acme/api", 9)] == ("d1", None, "time_order")


def test_failed_staging_and_rollback_deploys_do_not_ship_changes(store: Store) -> None:
    store.upsert(PullRequest, [pr(1, merged=at(1), sha="aaa1111", first_commit=at(0))])
    store.upsert(Deployment, [
        deploy("d0", finished=at(0.5)),
        deploy("s1", finished=at(2), environment="staging"),
        deploy("f1", finished=at(3), status="failure"),
        deploy("r1", finished=at(4), kind="rollback"),
        deploy("d1", finished=at(5)),
    ])
    link_all(store, config())
    assert changes(store)[("acme/api", 1)][0] == "d1"


def test_explicit_link_beats_the_time_heuristic(store: Store) -> None:
    store.upsert(Deployment, [deploy("d1", finished=at(1)), deploy("d2", finished=at(5))])
    store.upsert(Incident, [incident("i1", created=at(6), repo="acme/api", deployment="d1"),
                            incident("i2", created=at(6), repo="acme/api")])
    link_all(store, config())
    assert failures(store) == {("d1", "csv", "i1", "explicit"), ("d2", "csv", "i2", "time_heuristic:repo")}


def test_root_cause_sha_links_the_first_deploy_that_shipped_it(store: Store) -> None:
    store.upsert(Deployment, [deploy("d1", finished=at(1), sha="aaa1111"), deploy("d2", finished=at(5)),
                              deploy("d3", finished=at(9), sha="aaa1111")])
    store.upsert(Incident, [incident("i1", created=at(10), service="checkout", sha="aaa1111fffeee")])
    link_all(store, config())
    assert failures(store) == {("d1", "csv", "i1", "root_cause_sha")}


def test_a_rollback_during_an_incident_blames_the_deploy_it_undid(store: Store) -> None:
    store.upsert(Deployment, [
        deploy("d1", finished=at(1), service="checkout", repo=None),
        deploy("d2", finished=at(2), service="checkout", repo=None),
        deploy("r1", finished=at(3.5), started=at(3.4), service="checkout", repo=None, kind="rollback"),
    ])
    store.upsert(Incident, [incident("i1", created=at(3), resolved=at(4), service="checkout")])
    link_all(store, config())
    assert failures(store) == {("d2", "csv", "i1", "rollback"), ("d2", "deployment:csv", "r1", "rollback")}


def test_time_heuristic_prefers_service_then_repo_then_team_within_the_window(store: Store) -> None:
    store.upsert(Deployment, [
        deploy("svc", finished=at(1), service="checkout", repo=None),
        deploy("api", finished=at(2)),  # acme/api, team payments
        deploy("web", finished=at(3), repo="acme/web"),
        deploy("old", finished=at(-10, days=-8), repo="acme/web"),
    ])
    store.upsert(Incident, [
        incident("by-service", created=at(5), service="checkout"),
        incident("by-repo", created=at(5), repo="acme/api"),
        incident("by-team", created=at(5), service="PTOTHER", team="web"),
        incident("too-late", created=at(-9, days=-1), repo="acme/web"),  # 'old' finished 8 days earlier
        incident("a-bug", created=at(5), repo="acme/api", kind="bug"),
    ])
    link_all(store, config())
    assert failures(store) == {("svc", "csv", "by-service", "time_heuristic:service"),
                               ("api", "csv", "by-repo", "time_heuristic:repo"),
                               ("web", "csv", "by-team", "time_heuristic:team")}


def test_the_heuristic_window_is_configurable(store: Store) -> None:
    store.upsert(Deployment, [deploy("d1", finished=at(0))])
    store.upsert(Incident, [incident("i1", created=at(30), repo="acme/api")])
    link_all(store, config(failure_window_hours=24))
    assert failures(store) == set()
    link_all(store, config(failure_window_hours=48))
    assert failures(store) == {("d1", "csv", "i1", "time_heuristic:repo")}


def test_link_all_is_idempotent_and_keeps_declared_links(store: Store) -> None:
    _ancestry_timeline(store)
    store.upsert(DeploymentCommit, ANCESTRY)  # the commits each deployment shipped
    store.upsert(Incident, [incident("i1", created=at(5), repo="acme/api"),
                            incident("i2", created=at(31), repo="acme/api")])
    store.upsert(DeploymentChange, [DeploymentChange("demo", "x", "acme/api", 4, 60.0, "declared")])
    store.upsert(DeploymentFailure, [DeploymentFailure("csv", "d1", "csv", "i2", "declared")])
    first = link_all(store, config())
    snapshot = (changes(store), failures(store))
    second = link_all(store, config())
    assert (changes(store), failures(store)) == snapshot
    assert first == second
    assert snapshot[0][("acme/api", 4)] == ("x", 60.0, "declared")
    assert ("d1", "csv", "i2", "declared") in snapshot[1]
    assert not any(f[2] == "i2" and f[3] != "declared" for f in snapshot[1])  # declared incidents not re-linked


def test_a_merged_revert_pr_fails_the_deploy_that_shipped_the_reverted_pr(store: Store) -> None:
    store.upsert(PullRequest, [
        replace(pr(1, merged=at(1), sha="aaa1111", first_commit=at(0)), title="Add cache"),
        replace(pr(2, merged=at(5), sha="aaa2222", first_commit=at(4)), title='Revert "Add cache"'),
        replace(pr(3, merged=at(6), sha="aaa3333", first_commit=at(5)), title='Revert "Something never merged"'),
    ])
    store.upsert(Deployment, [deploy("d0", finished=at(0.5)), deploy("d1", finished=at(2)),
                              deploy("d2", finished=at(7))])
    link_all(store, config())
    assert failures(store) == {("d1", "revert_pr", "acme/api#2", "revert")}


def test_first_commit_time_falls_back_to_the_earliest_authored_pr_commit(store: Store) -> None:
    store.upsert(PullRequest, [pr(1, merged=at(1), sha="aaa1111", first_commit=None)])
    store.upsert(Deployment, [deploy("d0", finished=at(0.5)), deploy("d1", finished=at(4))])
    store.upsert(PRCommit, [PRCommit("acme/api", 1, "c1", at(-2)), PRCommit("acme/api", 1, "c2", at(-6))])
    link_all(store, config())
    assert changes(store)[("acme/api", 1)] == ("d1", 10 * H, "time_order")  # 4 h - (-6 h)
