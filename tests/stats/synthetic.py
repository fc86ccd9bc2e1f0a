"""Small synthetic panels with a planted effect, for the statistics tests (hand-built, not the demo org).

Two generators: :func:`daily_panel` produces a team x day table with issue-2 column names (weekly
rhythm, quiet weekends, staggered adoption) for the grain/suite tests; :func:`weekly_panel` produces a
team x week panel directly, cheap enough for 200-seed coverage runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def weekly_panel(*, teams: int = 30, weeks: int = 16, seed: int = 0, effect: float = 0.0,
                 cohorts: tuple[int, ...] = (6, 9, 12), never_share: float = 0.3, noise: float = 0.3,
                 intensity_effect: float = 0.0) -> pd.DataFrame:
    """Team x week panel: ``y = team + week + effect * post + intensity_effect * share + e``.

    Cohorts are spread evenly over ``cohorts`` for adopters; ``never_share`` of teams never adopt.
    ``share`` is the adoption intensity (0.1 before adoption, ~0.7 after, plus noise).
    """
    rng = np.random.default_rng(seed)
    n_never = int(round(teams * never_share))
    coh = np.r_[np.full(n_never, np.nan), np.resize(np.array(cohorts, float), teams - n_never)]
    team = np.repeat(np.arange(teams), weeks)
    week = np.tile(np.arange(weeks), teams)
    c = coh[team]
    post = (~np.isnan(c)) & (week >= np.nan_to_num(c, nan=np.inf))
    share = np.clip(np.where(post, 0.7, 0.1) + rng.normal(0, 0.1, len(team)), 0, 1)
    y = (rng.normal(0, 1, teams)[team] + rng.normal(0, 0.3, weeks)[week] + effect * post
         + intensity_effect * share + rng.normal(0, noise, len(team)))
    return pd.DataFrame({"team": team, "week_index": week, "cohort": np.nan_to_num(c, nan=0.0), "y": y,
                         "adoption_share": share, "post": post.astype(float)})


def daily_panel(*, teams: int = 12, weeks: int = 40, seed: int = 0, effect: float = -0.2, count_effect: float = 0.0,
                adopting: float = 0.75, start: str = "2025-01-06", trend: float = 0.0) -> pd.DataFrame:
    """Team x day table with staggered adoption; ``effect`` is the planted change in log PR cycle time.

    ``trend``: adopting teams' log cycle time drifts by this much per week over the whole window (a
    confounder: early adopters already on their own path), on top of any effect.
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, periods=weeks * 7, freq="D")
    n_adopt = int(round(teams * adopting))
    adopt_week = np.r_[rng.integers(8, max(9, weeks - 8), n_adopt), np.full(teams - n_adopt, 10_000)]
    head = rng.integers(4, 13, teams)
    mu = rng.normal(np.log(20), 0.4, teams)
    week_shock = rng.normal(0, 0.1, weeks)
    rows = []
    for i in range(teams):
        wk = np.arange(len(days)) // 7
        post = wk >= adopt_week[i]
        work = days.day_of_week < 5
        share = np.clip(np.where(post, 0.75, 0.08) + rng.normal(0, 0.08, len(days)), 0, 1)
        active = np.where(work, np.round(share * head[i]), np.round(share * head[i] * 0.1)).astype(int)
        lam = np.where(work, 0.45 * head[i], 0.03 * head[i]) * np.exp(count_effect * post)
        prs = rng.poisson(lam)
        drift = trend * wk if adopt_week[i] < 10_000 else 0.0
        cyc = np.exp(mu[i] + week_shock[wk] + effect * post + drift + rng.normal(0, 0.35, len(days)))
        deps = rng.poisson(np.where(work, 1.2, 0.05))
        failed = rng.binomial(deps, 0.15)
        rows.append(pd.DataFrame({
            "team": f"team-{i:02d}", "day": days.date, "headcount": head[i], "ai_active_users": active,
            "ai_sessions": rng.poisson(active * 3), "prs_opened": rng.poisson(lam), "prs_merged": prs,
            "pr_cycle_time_h_median": np.where(prs > 0, cyc, np.nan), "deployments": deps,
            "deployments_failed": failed, "incidents": rng.binomial(deps, 0.05),
        }))
    return pd.concat(rows, ignore_index=True)
