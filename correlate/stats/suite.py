"""The one entry point reports call: every analysis for every outcome, gated, BH-adjusted, worded.

``run_suite(weekly, analysis_config, outcomes)`` takes a team x week panel (see
:func:`correlate.stats.grain.to_weekly`), the ``[analysis]`` config section and the outcome specs,
and returns a :class:`SuiteResult`: per-outcome descriptives, association, TWFE, distributed lags,
staggered DiD with robustness, business-unit headline, verdict and sentence; the gates; the
adoption definitions; BH-adjusted p-values across everything shown; warnings and method notes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from correlate.config import AnalysisConfig
from correlate.errors import AnalysisError, InputError
from correlate.stats import association, did, intensity
from correlate.stats.adoption import adoption_share, adoption_share_definition, adoption_week, adoption_week_definition
from correlate.stats.descriptives import before_after, describe
from correlate.stats.gates import GATE_TEXT, evaluate
from correlate.stats.grain import apply_maturity, maturity_days
from correlate.stats.multiple import bh_adjust
from correlate.stats.notes import METHOD_NOTES
from correlate.stats.outcomes import DEFAULT_OUTCOMES, OutcomeSpec, did_outcome
from correlate.stats.results import CorrelationResult, DescriptiveResult, DidResult, Estimate, Gates
from correlate.stats.units import BusinessEffect, hours, pct_change, percentage_points
from correlate.stats.wording import (
    effect_sentence,
    inconclusive_paragraph,
    insufficient_paragraph,
    intensity_sentence,
    multiplicity_paragraph,
)

__all__ = ["OutcomeResult", "PValueRow", "SuiteResult", "prepare_weekly", "run_suite"]

# "not_after_correction": the interval excludes zero on its own, but the report-wide Benjamini-Hochberg p does not
# pass; "inconclusive": the interval includes zero (only then is the minimum detectable effect the reading)
Verdict = Literal["descriptive", "inconclusive", "not_after_correction", "detected"]
BH_ALPHA = 0.05  # false-discovery rate across every p-value a report shows


@dataclass(frozen=True)
class OutcomeResult:
    """Everything computed for one outcome. Fields are None when the gates or the data rule them out."""

    spec: OutcomeSpec
    primary: bool
    descriptive: DescriptiveResult
    before_after: pd.DataFrame
    association: CorrelationResult | None = None
    within: CorrelationResult | None = None
    twfe: Estimate | None = None
    lags: intensity.LagResult | None = None
    did: DidResult | None = None
    headline: BusinessEffect | None = None
    headline_hours: BusinessEffect | None = None
    mde_business: float | None = None
    verdict: Verdict = "descriptive"
    rung: int = 1
    sentence: str = ""
    paragraph: str | None = None


@dataclass(frozen=True, slots=True)
class PValueRow:
    """One p-value shown in a report, raw and Benjamini–Hochberg-adjusted across the whole report."""

    outcome: str
    estimand: str
    pvalue: float
    pvalue_bh: float
    primary: bool


@dataclass(frozen=True)
class SuiteResult:
    outcomes: tuple[OutcomeResult, ...]
    pvalues: tuple[PValueRow, ...]
    gates: Gates
    cohorts: pd.Series
    adoption_definitions: tuple[str, str]
    gate_text: str
    warnings: tuple[str, ...]
    method_notes: tuple[str, ...] = field(default=METHOD_NOTES)

    def bh(self, outcome: str, estimand: str) -> float | None:
        """The BH-adjusted p-value of one estimand, or None when it was not shown."""
        return next((r.pvalue_bh for r in self.pvalues if r.outcome == outcome and r.estimand == estimand), None)


def prepare_weekly(weekly: pd.DataFrame, *, unit: str = "team", time: str = "week_index") -> pd.DataFrame:
    """Add what the models need if absent: ``week_index``, log exposures, ``adoption_share``.

    Accepts :func:`correlate.stats.grain.to_weekly` output and ``correlate.panel.build_panel(grain="week")``
    output (whose ``ai_active_users`` already counts distinct weekly-active people).

    Raises:
        InputError: no unit or time column, or no way to compute adoption_share.
    """
    d = weekly.copy()
    if unit not in d.columns:
        raise InputError(f"the weekly panel has no {unit!r} column", field=unit)
    if time not in d.columns:
        if "week" not in d.columns:
            raise InputError(f"the weekly panel has neither {time!r} nor 'week'", field=time)
        wk = pd.to_datetime(d["week"])
        d[time] = ((wk - wk.min()).dt.days // 7).astype(int)
    if "ai_weekly_active_users" not in d.columns and "ai_active_users" in d.columns and "week" in d.columns:
        # build_panel(grain="week") counts distinct AI-active people per week: that is weekly-active users
        d["ai_weekly_active_users"] = d["ai_active_users"]
    if "working_days" not in d.columns and "week" in d.columns:
        # Monday-Friday in the ISO week, capped by the days the window covers (holidays are not removed)
        monday = pd.to_datetime(d["week"]).to_numpy().astype("datetime64[D]")
        wd = np.busday_count(monday, monday + 7).astype(float)
        d["working_days"] = np.minimum(wd, d["days"]) if "days" in d.columns else wd
    with np.errstate(divide="ignore"):
        for col in ("dev_days", "working_days", "deployments"):
            if col in d.columns and f"log_{col}" not in d.columns:
                v = pd.to_numeric(d[col], errors="coerce")
                d[f"log_{col}"] = np.log(v.where(v > 0))
    if "adoption_share" not in d.columns:
        d["adoption_share"] = adoption_share(d)
    return d


def _business(spec: OutcomeSpec, est: Estimate, baseline: float) -> tuple[BusinessEffect, BusinessEffect | None, float]:
    """Headline in business units, hours (durations), and the MDE in the same unit and direction as the headline.

    Log-scale estimates (durations, and counts as ratios) become % changes with each end transformed, so
    an interval never passes -100%; proportions become percentage points (already clipped to what the
    definition allows). The MDE is on the same scale: for a decrease, 100 x (exp(-MDE) - 1).
    """
    from correlate.stats.results import ConfidenceInterval

    m = est.mde if est.mde is not None else math.nan
    if est.scale == "log":
        be = pct_change(est)
        hrs = hours(est, baseline) if spec.kind == "duration" and not math.isnan(baseline) else None
        return be, hrs, abs(100 * math.expm1(-m if est.statistic < 0 else m))
    if est.scale == "pp":
        return percentage_points(est), None, 100 * m
    # level ATT on a rate without a ratio (counterfactual not positive): % of the adopters' pre-period rate
    if not math.isnan(baseline) and baseline > 0:
        f = 100 / baseline
        return (BusinessEffect(est.statistic * f, ConfidenceInterval(est.ci.low * f, est.ci.high * f), "%", baseline,
                               "ATT / adopting teams' pre-period rate x 100"), None, m * f)
    return BusinessEffect(est.statistic, est.ci, spec.unit, None, "outcome units"), None, m


def run_suite(weekly: pd.DataFrame, config: AnalysisConfig, outcomes: Sequence[OutcomeSpec] = DEFAULT_OUTCOMES, *,
              primary: Sequence[str] = ("pr_cycle_time_h", "prs_merged_per_dev_week", "change_failure_rate",
                                        "deployments_per_week"),
              unit: str = "team", time: str = "week_index", robustness_reps: int = 99) -> SuiteResult:
    """Run sections A-E, the gates, BH and wording for every outcome present in ``weekly``.

    Args:
        weekly: team x week panel (``correlate.stats.grain.to_weekly`` output or ``build_panel(grain="week")``).
        config: the ``[analysis]`` section (``AnalysisConfig``: adoption_threshold, adoption_sustain,
            control_group, anticipation_weeks, bootstrap_reps, seed).
        outcomes: outcome specs; those whose column is absent are skipped with a warning.
        primary: outcome names declared primary in config (``report.primary_outcomes``).
        robustness_reps: cluster-bootstrap draws for the imputation estimator's SE (a robustness check;
            99 keeps the Monte-Carlo error of the SE near 7% and is most of the suite's run time).
    """
    # The models are thousands of small (weeks x weeks) matrix products: BLAS threads cost more in
    # hand-offs than they gain, and on a busy 2-core machine a draw took 48 ms instead of 5 ms.
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_suite(weekly, config, outcomes, primary=primary, unit=unit, time=time,
                          robustness_reps=robustness_reps)


def _run_suite(weekly: pd.DataFrame, config: AnalysisConfig, outcomes: Sequence[OutcomeSpec], *,
               primary: Sequence[str], unit: str, time: str, robustness_reps: int) -> SuiteResult:
    cfg = config
    notes: list[str] = []
    d = prepare_weekly(weekly, unit=unit, time=time)
    threshold = float(cfg.adoption_threshold)
    sustain = cfg.adoption_sustain
    reps = int(cfg.bootstrap_reps)
    seed = int(cfg.seed)
    control = str(cfg.control_group)
    antic = int(cfg.anticipation_weeks)
    d = _maturity(d, cfg, notes)
    cohorts = adoption_week(d, threshold=threshold, sustain=sustain, unit=unit, time=time)
    d["adoption_cohort"] = d[unit].map(cohorts)
    n_weeks = int(d[time].nunique())
    gates = evaluate(cohorts, n_weeks, float(d[time].min()))
    if control == "never" and gates.n_control == 0 and gates.level != "descriptive":
        notes.append("control_group = 'never' but every team adopts; using not-yet-adopted teams as controls instead")
        control = "not_yet"
    allowed = gates.pvalues_allowed
    wild = reps if gates.level == "exploratory" else 0

    results: list[OutcomeResult] = []
    # (index in results, headline estimate, its estimand in the BH table, baseline)
    pending: list[tuple[int, Estimate, str, float]] = []
    for spec in outcomes:
        if spec.column not in d.columns or (spec.exposure and spec.exposure not in d.columns) or (
                spec.trials and spec.trials not in d.columns):
            notes.append(f"{spec.name}: column {spec.column!r} (or its exposure) is not in the panel; skipped")
            continue
        desc = describe(d, spec, unit=unit)
        ba = before_after(d, spec, cohorts, unit=unit, time=time)
        is_primary = spec.name in primary
        if desc.n == 0:
            notes.append(f"{spec.name}: no observed weeks; skipped")
            continue
        if not allowed:
            results.append(OutcomeResult(spec, is_primary, desc, ba, verdict="descriptive", rung=1,
                                         sentence=f"{spec.label}: median {desc.median:.2f} {spec.unit} "
                                                  f"(IQR {desc.q25:.2f}-{desc.q75:.2f}; {desc.n} team-weeks).",
                                         paragraph=insufficient_paragraph(gates)))
            continue
        level = did_outcome(d, spec)
        d["_y"] = level
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assoc = association.between_team(d, "adoption_share", "_y", unit=unit, reps=reps, seed=seed)
            within = association.rm_corr(d, "adoption_share", "_y", unit=unit)
        notes.extend(f"{spec.name}: {w.message}" for w in caught)
        within = CorrelationResult(within.method, within.statistic, None,
                                   association.rm_corr_cluster_ci(d, "adoption_share", "_y", unit=unit, reps=reps,
                                                                  seed=seed),
                                   within.n, within.n_units, within.df, None, "team cluster bootstrap", 2,
                                   within.null)
        twfe = lags = None
        try:
            twfe = intensity.intensity_model(d, spec, unit=unit, time=time, wild_reps=wild, seed=seed,
                                             pvalues_allowed=allowed)
            lags = intensity.distributed_lags(d, spec, unit=unit, time=time, pvalues_allowed=allowed)
        except AnalysisError as exc:
            notes.append(f"{spec.name}: intensity model not estimable: {exc}")
        didres = None
        pre = d[d["adoption_cohort"].notna() & (d[time] < d["adoption_cohort"])]
        # durations: pre-period median hours; counts and rates: pre-period mean (medians of sparse rates are 0)
        if spec.kind == "duration":
            baseline = float(np.exp(level[pre.index].median())) if len(pre) else math.nan
        else:
            baseline = float(level[pre.index].mean()) if len(pre) else math.nan
        try:
            didres = did.callaway_santanna(
                d.assign(_cohort=d["adoption_cohort"]), "_y", unit=unit, time=time, cohort="adoption_cohort",
                control=control, anticipation=antic, boot_reps=reps, seed=seed,  # type: ignore[arg-type]
                scale="log" if spec.kind == "duration" else ("pp" if spec.kind == "rate" else "level"),
                outcome_name=spec.name, pvalues_allowed=allowed, robust_reps=robustness_reps, baseline=baseline,
                exploratory=gates.level == "exploratory", ratio=spec.kind == "count")
            notes.extend(f"{spec.name}: {w}" for w in didres.warnings)
        except AnalysisError as exc:
            notes.append(f"{spec.name}: staggered DiD not estimable: {exc}")
        # counts are positive quantities: their headline is the ratio (a % that cannot pass -100%)
        head_est = (didres.att_ratio or didres.att_group) if didres else twfe
        if head_est is not None:  # its verdict waits for the report-wide BH adjustment below
            pending.append((len(results), head_est, "did_att_group" if didres else "twfe_intensity", baseline))
        results.append(OutcomeResult(spec, is_primary, desc, ba, assoc, within, twfe, lags, didres))

    rows: list[tuple[str, str, float, bool]] = []
    for r in results:
        cands: list[tuple[str, float | None]] = [
            ("association_between_teams", r.association.pvalue if r.association else None),
            ("twfe_intensity", r.twfe.pvalue if r.twfe else None),
            ("twfe_lags_cumulative", r.lags.cumulative.pvalue if r.lags else None),
            ("did_att_group", (r.did.att_ratio or r.did.att_group).pvalue if r.did else None),
        ]
        if r.did:
            cands += [(e.term, e.pvalue) for e in r.did.robustness if e.term == "att_imputation"]
        rows += [(r.spec.name, k, float(p), r.primary) for k, p in cands if p is not None and not math.isnan(p)]
    adj = bh_adjust([p for *_, p, _ in rows])
    pv = tuple(PValueRow(o, k, p, float(a), pr) for (o, k, p, pr), a in zip(rows, adj, strict=True)
               if a is not None)
    for i, est, estimand, baseline in pending:
        r = results[i]
        p_bh = next((row.pvalue_bh for row in pv if row.outcome == r.spec.name and row.estimand == estimand), None)
        results[i] = _verdict(r, r.spec, est, baseline, gates, control, p_bh=p_bh, m=len(pv))
    return SuiteResult(tuple(results), pv, gates, cohorts,
                       (adoption_share_definition(), adoption_week_definition(threshold, sustain)),
                       GATE_TEXT, tuple(notes))


def _maturity(d: pd.DataFrame, cfg: AnalysisConfig, notes: list[str]) -> pd.DataFrame:
    """Blank duration outcomes of the most recent weeks (maturity window, docs/statistics.md §2.5).

    ``maturity_days`` from config, else the p90 of weekly median cycle time over the first half of the
    window (a lower bound of the PR-level p90 the method names: weekly medians are less spread).
    """
    if "week" not in d.columns:
        return d
    weeks = pd.to_datetime(d["week"])
    if cfg.maturity_days is not None:
        days = int(cfg.maturity_days)
    elif "pr_cycle_time_h_median" in d.columns:
        early = weeks <= weeks.min() + (weeks.max() - weeks.min()) / 2
        days = maturity_days(d.loc[early, "pr_cycle_time_h_median"])
    else:
        return d
    cutoff = (weeks.max() + pd.Timedelta(days=7)).date()
    notes.append(f"maturity window: duration outcomes of weeks ending within {days} days of {cutoff} are left out "
                 "(PRs still open there would bias recent medians downwards)")
    return apply_maturity(d, cutoff=cutoff, days=days)


def _verdict(res: OutcomeResult, spec: OutcomeSpec, est: Estimate, baseline: float, gates: Gates,
             control: str, *, p_bh: float | None = None, m: int = 0) -> OutcomeResult:
    """Headline, sentence and verdict, decided here for every view of the report.

    "detected" needs the interval to exclude zero and, when the estimate has a report-wide BH-adjusted p-value,
    that to be <= 0.05; an interval that excludes zero with a BH p above 0.05 is "not_after_correction" (the
    interval and the raw p agree, the correction for testing many estimates does not let it count). Only an
    interval that includes zero is "inconclusive" and gets the MDE paragraph: the MDE says what the design could
    reliably see, the interval what it saw, so the MDE is never offered against an interval that excludes zero."""
    from dataclasses import replace

    be, hrs, mde_b = _business(spec, est, baseline)
    did_res = res.did
    rung = did_res.rung if did_res is not None and est.term in ("att_group", "att_ratio") else est.rung
    reason = did_res.rung_reason if did_res is not None else ""
    inside = est.ci.contains(0.0) or math.isnan(est.ci.low)
    if est.term == "adoption_share":
        sentence = intensity_sentence(spec.label, be.value, be.ci.low, be.ci.high, be.unit, n_units=gates.n_units)
    else:
        sentence = effect_sentence(spec.label, be.value, be.ci.low, be.ci.high, be.unit, rung=rung, control=control,
                                   n_units=gates.n_units, n_adopting=gates.n_adopting, reason=reason)
    paragraph = None
    verdict: Verdict = "detected"
    if inside:
        verdict = "inconclusive"
        mde_h = baseline * math.expm1(-(est.mde or math.nan) if est.statistic < 0 else (est.mde or math.nan)) \
            if spec.kind == "duration" and est.mde else None
        paragraph = inconclusive_paragraph(G=gates.n_units, adopting=gates.n_adopting, comparison=gates.n_control,
                                           weeks=gates.n_weeks, mde_pct=mde_b, est_pct=be.value, lo=be.ci.low,
                                           hi=be.ci.high, mde_hours=mde_h, unit=be.unit, label=spec.label)
    elif p_bh is not None and p_bh > BH_ALPHA:
        verdict = "not_after_correction"
        paragraph = multiplicity_paragraph(est_pct=be.value, lo=be.ci.low, hi=be.ci.high, unit=be.unit, p_bh=p_bh,
                                           m=m)
    return replace(res, headline=be, headline_hours=hrs, mde_business=mde_b, verdict=verdict, rung=rung,
                   sentence=sentence, paragraph=paragraph)
