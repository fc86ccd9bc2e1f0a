"""``correlate analyze PANEL.csv``: the engine on any panel a user hands it.

Reads a long CSV (one row per unit and period), validates the named columns, gates the analysis
by the amount of data, and prints one JSON object (``--json``) or a readable table. Which blocks
appear: ``association`` and ``twfe`` need ``--adoption`` (a numeric intensity); ``did`` needs
``--cohort`` (first treated period; 0 or empty = never). The outcome is analysed as given (log it
first if it is a duration), so effects are in the outcome's own units.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table
from threadpoolctl import threadpool_limits

from correlate.console import console
from correlate.errors import AnalysisError, InputError, UsageError
from correlate.stats import association, did
from correlate.stats.fixed_effects import fe_fit
from correlate.stats.gates import evaluate
from correlate.stats.intensity import estimate_from_fit, wild_cluster_test
from correlate.stats.power import mde
from correlate.stats.results import DidResult, Estimate, Gates
from correlate.stats.wording import effect_sentence, insufficient_paragraph

__all__ = ["analyze", "analyze_frame", "load_panel"]

BOOT_REPS = 999
SEED = 1


def load_panel(path: Path, *, unit: str, time: str, outcome: str, adoption: str | None,
               cohort: str | None) -> pd.DataFrame:
    """Read and validate the CSV; returns columns ``unit, time, outcome[, adoption][, cohort]`` with numeric time.

    Dates in ``time`` (and ``cohort``) become consecutive period numbers (1, 2, ...) in sorted order; a
    cohort date between two periods maps to the first period on or after it.

    Raises:
        InputError: unreadable file, missing column, non-numeric value (names the line), duplicate unit-period.
    """
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a readable CSV: {exc}", path=str(path)) from None
    wanted = [c for c in (unit, time, outcome, adoption, cohort) if c]
    for col in wanted:
        if col not in raw.columns:
            have = ", ".join(raw.columns[:12])
            raise InputError(f"no column {col!r} (columns: {have})", path=str(path), field=col)
    d = pd.DataFrame({"unit": raw[unit].str.strip()})
    if (d["unit"] == "").any():
        line = int(np.flatnonzero(d["unit"] == "")[0]) + 2
        raise InputError("empty unit id", path=str(path), line=line, field=unit)
    d["time"] = _time_values(raw[time], path, time)
    d["y"] = _numeric(raw[outcome], path, outcome, allow_empty=True)
    if adoption:
        d["x"] = _numeric(raw[adoption], path, adoption, allow_empty=True)
    if cohort:
        c = raw[cohort].str.strip()
        if not pd.api.types.is_numeric_dtype(pd.to_numeric(raw[time], errors="coerce")) or \
                pd.to_numeric(raw[time], errors="coerce").isna().any():
            # dates: map each cohort date onto the first period on or after it
            periods = np.sort(pd.to_datetime(raw[time]).unique())
            parsed = pd.to_datetime(c.where(~c.isin(["", "0"])), errors="coerce")
            bad = parsed.isna() & ~c.isin(["", "0"])
            if bad.any():
                line = int(np.flatnonzero(bad)[0]) + 2
                raise InputError(f"cohort {c[bad].iloc[0]!r} is not a date, 0 or empty", path=str(path), line=line,
                                 field=cohort)
            # periods are numbered from 1 (see _time_values), so a cohort in the first period stays a real
            # (always-treated) cohort and 0 keeps meaning "never"
            idx = np.searchsorted(periods, parsed.to_numpy(), side="left").astype(float) + 1
            d["cohort"] = np.where(parsed.isna(), np.nan, idx)
        else:
            d["cohort"] = _numeric(c.where(c != "", "0"), path, cohort, allow_empty=False)
            d.loc[d["cohort"] <= 0, "cohort"] = np.nan
        if (d.groupby("unit")["cohort"].nunique(dropna=False) > 1).any():
            bad_unit = d.groupby("unit")["cohort"].nunique(dropna=False).idxmax()
            raise InputError(f"unit {bad_unit!r} has more than one cohort value; the cohort (first treated period) "
                             "must be constant within a unit", path=str(path), field=cohort)
    dup = d.duplicated(["unit", "time"])
    if dup.any():
        line = int(np.flatnonzero(dup)[0]) + 2
        raise InputError(f"unit {d.loc[dup, 'unit'].iloc[0]!r} appears twice in the same period", path=str(path),
                         line=line, field=time)
    return d


def _numeric(s: pd.Series, path: Path, col: str, *, allow_empty: bool) -> pd.Series:
    stripped = s.str.strip()
    v = pd.to_numeric(stripped.where(stripped != ""), errors="coerce")
    bad = v.isna() & (stripped != "") if allow_empty else v.isna()
    bad |= np.isinf(v.fillna(0))
    if bad.any():
        line = int(np.flatnonzero(bad)[0]) + 2
        raise InputError(f"value {stripped[bad].iloc[0]!r} is not a number", path=str(path), line=line, field=col)
    return v.astype(float)


def _time_values(s: pd.Series, path: Path, col: str) -> pd.Series:
    stripped = s.str.strip()
    v = pd.to_numeric(stripped, errors="coerce")
    if v.notna().all():
        return v.astype(float)
    try:
        dt = pd.to_datetime(stripped, errors="raise")
    except (ValueError, TypeError):
        bad = v.isna() & pd.to_datetime(stripped, errors="coerce").isna()
        line = int(np.flatnonzero(bad)[0]) + 2 if bad.any() else None
        raise InputError("time values must be numbers (year, week number) or dates", path=str(path), line=line,
                         field=col) from None
    periods = np.sort(dt.unique())
    return pd.Series(np.searchsorted(periods, dt.to_numpy()).astype(float) + 1, index=s.index)


def _num(v: float | None) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) or math.isinf(f) else f


def _est_json(e: Estimate, *, allowed: bool = True) -> dict[str, Any]:
    """One estimate. Under the descriptive gate only the point survives: no SE, interval, p or MDE."""
    if not allowed:
        return {"coef": _num(e.statistic), "se": None, "ci": [None, None], "pvalue": None, "df": None, "mde": None,
                "method": e.method, "inference": "descriptive only (gate): no interval or p-value", "rung": 1}
    return {"coef": _num(e.statistic), "se": _num(e.se), "ci": [_num(e.ci.low), _num(e.ci.high)],
            "pvalue": _num(e.pvalue), "df": e.df, "mde": _num(e.mde), "method": e.method, "inference": e.inference,
            "rung": e.rung}


def _pct(e: Estimate | None) -> dict[str, Any] | None:
    """A log-ratio estimate as % change, interval ends transformed (never below -100%)."""
    if e is None:
        return None
    def f(b: float) -> float | None:
        return _num(100 * math.expm1(b))

    return {"estimate": f(e.statistic), "ci": [f(e.ci.low), f(e.ci.high)], "pvalue": _num(e.pvalue),
            "mde": [f(-(e.mde or math.nan)), f(e.mde or math.nan)], "method": e.method}


def _did_json(r: DidResult, *, allowed: bool = True) -> dict[str, Any]:
    g = r.att_group
    rob = {e.term: _est_json(e, allowed=allowed) for e in r.robustness}
    pre, sens = r.pretrend, r.sensitivity
    out: dict[str, Any] = {
        "control_group": r.control_group, "anticipation": r.anticipation,
        "att_group": _num(g.statistic), "se": _num(g.se), "ci": [_num(g.ci.low), _num(g.ci.high)],
        "pvalue": _num(g.pvalue), "df": g.df, "mde": _num(g.mde), "rung": r.rung, "rung_reason": r.rung_reason,
        "inference": g.inference,
        "att_simple": _num(r.att_simple.statistic), "att_simple_se": _num(r.att_simple.se),
        "att_simple_ci": [_num(r.att_simple.ci.low), _num(r.att_simple.ci.high)],
        "att_simple_pvalue": _num(r.att_simple.pvalue),
        "att_dynamic": _num(r.att_dynamic.statistic), "att_dynamic_se": _num(r.att_dynamic.se),
        "att_pct": _pct(r.att_ratio),
        "att_gt": [{"cohort": _num(a.cohort), "time": _num(a.time), "att": _num(a.att), "se": _num(a.se)}
                   for a in r.att_gt],
        "cohort_effects": [{"cohort": _num(c), "att": _num(a), "se": _num(s)} for c, a, s in r.cohort_effects],
        "event_study": [{"event_time": e.event_time, "att": _num(e.att), "se": _num(e.se),
                         "ci": [_num(e.ci.low), _num(e.ci.high)], "band": e.band} for e in r.event_study],
        "event_study_universal": [{"event_time": e.event_time, "att": _num(e.att), "se": _num(e.se),
                                   "ci": [_num(e.ci.low), _num(e.ci.high)], "n_treated": e.n_treated}
                                  for e in r.event_study_universal],
        "event_window": list(r.event_window),
        "pretrend": None if pre is None else {
            "test": pre.test, "pvalue": _num(pre.pvalue), "passed": pre.passed,
            "joint": {"window": list(pre.joint_window), "F": _num(pre.joint_stat), "df": list(pre.joint_df),
                      "pvalue": _num(pre.joint_pvalue)},
            "slope": _num(pre.slope),
            "slope_test": {"estimate": _num(pre.slope), "se": _num(pre.slope_se), "pvalue": _num(pre.slope_pvalue),
                           "window": list(pre.slope_window), "slope_for_80pct_power": _num(pre.slope_for_80)},
            "power_against": {"slope": _num(pre.power_against), "power": _num(pre.power),
                              "adequate": pre.adequate_power,
                              "trend": "the slope per period that would bias the short-run effect by its minimum "
                                       "detectable effect"}},
        "sensitivity": None if sens is None else {
            "target": sens.target, "estimate": _num(sens.estimate), "mbar": sens.mbar,
            "robust_ci": [_num(sens.robust_ci.low), _num(sens.robust_ci.high)],
            "breakdown_mbar": _num(sens.breakdown_mbar), "survives": sens.survives,
            "identified_set": [_num(sens.identified_set[0]), _num(sens.identified_set[1])], "method": sens.method},
        "n_adopting": r.n_adopting, "n_never": r.n_control,
        "twfe_naive": rob.get("twfe_post"), "imputation": rob.get("att_imputation"), "method": r.method,
    }
    if not allowed:
        # the descriptive gate: a point and the event study's points, nothing that reads as inference
        out.update({"se": None, "ci": [None, None], "pvalue": None, "df": None, "mde": None, "rung": 1,
                    "rung_reason": "too little data for inference (see gates)", "att_simple_se": None,
                    "att_simple_ci": [None, None], "att_simple_pvalue": None, "att_dynamic_se": None,
                    "att_pct": None, "pretrend": None, "sensitivity": None,
                    "inference": "descriptive only (gate): no interval or p-value"})
        for key in ("event_study", "event_study_universal"):
            for e in out[key]:
                e.update({"se": None, "ci": [None, None]})
        for a in out["att_gt"]:
            a["se"] = None
        for c in out["cohort_effects"]:
            c["se"] = None
    return out


def _gates(d: pd.DataFrame, obs: pd.DataFrame) -> Gates:
    """Gate on the units that have outcome data: an adopting unit counts only with an observed week before
    and after adoption (97% missing cells must not be gated as if the panel were whole)."""
    n_periods = int(obs["time"].nunique())
    cohorts = d.groupby("unit")["cohort"].first()
    seen = obs.groupby("unit")["time"].agg(["min", "max"])
    cohorts = cohorts.reindex(seen.index)
    usable = cohorts.isna() | ((seen["min"] < cohorts) & (seen["max"] >= cohorts))
    return evaluate(cohorts[usable], n_periods, float(obs["time"].min()))


def analyze_frame(d: pd.DataFrame, *, control: str = "not_yet", has_adoption: bool, has_cohort: bool,
                  reps: int = BOOT_REPS, seed: int = SEED, robustness: bool = True) -> dict[str, Any]:
    """Run the blocks the columns allow on a validated frame (``load_panel`` output); returns the JSON object.

    ``reps`` bootstrap draws (event-study bands; the wild bootstrap of the 5-14-unit gate); ``robustness=False``
    skips the imputation and naive-TWFE checks, which do not enter the headline, its rung or its wording (the
    calibration harness uses it to spend its CPU on panels, not on robustness bootstraps).
    """
    if control not in ("never", "not_yet"):
        raise UsageError(f"--control must be 'never' or 'not_yet', not {control!r}")
    obs = d.dropna(subset=["y"])
    out: dict[str, Any] = {"n_units": int(obs["unit"].nunique()), "n_periods": int(obs["time"].nunique()),
                           "n_obs": int(len(obs))}
    warnings_: list[str] = []
    if out["n_obs"] == 0:
        raise AnalysisError("the outcome column has no values")
    if has_cohort:
        gates = _gates(d, obs)
    else:
        G = out["n_units"]
        level = "descriptive" if G < 5 else ("exploratory" if G < 15 else "confirmatory")
        reasons = (f"only {G} units (need 5)",) if G < 5 else ()
        gates = Gates(G, 0, G, out["n_periods"], 0, level, reasons)  # type: ignore[arg-type]
    allowed = gates.pvalues_allowed
    out["gates"] = {"level": gates.level, "reasons": list(gates.reasons)}
    warnings_ += list(gates.reasons)
    if not allowed:
        out["paragraph"] = insufficient_paragraph(gates)
        warnings_.append("descriptives only: no p-values or intervals are reported for this panel")
    q = obs["y"].quantile([0.25, 0.5, 0.75])
    out["descriptives"] = {"median": _num(q[0.5]), "q25": _num(q[0.25]), "q75": _num(q[0.75]), "n": int(len(obs)),
                           "coverage": _num(len(obs) / len(d))}
    headline_mde: float | None = None
    if has_adoption:
        a = association.between_team(obs.rename(columns={"unit": "team"}), "x", "y", reps=reps, seed=seed,
                                     pvalues=allowed)
        out["association"] = {"rho": _num(a.statistic),
                              "ci": [_num(a.ci.low), _num(a.ci.high)] if allowed else [None, None],
                              "pvalue": _num(a.pvalue), "n": a.n, "method": a.method,
                              "pvalue_method": a.pvalue_method, "ci_method": a.ci_method, "rung": a.rung}
        try:
            fit = fe_fit(obs, "y", ["x"], fe=["unit", "time"], cluster="unit")
            p = crit = None
            inference = None
            if gates.level == "exploratory" and reps > 0:
                p, crit = wild_cluster_test(obs, "y", ["x"], "x", fe=["unit", "time"], cluster="unit", reps=reps,
                                            seed=seed)
                inference = (f"wild cluster restricted bootstrap-t ({reps} reps): p-value and interval from the same "
                             "draws")
            est = estimate_from_fit(fit, "x", method="TWFE OLS on the adoption column, unit and period effects",
                                    scale="level", pvalue=p, inference=inference, pvalues_allowed=allowed, crit=crit)
            out["twfe"] = _est_json(est, allowed=allowed)
            headline_mde = est.mde if allowed else None
        except AnalysisError as exc:
            warnings_.append(f"TWFE not estimable: {exc}")
    if has_cohort:
        try:
            positive = bool((obs["y"] >= 0).all() and obs["y"].mean() > 0)
            r = did.callaway_santanna(obs, "y", unit="unit", time="time", cohort="cohort",
                                      control=control, boot_reps=reps, seed=seed,  # type: ignore[arg-type]
                                      pvalues_allowed=allowed, outcome_name="outcome",
                                      exploratory=gates.level == "exploratory", ratio=positive,
                                      robustness=robustness)
            out["did"] = _did_json(r, allowed=allowed)
            out["did"].update(_did_wording(r, gates, allowed))
            warnings_ += list(r.warnings)
            headline_mde = r.att_group.mde if allowed else None
        except AnalysisError as exc:
            warnings_.append(f"difference-in-differences not estimable: {exc}")
    out["mde"] = _num(headline_mde)
    out["mde_of"] = "did.att_group" if "did" in out else ("twfe.coef" if "twfe" in out else None)
    if headline_mde is None and allowed:
        se = float(obs["y"].std(ddof=1) / math.sqrt(max(out["n_units"], 1)))
        out["mde"] = _num(mde(se, max(out["n_units"] - 1, 1)).mde)
        out["mde_of"] = "mean of the outcome (no --adoption or --cohort given)"
    elif not allowed:
        out["mde_of"] = None
    out["warnings"] = warnings_
    return out


def _did_wording(r: DidResult, gates: Gates, allowed: bool) -> dict[str, Any]:
    """Verdict and the one sentence a reader gets, from the same wording functions the report uses."""
    if not allowed:
        return {"verdict": "descriptive", "sentence": insufficient_paragraph(gates)}
    g = r.att_group
    verdict = "inconclusive" if g.ci.contains(0.0) or math.isnan(g.ci.low) else "detected"
    sentence = effect_sentence("outcome", g.statistic, g.ci.low, g.ci.high, "", rung=r.rung,
                               control=r.control_group, n_units=r.n_units, n_adopting=r.n_adopting,
                               reason=r.rung_reason)
    return {"verdict": verdict, "sentence": sentence}


def analyze(panel: Path, unit: str, time: str, outcome: str, adoption: str | None, cohort: str | None,
            control: str, json_out: bool) -> None:
    """CLI body of ``correlate analyze`` (wired in ``correlate/cli.py``)."""
    d = load_panel(Path(panel), unit=unit, time=time, outcome=outcome, adoption=adoption, cohort=cohort)
    # many small matrix decompositions: BLAS threads cost more in hand-offs than they gain (as in run_suite)
    with threadpool_limits(limits=1, user_api="blas"):
        res = analyze_frame(d, control=control, has_adoption=adoption is not None, has_cohort=cohort is not None)
    if json_out:
        print(json.dumps(res, allow_nan=False))
        return
    _print_table(res, outcome)


def _fmt(v: float | None, digits: int = 4) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _print_table(res: dict[str, Any], outcome: str) -> None:
    t = Table(title=f"correlate analyze: {outcome} ({res['n_units']} units, {res['n_periods']} periods, "
                    f"{res['n_obs']} rows; gate: {res['gates']['level']})")
    for col in ("estimate", "value", "95% CI", "p", "notes"):
        t.add_column(col)
    dsc = res["descriptives"]
    t.add_row("median (IQR)", _fmt(dsc["median"]), f"{_fmt(dsc['q25'])} to {_fmt(dsc['q75'])}", "—",
              f"n = {dsc['n']}")
    if "association" in res:
        a = res["association"]
        t.add_row("Spearman rho, between units", _fmt(a["rho"], 3), f"{_fmt(a['ci'][0], 3)} to {_fmt(a['ci'][1], 3)}",
                  _fmt(a["pvalue"], 4), f"n = {a['n']} units; association only")
    if "twfe" in res:
        w = res["twfe"]
        t.add_row("TWFE slope on adoption", _fmt(w["coef"]), f"{_fmt(w['ci'][0])} to {_fmt(w['ci'][1])}",
                  _fmt(w["pvalue"]), "within units; association only")
    if "did" in res:
        g = res["did"]
        t.add_row(f"DiD group ATT (CS, control {g['control_group']})", _fmt(g["att_group"]),
                  f"{_fmt(g['ci'][0])} to {_fmt(g['ci'][1])}", _fmt(g["pvalue"]),
                  "estimated effect under parallel trends" if g["rung"] >= 4 else "association (see below)")
        if g.get("pretrend"):
            pt = g["pretrend"]
            t.add_row("  pre-trend check (joint F + slope)", f"slope {_fmt(pt['slope'])}", "",
                      _fmt(pt["pvalue"]), f"power {_fmt(pt['power_against']['power'], 2)} against a slope of "
                                          f"{_fmt(pt['power_against']['slope'])} per period")
        if g.get("sensitivity"):
            sv = g["sensitivity"]
            t.add_row(f"  sensitivity, Mbar = {sv['mbar']:g}", _fmt(sv["estimate"]),
                      f"{_fmt(sv['robust_ci'][0])} to {_fmt(sv['robust_ci'][1])}", "",
                      f"breakdown Mbar {_fmt(sv['breakdown_mbar'], 2)}; {sv['target']}")
        t.add_row("DiD simple / dynamic ATT", f"{_fmt(g['att_simple'])} / {_fmt(g['att_dynamic'])}", "", "", "")
        for k in ("imputation", "twfe_naive"):
            if g.get(k):
                t.add_row(f"  {k.replace('_', ' ')} (robustness)", _fmt(g[k]["coef"]),
                          f"{_fmt(g[k]['ci'][0])} to {_fmt(g[k]['ci'][1])}", _fmt(g[k]["pvalue"]),
                          "diagnostic only" if k == "twfe_naive" else "")
    t.add_row("minimum detectable effect", _fmt(res["mde"]), "", "", f"80% power, for {res['mde_of']}")
    console.print(t)
    if "did" in res:
        ev = Table(title="event study (periods relative to adoption)")
        for col in ("event time", "ATT", "band"):
            ev.add_column(col)
        for e in res["did"]["event_study"]:
            ev.add_row(str(e["event_time"]), _fmt(e["att"]), f"{_fmt(e['ci'][0])} to {_fmt(e['ci'][1])}")
        console.print(ev)
    if res.get("did", {}).get("sentence"):
        console.print(res["did"]["sentence"])
    if res.get("paragraph"):
        console.print(res["paragraph"])
    for w in res["warnings"]:
        console.print(f"[yellow]warning[/]: {w}")
