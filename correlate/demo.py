"""A synthetic organisation: realistic, deterministic for a seed, and fast (vectorised numpy).

It is the data source of ``correlate demo``, of tests and of benchmarks. It is *not* uniform noise:

* a weekly rhythm with quiet weekends and public holidays (US calendar);
* log-normal coding, pickup, review and incident-restore times; log-normal PR sizes;
* staggered adoption: teams adopt in cohorts (some never), with a few pilot users before;
* a planted effect on PR cycle time (``effect``, e.g. -0.2 = 20 % shorter after the author's team
  adopted) and on the incident (failed-deployment) rate (``incident_effect``);
* a model mix with cache reads (one team barely caches), several assistants (Claude Code, Copilot,
  Cursor), some identities missing from the team mapping, and people who move team.

Everything goes through the record types of :mod:`connectors.records` and ``Store.upsert`` (as
Arrow-backed frames), the same write path the connectors use. ``SyntheticOrg.truth`` keeps what was
planted so tests can check that the analysis recovers it.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from connectors.records import (
    AIEditActions,
    AIUsageDay,
    AIUsageModelDay,
    Deployment,
    DeploymentChange,
    DeploymentFailure,
    Incident,
    PullRequest,
    Record,
    Review,
)
from correlate import clock
from correlate.config import Config, from_mapping
from correlate.store import Store

__all__ = ["SyntheticOrg", "generate", "load"]

TEAM_NAMES = ["payments", "checkout", "search", "platform", "mobile", "data", "identity", "growth", "billing",
              "infra", "notifications", "catalog", "fraud", "ledger", "reporting", "onboarding", "pricing",
              "shipping", "inventory", "messaging", "analytics", "security", "support", "partners", "webapp", "devex",
              "storage", "ml", "compliance", "marketplace", "accounts", "media"]
FIRST = ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
         "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yara", "zoe", "omar", "lin", "priya"]
# USD per million tokens (input, output, 5-minute cache write, cache read): Anthropic list prices as of
# 2026-08 (docs/sources.md §6). The demo prices its own tokens so it needs no price-table lookup.
MODELS = {
    "claude-opus-4-8": (5.0, 25.0, 6.25, 0.50),
    "claude-sonnet-5": (2.0, 10.0, 2.50, 0.20),
    "claude-haiku-4-5-20251001": (1.0, 5.0, 1.25, 0.10),
}
TOOLS = ("claude_code", "copilot", "cursor")
SOURCES = ("demo", "copilot_api", "cursor_api")  # the path each tool's demo rows arrive by, as in TOOLS
TITLES = ["Fix flaky retry in client", "Add pagination to list endpoint", "Refactor settings loader",
          "Bump dependencies", "Improve error messages", "Cache lookups", "Add metrics", "Tidy tests"]


@dataclass
class SyntheticOrg:
    """The generated organisation: its config mapping, one frame per record type, and the planted truth."""

    config_data: dict[str, Any]
    tables: dict[type[Record], pd.DataFrame]
    truth: dict[str, Any] = field(default_factory=dict)
    start: date = date(2026, 1, 1)
    end: date = date(2026, 1, 1)

    @property
    def config(self) -> Config:
        return from_mapping(self.config_data, path=None)

    def rows(self) -> int:
        return sum(len(f) for f in self.tables.values())


def _hours(hours: np.ndarray) -> pd.TimedeltaIndex:
    """Durations of ``hours``, to the second (timestamps in the store have microsecond precision)."""
    return pd.to_timedelta(np.round(np.asarray(hours, dtype=float) * 3600), unit="s").as_unit("us")


def _shas(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 40-hex-digit commit ids."""
    raw = rng.integers(0, 256, n * 20, dtype=np.uint8).tobytes()
    return np.frombuffer(binascii.hexlify(raw), dtype="S40").astype("U40")


def _ns(instants: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Aware instants as int64 nanoseconds since the epoch (for searchsorted and differences)."""
    return np.asarray(pd.DatetimeIndex(instants).tz_convert(None).as_unit("ns").asi8)


def _ts(base_day: np.ndarray, hours: np.ndarray) -> pd.DatetimeIndex:
    """UTC instants ``base_day + hours`` (vectorised)."""
    return pd.DatetimeIndex(pd.to_datetime(base_day).as_unit("us") + _hours(hours)).tz_localize(UTC)


def generate(*, teams: int = 8, devs: int = 120, days: int = 365, seed: int = 7, effect: float = -0.2,
             incident_effect: float = 0.3, end: date | None = None, never_share: float = 0.25,
             confound_trend: float = 0.0,
             unmatched_share: float = 0.03) -> SyntheticOrg:
    """Build a synthetic organisation.

    Args:
        teams, devs, days: size; the history ends on ``end`` (default: the day before
            :func:`correlate.clock.today`).
        seed: the same seed gives the same organisation.
        effect: planted relative change of PR cycle time once the author's team adopted (-0.2 = 20 % faster).
        incident_effect: planted relative change of the deployment failure probability after adoption.
        never_share: share of teams that never adopt (the comparison group).
        confound_trend: a trend of the adopting teams' own, unrelated to adoption: their PR pickup and review
            times change by this many standard deviations of a PR's log duration per week, over the whole
            history (negative = getting faster). Teams that adopt early often differ like this; the
            statistics' pre-trend check must catch it rather than call it an effect of adoption.
        unmatched_share: share of developers whose AI usage arrives under an identity the mapping lacks.

    Returns:
        A :class:`SyntheticOrg`.
    """
    rng = np.random.default_rng(seed)
    end = end or (clock.today() - timedelta(days=1))
    start = end - timedelta(days=days - 1)
    day_index = pd.date_range(start, end, freq="D")
    n_days = len(day_index)

    # -- calendar: weekends and US public holidays are quiet ------------------------------------------
    import holidays

    hol = holidays.country_holidays("US", years=range(start.year, end.year + 1))
    is_holiday = day_index.isin(pd.to_datetime(list(hol.keys())))
    workday = (day_index.day_of_week < 5) & ~is_holiday
    activity = np.where(workday, 1.0, 0.06)

    # -- teams and people -------------------------------------------------------------------------------
    team_names = [TEAM_NAMES[i] if i < len(TEAM_NAMES) else f"team-{i + 1:04d}" for i in range(teams)]
    weights = rng.dirichlet(np.full(teams, 4.0))
    team_of = rng.choice(teams, size=devs, p=weights)
    team_of[:teams] = np.arange(teams)  # every team has someone
    if teams >= 4 and devs >= 4 * teams:
        # one small team exercises the minimum-group-size suppression
        small = teams - 1
        members_small = np.flatnonzero(team_of == small)
        if len(members_small) > 3:
            team_of[members_small[3:]] = rng.choice(teams - 1, size=len(members_small) - 3)
    first = np.array(FIRST)[rng.integers(0, len(FIRST), devs)]
    emails = [f"{f}.{i:05d}@acme.example" for i, f in enumerate(first)]
    logins = [f"{f}-{i:05d}" for i, f in enumerate(first)]

    # people who move team once, on a random day (dated membership)
    movers = rng.random(devs) < 0.03
    move_day = np.where(movers, rng.integers(n_days // 4, 3 * n_days // 4, devs), n_days)
    new_team = (team_of + 1 + rng.integers(0, max(1, teams - 1), devs)) % teams
    team_by_day = np.where(np.arange(n_days)[None, :] < move_day[:, None], team_of[:, None], new_team[:, None])

    # -- adoption: staggered cohorts by team ----------------------------------------------------------
    n_never = max(1, int(round(teams * never_share))) if teams >= 3 else 0
    order = rng.permutation(teams)
    adopt_day = np.full(teams, n_days + 10_000)
    adopters = order[n_never:]
    # cohorts start on Mondays between 25 % and 75 % of the window so there are pre- and post-periods
    lo, hi = int(n_days * 0.25), int(n_days * 0.75)
    raw = rng.integers(lo, max(lo + 1, hi), len(adopters))
    first_monday = (7 - day_index[0].weekday()) % 7
    adopt_day[adopters] = first_monday + ((raw - first_monday) // 14) * 14
    dev_uses = rng.random(devs) < rng.uniform(0.7, 0.95, devs)  # not everyone takes it up
    pilot = rng.random(devs) < 0.08
    tool_of = rng.choice(len(TOOLS), size=devs, p=[0.7, 0.2, 0.1])
    unmatched = np.zeros(devs, dtype=bool)
    if unmatched_share > 0:
        unmatched[rng.choice(devs, size=max(1, int(round(devs * unmatched_share))), replace=False)] = True
    low_cache_team = order[-1] if teams > 1 else -1

    team_adopt_for_dev_day = adopt_day[team_by_day]  # devs × days
    day_no = np.arange(n_days)[None, :]
    adopted = day_no >= team_adopt_for_dev_day  # the dev's current team has adopted
    ramp = np.clip((day_no - team_adopt_for_dev_day) / 28.0, 0.3, 1.0)  # learning curve over 4 weeks
    p_ai = np.where(adopted & dev_uses[:, None], 0.85 * ramp, np.where(pilot[:, None], 0.25, 0.0))
    ai_active = rng.random((devs, n_days)) < p_ai * activity[None, :]

    # -- AI usage per active dev-day ---------------------------------------------------------------
    d_idx, t_idx = np.nonzero(ai_active)
    n_ai = len(d_idx)
    # identities as categoricals (codes into a small list): cheap at 22,000 developers
    actor_names = emails + [e.replace("@acme.example", "@gmail.test") for e in emails]
    actor_codes = d_idx + devs * unmatched[d_idx]
    actor = pd.Categorical.from_codes(actor_codes, actor_names)
    tool = np.array(TOOLS)[tool_of[d_idx]]
    sessions = rng.poisson(3.0, n_ai) + 1
    # Token volumes calibrated to Anthropic's published anchor (~$13 per developer per active day,
    # docs/sources.md §6): a little uncached input, a lot of cache reads, steady cache writes.
    tok_in = np.round(rng.lognormal(np.log(150_000), 0.8, n_ai)).astype(np.int64)
    tok_out = np.round(rng.lognormal(np.log(120_000), 0.7, n_ai)).astype(np.int64)
    cache_ratio = np.where(team_by_day[d_idx, t_idx] == low_cache_team, rng.uniform(0.2, 1.0, n_ai),
                           rng.uniform(15, 60, n_ai))
    tok_cache_read = np.round(tok_in * cache_ratio).astype(np.int64)
    tok_cache_create = np.round(tok_in * rng.uniform(1.0, 3.0, n_ai)).astype(np.int64)
    lines_added = rng.poisson(sessions * 60)
    lines_removed = rng.poisson(sessions * 20)
    edit_acc = rng.poisson(sessions * 6)
    edit_rej = rng.binomial(edit_acc + 1, 0.12)
    commits = rng.poisson(sessions * 0.8)
    prs_cc = rng.binomial(commits, 0.2)
    days_arr = np.array(day_index.date)[t_idx]  # index a 365-element array: no per-row conversion

    # model mix per dev (preferences), tokens split between a primary and (sometimes) a second model
    model_names = np.array(list(MODELS))
    pref = rng.choice(len(MODELS), size=devs, p=[0.35, 0.5, 0.15])
    primary = pref[d_idx]
    second = (primary + 1 + rng.integers(0, 2, n_ai)) % len(MODELS)
    share = np.where(rng.random(n_ai) < 0.4, rng.uniform(0.5, 0.9, n_ai), 1.0)
    prices = np.array(list(MODELS.values()))

    def cost(model_idx: np.ndarray, frac: np.ndarray) -> np.ndarray:
        p = prices[model_idx]
        return np.asarray(frac * (tok_in * p[:, 0] + tok_out * p[:, 1] + tok_cache_create * p[:, 2]
                                  + tok_cache_read * p[:, 3]) / 1e6)

    cost_primary = cost(primary, share)
    cost_second = cost(second, 1 - share)
    total_cost = cost_primary + cost_second
    is_claude = tool == "claude_code"
    is_copilot = tool == "copilot"
    is_cursor = tool == "cursor"
    nan = np.nan

    usage = pd.DataFrame({
        "tool": pd.Categorical.from_codes(tool_of[d_idx], TOOLS),
        "source": pd.Categorical.from_codes(tool_of[d_idx], SOURCES),
        "day": days_arr,
        "actor": actor,
        "actor_type": "user",
        "sessions": pd.array(np.where(is_claude, sessions, -1), dtype="Int64"),
        "requests": pd.array(np.where(is_claude, -1, sessions * 12), dtype="Int64"),
        "lines_added": lines_added,
        "lines_removed": pd.array(np.where(is_copilot | is_claude, lines_removed, -1), dtype="Int64"),
        "lines_suggested": pd.array(np.where(is_copilot, lines_added * 3, -1), dtype="Int64"),
        "lines_accepted": pd.array(np.where(is_claude, -1, lines_added), dtype="Int64"),
        "commits": pd.array(np.where(is_claude, commits, -1), dtype="Int64"),
        "prs": pd.array(np.where(is_claude, prs_cc, -1), dtype="Int64"),
        "edit_accepted": edit_acc,
        "edit_rejected": edit_rej,
        "tokens_input": pd.array(np.where(is_copilot, -1, tok_in), dtype="Int64"),
        "tokens_output": pd.array(np.where(is_copilot, -1, tok_out), dtype="Int64"),
        "tokens_cache_read": pd.array(np.where(is_claude, tok_cache_read, -1), dtype="Int64"),
        "tokens_cache_creation": pd.array(np.where(is_claude, tok_cache_create, -1), dtype="Int64"),
        "cost_usd": np.where(is_copilot, nan, np.round(total_cost, 6)),
        "cost_provenance": pd.Categorical.from_codes(tool_of[d_idx], ["estimated", "seat", "billed"]),
        "customer_type": pd.Categorical.from_codes(np.where(is_claude, 0, -1), ["api"]),
    })
    # columns a tool does not report are empty, never zero (the -1 markers above)
    for col in ["sessions", "requests", "lines_removed", "lines_suggested", "lines_accepted", "commits", "prs",
                "tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_creation"]:
        usage[col] = usage[col].mask(usage[col] < 0)

    has_second = share < 1.0
    prim_rows = np.flatnonzero(~is_copilot)
    sec_rows = np.flatnonzero(has_second & ~is_copilot)
    mi = np.concatenate([prim_rows, sec_rows])
    frac = np.concatenate([share[prim_rows], 1 - share[sec_rows]])
    midx = np.concatenate([primary[prim_rows], second[sec_rows]])
    model_usage = pd.DataFrame({
        "tool": pd.Categorical.from_codes(tool_of[d_idx][mi], TOOLS),
        "source": pd.Categorical.from_codes(tool_of[d_idx][mi], SOURCES), "day": days_arr[mi], "actor": actor[mi],
        "model": pd.Categorical.from_codes(midx + len(MODELS) * is_cursor[mi],
                                           [*model_names, *(f"cursor:{m}" for m in model_names)]),
        "tokens_input": np.round(tok_in[mi] * frac).astype(np.int64),
        "tokens_output": np.round(tok_out[mi] * frac).astype(np.int64),
        "tokens_cache_read": pd.array(np.where(is_claude[mi], np.round(tok_cache_read[mi] * frac), -1), "Int64"),
        "tokens_cache_creation": pd.array(np.where(is_claude[mi], np.round(tok_cache_create[mi] * frac), -1),
                                          "Int64"),
        "cost_usd": np.round(np.where(np.arange(len(mi)) < len(prim_rows), cost_primary[mi], cost_second[mi]), 6),
        "cost_provenance": pd.Categorical.from_codes(is_cursor[mi].astype(np.int8), ["estimated", "billed"]),
    })
    for col in ["tokens_cache_read", "tokens_cache_creation"]:
        model_usage[col] = model_usage[col].mask(model_usage[col] < 0)
    # keep the day total equal to the sum over models
    usage.loc[~is_copilot, "cost_usd"] = model_usage.groupby(mi)["cost_usd"].sum().to_numpy()

    claude_rows = np.flatnonzero(is_claude)
    edits = pd.DataFrame({
        "tool": "claude_code", "source": "demo",
        "day": np.concatenate([days_arr[claude_rows]] * 2),
        "actor": pd.Categorical.from_codes(np.concatenate([actor_codes[claude_rows]] * 2), actor_names),
        "edit_tool": np.repeat(["edit_tool", "write_tool"], len(claude_rows)),
        "accepted": np.concatenate([np.round(edit_acc[claude_rows] * 0.8), edit_acc[claude_rows]
                                    - np.round(edit_acc[claude_rows] * 0.8)]).astype(np.int64),
        "rejected": np.concatenate([np.round(edit_rej[claude_rows] * 0.7), edit_rej[claude_rows]
                                    - np.round(edit_rej[claude_rows] * 0.7)]).astype(np.int64),
    })

    # -- pull requests --------------------------------------------------------------------------------
    pr_rate = 0.28 * activity[None, :] * np.where(ai_active, 1.1, 1.0)
    n_prs_grid = rng.poisson(pr_rate)
    pd_idx, pt_idx = np.nonzero(n_prs_grid)
    reps = n_prs_grid[pd_idx, pt_idx]
    pd_idx, pt_idx = np.repeat(pd_idx, reps), np.repeat(pt_idx, reps)
    n_pr = len(pd_idx)
    author_team = team_by_day[pd_idx, pt_idx]
    team_adopted = pt_idx >= adopt_day[author_team]
    author_ai = ai_active[pd_idx, pt_idx]
    created_h = rng.uniform(8.5, 18.5, n_pr) + rng.normal(0, 0.1, n_pr)
    created = _ts(day_index[pt_idx].values, created_h)
    coding_h = rng.lognormal(np.log(10), 1.0, n_pr)
    first_commit = created - _hours(coding_h)
    draft = rng.random(n_pr) < 0.2
    ready = created + _hours(np.where(draft, rng.lognormal(np.log(6), 0.8, n_pr), 0.0))
    mult = np.where(team_adopted, 1.0 + effect, 1.0)
    if confound_trend:
        # the log durations below have SD 1, so a drift of confound_trend SD per week is this factor
        will_adopt = adopt_day[author_team] < n_days
        mult = mult * np.where(will_adopt, np.exp(confound_trend * pt_idx / 7.0), 1.0)
    pickup_h = rng.lognormal(np.log(5), 1.0, n_pr) * mult
    review_h = rng.lognormal(np.log(12), 1.0, n_pr) * mult
    no_review = rng.random(n_pr) < np.where(author_ai, 0.07, 0.04)
    first_review = ready + _hours(pickup_h)
    merged = first_review + _hours(review_h)
    fate = rng.random(n_pr)
    is_merged = fate < 0.86
    is_closed = (fate >= 0.86) & (fate < 0.96)
    cutoff = pd.Timestamp(end + timedelta(days=1), tz=UTC)
    is_merged &= merged < cutoff
    closed_at = pd.Series(pd.NaT, index=range(n_pr), dtype="datetime64[us, UTC]")
    closed_at[is_merged] = merged[is_merged]
    closed_unmerged = is_closed & ((ready + _hours(review_h * 2)) < cutoff)
    closed_at[closed_unmerged] = (ready + _hours(review_h * 2))[closed_unmerged]
    size = np.round(rng.lognormal(np.log(110), 1.1, n_pr) * np.where(author_ai, 1.35, 1.0)).astype(np.int64) + 1
    additions = np.round(size * rng.uniform(0.55, 0.9, n_pr)).astype(np.int64)
    ai_assisted = author_ai & (rng.random(n_pr) < 0.75)
    repo_of_team = np.array([f"acme/{t}-api" for t in team_names])
    repo = repo_of_team[author_team]
    number = pd.Series(repo).groupby(repo).cumcount().to_numpy() + 1
    state_code = np.where(is_merged, 0, np.where(closed_unmerged, 1, 2))
    state = pd.Categorical.from_codes(state_code, ["merged", "closed", "open"])
    reviewed = ~no_review
    merged_at = pd.Series(merged, dtype="datetime64[us, UTC]").where(is_merged)
    fr = pd.Series(first_review, dtype="datetime64[us, UTC]").where(reviewed & (first_review < cutoff))
    ready_s = pd.Series(ready, dtype="datetime64[us, UTC]")
    prs = pd.DataFrame({
        "repo": repo, "number": number, "author": pd.Categorical.from_codes(pd_idx, logins), "author_type": "User",
        "title": pd.Categorical.from_codes(rng.integers(0, len(TITLES), n_pr), TITLES), "state": state,
        "is_draft": draft & (state_code == 2),
        "created_at": created, "ready_at": ready_s.array, "first_commit_at": first_commit,
        "first_review_at": fr.array, "first_approval_at": fr.array,
        "merged_at": merged_at.array, "closed_at": closed_at.array,
        "updated_at": closed_at.fillna(pd.Series(created)).array,
        "additions": additions, "deletions": size - additions, "changed_files": 1 + rng.poisson(size / 60),
        "size_lines": size, "merge_commit_sha": _shas(rng, n_pr),
        "base_branch": "main",
        "ai_assisted": ai_assisted, "ai_rule": pd.Categorical.from_codes(np.where(ai_assisted, 0, -1), ["trailer"]),
        "ai_tool": pd.Categorical.from_codes(np.where(ai_assisted, tool_of[pd_idx], -1), TOOLS),
        "merged_without_review": is_merged & no_review,
    })
    from correlate.pr_stages import derive_stages

    prs = derive_stages(prs)

    # reviews: first review by a teammate (author excluded), plus a second one for half of them
    rv = np.flatnonzero(reviewed & fr.notna().to_numpy(dtype=bool))
    reviewer = (pd_idx[rv] + 1 + rng.integers(0, max(1, devs - 1), len(rv))) % devs
    reviews = pd.DataFrame({
        "repo": repo[rv], "number": number[rv], "review_id": np.char.add("r", rv.astype(str)),
        "author": pd.Categorical.from_codes(reviewer, logins), "author_type": "User",
        "state": np.where(rng.random(len(rv)) < 0.8, "APPROVED", "CHANGES_REQUESTED"),
        "submitted_at": fr.array[rv],
    })

    # -- deployments, lead time, failures, incidents --------------------------------------------------
    deploy_p = rng.uniform(0.25, 0.9, teams)
    deploy_grid = (rng.random((teams, n_days)) < deploy_p[:, None]) & workday[None, :]
    dt_team, dt_day = np.nonzero(deploy_grid)
    n_dep = len(dt_team)
    dep_finish = _ts(day_index[dt_day].values, rng.uniform(10, 17, n_dep))
    dep_id = np.char.add("demo-", np.arange(n_dep).astype(str))
    adopted_at_deploy = dt_day >= adopt_day[dt_team]
    fail_p = 0.07 * np.where(adopted_at_deploy, 1.0 + incident_effect, 1.0)
    failed = rng.random(n_dep) < fail_p
    kinds = np.where(rng.random(n_dep) < 0.03, "hotfix", "deploy")
    deployments = pd.DataFrame({
        "source": "demo", "deployment_id": dep_id, "repo": repo_of_team[dt_team], "environment": "production",
        "sha": _shas(rng, n_dep), "started_at": dep_finish - pd.Timedelta("9min"),
        "finished_at": dep_finish, "status": "success", "kind": kinds, "is_production": True,
    })

    # each merged PR ships in the first deployment of its team's repo that finishes after the merge:
    # one global searchsorted on (team, time) keys instead of a loop over teams
    merged_idx = np.flatnonzero(is_merged)
    origin = _ns(pd.DatetimeIndex([pd.Timestamp(start, tz=UTC)]))[0]
    dep_sec = (_ns(dep_finish) - origin) // 1_000_000_000
    dep_key = dt_team.astype(np.int64) * 10**9 + dep_sec
    dep_order = np.argsort(dep_key, kind="stable")
    pr_sec = (_ns(merged_at.iloc[merged_idx]) - origin) // 1_000_000_000
    pr_key = author_team[merged_idx].astype(np.int64) * 10**9 + pr_sec
    pos = np.searchsorted(dep_key[dep_order], pr_key, side="left")
    ok = pos < n_dep
    ok[ok] &= dt_team[dep_order[pos[ok]]] == author_team[merged_idx[ok]]
    psel, dsel = merged_idx[ok], dep_order[pos[ok]]
    lead = (_ns(dep_finish[dsel]) - _ns(first_commit[psel])) / 1e9
    changes = pd.DataFrame({"deployment_source": "demo", "deployment_id": dep_id[dsel], "repo": repo[psel],
                            "number": number[psel], "lead_time_s": lead, "rule": "declared"})

    fi = np.flatnonzero(failed)
    inc_start = dep_finish[fi] + _hours(rng.lognormal(np.log(2), 0.8, len(fi)))
    restore_h = rng.lognormal(np.log(3), 1.1, len(fi))
    unresolved = rng.random(len(fi)) < 0.03
    resolved = pd.Series(inc_start + _hours(restore_h), dtype="datetime64[us, UTC]")
    resolved[unresolved | (resolved >= cutoff).to_numpy(dtype=bool)] = pd.NaT
    # background incidents with no deployment behind them
    n_bg = max(1, int(n_days * teams * 0.004))
    bg_team = rng.integers(0, teams, n_bg)
    bg_start = _ts(day_index[rng.integers(0, n_days, n_bg)].values, rng.uniform(0, 24, n_bg))
    bg_resolved = bg_start + _hours(rng.lognormal(np.log(4), 1.2, n_bg))
    n_bug = int(n_days * teams * 0.05)
    bug_team = rng.integers(0, teams, n_bug)
    bug_start = _ts(day_index[rng.integers(0, n_days, n_bug)].values, rng.uniform(8, 18, n_bug))
    incidents = pd.DataFrame({
        "source": "demo",
        "incident_id": [f"inc-{i}" for i in range(len(fi))] + [f"bg-{i}" for i in range(n_bg)]
        + [f"bug-{i}" for i in range(n_bug)],
        "title": ["Elevated error rate after deploy"] * len(fi) + ["Upstream outage"] * n_bg + ["Bug"] * n_bug,
        "status": np.concatenate([np.where(resolved.isna(), "acknowledged", "resolved"), np.full(n_bg, "resolved"),
                                  np.full(n_bug, "open")]),
        "urgency": "high",
        "service": np.concatenate([np.char.add("P", np.char.upper(np.array(team_names)[dt_team[fi]])),
                                   np.char.add("P", np.char.upper(np.array(team_names)[bg_team])),
                                   np.full(n_bug, None)]),
        "repo": np.concatenate([np.full(len(fi) + n_bg, None), repo_of_team[bug_team]]),
        "kind": ["incident"] * (len(fi) + n_bg) + ["bug"] * n_bug,
        "created_at": inc_start.append([bg_start, bug_start]),
        "resolved_at": pd.concat([resolved, pd.Series(bg_resolved, dtype="datetime64[us, UTC]"),
                                  pd.Series(pd.NaT, index=range(n_bug), dtype="datetime64[us, UTC]")],
                                 ignore_index=True).array,
        "caused_by_deployment": np.concatenate([dep_id[fi], np.full(n_bg + n_bug, None)]),
    })
    failures = pd.DataFrame({"deployment_source": "demo", "deployment_id": dep_id[fi], "incident_source": "demo",
                             "incident_id": [f"inc-{i}" for i in range(len(fi))], "rule": "declared"})

    # -- config: teams with grouped identities and dated moves ------------------------------------------
    config_teams: list[dict[str, Any]] = [{"name": n, "members": [], "repos": [repo_of_team[i]],
                                           "services": [f"P{n.upper()}"]} for i, n in enumerate(team_names)]
    for d in range(devs):
        ids = [emails[d], logins[d]]
        if movers[d] and move_day[d] < n_days:
            switch = day_index[move_day[d]].date().isoformat()
            config_teams[team_of[d]]["members"].append({"ids": ids, "until": switch})
            config_teams[new_team[d]]["members"].append({"ids": ids, "since": switch})
        else:
            config_teams[team_of[d]]["members"].append(ids)
    config_data: dict[str, Any] = {"teams": config_teams}

    adopt_dates = {team_names[i]: (day_index[adopt_day[i]].date() if adopt_day[i] < n_days else None)
                   for i in range(teams)}
    members_last_day = np.bincount(team_by_day[:, -1], minlength=teams)
    truth = {"seed": seed, "teams": teams, "devs": devs, "days": n_days,
             "effect": effect, "incident_effect": incident_effect, "adoption_day": adopt_dates,
             "confound_trend": confound_trend,
             "members": {team_names[i]: int(members_last_day[i]) for i in range(teams)},
             "never_adopting": [team_names[i] for i in order[:n_never]], "low_cache_team": team_names[low_cache_team],
             "unmatched_identities": sorted({actor_names[devs + d] for d in np.flatnonzero(unmatched)})}
    tables: dict[type[Record], pd.DataFrame] = {
        AIUsageDay: usage, AIUsageModelDay: model_usage, AIEditActions: edits, PullRequest: prs, Review: reviews,
        Deployment: deployments, DeploymentChange: changes, Incident: incidents, DeploymentFailure: failures,
    }
    return SyntheticOrg(config_data=config_data, tables=tables, truth=truth, start=start, end=end)


def load(store: Store, org: SyntheticOrg, on_table: Callable[[str, int], None] | None = None) -> int:
    """Upsert every table of ``org`` into ``store`` in one transaction; returns rows written."""
    total = 0
    with store.transaction():
        for record_type, frame in org.tables.items():
            n = store.upsert(record_type, frame)
            total += n
            if on_table:
                on_table(record_type.TABLE, n)
    return total


def dump_toml(data: dict[str, Any], header: str = "") -> str:
    """Write the demo's config mapping as TOML (strings, lists and inline tables are all it needs)."""
    def value(v: Any) -> str:
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(type(v))

    lines = [header] if header else []
    for key, section in data.items():
        if isinstance(section, list):
            for item in section:
                lines.append(f"\n[[{key}]]")
                for k, v in item.items():
                    if k == "members":
                        lines.append("members = [")
                        lines.extend(f"  {value(m)}," for m in v)
                        lines.append("]")
                    else:
                        lines.append(f"{k} = {value(v)}")
        else:
            lines.append(f"\n[{key}]")
            lines.extend(f"{k} = {value(v)}" for k, v in section.items())
    return "\n".join(lines) + "\n"




def record_truth(store: Store, org: SyntheticOrg) -> None:
    """Store what ``org`` planted in ``demo_planted`` and ``demo_adoption`` (the report's planted-vs-estimated
    appendix reads them), replacing what an earlier run stored."""
    t = org.truth
    with store.transaction():
        store.con.execute("DELETE FROM demo_planted")
        store.con.execute("DELETE FROM demo_adoption")
        store.con.execute(
            "INSERT INTO demo_planted (seed, as_of, effect, incident_effect, confound_trend_sd_per_week, teams, devs,"
            " days) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [t["seed"], org.end + timedelta(days=1), t["effect"], t["incident_effect"], t.get("confound_trend", 0.0),
             t["teams"], t["devs"], t["days"]])
        store.con.executemany("INSERT INTO demo_adoption (team, adoption_day, members) VALUES (?, ?, ?)",
                              [[team, day, t["members"][team]] for team, day in t["adoption_day"].items()])


@dataclass(frozen=True)
class DemoDefaults:
    """What ``correlate demo`` builds when an option is not given.

    Big enough that the monthly report's statistics reach a verdict on the planted cycle-time effect: 24
    teams clear the confirmatory gate (15 teams, 3 adopting and 3 comparison), and about 30 developers
    per team give each team-week a median cycle time steady enough that a 30 % change is detected on
    every seed tried (tests/test_demo_detection.py). It builds and reports in seconds.
    """

    dir: Path = Path("correlate-demo")
    teams: int = 24
    devs: int = 720
    days: int = 365
    seed: int = 7
    effect: float = -0.3
    incident_effect: float = 0.3
    confound_trend: float = 0.0


DEMO_DEFAULTS = DemoDefaults()


def run_demo(dir: Path | None = None, out: Path | None = None, teams: int | None = None, devs: int | None = None,
             days: int | None = None, seed: int | None = None, effect: float | None = None,
             incident_effect: float | None = None, as_of: date | None = None,
             confound_trend: float | None = None) -> None:
    """``correlate demo``: generate, store, configure and report a synthetic organisation.

    Every argument may be None, meaning :data:`DEMO_DEFAULTS` (``as_of``: :func:`correlate.clock.today`).
    ``as_of`` is the demo's today: its history ends the day before, and the whole run (report month,
    plausible window, every rule that asks the clock) takes it as today.

    Raises:
        UsageError: a size the organisation cannot be built with.
    """
    d = DEMO_DEFAULTS
    opts = DemoDefaults(
        dir=d.dir if dir is None else dir, teams=d.teams if teams is None else teams,
        devs=d.devs if devs is None else devs, days=d.days if days is None else days,
        seed=d.seed if seed is None else seed, effect=d.effect if effect is None else effect,
        incident_effect=d.incident_effect if incident_effect is None else incident_effect,
        confound_trend=d.confound_trend if confound_trend is None else confound_trend)
    _check(opts)
    ambient = clock.today()
    with clock.pinned(as_of) as today:
        month, report, org, rows, elapsed = _build(opts, out, today)
    _say_done(opts, org, rows, elapsed, report, month, pin=today if today != ambient else None)


def _check(opts: DemoDefaults) -> None:
    from correlate.errors import UsageError

    if opts.teams < 2:
        raise UsageError(f"--teams {opts.teams}: the demo needs at least 2 teams (one adopting, one not).")
    if opts.devs < opts.teams:
        raise UsageError(f"--devs {opts.devs}: every one of the {opts.teams} teams needs a developer; give at "
                         f"least --devs {opts.teams}.")
    if opts.days < 28:
        raise UsageError(f"--days {opts.days}: the demo needs at least 28 days of history for a month to report.")
    if not -1 < opts.effect:
        raise UsageError(f"--effect {opts.effect}: a change in cycle time must be above -1 (-1 would be instant).")
    if not -1 <= opts.incident_effect:
        raise UsageError(f"--incident-effect {opts.incident_effect}: a change in the failure chance cannot be "
                         "below -1 (no failures at all).")


def _build(opts: DemoDefaults, out: Path | None, today: date) -> tuple[str, Path, SyntheticOrg, int, float]:
    """Generate, store, configure and report; returns (month, report path, organisation, rows, seconds)."""
    import time

    from correlate.commands import report_format, write_monthly
    from correlate.config import load_config
    from correlate.console import progress
    from correlate.days import last_complete_month

    started = time.perf_counter()
    opts.dir.mkdir(parents=True, exist_ok=True)
    store_path = opts.dir / "correlate.duckdb"
    config_path = opts.dir / "correlate.toml"
    with progress() as bar:
        task = bar.add_task("Generating the organisation", total=4)
        org = generate(teams=opts.teams, devs=opts.devs, days=opts.days, seed=opts.seed, effect=opts.effect,
                       incident_effect=opts.incident_effect, end=today - timedelta(days=1),
                       confound_trend=opts.confound_trend)
        bar.advance(task)
        bar.update(task, description="Storing it in DuckDB")
        for stale in (store_path, store_path.with_name(store_path.name + ".wal")):
            stale.unlink(missing_ok=True)  # the demo's own store is rebuilt, never merged with an old one
        # named in the config, so the reports of the suggested next commands carry the name too
        data = {"store": {"path": "correlate.duckdb"}, "report": {"organisation": "Acme (synthetic demo)"},
                **org.config_data}
        header = ("# Written by `correlate demo`: a synthetic organisation (no real people or data).\n"
                  f"# teams={opts.teams} devs={opts.devs} days={opts.days} seed={opts.seed} effect={opts.effect} "
                  f"incident_effect={opts.incident_effect} confound_trend={opts.confound_trend} "
                  f"as_of={today.isoformat()}")
        config_path.write_text(dump_toml(data, header), encoding="utf-8")
        config = load_config(config_path)
        with Store.open(store_path) as store:
            rows = load(store, org)
            record_truth(store, org)
            bar.advance(task)
            first, _ = last_complete_month(today)
            month = first.strftime("%Y-%m")
            bar.update(task, description=f"Writing the {month} report")
            report = out or opts.dir / f"report-{month}.html"
            write_monthly(store, config, month, report, report_format(None, report))
            bar.advance(task, 2)
    return month, report, org, rows, time.perf_counter() - started


def _say_done(opts: DemoDefaults, org: SyntheticOrg, rows: int, elapsed: float, report: Path, month: str,
              pin: date | None) -> None:
    """Say what was built and where, then commands to try next that run as printed from here."""
    import shlex

    from correlate.console import console

    config_path = opts.dir / "correlate.toml"
    console.print(f"[green]✓[/] Built a synthetic organisation: {opts.teams} teams, {opts.devs} developers, "
                  f"{opts.days} days ({rows:,} rows) in {elapsed:.1f}s.")
    console.print(f"  store   {opts.dir / 'correlate.duckdb'}")
    console.print(f"  config  {config_path}")
    console.print(f"  report  {report}")
    # compare the two largest teams (small teams are below the privacy threshold)
    sizes = org.truth["members"]
    names = sorted(sizes, key=lambda n: (-sizes[n], n))[:2]
    other = _other_month(month, org)
    # a demo built as of another day reports as of that day too: the environment pins it for each command
    prefix = f"{clock.ENV}={pin.isoformat()} " if pin is not None else ""
    base = f"{prefix}{invocation()} --config {shlex.quote(_here(config_path))}"
    out = opts.dir
    console.print("Next, try:")
    commands = [f"{base} report monthly --month {other} --out {shlex.quote(_here(out / f'report-{other}.html'))}"
                ] if other else []
    commands += [f"{base} report compare --teams {','.join(names)} --out {shlex.quote(_here(out / 'compare.html'))}",
                 f"{base} export panel --grain week --out {shlex.quote(_here(out / 'panel.csv'))}"]
    for command in commands:
        console.print(f"  {command}", soft_wrap=True, markup=False, highlight=False)  # for copy and paste


def _other_month(month: str, org: SyntheticOrg) -> str | None:
    """A month to report besides ``month``, the one just written: the month before it when the history
    reaches into it, else the month in progress when it has a complete day; None when there is neither."""
    first = date.fromisoformat(f"{month}-01")
    if first > org.start:
        return (first - timedelta(days=1)).strftime("%Y-%m")
    today = org.end + timedelta(days=1)
    after = (first + timedelta(days=31)).replace(day=1)
    return after.strftime("%Y-%m") if after < today else None


def _here(path: Path) -> str:
    """``path`` as the user can type it from the current folder: relative when inside it, else absolute."""
    import os

    absolute = Path(os.path.abspath(path))
    cwd = Path.cwd()
    if absolute.is_relative_to(cwd):
        rel = absolute.relative_to(cwd).as_posix()
        return rel if "/" in rel else f"./{rel}"  # a bare name would be looked up on PATH, not here
    return str(absolute)


def invocation() -> str:
    """How to run correlate again the way this process was started, from the current folder.

    After the README's quick start the virtual environment is not activated, so a bare ``correlate`` is
    not on PATH: this names the script that is running (``.venv/bin/correlate``), or the interpreter with
    ``-m correlate`` when started that way. A script that PATH finds anyway is printed bare.
    """
    import shlex
    import shutil
    import sys

    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    # ``python -m correlate`` (argv[0] is correlate/__main__.py) or a program that imported correlate
    if script is None or not script.name.startswith("correlate") or not script.is_file():
        return f"{shlex.quote(_here(Path(sys.executable)))} -m correlate"
    found = shutil.which(script.name)
    if found and Path(found).resolve() == script.resolve():
        return script.name
    return shlex.quote(_here(script))
