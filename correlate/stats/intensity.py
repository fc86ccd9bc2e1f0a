"""Section C: two-way fixed effects on continuous adoption intensity (within team, relative to the same week).

For each outcome the likelihood follows :mod:`correlate.stats.outcomes` (PPML with offset for
counts, binomial for rates, log-linear for durations), with team and week fixed effects, CRV1
standard errors clustered by team and t(G-1) inference. :func:`distributed_lags` adds lags 0-4 and
two leads (a placebo that should be about zero) and reports the cumulative lag sum.

Evidence rung 2: intensity is endogenous to workload (busy weeks bring both more AI sessions and
more PRs), and with a continuous dose the TWFE slope is a weighted average that can put negative
weight on some comparisons (de Chaisemartin & D'Haultfœuille 2020; Callaway, Goodman-Bacon &
Sant'Anna 2024). It is association, secondary to the staggered DiD in :mod:`correlate.stats.did`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from correlate.stats.fixed_effects import FeFit, demean, fe_fit
from correlate.stats.outcomes import OutcomeSpec
from correlate.stats.power import mde
from correlate.stats.results import ConfidenceInterval, Estimate

__all__ = ["LagResult", "distributed_lags", "estimate_from_fit", "intensity_model", "wild_cluster_pvalue",
           "wild_cluster_test"]


@dataclass(frozen=True, slots=True)
class LagResult:
    """Distributed lags 0..L of intensity plus leads (placebo), and their cumulative sum."""

    outcome: str
    lags: tuple[Estimate, ...]
    leads: tuple[Estimate, ...]
    cumulative: Estimate


def _family(spec: OutcomeSpec) -> tuple[str, str | None, str | None, str]:
    if spec.kind == "count":
        return "poisson", spec.exposure, None, "log"
    if spec.kind == "rate":
        return "binomial", None, spec.trials, "pp"
    if spec.kind == "duration":
        return "gaussian", None, None, "log"
    return "gaussian", None, None, "level"


def _model_frame(weekly: pd.DataFrame, spec: OutcomeSpec) -> tuple[pd.DataFrame, str]:
    d = weekly.copy()
    if spec.kind == "duration":
        v = pd.to_numeric(d[spec.column], errors="coerce")
        d["_y"] = np.log(v.where(v > 0))
    else:
        d["_y"] = pd.to_numeric(d[spec.column], errors="coerce")
    return d, "_y"


def estimate_from_fit(fit: FeFit, term: str, *, method: str, scale: str, rung: int = 2,
                      pvalue: float | None = None, inference: str | None = None,
                      pvalues_allowed: bool = True, crit: float | None = None) -> Estimate:
    """An :class:`Estimate` for ``term`` of ``fit`` (binomial slopes become proportion points via the AME factor)."""
    b, se = float(fit.params[term]), float(fit.bse[term])
    if fit.family == "binomial":
        # average marginal effect: beta x mean p(1-p) (treating the factor as fixed; delta-method simplification)
        b, se = b * fit.mean_dmu_deta, se * fit.mean_dmu_deta
    q = float(stats.t.ppf(0.975, fit.df)) if crit is None else crit
    p = float(2 * stats.t.sf(abs(b / se), fit.df)) if se > 0 else math.nan
    return Estimate(method, term, b, se, (pvalue if pvalue is not None else p) if pvalues_allowed else None,
                    ConfidenceInterval(b - q * se, b + q * se), fit.n, fit.n_clusters, fit.df,
                    scale=scale, mde=float((q + stats.t.ppf(0.8, fit.df)) * se), rung=rung,  # type: ignore[arg-type]
                    inference=inference or "CRV1 cluster-robust by team, t(G-1)")


def intensity_model(weekly: pd.DataFrame, spec: OutcomeSpec, *, x: str = "adoption_share", unit: str = "team",
                    time: str = "week_index", wild_reps: int = 0, seed: int = 1,
                    pvalues_allowed: bool = True) -> Estimate:
    """TWFE of ``spec`` on ``x`` with team and week fixed effects, team-clustered.

    ``wild_reps > 0`` (exploratory gate, 5 <= G < 15) replaces the p-value of a linear model by a
    wild cluster restricted bootstrap p-value (Webb 6-point weights when G < 12, else Rademacher).
    """
    d, yname = _model_frame(weekly, spec)
    family, offset, trials, scale = _family(spec)
    fit = fe_fit(d, yname, [x], fe=[unit, time], cluster=unit, family=family,  # type: ignore[arg-type]
                 offset=offset, trials=trials)
    p = crit = None
    inference = None
    if wild_reps and family == "gaussian":
        p, crit = wild_cluster_test(d, yname, [x], x, fe=[unit, time], cluster=unit, reps=wild_reps, seed=seed)
        inference = (f"wild cluster restricted bootstrap-t ({wild_reps} reps): p-value and interval from the same "
                     "draws")
    return estimate_from_fit(fit, x, method=f"TWFE {family} on {x}", scale=scale, pvalue=p, inference=inference,
                             pvalues_allowed=pvalues_allowed, crit=crit)


def _shifted(d: pd.DataFrame, x: str, unit: str, time: str, k: int) -> pd.Series:
    """x at time t - k for the same team (k < 0: a lead); NaN when that week is absent."""
    src = d[[unit, time, x]].copy()
    src[time] = src[time] + k
    return d[[unit, time]].merge(src, on=[unit, time], how="left")[x].set_axis(d.index)


def distributed_lags(weekly: pd.DataFrame, spec: OutcomeSpec, *, x: str = "adoption_share", lags: int = 4,
                     leads: int = 2, unit: str = "team", time: str = "week_index",
                     pvalues_allowed: bool = True) -> LagResult:
    """TWFE with ``x`` at lags 0..``lags`` and leads 1..``leads``; cumulative = sum of lags 0..L (SE from vcov)."""
    d, yname = _model_frame(weekly, spec)
    terms: list[str] = []
    for k in range(-leads, lags + 1):
        name = f"{x}_l{k}" if k >= 0 else f"{x}_f{-k}"
        d[name] = _shifted(d, x, unit, time, k)
        terms.append(name)
    family, offset, trials, scale = _family(spec)
    fit = fe_fit(d, yname, terms, fe=[unit, time], cluster=unit, family=family,  # type: ignore[arg-type]
                 offset=offset, trials=trials)
    ests = {t: estimate_from_fit(fit, t, method=f"distributed-lag TWFE {family}", scale=scale,
                                 pvalues_allowed=pvalues_allowed) for t in terms}
    lag_terms = [t for t in terms if "_l" in t[len(x):]]
    b, se = fit.combination({t: 1.0 for t in lag_terms})
    if fit.family == "binomial":
        b, se = b * fit.mean_dmu_deta, se * fit.mean_dmu_deta
    q = float(stats.t.ppf(0.975, fit.df))
    cum = Estimate(f"cumulative lags 0-{lags} TWFE {family}", f"sum({x}_l0..l{lags})", b, se,
                   float(2 * stats.t.sf(abs(b / se), fit.df)) if pvalues_allowed and se > 0 else None,
                   ConfidenceInterval(b - q * se, b + q * se), fit.n, fit.n_clusters, fit.df, scale=scale,  # type: ignore[arg-type]
                   mde=mde(se, fit.df).mde, rung=2)
    return LagResult(spec.name, tuple(ests[t] for t in lag_terms),
                     tuple(ests[t] for t in terms if t not in lag_terms), cum)


def wild_cluster_pvalue(data: pd.DataFrame, y: str, x: list[str], term: str, *, fe: list[str], cluster: str,
                        reps: int = 999, seed: int = 1) -> float:
    """Wild cluster restricted (WCR) bootstrap p-value for ``term = 0`` (see :func:`wild_cluster_test`)."""
    return wild_cluster_test(data, y, x, term, fe=fe, cluster=cluster, reps=reps, seed=seed)[0]


def wild_cluster_test(data: pd.DataFrame, y: str, x: list[str], term: str, *, fe: list[str], cluster: str,
                      reps: int = 999, seed: int = 1) -> tuple[float, float]:
    """Wild cluster restricted (WCR) bootstrap for ``term = 0`` in a linear FE model: (p-value, critical |t|).

    The critical value is the ceil(0.05 R)-th largest |t*|, so ``coef +- crit x SE`` excludes 0 exactly when
    p < 0.05 (one source for the p-value and the interval).

    Impose the null, resample cluster-level residual signs (Webb's 6-point weights when G < 12,
    Rademacher otherwise), refit, and compare |t*| with |t|. References: Cameron, Gelbach & Miller
    (2008), REStat 90(3); MacKinnon & Webb (2017); Webb (2023), Can. J. Econ. 56(3).
    """
    d = data[list(dict.fromkeys([y, *x, *fe, cluster]))].dropna()
    codes = [pd.factorize(d[f], sort=True)[0] for f in fe]
    X = demean(d[x].to_numpy(float), codes)
    Y = demean(d[y].to_numpy(float), codes)
    g = pd.factorize(d[cluster], sort=True)[0]
    G = int(g.max()) + 1
    j = x.index(term)

    def tstat(yv: np.ndarray) -> float:
        xtx_inv = np.linalg.inv(X.T @ X)
        beta = xtx_inv @ X.T @ yv
        s = np.zeros((G, X.shape[1]))
        np.add.at(s, g, X * (yv - X @ beta)[:, None])
        V = xtx_inv @ (s.T @ s) @ xtx_inv
        return float(beta[j] / math.sqrt(V[j, j]))

    t0 = tstat(Y)
    Xr = np.delete(X, j, axis=1)
    br = np.linalg.lstsq(Xr, Y, rcond=None)[0] if Xr.shape[1] else np.zeros(0)
    fitted = Xr @ br if Xr.shape[1] else np.zeros(len(Y))
    er = Y - fitted
    rng = np.random.default_rng(seed)
    if G < 12:
        webb = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
        W = rng.choice(webb, size=(reps, G))
    else:
        W = rng.choice(np.array([-1.0, 1.0]), size=(reps, G))
    tb = np.sort(np.abs([tstat(fitted + er * W[b][g]) for b in range(reps)]))
    crit = float(tb[len(tb) - math.ceil(0.05 * len(tb))])
    return float((tb >= abs(t0)).mean()), crit
