"""Panels a user can bring: missing cells, single-team cohorts, saturated models, thin data.

Regression cases from a calibration run of the previous engine: ``ValueError: need at least one array to
concatenate`` at 80% missing and when every post-adoption cell is missing; TWFE coefficient 4.0 with SE 1e-15
and p = 0 at 97% missing under a "confirmatory" gate; a one-team cohort contributing zero variance; a rung-4
interval under the descriptive (3-team) gate. Panels are hand-built (tests/stats/synthetic.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from synthetic import weekly_panel

from correlate.cli import main
from correlate.errors import AnalysisError
from correlate.stats.cs import fit_cs
from correlate.stats.did import callaway_santanna
from correlate.stats.fixed_effects import fe_fit
from correlate.stats.units import event_study_display
from correlate.stats.wording import event_study_caption

ARGS = ("--unit", "team", "--time", "week_index", "--outcome", "y", "--cohort", "cohort")


def _analyze(capsys: pytest.CaptureFixture[str], tmp_path: Path, d: pd.DataFrame, *extra: str) -> dict[str, Any]:
    p = tmp_path / "panel.csv"
    d.to_csv(p, index=False)
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(p), *ARGS, *extra, "--json"])
    out = capsys.readouterr()
    assert exc.value.code in (0, None), out.err
    res: dict[str, Any] = json.loads(out.out)
    return res


def _missing(d: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    d = d.copy()
    d.loc[np.random.default_rng(seed).random(len(d)) < share, "y"] = np.nan
    return d


@pytest.mark.parametrize("seed", range(6))
def test_eighty_percent_missing_never_crashes(capsys, tmp_path: Path, seed: int) -> None:
    d = _missing(weekly_panel(teams=20, weeks=16, seed=seed), 0.8, seed)
    res = _analyze(capsys, tmp_path, d, "--adoption", "adoption_share")
    assert res["n_obs"] == int(d["y"].notna().sum())
    if "did" in res and res["did"]["ci"][0] is not None:
        lo, hi = res["did"]["ci"]
        assert lo < hi and (res["did"]["pvalue"] is None or (res["did"]["pvalue"] < 0.05) == (lo > 0 or hi < 0))
    else:
        assert any("not estimable" in w or "descriptives only" in w for w in res["warnings"])


def test_every_post_adoption_cell_missing_is_a_clear_message(capsys, tmp_path: Path) -> None:
    d = weekly_panel(teams=20, weeks=16, seed=3)
    d.loc[(d["cohort"] > 0) & (d["week_index"] >= d["cohort"]), "y"] = np.nan
    res = _analyze(capsys, tmp_path, d)
    assert "did" not in res
    assert any("difference-in-differences not estimable" in w for w in res["warnings"])
    with pytest.raises(AnalysisError, match="no adopting team has an observed week after adoption"):
        callaway_santanna(d.dropna(subset=["y"]), "y", unit="team", time="week_index", cohort="cohort",
                          boot_reps=0, robustness=False)


def test_saturated_twfe_is_refused_not_printed_with_p_zero(capsys, tmp_path: Path) -> None:
    d = _missing(weekly_panel(teams=30, weeks=20, seed=5, intensity_effect=0.3), 0.97, 5)
    res = _analyze(capsys, tmp_path, d, "--adoption", "adoption_share")
    assert "twfe" not in res or res["twfe"]["pvalue"] is None or res["twfe"]["se"] > 1e-6
    assert res["gates"]["level"] != "confirmatory"  # gated on teams with data before and after adoption
    tiny = pd.DataFrame({"u": [1, 1, 2, 2], "t": [1, 2, 1, 2], "x": [0.0, 1.0, 0.0, 0.5], "y": [1.0, 2.0, 0.5, 3.0]})
    with pytest.raises(AnalysisError, match="saturated"):
        fe_fit(tiny, "y", ["x"], fe=["u", "t"], cluster="u")


def test_three_teams_give_no_rung_four_interval(capsys, tmp_path: Path) -> None:
    d = weekly_panel(teams=3, weeks=12, seed=2, cohorts=(6,), never_share=0.34, effect=2.0)
    did = _analyze(capsys, tmp_path, d)["did"]
    assert did["rung"] == 1 and did["ci"] == [None, None] and did["pvalue"] is None and did["se"] is None
    assert did["verdict"] == "descriptive" and did["pretrend"] is None and did["sensitivity"] is None
    assert all(e["ci"] == [None, None] for e in did["event_study"])


def test_a_one_team_cohort_contributes_its_variance() -> None:
    """R's influence function gives a cohort of one team exactly zero variance (its deviation from its own mean
    is 0). The engine gives that team its deviation from the comparison teams' mean (the residual under "no
    change"), in its own row, so its correlation across weeks and with its other roles stays in the SE."""
    d = weekly_panel(teams=12, weeks=12, seed=4, cohorts=(6,), never_share=0.9)  # one adopting team
    d["cohort"] = d["cohort"].where(d["cohort"] > 0)
    r = fit_cs(d, "y", unit="team", time="week_index", cohort="cohort", small_sample=False)
    e = fit_cs(d, "y", unit="team", time="week_index", cohort="cohort")
    assert (r.cells["n_treated"] == 1).all()
    adopter = int(np.flatnonzero(np.isfinite(e.unit_cohort))[0])
    assert np.all(r.inf[adopter] == 0)  # R: nothing
    wide = d.pivot(index="team", columns="week_index", values="y").to_numpy()
    for j, cell in enumerate(e.cells.itertuples()):
        dy = wide[:, int(cell.time)] - wide[:, int(cell.base)]
        ctrl = (e.unit_cohort > max(cell.time, cell.base)) & (e.unit_cohort != cell.cohort)
        assert e.inf[adopter, j] == pytest.approx(e.n * (dy[adopter] - dy[ctrl].mean()), rel=1e-12)
    assert e.group()[1] > 1.3 * r.group()[1]


def test_positive_outcomes_get_a_ratio_that_cannot_pass_minus_100_percent() -> None:
    d = weekly_panel(teams=30, weeks=16, seed=9, effect=-0.9, noise=0.8)
    d["y"] = np.clip(d["y"] + 3.0, 0.05, None)  # a positive rate, noisy enough for a wide interval
    r = callaway_santanna(d, "y", unit="team", time="week_index", cohort="cohort", boot_reps=0, robustness=False,
                          ratio=True)
    assert r.att_ratio is not None and r.att_ratio.scale == "log"
    pct_low = 100 * np.expm1(r.att_ratio.ci.low)
    assert -100 < pct_low < 100 * np.expm1(r.att_ratio.statistic)
    # the same side of zero for the level and the ratio
    assert (r.att_group.statistic < 0) == (r.att_ratio.statistic < 0)


def test_proportion_intervals_stay_within_the_definition() -> None:
    d = weekly_panel(teams=8, weeks=14, seed=1, effect=-0.05, noise=0.4)
    d["y"] = np.clip(0.1 + 0.1 * d["y"], 0, 1)  # a share near 0, noisy, few teams: a wide interval
    r = callaway_santanna(d, "y", unit="team", time="week_index", cohort="cohort", boot_reps=0, robustness=False,
                          scale="pp")
    p1 = d.loc[(d["cohort"] > 0) & (d["week_index"] >= d["cohort"]), "y"].mean()
    assert r.att_group.ci.low >= p1 - 1 - 0.05 and r.att_group.ci.high <= 1.0


def test_event_study_chart_has_a_bounded_axis_and_a_caption_for_its_window() -> None:
    d = weekly_panel(teams=30, weeks=30, seed=2, cohorts=(4, 12, 20), never_share=0.3, effect=-0.3)
    r = callaway_santanna(d, "y", unit="team", time="week_index", cohort="cohort", boot_reps=99, robustness=False)
    view = event_study_display(r, scale="log", unit="%", mde=r.att_group.mde)
    lo, hi = r.event_window
    assert view.window == (lo, hi) and min(view.event_time) == lo and max(view.event_time) == hi
    assert -1 in view.event_time and view.estimate[view.event_time.index(-1)] == 0.0
    assert view.axis[0] >= -105 and view.axis[1] < 10 * max(abs(v) for v in view.estimate)
    assert all(v >= -100 for v in view.low)
    caption = event_study_caption("Event study: cycle time", view, n_adopting=r.n_adopting)
    assert f"weeks {lo} to {hi:+d}" in caption and "reference" in caption
    # far event times rest on the earliest cohort only: outside the plotted window
    far = max(e.event_time for e in r.event_study_universal)
    assert far > hi
