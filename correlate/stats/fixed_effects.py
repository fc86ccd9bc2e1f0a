"""Fixed-effects GLMs on a panel: OLS, Poisson pseudo-ML and binomial, with CRV1 cluster-robust SEs.

One small numerical core instead of three packages. Fixed effects are swept out by weighted
alternating projections (the method of fixest and ppmlhdfe), so 1,000 teams x 104 weeks never build
a dummy matrix; Poisson and binomial are IRLS around that sweep.

Small-sample convention (documented deviation choice, ``docs/statistics.md`` §4 and R2): CRV1 with
``c = G/(G-1) * (N-1)/(N-K)``, where K counts the slopes plus the fixed effects *not nested in the
cluster* (fixest ``ssc(fixef.K="nested")``). With team clusters the team effects drop out of K, which
gives 0.01327 on mpdta like fixest/pyfixest; statsmodels LSDV with ``use_correction=True`` and
linearmodels count every dummy and report about 12% larger SEs (0.01482). With no fixed effects
the same formula is Stata's ``vce(cluster)`` (R4). Inference uses t with G-1 degrees of freedom.

References:
    Correia, Guimarães & Zylkin (2020), "Fast Poisson estimation with high-dimensional fixed
    effects", Stata Journal 20(1). Santos Silva & Tenreyro (2006), REStat 88(4). Cameron & Miller
    (2015), "A practitioner's guide to cluster-robust inference", J. Human Resources 50(2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from correlate.errors import AnalysisError

__all__ = ["FeFit", "demean", "fe_fit"]

Family = Literal["gaussian", "poisson", "binomial"]


@dataclass(frozen=True)
class FeFit:
    """A fitted fixed-effects model. ``params``/``bse``/``pvalues`` are labelled Series, ``vcov`` a
    DataFrame; ``df`` = G - 1. ``dropped`` counts rows removed because their fixed effect is not
    identified (an all-zero Poisson group, an all-0/all-1 binomial group, a singleton)."""

    family: Family
    params: pd.Series
    vcov: pd.DataFrame
    n: int
    n_clusters: int
    df: int
    dropped: int
    mean_dmu_deta: float  # mean of dmu/deta per trial; turns a logit slope into proportion points

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index)

    @property
    def tvalues(self) -> pd.Series:
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(2 * stats.t.sf(np.abs(self.tvalues.to_numpy()), self.df), index=self.params.index)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Columns ``low``/``high`` from t(G-1)."""
        q = stats.t.ppf(0.5 + level / 2, self.df)
        return pd.DataFrame({"low": self.params - q * self.bse, "high": self.params + q * self.bse})

    def combination(self, weights: dict[str, float]) -> tuple[float, float]:
        """Point and SE of ``sum(w_k * beta_k)`` (e.g. the cumulative distributed-lag effect)."""
        w = np.array([weights.get(k, 0.0) for k in self.params.index])
        return float(w @ self.params.to_numpy()), float(np.sqrt(w @ self.vcov.to_numpy() @ w))


def demean(x: np.ndarray, codes: list[np.ndarray], w: np.ndarray | None = None, *, tol: float = 1e-10,
           maxiter: int = 10_000) -> np.ndarray:
    """Sweep one or more sets of fixed effects out of the columns of ``x`` (weighted within transform).

    Args:
        x: (n,) or (n, k) array.
        codes: one integer code array (0..G-1) per fixed-effect dimension.
        w: observation weights (IRLS weights); ``None`` means 1.
        tol: stop when no value moved by more than ``tol`` times the column scale in one sweep.

    Returns:
        The residual of x after projecting on all the fixed effects (alternating projections).

    Raises:
        AnalysisError: when the sweep does not converge (pathological, near-collinear designs).
    """
    out = np.array(x, dtype=float, copy=True)
    one_d = out.ndim == 1
    if one_d:
        out = out[:, None]
    w = np.ones(out.shape[0]) if w is None else np.asarray(w, dtype=float)
    if len(codes) == 2:
        result2: np.ndarray = _two_way(out, codes[0], codes[1], w)
        return result2[:, 0] if one_d else result2
    sums = [np.bincount(c, weights=w) for c in codes]
    scale = np.maximum(np.abs(out).max(axis=0), 1.0)
    for _ in range(maxiter):
        moved = np.zeros(out.shape[1])
        for c, s in zip(codes, sums, strict=True):
            for j in range(out.shape[1]):
                m = np.bincount(c, weights=w * out[:, j], minlength=len(s)) / np.where(s > 0, s, 1.0)
                step = m[c]
                out[:, j] -= step
                moved[j] = max(moved[j], float(np.abs(step).max()))
        if len(codes) <= 1 or np.all(moved <= tol * scale):
            break
    else:
        raise AnalysisError("the fixed-effects sweep did not converge; the panel may be too sparse or collinear")
    result: np.ndarray = out[:, 0] if one_d else out
    return result


def _two_way(x: np.ndarray, c1: np.ndarray, c2: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Two sets of fixed effects swept out exactly: the weighted normal equations with the larger set
    eliminated (Schur complement), so only a (smaller set) x (smaller set) system is solved.

    Why: alternating projections needed tens of sweeps on unbalanced team x week panels (most of the
    intensity models' time at 2,000 teams); this is one pass. The fitted effects are a least-squares
    projection, unique however the effects are normalised, so the pseudo-inverse's choice is harmless.
    """
    if c1.max() < c2.max():
        c1, c2 = c2, c1  # eliminate the larger dimension, solve for the smaller
    n1, n2 = int(c1.max()) + 1, int(c2.max()) + 1
    cell = c1 * n2 + c2

    def table(weights: np.ndarray) -> np.ndarray:
        return np.bincount(cell, weights=weights, minlength=n1 * n2).reshape(n1, n2)

    W = table(w)
    w1, w2 = W.sum(axis=1), W.sum(axis=0)
    inv1 = np.where(w1 > 0, 1 / np.where(w1 > 0, w1, 1.0), 0.0)
    S_pinv = np.linalg.pinv(np.diag(w2) - W.T @ (W * inv1[:, None]), rcond=1e-12, hermitian=True)
    out = np.empty_like(x)
    for j in range(x.shape[1]):
        R = table(w * x[:, j])
        r1, r2 = R.sum(axis=1), R.sum(axis=0)
        b = S_pinv @ (r2 - W.T @ (r1 * inv1))
        a = (r1 - W @ b) * inv1
        out[:, j] = x[:, j] - a[c1] - b[c2]
    return out


def _codes(values: pd.Series) -> np.ndarray:
    codes: np.ndarray = pd.factorize(values, sort=True)[0].astype(np.int64)
    return codes


def _drop_unidentified(y: np.ndarray, trials: np.ndarray | None, codes: list[np.ndarray],
                       family: Family) -> np.ndarray:
    """Rows to keep: drop groups whose fixed effect runs to +-infinity (all-zero counts; all-0 or
    all-1 proportions), repeating until stable because dropping rows can create new such groups."""
    keep = np.ones(len(y), dtype=bool)
    if family == "gaussian":
        return keep
    while True:
        before = keep.sum()
        for c in codes:
            k = keep.astype(float)
            tot = np.bincount(c, weights=y * k)
            if family == "poisson":
                bad = tot <= 0
            else:
                assert trials is not None  # noqa: S101 - internal invariant, binomial always has trials
                n_tot = np.bincount(c, weights=trials * k)
                bad = (tot <= 0) | (tot >= n_tot)
            keep &= ~bad[c]
        if keep.sum() == before:
            return keep


def fe_fit(data: pd.DataFrame, y: str, x: list[str], *, fe: list[str], cluster: str,
           family: Family = "gaussian", offset: str | None = None, trials: str | None = None,
           maxiter: int = 100, tol: float = 1e-9) -> FeFit:
    """Fit ``y ~ x | fe`` with CRV1 standard errors clustered by ``cluster``.

    Args:
        data: one row per observation; rows with a missing ``y``/``x``/offset/trials are dropped.
        y: outcome. Gaussian: any real; Poisson: non-negative counts; binomial: successes.
        x: regressors (no intercept: the fixed effects absorb it; with ``fe=[]`` a constant is added).
        fe: fixed-effect columns, e.g. ``["team", "week"]``.
        cluster: cluster column (team).
        family: ``"gaussian"`` (OLS), ``"poisson"`` (PPML, log link) or ``"binomial"`` (logit).
        offset: column holding **log** exposure (Poisson).
        trials: column with the number of trials (binomial).

    Returns:
        :class:`FeFit`.

    Raises:
        AnalysisError: fewer than 2 clusters, a collinear regressor, or no convergence.

    Examples:
        >>> fit = fe_fit(d, "lemp", ["treat_post"], fe=["countyreal", "year"], cluster="countyreal")
        >>> round(fit.params["treat_post"], 5)
        -0.03655
    """
    cols = [y, *x, *fe, cluster] + ([offset] if offset else []) + ([trials] if trials else [])
    d = data[list(dict.fromkeys(cols))].dropna()
    if family == "binomial" and trials:
        d = d[d[trials] > 0]
    yv = d[y].to_numpy(dtype=float)
    nv = d[trials].to_numpy(dtype=float) if trials else None
    codes = [_codes(d[f]) for f in fe]
    keep = _drop_unidentified(yv, nv, codes, family)
    dropped = int((~keep).sum()) + (len(data) - len(d))
    d = d[keep]
    yv = yv[keep]
    nv = nv[keep] if nv is not None else None
    codes = [_codes(d[f]) for f in fe]
    X = d[x].to_numpy(dtype=float)
    names = list(x)
    if not fe:
        X = np.column_stack([X, np.ones(len(d))])
        names.append("const")
    off = d[offset].to_numpy(dtype=float) if offset else np.zeros(len(d))
    g = _codes(d[cluster])
    G = int(g.max()) + 1 if len(g) else 0
    if G < 2:
        raise AnalysisError(f"need at least 2 clusters ({cluster}) with usable rows; found {G}")

    resid_df = len(d) - X.shape[1] - _fe_rank(codes)
    if resid_df < 1:
        raise AnalysisError(f"the model is saturated: {len(d)} observations and {len(d) - resid_df} parameters (slopes "
                            "plus team and week effects) leave no residual degrees of freedom, so no standard error "
                            "or p-value can be computed")
    if family == "gaussian":
        w = np.ones(len(d))
        Xt = demean(X, codes, w) if codes else X
        yt = demean(yv, codes, w) if codes else yv
        beta = _wls(Xt, yt, w, names)
        resid = yt - Xt @ beta
        if float(resid @ resid) <= 1e-20 * max(float(yt @ yt), 1e-300):
            raise AnalysisError("the model reproduces every observation exactly (no residual variation), so its "
                                "standard errors would be zero; too few observations for these fixed effects")
        score = Xt * resid[:, None]
        bread_m = Xt.T @ Xt
        dmu = 1.0
    else:
        beta, Xt, w, mu = _irls(yv, X, codes, off, nv, family, names, maxiter, tol)
        score = Xt * (yv - mu)[:, None]
        bread_m = Xt.T @ (Xt * w[:, None])
        dmu = float(np.average(w / nv, weights=nv)) if nv is not None else 1.0

    meat_g = np.zeros((G, X.shape[1]))
    np.add.at(meat_g, g, score)
    bread = np.linalg.inv(bread_m)
    N = len(d)
    K = X.shape[1] + sum(int(c.max()) for c, f in zip(codes, fe, strict=True) if not _nested(d[f], d[cluster]))
    c_adj = G / (G - 1) * (N - 1) / max(N - K, 1)
    V = c_adj * bread @ (meat_g.T @ meat_g) @ bread
    return FeFit(family, pd.Series(beta, index=names), pd.DataFrame(V, index=names, columns=names), N, G, G - 1,
                 dropped, dmu)


def _fe_rank(codes: list[np.ndarray]) -> int:
    """Number of identified fixed-effect parameters: levels minus one per connected component for two
    sets (team and week effects linked through the cells they share), levels for one."""
    if not codes:
        return 0
    if len(codes) == 1:
        return int(codes[0].max()) + 1
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = codes[0], codes[1]
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    graph = coo_matrix((np.ones(len(a)), (a, na + b)), shape=(na + nb, na + nb))
    n_comp = connected_components(graph, directed=False)[0]
    extra = sum(int(c.max()) + 1 - 1 for c in codes[2:])
    return na + nb - int(n_comp) + extra


def _nested(fe_col: pd.Series, cluster_col: pd.Series) -> bool:
    """True when every level of ``fe_col`` sits inside a single cluster (then it does not count in K)."""
    return bool((pd.DataFrame({"f": fe_col.to_numpy(), "c": cluster_col.to_numpy()})
                 .groupby("f")["c"].nunique() <= 1).all())


def _wls(Xt: np.ndarray, yt: np.ndarray, w: np.ndarray, names: list[str]) -> np.ndarray:
    xtx = Xt.T @ (Xt * w[:, None])
    if np.linalg.matrix_rank(xtx) < xtx.shape[0]:
        raise AnalysisError(f"regressors {names} are collinear with the fixed effects (no variation within team "
                            "and week); nothing can be estimated")
    return np.linalg.solve(xtx, Xt.T @ (w * yt))


def _irls(yv: np.ndarray, X: np.ndarray, codes: list[np.ndarray], off: np.ndarray, nv: np.ndarray | None,
          family: Family, names: list[str], maxiter: int, tol: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """IRLS for Poisson (log link) and binomial (logit) with the fixed effects swept at each step."""
    if family == "poisson":
        mu = (yv + yv.mean()) / 2
        eta = np.log(mu)
    else:
        assert nv is not None  # noqa: S101 - internal invariant
        p = (yv + 0.5) / (nv + 1.0)
        eta = np.log(p / (1 - p))
        mu = nv * p
    dev_old = np.inf
    beta = np.zeros(X.shape[1])
    Xt = X
    w = np.ones(len(yv))
    for _ in range(maxiter):
        if family == "poisson":
            w = mu
            z = eta - off + (yv - mu) / mu
        else:
            p = mu / nv
            w = nv * p * (1 - p)
            z = eta + (yv - mu) / w
        zt = demean(z, codes, w, tol=1e-12) if codes else z
        Xt = demean(X, codes, w, tol=1e-12) if codes else X
        beta = _wls(Xt, zt, w, names)
        resid = zt - Xt @ beta
        eta = z - resid + (off if family == "poisson" else 0.0)
        if family == "poisson":
            eta = np.minimum(eta, 700.0)
            mu = np.exp(eta)
            with np.errstate(divide="ignore", invalid="ignore"):
                dev = 2 * np.sum(np.where(yv > 0, yv * np.log(yv / mu), 0.0) - (yv - mu))
        else:
            p = np.clip(1 / (1 + np.exp(-eta)), 1e-12, 1 - 1e-12)
            mu = nv * p
            with np.errstate(divide="ignore", invalid="ignore"):
                dev = 2 * np.sum(np.where(yv > 0, yv * np.log(yv / mu), 0.0)
                                 + np.where(nv - yv > 0, (nv - yv) * np.log((nv - yv) / (nv - mu)), 0.0))
        if abs(dev - dev_old) / (0.1 + abs(dev)) < tol:
            break
        dev_old = dev
    else:
        raise AnalysisError(f"{family} fixed-effects model did not converge in {maxiter} iterations")
    # final weights and swept regressors at the solution, for the sandwich
    if family == "poisson":
        w = mu
    else:
        p = mu / nv
        w = nv * p * (1 - p)
    Xt = demean(X, codes, w, tol=1e-12) if codes else X
    return beta, Xt, w, mu
