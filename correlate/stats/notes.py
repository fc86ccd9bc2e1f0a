"""Method notes a report prints: what was done, with which package, and where the engine deviates from
``docs/statistics.md`` and why. Plain text; the report decides the layout."""

from __future__ import annotations

__all__ = ["METHOD_NOTES"]

METHOD_NOTES: tuple[str, ...] = (
    "Grain: team x ISO week. Counts are modelled with log exposure offsets (developer-days for PRs, working days "
    "for deployments, deployments for incidents), never pre-divided ratios.",
    "Headline estimator: Callaway & Sant'Anna (2021) group-aggregated ATT (R did aggte(type='group')), outcome "
    "regression without covariates, computed with the engine's closed-form implementation (correlate/stats/cs.py) "
    "instead of the differences package (25-50 ms of bookkeeping per cohort x week cell). In R did's variance "
    "convention it reproduces R did 2.5.1's published mpdta numbers and differences 0.3.0 to 1e-10. Deviation, "
    "for small and unbalanced panels: each side of a cohort x week comparison contributes its variance with the "
    "n-1 divisor, a side with a single team (a one-team adoption cohort) carries its deviation from the other "
    "side's mean (R gives it exactly zero variance), and inference is conditional on the realised adoption "
    "cohorts (R's weight-estimation term is left out). On an unbalanced panel each cell uses the "
    "teams observed in both of its weeks. The control group is printed next to every estimate.",
    "Inference: 15 or more teams: analytic influence-function SEs clustered by team with t(G-1). 5-14 teams: the "
    "headline's p-value and interval both come from one wild cluster restricted bootstrap-t (null imposed, Webb "
    "six-point weights below 12 teams, Rademacher otherwise), so they always agree on which side of zero the "
    "change lies. The minimum detectable effect uses the same critical value and is on the same scale as the "
    "headline; an interval that excludes zero is never called inconclusive because of it.",
    "TWFE on adoption intensity with 5-14 teams: linear models get a wild cluster restricted bootstrap-t (Webb "
    "weights when G < 12) for both the p-value and the interval; Poisson and binomial models keep CRV1 t(G-1), "
    "labelled exploratory (no nonlinear wild bootstrap is implemented).",
    "Positive quantities: counts per exposure (merged PRs per developer-week, deployments per working week, "
    "incidents per 100 deployments) are reported as a ratio, the adopting teams' mean over its counterfactual "
    "(log scale, delta method), so a % interval cannot pass -100%; durations are analysed on the log scale; "
    "proportions in percentage points, with the interval cut to the -100 to +100 points a change in a share can "
    "take (never past its own estimate).",
    "Event-study charts compare every week with the last week before adoption (universal base period; the "
    "reference week is 0 by construction) and show only the weeks where at least half of the adopting teams "
    "contribute; the axis is bounded and wide far-out bands are cut at its edge (the table keeps every number). "
    "Bands are simultaneous 95% bands from a multiplier bootstrap over teams (Mammen weights, sup-t, as R did's "
    "mboot), not verified against R did's uniform bands (docs/statistics.md §8).",
    "Parallel trends (Roth 2022): a joint F test on the 6 weeks before the reference week and a linear-slope t "
    "test over up to 16 weeks, Bonferroni-combined (size 5%), with the power of that check against a stated trend: "
    "the slope that would bias the first 8 weeks' change by its minimum detectable effect. The full-grid Wald "
    "pre-test (R did's, 0.16812 on mpdta) is no longer computed: on weekly panels its covariance has far lower "
    "rank than its size and it rejected half of all null panels.",
    "Sensitivity (Rambachan & Roth 2023, relative magnitudes): the change over the first 8 weeks after adoption is "
    "bounded assuming the comparison may drift after adoption by up to Mbar times its largest one-step drift "
    "before adoption (steps of 4 weeks on weekly panels); the robust interval and the breakdown Mbar are shown. "
    "Deviation: the interval is diff-diff 3.13.0's construction (identified set from the estimated largest "
    "pre-adoption step, widened by the t interval), not R HonestDiD's conditional least-favourable test.",
    "Evidence rung: a difference-in-differences is worded as an estimated effect (rung 4) only when the pre-trend "
    "check does not reject, had at least 80% power against the stated trend, and the short-run change survives "
    "Mbar = 1; otherwise it is worded as an association (rung 2) and one sentence says which condition failed.",
    "Robustness: the imputation estimator (Borusyak, Jaravel & Spiess 2024) is computed by hand on the engine's "
    "fixed-effects core; deviation: its SE comes from a team cluster bootstrap (99 draws in reports, 199 in "
    "`correlate analyze`) instead of the BJS analytic formula (simpler, and adequate for a robustness check). "
    "Sun-Abraham is not computed separately: with never-treated controls and no covariates its cohort x period "
    "effects equal the CS ATT(g,t) shown. The naive TWFE on a "
    "post-adoption dummy is shown only as a diagnostic of staggered-adoption bias.",
    "Fixed-effects models (TWFE on adoption intensity, PPML, binomial) use one numerical core (alternating "
    "projections, IRLS) instead of pyfixest/linearmodels, to avoid two fast-moving dependencies. Small-sample "
    "convention: CRV1 with G/(G-1) x (N-1)/(N-K), K excluding fixed effects nested in the team cluster (fixest's "
    "default; 0.01326 on mpdta vs fixest 0.01327); statsmodels LSDV and linearmodels give ~12% larger SEs because "
    "they count every team dummy.",
    "Rates (change failure rate) use a binomial logit with team and week effects; teams whose rate is 0% or 100% "
    "in every week carry no within-team information and drop out (counted in warnings). Slopes are shown in "
    "percentage points as average marginal effects, with the SE scaled by the same factor (delta-method "
    "simplification).",
    "Within-team association: repeated-measures correlation (Bakdash & Marusich 2017) with a team cluster-bootstrap "
    "interval; its inference is carried by the TWFE slope, so no separate p-value is shown for it.",
    "Minimum detectable effect: (t_0.975,G-1 + t_0.80,G-1) x SE from each estimate's own SE. The placebo-"
    "simulation MDE (§3.J) is available (correlate.stats.placebo.placebo_power) but not run by default in reports "
    "(it refits the estimator about 200 times per outcome).",
    "Multiple comparisons: Benjamini-Hochberg across every p-value shown (between-team association, TWFE, cumulative "
    "lags, CS group ATT, imputation), raw and adjusted side by side. Event studies use bands, not per-point p-values. "
    "Intervals are not adjusted: one that excludes zero while its adjusted p-value is above 0.05 is reported as a "
    "change that does not survive the correction, not as 'no detectable change'.",
    "Adoption gate: 'fewer than 4 pre-adoption weeks' is read as the periods before the median adopting team's "
    "adoption (the method leaves it open; the earliest cohort alone would let one early team veto the analysis).",
    "Durations from a daily table are weekly medians of daily medians weighted by each day's events (exact medians "
    "need event-level rows). Duration outcomes of weeks younger than the maturity window are blanked so that "
    "still-open PRs do not manufacture a recent speed-up.",
)
