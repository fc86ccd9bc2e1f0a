"""Adoption share and the absorbing adoption week (hand-computed cases of the 2-of-next-3 rule)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from correlate.stats.adoption import adoption_share, adoption_week, adoption_week_definition


def _series(team: str, shares: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"team": team, "week_index": range(len(shares)), "adoption_share": shares})


def test_first_sustained_week_is_the_adoption_week() -> None:
    d = pd.concat([
        _series("spike", [0.1, 0.9, 0.1, 0.1, 0.1, 0.6, 0.7, 0.2, 0.8]),  # week 1 not sustained; week 5 is
        _series("steady", [0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),  # threshold met exactly (>=)
        _series("dropper", [0.1, 0.6, 0.6, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0]),  # absorbing: stays adopted
        _series("never", [0.1] * 9),
        _series("late", [0.1] * 8 + [0.9]),  # one final spike cannot be confirmed
    ])
    weeks = adoption_week(d)
    assert weeks.to_dict() == pytest.approx({"spike": 5.0, "steady": 1.0, "dropper": 1.0, "never": np.nan,
                                             "late": np.nan}, nan_ok=True)


def test_missing_weeks_count_as_not_meeting_the_threshold() -> None:
    full = _series("gap", [0.1, 0.9, 0.9, 0.9])
    assert adoption_week(full).iloc[0] == 1.0  # weeks 2 and 3 confirm week 1
    gap = full.drop(index=[2])  # week 2 absent: only week 3 follows week 1, so it is not confirmed
    assert adoption_week(gap).isna().all()


def test_share_is_capped_and_undefined_without_developers() -> None:
    w = pd.DataFrame({"ai_weekly_active_users": [2, 9, 1], "active_devs": [4, 5, 0]})
    assert adoption_share(w).tolist() == pytest.approx([0.5, 1.0, np.nan], nan_ok=True)


def test_definition_names_the_configured_rule() -> None:
    text = adoption_week_definition(0.6, (3, 4))
    assert ">= 60%" in text and "3 of the next 4" in text and "intent-to-treat" in text


def _first_sustained_week_by_loop(d: pd.DataFrame, threshold: float, k: int, m: int) -> dict[str, float]:
    """The rule written as a loop over each team's consecutive weeks (a missing week does not meet it)."""
    out = {}
    for team, g in d.sort_values(["team", "week_index"]).groupby("team"):
        shares = dict(zip(g["week_index"], g["adoption_share"], strict=True))
        weeks = range(int(g["week_index"].min()), int(g["week_index"].max()) + 1)
        meets = {w: bool(shares.get(w, float("nan")) >= threshold) for w in weeks}
        found = float("nan")
        for w in weeks:
            if meets[w] and sum(meets.get(w + j, False) for j in range(1, m + 1)) >= k:
                found = float(w)
                break
        out[team] = found
    return out


@pytest.mark.parametrize("seed", range(5))
def test_the_adoption_week_of_many_teams_follows_the_rule_team_by_team(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(60):
        start, length = int(rng.integers(0, 5)), int(rng.integers(1, 20))
        for w in range(start, start + length):
            if rng.random() > 0.15:  # some weeks missing
                share = float("nan") if rng.random() < 0.05 else float(rng.random())
                rows.append((f"t{i:02d}", w, share))
    d = pd.DataFrame(rows, columns=["team", "week_index", "adoption_share"])
    for threshold, (k, m) in [(0.5, (2, 3)), (0.3, (1, 1)), (0.7, (3, 3))]:
        got = adoption_week(d, threshold=threshold, sustain=(k, m))
        expected = _first_sustained_week_by_loop(d, threshold, k, m)
        assert list(got.index) == sorted(expected)
        for team, value in expected.items():
            assert (np.isnan(value) and np.isnan(got[team])) or got[team] == value, (team, threshold, k, m)
