"""Method notes a report prints: what was done, with which package, and where the engine deviates from
``docs/statistics.md`` and why. Plain text; the report decides the layout."""

from __future__ import annotations

__all__ = ["METHOD_NOTES"]

METHOD_NOTES: tuple[str, ...] = (
    "Grain: team x ISO week. Counts are modelled with log exposure offsets (developer-days for PRs, working days "
    "for deployments, deployments for incidents), never pre-divided ratios.",
    "Headline estimator: Callaway & Sant'Anna (2021) group-aggregated ATT (R did aggte(type='group')), outcome "
    "regression without covariates. Deviation: the engine computes it with its own closed-form implementation "
    "(correlate/stats/cs.py) instead of calling the differences package directly, because differences spends "
    "25-50 ms of bookkeeping per cohort x week cell (minutes per outcome on weekly panels). The implementation "
    "reproduces R did 2.5.1's published mpdta numbers and matches differences 0.3.0 (kept pinned and run in the "
    "tests as the reference) to 1e-10 on every ATT(g,t), aggregate and standard error. On an unbalanced panel each "
    "cell uses the teams observed in both of its weeks. The control group is printed next to every estimate. "
    "Standard errors are analytic (influence function, clustered by team); inference uses t with G-1 df.",
    "Event-study bands are simultaneous 95% bands from a multiplier bootstrap over teams (Mammen weights, "
    "IQR-based SEs, sup-t critical value, as R did's mboot). They were not verified against R did's uniform bands "
    "(docs/statistics.md §8); the band type is labelled on each point.",
    "Pre-trends: a pre-adoption event-study band that excludes zero downgrades the DiD result to an association "
    "(evidence rung 2). This is a diagnostic, not a test that parallel trends hold (Roth 2022).",
    "Robustness: the imputation estimator (Borusyak, Jaravel & Spiess 2024) is computed by hand on the engine's "
    "fixed-effects core; deviation: its SE comes from a team cluster bootstrap instead of the BJS analytic formula "
    "(simpler, and adequate for a robustness check). Sun-Abraham is not computed separately: with never-treated "
    "controls and no covariates its cohort x period effects equal the CS ATT(g,t) shown. The naive TWFE on a "
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
    "Teams 5-14 (exploratory): linear TWFE p-values come from a wild cluster restricted bootstrap (Webb weights when "
    "G < 12); Poisson and binomial models keep CRV1 t(G-1) p-values, labelled exploratory (no nonlinear wild "
    "bootstrap is implemented).",
    "Minimum detectable effect: (t_0.975,G-1 + t_0.80,G-1) x SE from each estimate's own SE. The placebo-"
    "simulation MDE (§3.J) is not computed.",
    "Multiple comparisons: Benjamini-Hochberg across every p-value shown (between-team association, TWFE, cumulative "
    "lags, CS group ATT, imputation), raw and adjusted side by side. Event studies use bands, not per-point p-values.",
    "Adoption gate: 'fewer than 4 pre-adoption weeks' is read as the periods before the median adopting team's "
    "adoption (the method leaves it open; the earliest cohort alone would let one early team veto the analysis).",
    "Pre-trend diagnostic: only the 8 weeks before adoption are checked, because far-out event times rest on one or "
    "two early cohorts.",
    "Counts in the DiD are per-exposure rates (PRs per developer-week, deployments per working week, incidents per "
    "100 deployments); their ATT is converted to % of the adopting teams' pre-adoption mean rate. Proportions "
    "(change failure rate) are analysed as weekly shares, effects in percentage points.",
    "Durations from a daily table are weekly medians of daily medians weighted by each day's events (exact medians "
    "need event-level rows). Duration outcomes of weeks younger than the maturity window are blanked so that "
    "still-open PRs do not manufacture a recent speed-up.",
)
