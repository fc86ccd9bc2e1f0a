"""The team × day table: a complete calendar, zeros as zeros, empty medians, dated membership, time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from connectors.records import AIUsageDay, Deployment, DeploymentChange, DeploymentFailure, Incident, PullRequest
from correlate.config import Config, from_mapping
from correlate.errors import UsageError
from correlate.panel import PANEL_COLUMNS, build_panel
from correlate.store import Store

D1, D2, D3, D4 = (date(2026, 3, d) for d in (2, 3, 4, 5))


def cfg(timezone: str = "UTC", **extra: Any) -> Config:
    return from_mapping({
        "calendar": {"timezone": timezone},
        "teams": [
            {"name": "payments",
             "members": [["alice@acme.com", "alice-gh"], {"ids": ["bob-gh"], "until": "2026-03-04"}],
             "repos": ["acme/pay"], "services": ["PPAY"]},
            {"name": "search", "members": [{"ids": ["bob-gh"], "since": "2026-03-04"}, "carol-gh"],
             "repos": ["acme/search"]},
        ],
        **extra,
    }, path=None)


def at(d: date, hour: float) -> datetime:
    return datetime(d.year, d.month, d.day, int(hour), int(hour % 1 * 60), tzinfo=UTC)


def merged_pr(number: int, author: str, day: date, cycle_h: float, **kw: Any) -> PullRequest:
    return PullRequest("acme/pay", number, author, created_at=at(day, 8), merged_at=at(day, 8 + cycle_h),
                       closed_at=at(day, 8 + cycle_h), cycle_s=cycle_h * 3600, size_lines=kw.pop("size", 50), **kw)


@pytest.fixture
def store(store_path: Path) -> Store:
    s = Store.open(store_path)
    yield s
    s.close()


def test_every_team_has_every_day_with_the_contract_columns(store: Store) -> None:
    panel = build_panel(store, cfg(), D1, D4)
    assert list(panel.columns[: len(PANEL_COLUMNS)]) == PANEL_COLUMNS
    assert len(panel) == 2 * 4
    assert set(panel["day"]) == {D1, D2, D3, D4}


def test_an_empty_day_has_zero_counts_and_empty_medians(store: Store) -> None:
    panel = build_panel(store, cfg(), D1, D2)
    row = panel.iloc[0]
    for col in ["prs_merged", "deployments", "incidents", "ai_active_users", "ai_sessions", "prs_opened"]:
        assert row[col] == 0, col
    for col in ["pr_cycle_time_h_median", "lead_time_h_median", "time_to_restore_h_median", "pr_size_median"]:
        assert pd.isna(row[col]), col


def test_merged_prs_count_on_their_merge_day_with_medians_of_that_day(store: Store) -> None:
    store.upsert(PullRequest, [merged_pr(1, "alice-gh", D1, 2), merged_pr(2, "alice-gh", D1, 4),
                               merged_pr(3, "ALICE-GH", D1, 9), merged_pr(4, "alice-gh", D2, 1)])
    panel = build_panel(store, cfg(), D1, D2).set_index(["team", "day"])
    assert panel.loc[("payments", D1), "prs_merged"] == 3
    assert panel.loc[("payments", D1), "pr_cycle_time_h_median"] == pytest.approx(4.0)
    assert panel.loc[("payments", D2), "pr_cycle_time_h_median"] == pytest.approx(1.0)


def test_a_weekly_median_is_the_median_of_the_weeks_events_not_of_daily_medians(store: Store) -> None:
    # day 1: 1, 2, 3 (median 2); day 2: 10 (median 10). Median of medians = 6; true median = 2.5.
    store.upsert(PullRequest, [merged_pr(1, "alice-gh", D1, 1), merged_pr(2, "alice-gh", D1, 2),
                               merged_pr(3, "alice-gh", D1, 3), merged_pr(4, "alice-gh", D2, 10)])
    week = build_panel(store, cfg(), D1, D4, "week").set_index("team")
    assert week.loc["payments", "pr_cycle_time_h_median"] == pytest.approx(2.5)
    assert week.loc["payments", "prs_merged"] == 4


def test_dated_membership_moves_a_person_between_teams(store: Store) -> None:
    store.upsert(PullRequest, [merged_pr(1, "bob-gh", D2, 1), merged_pr(2, "bob-gh", D3, 1)])
    panel = build_panel(store, cfg(), D1, D4).set_index(["team", "day"])
    assert panel.loc[("payments", D2), "prs_merged"] == 1 and panel.loc[("search", D2), "prs_merged"] == 0
    assert panel.loc[("payments", D3), "prs_merged"] == 0 and panel.loc[("search", D3), "prs_merged"] == 1
    assert panel.loc[("payments", D2), "headcount"] == 2 and panel.loc[("payments", D3), "headcount"] == 1
    assert panel.loc[("search", D3), "headcount"] == 2


def test_grouped_identities_count_as_one_person(store: Store) -> None:
    store.upsert(AIUsageDay, [AIUsageDay("claude_code", "analytics_api", D1, "Alice@acme.com", sessions=1),
                              AIUsageDay("copilot", "copilot_api", D1, "alice-gh", requests=4)])
    panel = build_panel(store, cfg(), D1, D1).set_index("team")
    assert panel.loc["payments", "ai_active_users"] == 1


def test_the_configured_time_zone_decides_the_day(store: Store) -> None:
    # 23:30 UTC on 2 March is already 3 March in Berlin.
    pr = PullRequest("acme/pay", 1, "alice-gh", created_at=at(D1, 20), merged_at=at(D1, 23.5), cycle_s=3.5 * 3600)
    store.upsert(PullRequest, [pr])
    utc = build_panel(store, cfg("UTC"), D1, D2).set_index(["team", "day"])
    berlin = build_panel(store, cfg("Europe/Berlin"), D1, D2).set_index(["team", "day"])
    assert utc.loc[("payments", D1), "prs_merged"] == 1
    assert berlin.loc[("payments", D1), "prs_merged"] == 0 and berlin.loc[("payments", D2), "prs_merged"] == 1


def test_one_actor_day_from_two_paths_is_counted_once_by_precedence(store: Store) -> None:
    store.upsert(AIUsageDay, [
        AIUsageDay("claude_code", "otel", D1, "alice@acme.com", sessions=7, cost_usd=2.0),
        AIUsageDay("claude_code", "analytics_api", D1, "alice@acme.com", sessions=5, cost_usd=3.0),
    ])
    row = build_panel(store, cfg(), D1, D1).set_index("team").loc["payments"]
    assert row["ai_sessions"] == 5 and row["ai_cost_usd"] == pytest.approx(3.0)


def test_a_column_a_source_does_not_report_stays_empty_not_zero(store: Store) -> None:
    store.upsert(AIUsageDay, [AIUsageDay("copilot", "copilot_api", D1, "alice-gh", requests=4)])
    row = build_panel(store, cfg(), D1, D1).set_index("team").loc["payments"]
    assert pd.isna(row["ai_cost_usd"]) and pd.isna(row["ai_sessions"])
    assert row["ai_requests"] == 4


def test_unmatched_identities_are_not_silently_given_a_team(store: Store) -> None:
    store.upsert(AIUsageDay, [AIUsageDay("claude_code", "analytics_api", D1, "stranger@gmail.test", sessions=3)])
    panel = build_panel(store, cfg(), D1, D1)
    assert panel["ai_active_users"].sum() == 0


def test_deployments_and_incidents_belong_to_the_owning_team(store: Store) -> None:
    store.upsert(Deployment, [
        Deployment("gh", "d1", repo="acme/pay", finished_at=at(D2, 12), status="success", is_production=True),
        Deployment("gh", "d2", repo="acme/pay", finished_at=at(D2, 14), status="failure", is_production=True),
        Deployment("gh", "d3", repo="acme/search", finished_at=at(D3, 9), status="success"),
    ])
    store.upsert(DeploymentFailure, [DeploymentFailure("gh", "d1", "pd", "i1", "explicit"),
                                     DeploymentFailure("gh", "d1", "pd", "i2", "time_heuristic")])
    store.upsert(DeploymentChange, [DeploymentChange("gh", "d1", "acme/pay", 1, lead_time_s=7200),
                                    DeploymentChange("gh", "d1", "acme/pay", 2, lead_time_s=3 * 3600)])
    store.upsert(Incident, [
        Incident("pd", "i1", service="PPAY", created_at=at(D2, 15), resolved_at=at(D2, 17)),
        Incident("pd", "i2", service="PPAY", created_at=at(D3, 1), resolved_at=None),
    ])
    panel = build_panel(store, cfg(), D1, D4).set_index(["team", "day"])
    pay = panel.loc[("payments", D2)]
    assert pay["deployments"] == 1  # the failed deployment run is not a deployment
    assert pay["deployments_failed"] == 1  # one deployment, however many incidents link to it
    assert pay["lead_time_h_median"] == pytest.approx(2.5)
    assert pay["incidents"] == 1 and pay["time_to_restore_h_median"] == pytest.approx(2.0)
    assert panel.loc[("payments", D3), "incidents"] == 1
    assert pd.isna(panel.loc[("payments", D3), "time_to_restore_h_median"])  # unresolved: no restore time
    assert panel.loc[("search", D3), "deployments"] == 1


def test_deployment_rework_is_a_remediation_kind_or_a_deploy_during_an_open_incident(store: Store) -> None:
    """DORA 2024's deployment rework rate, the one meaning (correlate.metrics.catalogue.REWORK)."""
    store.upsert(Deployment, [
        Deployment("gh", "r1", repo="acme/pay", finished_at=at(D2, 9), status="success", kind="hotfix"),
        Deployment("gh", "r2", repo="acme/pay", finished_at=at(D2, 10), status="success", kind="Rollback"),
        Deployment("gh", "r3", repo="acme/pay", finished_at=at(D2, 16), status="success"),  # PPAY incident open
        Deployment("gh", "r4", repo="acme/pay", finished_at=at(D2, 18), status="success"),  # it was resolved at 17
        Deployment("gh", "r5", repo="acme/search", finished_at=at(D2, 16), status="success"),  # another team
        Deployment("gh", "r6", repo="acme/pay", finished_at=at(D3, 9), status="success"),  # open-ended incident
        # the same unresolved incident a month on: stale, no longer open (it made a demo team 100% rework)
        Deployment("gh", "r7", repo="acme/pay", finished_at=at(D3 + timedelta(days=30), 9), status="success"),
    ])
    store.upsert(Incident, [
        Incident("pd", "i1", service="PPAY", created_at=at(D2, 15), resolved_at=at(D2, 17)),
        Incident("pd", "i2", repo="acme/pay", created_at=at(D3, 1), resolved_at=None),
        Incident("pd", "b1", service="PPAY", created_at=at(D2, 17, ), resolved_at=None, kind="bug"),  # not an incident
    ])
    panel = build_panel(store, cfg(), D1, D4).set_index(["team", "day"])
    assert panel.loc[("payments", D2), "deployments"] == 4
    assert panel.loc[("payments", D2), "deployments_rework"] == 3  # hotfix, rollback, during i1
    assert panel.loc[("payments", D3), "deployments_rework"] == 1  # during the unresolved i2 (matched by repo)
    assert panel.loc[("search", D2), "deployments_rework"] == 0
    month = build_panel(store, cfg(), D1, D4, "month").set_index("team")
    assert month.loc["payments", "deployments_rework"] == 4 and month.loc["payments", "deployments"] == 5
    later = build_panel(store, cfg(), D3 + timedelta(days=30), D3 + timedelta(days=30)).set_index("team")
    assert later.loc["payments", "deployments"] == 1 and later.loc["payments", "deployments_rework"] == 0


def test_working_days_count_monday_to_friday_of_each_period(store: Store) -> None:
    week = build_panel(store, cfg(), date(2026, 3, 1), date(2026, 3, 14), "week").set_index(["team", "week"])
    # Sunday 1 March alone, then Monday 2 to Sunday 8, then Monday 9 to Saturday 14
    assert list(week.loc["payments", "working_days"]) == [0, 5, 5]
    assert list(week.loc["payments", "days"]) == [1, 7, 6]


def test_bot_authors_are_excluded(store: Store) -> None:
    store.upsert(PullRequest, [merged_pr(1, "dependabot[bot]", D1, 1), merged_pr(2, "alice-gh", D1, 1),
                               merged_pr(3, "renovate-bot", D1, 1)])
    config = cfg(sources={"github": {"bot_logins": ["renovate-bot"]}})
    # renovate-bot is neither a member nor counted; the [bot] suffix is excluded even if listed as a member
    panel = build_panel(store, config, D1, D1).set_index("team")
    assert panel.loc["payments", "prs_merged"] == 1


def test_merge_time_lead_times_are_a_separate_labelled_proxy(store: Store) -> None:
    store.upsert(PullRequest, [merged_pr(7, "alice-gh", D2, 3, first_commit_at=at(D1, 8))])
    store.upsert(DeploymentChange, [DeploymentChange("merge_proxy", "acme/pay#7", "acme/pay", 7,
                                                     lead_time_s=27 * 3600, rule="merge_proxy")])
    row = build_panel(store, cfg(), D1, D4).set_index(["team", "day"]).loc[("payments", D2)]
    assert pd.isna(row["lead_time_h_median"])
    assert row["lead_time_proxy_h_median"] == pytest.approx(27.0)


def test_panels_aggregated_from_one_set_of_facts_equal_panels_built_alone(tmp_path: Path) -> None:
    from datetime import timedelta

    from correlate.demo import generate, load
    from correlate.panel import prepare_facts

    org = generate(teams=4, devs=40, days=120, seed=3)
    with Store.open(tmp_path / "demo.duckdb") as demo:
        load(demo, org)
        end = org.end
        windows = [(end - timedelta(days=100), end, "week", False), (end - timedelta(days=30), end, "month", True),
                   (end - timedelta(days=60), end - timedelta(days=20), "day", False)]
        alone = [build_panel(demo, org.config, a, b, g, keep_lists=k) for a, b, g, k in windows]  # type: ignore[arg-type]
        facts = prepare_facts(demo, org.config, end - timedelta(days=110), end)
        shared = [facts.panel(a, b, g, keep_lists=k) for a, b, g, k in windows]  # type: ignore[arg-type]
        # facts built again on the same connection replace the temp tables: the older handle rebuilds its own
        other = build_panel(demo, org.config, end - timedelta(days=10), end, "day")
        after = facts.panel(*windows[0][:3])  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="outside the facts"):
            facts.panel(end - timedelta(days=119), end, "week")
    assert alone[0]["prs_merged"].sum() > 0 and alone[0]["ai_active_users"].sum() > 0 and len(other)

    def lists_sorted(frame: pd.DataFrame) -> pd.DataFrame:
        # list() aggregates come back in no promised order: compare them as multisets
        lists = [c for c in frame.columns if c.startswith("_")]
        return frame.assign(**{c: frame[c].map(lambda v: sorted(v)) for c in lists})

    for a, s in zip([*alone, alone[0]], [*shared, after], strict=True):
        pd.testing.assert_frame_equal(lists_sorted(a), lists_sorted(s))


def test_one_persons_identities_in_two_paths_are_counted_once_by_precedence(store: Store) -> None:
    # an API-key login: the Analytics API names the key, OpenTelemetry the account uuid; a [[people]] entry
    # joins them, so the day is one person's and only the first path in precedence order counts
    people = cfg(people=[{"ids": ["alice@acme.com", "ci-alice-key", "0b1c6e2a-uuid"]}])
    store.upsert(AIUsageDay, [
        AIUsageDay("claude_code", "analytics_api", D1, "ci-alice-key", actor_type="api_key", sessions=5, cost_usd=3.0),
        AIUsageDay("claude_code", "otel", D1, "0b1c6e2a-uuid", sessions=7, cost_usd=3.1),
        AIUsageDay("claude_code", "otel", D2, "0b1c6e2a-uuid", sessions=2, cost_usd=1.0),  # only one path that day
        AIUsageDay("copilot", "copilot_api", D1, "alice-gh", requests=4),  # another tool: its own count
    ])
    panel = build_panel(store, people, D1, D2).set_index(["team", "day"])
    assert panel.loc[("payments", D1), "ai_sessions"] == 5
    assert panel.loc[("payments", D1), "ai_cost_usd"] == pytest.approx(3.0)
    assert panel.loc[("payments", D2), "ai_sessions"] == 2
    assert panel.loc[("payments", D1), "ai_requests"] == 4
