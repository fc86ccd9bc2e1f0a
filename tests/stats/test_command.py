"""``correlate analyze`` as a user runs it: output shape, readable table, and bad input (exit 1, names the column).

Panels here are written by the tests (hand-built CSVs), except mpdta (tests/fixtures/stats). The mpdta runs go
through a subprocess (tests/stats/test_did.py too); the rest call the CLI entry point in-process
(same parsing, same error handling, no interpreter start-up per case).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cli_run import run_analyze
from synthetic import weekly_panel

from correlate.cli import main


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``correlate analyze ARGS`` in-process; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(["analyze", *args])
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = _cli(capsys, *args, "--json")
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) == 1
    result: dict[str, Any] = json.loads(lines[0])
    return result


def _write(tmp_path: Path, df: pd.DataFrame) -> Path:
    p = tmp_path / "panel.csv"
    df.to_csv(p, index=False)
    return p


def test_json_has_the_documented_blocks(capsys, tmp_path: Path) -> None:
    d = weekly_panel(teams=24, weeks=14, seed=4, effect=0.3, intensity_effect=0.2)
    res = _json(capsys, str(_write(tmp_path, d)), "--unit", "team", "--time", "week_index", "--outcome", "y",
                       "--adoption", "adoption_share", "--cohort", "cohort", "--control", "never")
    assert (res["n_units"], res["n_periods"], res["n_obs"]) == (24, 14, 336)
    assert set(res["association"]) >= {"rho", "ci", "pvalue", "n"} and res["association"]["n"] == 24
    assert set(res["twfe"]) >= {"coef", "se", "ci", "pvalue"}
    did = res["did"]
    assert set(did) >= {"att_group", "att_simple", "se", "ci", "att_gt", "event_study", "control_group"}
    assert did["control_group"] == "never"
    assert abs(did["att_group"] - 0.3) < 4 * did["se"]  # planted 0.3; one draw, so a generous band
    assert {"cohort", "time", "att", "se"} <= set(did["att_gt"][0])
    # the keys the pre-trend test, the sensitivity and one-source inference add
    assert {"att_simple_ci", "att_simple_pvalue", "pretrend", "sensitivity", "rung", "rung_reason", "verdict",
            "sentence"} <= set(did)
    assert {"test", "pvalue", "power_against", "slope"} <= set(did["pretrend"])
    assert isinstance(did["pretrend"]["slope"], float) and 0 <= did["pretrend"]["power_against"]["power"] <= 1
    assert {"breakdown_mbar", "robust_ci"} <= set(did["sensitivity"]) and len(did["sensitivity"]["robust_ci"]) == 2
    assert "pretest_pvalue" not in did and "correlate.stats.cs" in did["method"]
    lo, hi = did["ci"]
    assert (did["pvalue"] < 0.05) == (lo > 0 or hi < 0)  # one source for the headline's p and interval
    assert {"event_time", "att", "ci"} <= set(did["event_study"][0])
    assert res["mde"] > 0 and isinstance(res["warnings"], list)


def test_dates_as_time_and_cohort(capsys, tmp_path: Path) -> None:
    d = weekly_panel(teams=20, weeks=12, seed=2, effect=0.0, cohorts=(5, 8))
    start = pd.Timestamp("2025-01-06")
    d["week"] = (start + pd.to_timedelta(d["week_index"] * 7, unit="D")).dt.date.astype(str)
    d["adopted"] = [str((start + pd.Timedelta(weeks=int(c))).date()) if c > 0 else "" for c in d["cohort"]]
    res = _json(capsys, str(_write(tmp_path, d)), "--unit", "team", "--time", "week", "--outcome", "y", "--cohort",
                "adopted")
    # dates become periods 1..12, so adoption in weeks 5 and 8 (0-based) are cohorts 6 and 9
    assert res["n_periods"] == 12 and {a["cohort"] for a in res["did"]["att_gt"]} == {6.0, 9.0}
    # a team adopting in the very first week has no pre-period: dropped with a warning, not made "never"
    d.loc[d["team"] == 0, "adopted"] = str(start.date())
    res = _json(capsys, str(_write(tmp_path, d)), "--unit", "team", "--time", "week", "--outcome", "y", "--cohort",
                "adopted")
    assert any("already adopted in the first period" in w for w in res["warnings"])


def test_thin_panel_has_no_pvalues(capsys, tmp_path: Path) -> None:
    d = weekly_panel(teams=3, weeks=12, seed=2, cohorts=(6,), never_share=0.34)
    res = _json(capsys, str(_write(tmp_path, d)), "--unit", "team", "--time", "week_index", "--outcome", "y",
                       "--adoption", "adoption_share", "--cohort", "cohort")
    assert res["gates"]["level"] == "descriptive"
    assert res["association"]["pvalue"] is None and res["twfe"]["pvalue"] is None
    assert res["did"]["pvalue"] is None
    assert "inconclusive" in res["paragraph"]


def test_readable_table_without_json(mpdta: Path) -> None:
    proc = run_analyze(str(mpdta), "--unit", "countyreal", "--time", "year", "--outcome", "lemp", "--cohort",
                       "first.treat")
    assert proc.returncode == 0, proc.stderr
    assert "DiD group ATT" in proc.stdout and "-0.0305" in proc.stdout and "event study" in proc.stdout


def test_missing_column_is_named(capsys, mpdta: Path) -> None:
    code, _, err = _cli(capsys, str(mpdta), "--unit", "countyreal", "--time", "year", "--outcome", "employment")
    assert code == 1
    assert "InputError" in err and "'employment'" in err


def test_non_numeric_outcome_names_line_and_column(capsys, tmp_path: Path) -> None:
    d = weekly_panel(teams=6, weeks=6, seed=1).astype({"y": object})
    d.loc[7, "y"] = "n/a?"
    code, _, err = _cli(capsys, str(_write(tmp_path, d)), "--unit", "team", "--time", "week_index", "--outcome", "y")
    assert code == 1
    assert ":9" in err and "'y'" in err and "not a number" in err


def test_duplicate_unit_period_and_missing_file(capsys, tmp_path: Path) -> None:
    d = weekly_panel(teams=6, weeks=6, seed=1)
    d = pd.concat([d, d.iloc[[3]]])
    code, _, err = _cli(capsys, str(_write(tmp_path, d)), "--unit", "team", "--time", "week_index", "--outcome", "y")
    assert code == 1 and "appears twice" in err
    code, _, err = _cli(capsys, str(tmp_path / "nope.csv"), "--unit", "a", "--time", "b", "--outcome", "c")
    assert code == 1 and "file not found" in err


def test_bad_control_is_a_usage_error(capsys, mpdta: Path) -> None:
    code, _, err = _cli(capsys, str(mpdta), "--unit", "countyreal", "--time", "year", "--outcome", "lemp",
                        "--cohort", "first.treat", "--control", "sometimes")
    assert code == 2 and "never" in err
