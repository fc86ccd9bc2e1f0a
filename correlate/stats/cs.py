"""A fast Callaway–Sant'Anna ATT(g,t) for the case the engine uses: no covariates, outcome regression.

Why a second implementation next to the pinned ``differences`` package: ``differences`` spends
about 25-50 ms of pandas bookkeeping per (cohort, period) cell, so a weekly panel with 40 weekly
cohorts and 104 weeks takes minutes per outcome, and the 200-seed coverage tests would take many
minutes. Without covariates the estimator is a difference of mean changes, and its influence
function is closed-form, so the whole ATT(g,t) grid, the R ``aggte`` aggregations (with the
weight-estimation term) and the multiplier-bootstrap uniform bands are a few array operations.

It reproduces R ``did`` 2.5.1 (published mpdta numbers, R1) and ``differences`` 0.3.0 to machine
precision on balanced panels (tests/stats/test_did.py runs both). On an unbalanced panel each cell
uses the units observed in both of its periods (R would switch to repeated cross-sections).

Cell definitions (R ``att_gt``, ``base_period="varying"``): for a post cell (t >= g) the base is
the last period b with b + anticipation < g; for a pre cell it is the previous period. Controls are
never-treated units, or (``not_yet``) units with G > max(t, b) + anticipation and G != g.

References: Callaway & Sant'Anna (2021), J. Econometrics 225(2):200-230, and the R ``did``
source (``compute.att_gt``, ``compute.aggte``, ``wif``, ``mboot``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from correlate.errors import AnalysisError

__all__ = ["CsFit", "fit_cs"]


@dataclass(frozen=True)
class CsFit:
    """ATT(g,t) grid with its influence functions (units x cells) and the aggregations R ``aggte`` defines."""

    cells: pd.DataFrame  # cohort, time, base, att, se, n_treated, n_control
    inf: np.ndarray  # n_units x n_cells, scaled so that se = sqrt(sum(inf**2)) / n
    unit_cohort: np.ndarray  # per unit, its cohort (inf for never treated)
    n: int
    pg: dict[float, float]  # share of all units in each cohort (R's pg)

    def _se(self, inf: np.ndarray) -> float:
        return float(np.sqrt(np.sum(inf**2)) / self.n)

    def _wif(self, keep: np.ndarray) -> np.ndarray:
        """Influence of estimating the cohort-share weights (R ``wif``), n x len(keep)."""
        cohort = self.cells["cohort"].to_numpy()[keep]
        pg = np.array([self.pg[c] for c in cohort])
        ind = (self.unit_cohort[:, None] == cohort[None, :]).astype(float)
        s = pg.sum()
        if1 = (ind - pg) / s
        if2 = (ind - pg).sum(axis=1, keepdims=True) * (pg / s**2)[None, :]
        out: np.ndarray = if1 - if2
        return out

    def _weighted(self, keep: np.ndarray) -> tuple[float, np.ndarray]:
        """Cohort-share-weighted average of the cells in ``keep`` and its influence function (with wif)."""
        att = self.cells["att"].to_numpy()[keep]
        cohort = self.cells["cohort"].to_numpy()[keep]
        pg = np.array([self.pg[c] for c in cohort])
        w = pg / pg.sum()
        inf = self.inf[:, keep] @ w + self._wif(keep) @ att
        return float(w @ att), inf

    def simple(self) -> tuple[float, float, np.ndarray]:
        """R ``aggte(type="simple")``: post cells weighted by cohort size."""
        c = self.cells
        keep = np.flatnonzero((c["time"] >= c["cohort"]).to_numpy())
        att, inf = self._weighted(keep)
        return att, self._se(inf), inf

    def group(self) -> tuple[float, float, list[tuple[float, float, float]]]:
        """R ``aggte(type="group")`` overall ATT (the headline) and the per-cohort averages (cohort, att, se)."""
        c = self.cells
        cohorts = np.unique(c["cohort"])
        pg = self.pg
        atts, infs, rows = [], [], []
        for g in cohorts:
            keep = np.flatnonzero(((c["cohort"] == g) & (c["time"] >= g)).to_numpy())
            if len(keep) == 0:
                continue
            a = float(c["att"].to_numpy()[keep].mean())
            inf = self.inf[:, keep].mean(axis=1)
            atts.append(a)
            infs.append(inf)
            rows.append((float(g), a, self._se(inf)))
        gs = np.array([r[0] for r in rows])
        p = np.array([pg[g] for g in gs])
        w = p / p.sum()
        ind = (self.unit_cohort[:, None] == gs[None, :]).astype(float)
        wif = (ind - p) / p.sum() - (ind - p).sum(axis=1, keepdims=True) * (p / p.sum() ** 2)[None, :]
        inf = np.column_stack(infs) @ w + wif @ np.array(atts)
        return float(w @ np.array(atts)), self._se(inf), rows

    def event(self) -> tuple[pd.DataFrame, np.ndarray]:
        """R ``aggte(type="dynamic")`` per event time e = t - g: (event_time, att, se) and the IF matrix."""
        c = self.cells
        e = (c["time"] - c["cohort"]).to_numpy()
        rows, infs = [], []
        for k in np.unique(e):
            keep = np.flatnonzero(e == k)
            att, inf = self._weighted(keep)
            rows.append((int(k), att, self._se(inf)))
            infs.append(inf)
        return pd.DataFrame(rows, columns=["event_time", "att", "se"]), np.column_stack(infs)

    def dynamic(self) -> tuple[float, float]:
        """R ``aggte(type="dynamic")`` overall: the mean of the event-time effects for e >= 0."""
        ev, inf = self.event()
        return self.dynamic_from(ev, inf)

    def dynamic_from(self, ev: pd.DataFrame, inf: np.ndarray) -> tuple[float, float]:
        """:meth:`dynamic` from an already computed :meth:`event` (saves recomputing it)."""
        post = (ev["event_time"] >= 0).to_numpy()
        v = inf[:, post].mean(axis=1)
        return float(ev.loc[post, "att"].mean()), self._se(v)

    def uniform_band(self, inf: np.ndarray, att: np.ndarray, *, reps: int, seed: int,
                     level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Simultaneous band by the multiplier bootstrap (R ``mboot``: Mammen weights, IQR-based SE, sup-t).

        Returns (low, high, bootstrap se). Columns with zero variance get a NaN band.
        """
        rng = np.random.default_rng(seed)
        k = (1 + math.sqrt(5)) / 2
        p = k / math.sqrt(5)
        v = np.where(rng.random((reps, self.n)) < p, 1 - k, k)  # Mammen two-point weights, mean 0, var 1
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
           anticipation: int = 0) -> CsFit:
    """All ATT(g,t) cells with analytic influence functions.

    Args:
        data: long panel; ``cohort`` NaN for never treated (see ``did.prepare_cohorts``).
        control: ``"never"`` or ``"not_yet"``.

    Raises:
        AnalysisError: a cell has no treated or no control unit with data in both periods.
    """
    wide = data.pivot_table(index=unit, columns=time, values=y, aggfunc="mean", dropna=False)
    periods = wide.columns.to_numpy(dtype=float)
    Y = wide.to_numpy(dtype=float)
    G = data.groupby(unit)[cohort].first().reindex(wide.index).to_numpy(dtype=float)
    G = np.where(np.isnan(G), np.inf, G)
    n = len(wide)
    cohorts = np.unique(G[np.isfinite(G)])
    rows = []
    infs = []
    for g in cohorts:
        treated = G == g
        for ti in range(1, len(periods)):
            t = periods[ti]
            if t >= g:
                cands = np.flatnonzero(periods + anticipation < g)
                if len(cands) == 0:
                    continue
                bi = int(cands[-1])
            else:
                bi = ti - 1
            b = periods[bi]
            if control == "never":
                ctrl = np.isinf(G)
            else:
                ctrl = (G > max(t, b) + anticipation) & (G != g)
            dy = Y[:, ti] - Y[:, bi]
            ok = ~np.isnan(dy)
            tr, co = treated & ok, ctrl & ok
            n1, n0 = int(tr.sum()), int(co.sum())
            if n1 == 0 or n0 == 0:
                continue
            m1, m0 = dy[tr].mean(), dy[co].mean()
            inf = np.zeros(n)
            inf[tr] = n * (dy[tr] - m1) / n1
            inf[co] = -n * (dy[co] - m0) / n0
            rows.append((g, t, b, m1 - m0, float(np.sqrt(np.sum(inf**2)) / n), n1, n0))
            infs.append(inf)
    if not rows:
        raise AnalysisError("no (cohort, period) cell has both adopting and comparison units with data")
    cells = pd.DataFrame(rows, columns=["cohort", "time", "base", "att", "se", "n_treated", "n_control"])
    pg = {float(c): float(np.mean(G == c)) for c in cohorts}
    return CsFit(cells, np.column_stack(infs), G, n, pg)
