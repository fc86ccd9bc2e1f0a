"""Section B: rank association between teams and within teams, with intervals that respect teams.

* :func:`between_team` — one row per team (team medians over the same window), Spearman rho,
  bootstrap over teams (BCa; percentile above 500 teams), and a permutation p-value when there are
  fewer than 10 teams.
* :func:`rm_corr` — repeated-measures correlation (Bakdash & Marusich 2017): the within-team
  correlation from an ANCOVA with team intercepts, df = N - G - 1.
* :func:`cluster_bootstrap` — resample whole teams, for any statistic of pooled team-weeks
  (``scipy.stats.bootstrap`` resamples rows i.i.d. and would ignore the clustering).

All of these are descriptive (evidence rungs 1 and 2): they say what moves together, not why.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from correlate.errors import InsufficientDataWarning
from correlate.stats.results import NAN_CI, ConfidenceInterval, CorrelationResult

__all__ = ["between_team", "cluster_bootstrap", "rm_corr", "rm_corr_cluster_ci"]

PERMUTATION_BELOW = 10
BCA_MAX_TEAMS = 500  # above this many teams the between-team interval is a percentile bootstrap


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(stats.spearmanr(x, y).statistic)


def _spearman_vec(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman rho along ``axis`` for stacked resamples (Pearson of average ranks); NaN without variation."""
    rx = stats.rankdata(x, axis=axis)
    ry = stats.rankdata(y, axis=axis)
    rx = rx - rx.mean(axis=axis, keepdims=True)
    ry = ry - ry.mean(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho: np.ndarray = (rx * ry).sum(axis=axis) / np.sqrt((rx**2).sum(axis=axis) * (ry**2).sum(axis=axis))
    return rho


def between_team(data: pd.DataFrame, x: str, y: str, *, unit: str = "team", reps: int = 999, seed: int = 1,
                 pvalues: bool = True) -> CorrelationResult:
    """Spearman correlation of team medians of ``x`` and ``y`` (one row per team, n = G).

    The CI is a BCa bootstrap over teams (valid: rows are teams; a percentile bootstrap above
    :data:`BCA_MAX_TEAMS` teams, where BCa's n² jackknife dominates). The p-value is from an exact or
    Monte-Carlo permutation test when G < 10 (the t approximation is poor there), otherwise scipy's
    asymptotic one. ``pvalues=False`` (thin-data gate) returns ``pvalue=None``.

    Examples:
        >>> r = between_team(panel, "adoption_share", "log_cycle")
        >>> r.statistic, r.ci.low, r.ci.high, r.n
    """
    teams = data.groupby(unit)[[x, y]].median().dropna()
    n = len(teams)
    xv, yv = teams[x].to_numpy(float), teams[y].to_numpy(float)
    rho = _spearman(xv, yv) if n >= 3 else math.nan
    if math.isnan(rho):
        warnings.warn(InsufficientDataWarning(f"between-team correlation of {x} and {y} not computed: {n} teams "
                                              "with data, and it needs at least 3 that differ on both"),
                      stacklevel=2)
        return CorrelationResult("Spearman (between teams)", rho, None, NAN_CI, n, n, rung=1)
    ci, ci_method = NAN_CI, "BCa bootstrap over teams"
    with warnings.catch_warnings():
        # a degenerate resample (all ties) gives NaN, reported as an unavailable interval instead of a crash
        warnings.simplefilter("ignore")
        # BCa's jackknife ranks n resamples of n - 1 teams (n² work: most of the suite at 2,000 teams),
        # and its correction vanishes as n grows; large organisations get the percentile interval
        for method in ("BCa", "percentile") if n <= BCA_MAX_TEAMS else ("percentile",):
            try:
                res = stats.bootstrap((xv, yv), _spearman_vec, paired=True, vectorized=True, n_resamples=reps,
                                      method=method, rng=np.random.default_rng(seed))
            except (ValueError, FloatingPointError):
                continue
            lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
            if not (math.isnan(lo) or math.isnan(hi)):
                # BCa is undefined when every resample gives the same rho (e.g. a perfect rank order)
                ci, ci_method = ConfidenceInterval(lo, hi), f"{method} bootstrap over teams"
                break
    pvalue: float | None = None
    pmethod: str | None = None
    if pvalues:
        if n < PERMUTATION_BELOW:
            perm = stats.permutation_test((xv,), lambda a, axis=-1: _spearman_vec(a, np.broadcast_to(yv, a.shape),
                                                                                  axis=axis),
                                          permutation_type="pairings", vectorized=True, n_resamples=9999,
                                          rng=np.random.default_rng(seed))
            pvalue, pmethod = float(perm.pvalue), "permutation test (pairings)"
        else:
            pvalue, pmethod = float(stats.spearmanr(xv, yv).pvalue), "t approximation"
    return CorrelationResult("Spearman (between teams)", rho, pvalue, ci, n, n, pvalue_method=pmethod,
                             ci_method=ci_method if not math.isnan(ci.low) else None, rung=1)


def rm_corr(data: pd.DataFrame, x: str, y: str, *, unit: str = "team") -> CorrelationResult:
    """Repeated-measures correlation (within-unit), Bakdash & Marusich (2017).

    Equals the partial correlation of x and y given unit intercepts; df = N - G - 1; p from t;
    CI from Fisher's z with n = df + 2 (as R ``rmcorr`` and pingouin). The parametric p-value
    treats weeks as independent; the engine's suite pairs it with a cluster-bootstrap interval.

    References: Bakdash, J. Z. & Marusich, L. R. (2017), Front. Psychol. 8:456. Validated against
    R ``rmcorr`` (R9: r = -0.5068, df = 38, p = 0.00085 on Bland & Altman 1995).
    """
    d = data[[unit, x, y]].dropna()
    d = d[d.groupby(unit)[x].transform("size") >= 2]
    G, N = d[unit].nunique(), len(d)
    dof = N - G - 1
    if dof < 2:
        return CorrelationResult("repeated-measures correlation", math.nan, None, NAN_CI, N, G, df=dof, rung=2)
    xd = d[x] - d.groupby(unit)[x].transform("mean")
    yd = d[y] - d.groupby(unit)[y].transform("mean")
    sxx, syy = float((xd**2).sum()), float((yd**2).sum())
    if sxx == 0 or syy == 0:
        return CorrelationResult("repeated-measures correlation", math.nan, None, NAN_CI, N, G, df=dof, rung=2)
    r = float((xd * yd).sum() / math.sqrt(sxx * syy))
    t = r * math.sqrt(dof / max(1 - r * r, 1e-300))
    p = float(2 * stats.t.sf(abs(t), dof))
    z, se = math.atanh(max(min(r, 1 - 1e-15), -1 + 1e-15)), 1 / math.sqrt(dof - 1)
    q = stats.norm.ppf(0.975)
    ci = ConfidenceInterval(math.tanh(z - q * se), math.tanh(z + q * se))
    return CorrelationResult("repeated-measures correlation", r, p, ci, N, G, df=dof, pvalue_method="t(N-G-1)",
                             ci_method="Fisher z", rung=2, null="no within-team linear association")


def cluster_bootstrap(data: pd.DataFrame, stat: Callable[[pd.DataFrame], float], *, unit: str = "team",
                      reps: int = 999, seed: int = 1, level: float = 0.95) -> tuple[ConfidenceInterval, np.ndarray]:
    """Percentile interval of ``stat`` when whole units (teams) are resampled with replacement.

    A resampled team that appears twice enters as two distinct teams (renamed), so statistics that
    use team intercepts stay correct. With fewer than 10 teams a percentile interval is unreliable:
    print G next to it.

    Returns:
        (interval, the bootstrap draws).
    """
    rng = np.random.default_rng(seed)
    codes = pd.factorize(data[unit], sort=True)[0]
    rows = [np.flatnonzero(codes == k) for k in range(int(codes.max()) + 1)]
    G = len(rows)
    draws = np.empty(reps)
    for b in range(reps):
        pick = rng.integers(0, G, G)
        idx = np.concatenate([rows[k] for k in pick])
        sample = data.iloc[idx].assign(**{unit: np.repeat(np.arange(G), [len(rows[k]) for k in pick])})
        draws[b] = stat(sample)
    a = (1 - level) / 2
    if np.isnan(draws).all():
        return NAN_CI, draws
    lo, hi = np.nanpercentile(draws, [100 * a, 100 * (1 - a)])
    return ConfidenceInterval(float(lo), float(hi), level), draws


def rm_corr_cluster_ci(data: pd.DataFrame, x: str, y: str, *, unit: str = "team", reps: int = 999, seed: int = 1,
                       level: float = 0.95) -> ConfidenceInterval:
    """Team cluster-bootstrap percentile interval for :func:`rm_corr`, computed from per-team sums.

    Within-team centring does not change when whole teams are resampled, so each draw only
    reweights the per-team sums of squares and cross-products; this makes 999 draws over 1,000
    teams take milliseconds. The interval respects autocorrelation within a team, which the Fisher
    interval of :func:`rm_corr` does not.
    """
    d = data[[unit, x, y]].dropna()
    d = d[d.groupby(unit)[x].transform("size") >= 2]
    if d[unit].nunique() < 3:
        return NAN_CI
    xd = d[x] - d.groupby(unit)[x].transform("mean")
    yd = d[y] - d.groupby(unit)[y].transform("mean")
    sums = pd.DataFrame({unit: d[unit], "xx": xd * xd, "yy": yd * yd, "xy": xd * yd}).groupby(unit).sum()
    S = sums.to_numpy()
    G = len(S)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(G, np.full(G, 1 / G), size=reps).astype(float)
    tot = counts @ S
    with np.errstate(invalid="ignore", divide="ignore"):
        r = tot[:, 2] / np.sqrt(tot[:, 0] * tot[:, 1])
    if np.isnan(r).all():
        return NAN_CI
    a = (1 - level) / 2
    lo, hi = np.nanpercentile(r, [100 * a, 100 * (1 - a)])
    return ConfidenceInterval(float(lo), float(hi), level)
