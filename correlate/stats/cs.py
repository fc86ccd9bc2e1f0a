"""A fast Callaway–Sant'Anna ATT(g,t) for the case the engine uses: no covariates, outcome regression.

Why a second implementation next to the pinned ``differences`` package: ``differences`` spends
about 25-50 ms of pandas bookkeeping per (cohort, period) cell, so a weekly panel with 40 weekly
cohorts and 104 weeks takes minutes per outcome. Without covariates the estimator is a difference
of mean changes, and its influence function is closed-form, so the whole ATT(g,t) grid, the R
``aggte`` aggregations (with the weight-estimation term) and the multiplier-bootstrap bands are a
few array operations.

With ``small_sample=False`` it reproduces R ``did`` 2.5.1 (published mpdta numbers, R1) and
``differences`` 0.3.0 to machine precision on balanced panels (tests/stats/test_did.py runs both).
The engine default (``small_sample=True``) changes only the standard errors, for the panels a team
brings (few teams per cohort, missing weeks):

* each side of a cell (adopting, comparison) contributes its variance with the n-1 divisor (Welch),
  not n: with two teams in a cohort the analytic variance was half what it should be;
* a side with a single team has no variance of its own (its deviation from its own mean is exactly 0,
  so R's influence function gives it none); it gets its deviation from the other side's mean instead
  (the residual under "no change"), in its own row, so its correlation across weeks and with its
  other roles (a later adopter is a comparison team first) stays in every aggregate. Cells where both
  sides have one team cannot carry a variance and are left out;
* inference is conditional on the realised adoption cohorts (the organisation's own teams): R's
  weight-estimation term (``wif``) treats cohort shares as estimates of a population's, and with one-
  or two-team cohorts it multiplies each cohort's noisy ATT by a share with ~100% relative noise,
  which roughly doubled the variance of the headline in the calibration harness.

On an unbalanced panel each cell uses the units observed in both of its periods (R would switch to
repeated cross-sections).

Cell definitions (R ``att_gt``): for a post cell (t >= g) the base is the last period b with
b + anticipation < g. For a pre cell it is the previous period (``base_period="varying"``, R's
default) or that same last pre-adoption period (``"universal"``: long differences, the form the
pre-trend test and the sensitivity analysis need). Controls are never-treated units, or
(``not_yet``) units with G > max(t, b) + anticipation and G != g.

References: Callaway & Sant'Anna (2021), J. Econometrics 225(2):200-230, and the R ``did``
source (``compute.att_gt``, ``compute.aggte``, ``wif``, ``mboot``); Kline & Santos (2012), "A score
based approach to wild bootstrap inference", J. Econometric Methods 1(1) (the restricted score
bootstrap used for few teams); Webb (2023), Can. J. Econ. 56(3) (six-point weights).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from correlate.errors import AnalysisError

__all__ = ["CsFit", "WildResult", "fit_cs", "wild_weights"]

WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


def wild_weights(rng: np.random.Generator, reps: int, G: int) -> tuple[np.ndarray, str]:
    """Cluster weights for a wild bootstrap: Webb's six-point when G < 12 (Rademacher has only 2^G
    distinct draws there), Rademacher otherwise. Returns (reps x G, name)."""
    if G < 12:
        return rng.choice(WEBB, size=(reps, G)), "Webb six-point"
    return rng.choice(np.array([-1.0, 1.0]), size=(reps, G)), "Rademacher"


@dataclass(frozen=True)
class WildResult:
    """Wild cluster restricted (score) bootstrap-t for one linear aggregate: p-value and the
    matching symmetric interval (same draws, same studentisation, so they agree on zero)."""

    pvalue: float
    ci_low: float
    ci_high: float
    crit: float  # bootstrap critical value of |t| at 95%
    reps: int
    weights: str
    tstar: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)  # |t*| draws under the null
    se: float = math.nan  # the standard error the statistic is studentised with (donor-row form)

    def pvalue_of(self, t: float) -> float:
        """p-value of any statistic studentised like the headline (e.g. its log ratio), from the same draws."""
        if len(self.tstar) == 0 or math.isnan(t):
            return math.nan
        return float(np.mean(self.tstar >= abs(t)))


@dataclass(frozen=True)
class _Cell:
    treated: np.ndarray  # unit indices
    control: np.ndarray
    dy_t: np.ndarray
    dy_c: np.ndarray
    level_t: np.ndarray  # adopting units' outcome in the cell's period (for ratios)


@dataclass(frozen=True)
class CsFit:
    """ATT(g,t) grid with its influence functions (rows x cells) and the aggregations R ``aggte`` defines.

    One row per unit. Every SE is ``sqrt(sum(inf**2)) / n`` with n the number of units.
    """

    cells: pd.DataFrame  # cohort, time, base, att, se, n_treated, n_control
    inf: np.ndarray  # n_rows x n_cells
    unit_cohort: np.ndarray  # per unit, its cohort (inf for never treated)
    n: int
    pg: dict[float, float]  # share of all units in each cohort (R's pg)
    small_sample: bool = True
    dropped_cells: int = 0
    _cells: tuple[_Cell, ...] = field(default=(), repr=False)

    @property
    def n_rows(self) -> int:
        return int(self.inf.shape[0])

    def _se(self, inf: np.ndarray) -> float:
        return float(np.sqrt(np.sum(inf**2)) / self.n)

    def _pad(self, m: np.ndarray) -> np.ndarray:
        """Unit-level influence (n x k) as an n_rows x k array (the same rows)."""
        out = np.zeros((self.n_rows, m.shape[1]))
        out[: self.n] = m
        return out

    def _wif_cells(self, keep: np.ndarray, per: np.ndarray | None = None) -> np.ndarray:
        """Influence of estimating the cohort-share weights (R ``wif``), per kept cell: n_rows x len(keep).

        ``per=None``: R's cell-level form (simple and event-time aggregations weight each cell by its
        cohort's share). Otherwise the cohort-level form of the group aggregation, spread over the
        cohort's cells with ``per`` (1/L_g) so that ``wif @ att`` equals R's ``wif @ att_g``.
        """
        cohort = self.cells["cohort"].to_numpy()[keep]
        if self.small_sample:
            # inference conditional on the realised adoption cohorts (the org's own teams): the cohort shares are
            # not estimates of a population's, and with one- or two-team cohorts R's term multiplies each
            # cohort's noisy ATT by a share with ~100% relative noise, roughly doubling the variance
            return np.zeros((self.n_rows, len(keep)))
        if per is None:
            pg = np.array([self.pg[c] for c in cohort])
            s = pg.sum()
            ind = (self.unit_cohort[:, None] == cohort[None, :]).astype(float)
            return self._pad((ind - pg) / s - (ind - pg).sum(axis=1, keepdims=True) * (pg / s**2)[None, :])
        cohorts = np.unique(cohort)
        pg = np.array([self.pg[c] for c in cohorts])
        s = pg.sum()
        ind = (self.unit_cohort[:, None] == cohorts[None, :]).astype(float)
        wif_g = (ind - pg) / s - (ind - pg).sum(axis=1, keepdims=True) * (pg / s**2)[None, :]
        return self._pad(wif_g[:, np.searchsorted(cohorts, cohort)] * per[None, :])

    def _linear(self, keep: np.ndarray, w: np.ndarray, per: np.ndarray | None = None
                ) -> tuple[float, np.ndarray, np.ndarray]:
        """A weighted sum of cells and its influence function, including the weight-estimation term.

        Returns (estimate, influence n_rows, wif-by-cell n_rows x len(keep)).
        """
        att = self.cells["att"].to_numpy()[keep]
        wif = self._wif_cells(keep, per)
        inf = self.inf[:, keep] @ w + wif @ att
        return float(w @ att), inf, wif

    def group_treated_level(self) -> tuple[float, np.ndarray]:
        """The adopting teams' mean outcome level over the headline's cells and weights, with its
        influence function: the "with adoption" side of a ratio (its counterfactual is this minus the
        ATT). Single-team cells add no variance here: the term is second order in the ratio's SE."""
        keep, w, per = self.group_weights()
        vals = np.array([self._cells[c].level_t.mean() for c in keep])
        inf = np.zeros((self.n_rows, len(keep)))
        for j, c in enumerate(keep):
            cell = self._cells[c]
            n1 = len(cell.treated)
            if n1 >= 2:
                k = math.sqrt(n1 / (n1 - 1)) if self.small_sample else 1.0
                inf[cell.treated, j] = self.n * k * (cell.level_t - cell.level_t.mean()) / n1
        wif = self._wif_cells(keep, per)
        return float(w @ vals), inf @ w + wif @ vals

    def _share_weights(self, keep: np.ndarray) -> np.ndarray:
        cohort = self.cells["cohort"].to_numpy()[keep]
        pg = np.array([self.pg[c] for c in cohort])
        out: np.ndarray = pg / pg.sum()
        return out

    def post_cells(self) -> np.ndarray:
        c = self.cells
        keep = np.flatnonzero((c["time"] >= c["cohort"]).to_numpy())
        if len(keep) == 0:
            raise AnalysisError("no adopting team has an observed week after adoption together with its last week "
                                "before adoption, so no post-adoption effect can be estimated")
        return keep

    def simple(self) -> tuple[float, float, np.ndarray]:
        """R ``aggte(type="simple")``: post cells weighted by cohort size."""
        keep = self.post_cells()
        att, inf, _ = self._linear(keep, self._share_weights(keep))
        return att, self._se(inf), inf

    def group_weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cells of R ``aggte(type="group")`` and their weights: (kept cells, weight, share of cohort weight)."""
        keep = self.post_cells()
        cohort = self.cells["cohort"].to_numpy()[keep]
        cohorts, counts = np.unique(cohort, return_counts=True)
        pg = np.array([self.pg[g] for g in cohorts])
        wg = pg / pg.sum()
        idx = np.searchsorted(cohorts, cohort)
        per = 1.0 / counts[idx]
        return keep, wg[idx] * per, per

    def group(self) -> tuple[float, float, list[tuple[float, float, float]]]:
        """R ``aggte(type="group")`` overall ATT (the headline) and the per-cohort averages (cohort, att, se)."""
        att, se, rows, _ = self.group_with_inf()
        return att, se, rows

    def group_with_inf(self) -> tuple[float, float, list[tuple[float, float, float]], np.ndarray]:
        """:meth:`group` plus the influence function of the overall ATT."""
        keep, w, per = self.group_weights()
        att, inf, _ = self._linear(keep, w, per)
        c = self.cells.iloc[keep]
        rows = []
        for g in np.unique(c["cohort"]):
            k = keep[(c["cohort"] == g).to_numpy()]
            inf_g = self.inf[:, k].mean(axis=1)
            rows.append((float(g), float(self.cells["att"].to_numpy()[k].mean()), self._se(inf_g)))
        return att, self._se(inf), rows, inf

    def event(self) -> tuple[pd.DataFrame, np.ndarray]:
        """R ``aggte(type="dynamic")`` per event time e = t - g: (event_time, att, se, n_cohorts) and the IF matrix."""
        c = self.cells
        e = (c["time"] - c["cohort"]).to_numpy()
        rows, infs = [], []
        for k in np.unique(e):
            keep = np.flatnonzero(e == k)
            att, inf, _ = self._linear(keep, self._share_weights(keep))
            rows.append((int(k), att, self._se(inf), len(keep), int(c["n_treated"].to_numpy()[keep].sum())))
            infs.append(inf)
        if not rows:
            raise AnalysisError("no (cohort, period) cell could be estimated")
        return (pd.DataFrame(rows, columns=["event_time", "att", "se", "n_cohorts", "n_treated"]),
                np.column_stack(infs))

    def dynamic(self) -> tuple[float, float]:
        """R ``aggte(type="dynamic")`` overall: the mean of the event-time effects for e >= 0."""
        ev, inf = self.event()
        return self.dynamic_from(ev, inf)

    def dynamic_from(self, ev: pd.DataFrame, inf: np.ndarray) -> tuple[float, float]:
        """:meth:`dynamic` from an already computed :meth:`event` (saves recomputing it)."""
        post = (ev["event_time"] >= 0).to_numpy()
        if not post.any():
            raise AnalysisError("no post-adoption event time could be estimated")
        v = inf[:, post].mean(axis=1)
        return float(ev.loc[post, "att"].mean()), self._se(v)

    def covariance(self, inf: np.ndarray) -> np.ndarray:
        """Covariance of the estimates whose influence functions are the columns of ``inf``."""
        out: np.ndarray = inf.T @ inf / self.n**2
        return out

    def wild_group(self, *, reps: int, seed: int, level: float = 0.95) -> WildResult:
        """Wild cluster restricted (score) bootstrap-t for the group ATT, for few teams.

        The null "every ATT(g,t) in the headline is 0" is imposed by pooling each cell's treated and
        comparison changes around one mean; each bootstrap draw multiplies a team's residuals (in
        every cell) by the same weight, recomputes the estimate *and* its standard error (single-team
        sides and the weight-estimation term handled as in the analytic SE), and the p-value is the share
        of |t*| at least |t|. The interval is estimate +- (95% quantile of |t*|) x SE, so p < 0.05
        exactly when it excludes 0. Everything is linear in the weights, so a draw is a matrix
        product (no refitting).
        """
        keep, w, per = self.group_weights()
        att_hat = float(w @ self.cells["att"].to_numpy()[keep])
        n = self.n
        # per draw v (n,), the studentised statistic needs theta*(v) = a @ v and the IF rows psi*(v) = B @ v
        a = np.zeros(n)
        B = np.zeros((n, n))
        wif = self._wif_cells(keep, per)  # its term is wif @ att*(v)
        ks = list(keep)
        for j, ci in enumerate(ks):
            cell = self._cells[ci]
            T, C = cell.treated, cell.control
            pooled = np.concatenate([cell.dy_t, cell.dy_c]).mean()
            et, ec = cell.dy_t - pooled, cell.dy_c - pooled
            n1, n0 = len(T), len(C)
            # att*_c(v) = mean_T(v e) - mean_C(v e) = d_c @ v
            d = np.zeros(n)
            d[T] += et / n1
            d[C] -= ec / n0
            a += w[j] * d
            B += np.outer(wif[:, j], d)
            for side, other, e_s, e_o, sign in ((T, C, et, ec, 1.0), (C, T, ec, et, -1.0)):
                ns, no = len(side), len(other)
                if ns >= 2:
                    k = math.sqrt(ns / (ns - 1)) if self.small_sample else 1.0
                    coef = sign * w[j] * n * k / ns
                    # row i: coef * (v_i e_i - mean_side(v e))
                    B[side, side] += coef * e_s
                    B[np.ix_(side, side)] -= coef * e_s[None, :] / ns
                elif self.small_sample:
                    # one unit: its deviation from the other side's mean, as in the analytic influence function
                    coef = sign * w[j] * n
                    B[side, side] += coef * e_s
                    B[np.ix_(side, other)] -= coef * e_o[None, :] / no
        # with every weight 1 the rows are the unrestricted influence function (centring within a side removes
        # the pooled mean), so the observed t is studentised exactly like the draws
        se_hat = float(np.linalg.norm(B.sum(axis=1)) / n)
        rng = np.random.default_rng(seed)
        V, name = wild_weights(rng, reps, n)
        theta = V @ a
        se = np.sqrt(np.einsum("ij,ij->i", V @ B.T, V @ B.T)) / n
        with np.errstate(divide="ignore", invalid="ignore"):
            tstar = np.abs(theta / se)
        tstar = tstar[np.isfinite(tstar)]
        if se_hat <= 0 or len(tstar) < reps // 2:
            return WildResult(math.nan, math.nan, math.nan, math.nan, reps, name, se=se_hat)
        t_obs = abs(att_hat / se_hat)
        tstar = np.sort(tstar)
        p = float(np.mean(tstar >= t_obs))
        # the ceil((1-level) R)-th largest draw: |t| above it <=> fewer than (1-level) R draws reach |t|
        # <=> p < 1-level, so the interval excludes 0 exactly when p < 0.05
        crit = float(tstar[len(tstar) - math.ceil((1 - level) * len(tstar))])
        return WildResult(p, att_hat - crit * se_hat, att_hat + crit * se_hat, crit, reps, name, tstar, se_hat)

    def uniform_band(self, inf: np.ndarray, att: np.ndarray, *, reps: int, seed: int,
                     level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Simultaneous band by the multiplier bootstrap (R ``mboot``: Mammen weights, IQR-based SE, sup-t).

        Returns (low, high, bootstrap se). Columns with zero variance get a NaN band.
        """
        rng = np.random.default_rng(seed)
        k = (1 + math.sqrt(5)) / 2
        p = k / math.sqrt(5)
        v = np.where(rng.random((reps, inf.shape[0])) < p, 1 - k, k)  # Mammen two-point weights, mean 0, var 1
        draws = v @ inf / self.n
        q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0)
        se = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
        ok = se > np.sqrt(np.finfo(float).eps) * 10
        t = np.abs(draws[:, ok] / se[ok])
        crit = float(np.quantile(t.max(axis=1), level)) if ok.any() else math.nan
        low = np.full(len(att), np.nan)
        high = np.full(len(att), np.nan)
        low[ok], high[ok] = att[ok] - crit * se[ok], att[ok] + crit * se[ok]
        return low, high, np.where(ok, se, np.nan)


def fit_cs(data: pd.DataFrame, y: str, *, unit: str, time: str, cohort: str, control: str = "not_yet",
           anticipation: int = 0, base_period: Literal["varying", "universal"] = "varying",
           small_sample: bool = True) -> CsFit:
    """All ATT(g,t) cells with analytic influence functions.

    Args:
        data: long panel; ``cohort`` NaN for never treated (see ``did.prepare_cohorts``).
        control: ``"never"`` or ``"not_yet"``.
        base_period: ``"varying"`` (R's default) or ``"universal"`` (every cell against the last
            pre-adoption period; that period itself is the reference and has no cell).
        small_sample: Welch variances, single-team residuals, conditional on cohorts (module docstring);
            False = R ``did``.

    Raises:
        AnalysisError: no cell has both adopting and comparison units with data in both of its periods.
    """
    if data.empty:
        raise AnalysisError("the panel has no rows with an observed outcome")
    wide = data.pivot_table(index=unit, columns=time, values=y, aggfunc="mean", dropna=False)
    periods = wide.columns.to_numpy(dtype=float)
    Y = wide.to_numpy(dtype=float)
    G = data.groupby(unit)[cohort].first().reindex(wide.index).to_numpy(dtype=float)
    G = np.where(np.isnan(G), np.inf, G)
    n = len(wide)
    cohorts = np.unique(G[np.isfinite(G)])
    rows: list[tuple[float, float, float, float, int, int]] = []
    cols: list[dict[int, float]] = []  # per cell: row index -> influence value
    cells: list[_Cell] = []
    dropped = 0
    for g in cohorts:
        treated = G == g
        cands = np.flatnonzero(periods + anticipation < g)
        if len(cands) == 0:
            continue
        ref = int(cands[-1])
        for ti in range(len(periods)):
            t = periods[ti]
            if t >= g or base_period == "universal":
                if ti == ref:
                    continue
                bi = ref
            else:
                if ti == 0:
                    continue
                bi = ti - 1
            b = periods[bi]
            ctrl = np.isinf(G) if control == "never" else (G > max(t, b) + anticipation) & (G != g)
            dy = Y[:, ti] - Y[:, bi]
            ok = ~np.isnan(dy)
            tr, co = np.flatnonzero(treated & ok), np.flatnonzero(ctrl & ok)
            n1, n0 = len(tr), len(co)
            if n1 == 0 or n0 == 0:
                continue
            if small_sample and n1 == 1 and n0 == 1:
                dropped += 1  # no variance can be estimated for a one-versus-one comparison
                continue
            m1, m0 = dy[tr].mean(), dy[co].mean()
            col: dict[int, float] = {}
            for side, mean_s, mean_o, sign in ((tr, m1, m0, 1.0), (co, m0, m1, -1.0)):
                ns = len(side)
                if ns >= 2 or not small_sample:
                    k = math.sqrt(ns / (ns - 1)) if small_sample else 1.0
                    for i in side:
                        col[int(i)] = col.get(int(i), 0.0) + sign * n * k * (dy[i] - mean_s) / ns
                else:  # one unit on this side: its deviation from the other side's mean (the null-imposed residual)
                    for i in side:
                        col[int(i)] = col.get(int(i), 0.0) + sign * n * (dy[i] - mean_o)
            rows.append((g, t, b, m1 - m0, math.nan, n1, n0))  # type: ignore[arg-type]
            cols.append(col)
            cells.append(_Cell(tr, co, dy[tr], dy[co], Y[tr, ti]))
    if not rows:
        raise AnalysisError("no (cohort, period) cell has both adopting and comparison teams observed in both of "
                            "its weeks; the panel is too sparse for a difference-in-differences")
    inf = np.zeros((n, len(rows)))
    for j, col in enumerate(cols):
        for r, v in col.items():
            inf[r, j] = v
    frame = pd.DataFrame(rows, columns=["cohort", "time", "base", "att", "se", "n_treated", "n_control"])
    frame["se"] = np.sqrt(np.sum(inf**2, axis=0)) / n
    pg = {float(c): float(np.mean(G == c)) for c in cohorts}
    return CsFit(frame, inf, G, n, pg, small_sample, dropped, tuple(cells))
