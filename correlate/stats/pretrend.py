"""Parallel trends, tested with stated power (Roth 2022) and bounded by sensitivity (Rambachan & Roth 2023).

Both work on the event study with a *universal* base period: every coefficient compares week
g + e with the last week before adoption (e = -1, fixed at 0), so a differential linear trend
shows as a line through zero at e = -1 and the post-adoption coefficients carry the same trend on.

Pre-trend check (two tests, Bonferroni-combined so the check has size <= 5%):

* joint test that the coefficients of a small fixed window (e = -7 .. -2) are all zero: Hotelling-
  type F(k, G-k) on the cluster (team) covariance, computed on the covariance's numerical rank so a
  near-singular covariance cannot produce a negative or astronomic statistic;
* linear slope test: the least-squares slope through the reference point over up to 16 pre weeks,
  t(G-1).

Power (Roth 2022, "Pretest with caution"): the probability that this check rejects when the
pre-adoption gap grows by a stated slope per period. The stated slope is the trend that, carried on
for the first weeks after adoption, would bias the short-run effect by its minimum detectable
effect: a trend just large enough to fake a detectable effect. Power is computed from the same
normal approximation (pre coefficients ~ N(slope x (e + 1), Sigma)) the tests use, by Monte Carlo
with a fixed seed. "Adequate" means at least 80%.

Sensitivity (HonestDiD, relative magnitudes): how large may a post-adoption violation of parallel
trends be, relative to the largest pre-adoption one, before the conclusion flips? The target is the
short-run average effect. Under Delta^RM(Mbar) every post-adoption one-period change of the bias is
at most Mbar x (largest pre-adoption one-period change), so the identified set is
``theta +- Mbar x max|pre change| x sum_e l_e (e + 1)`` (closed form for the averaging vector), and
the robust interval widens it by the t(G-1) critical value times the SE of theta. The breakdown Mbar
is where that interval first touches zero. This is the construction of diff-diff 3.13.0's
``HonestDiD(method="relative_magnitude")`` and reproduces it (tests/stats/reference/honest_reference.py).
Deviation from R HonestDiD: R uses the conditional-least-favourable (C-LF) test of Andrews, Roth &
Pakes, which accounts for the noise in the estimated pre-adoption maximum; the plug-in maximum used
here is closed-form (cheap enough for every outcome and the calibration harness) and, because the
largest of several noisy changes overstates the true largest change, usually conservative when the
pre-adoption coefficients are noisy. On weekly panels the engine applies it to 4-week blocks of the
event study (see ``did.py``): one-week coefficients are so noisy that the largest weekly change,
accumulated over eight post-adoption weeks, would swamp any effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from correlate.stats.power import mde
from correlate.stats.results import ConfidenceInterval

__all__ = ["JOINT_WINDOW", "POST_WINDOW", "SLOPE_WINDOW", "PretrendTest", "Sensitivity", "pretrend_test",
           "rejection_probability", "sensitivity"]

JOINT_WINDOW = 6  # pre-adoption coefficients in the joint test: e = -7 .. -2 (e = -1 is the reference)
SLOPE_WINDOW = 16  # pre-adoption weeks the slope is fitted over
POST_WINDOW = 8  # post-adoption weeks of the short-run effect the sensitivity bounds
ALPHA = 0.05
ADEQUATE_POWER = 0.80
MBAR = 1.0


@dataclass(frozen=True, slots=True)
class PretrendTest:
    """The pre-trend check: joint and slope tests, their combined p-value and the check's power."""

    joint_window: tuple[int, int]  # event times (universal base) in the joint test
    joint_stat: float  # F statistic
    joint_df: tuple[int, int]
    joint_pvalue: float
    slope: float  # per period, outcome scale
    slope_se: float
    slope_pvalue: float
    slope_window: tuple[int, int]
    pvalue: float  # Bonferroni combination: min(1, 2 x min(joint, slope))
    power_against: float  # the stated slope per period the power refers to
    power: float  # probability the check rejects under that slope
    slope_for_80: float  # the slope the slope test alone detects with 80% power
    n_units: int
    test: str = ("joint F on the pre-adoption window and linear-slope t-test, Bonferroni-combined "
                 "(universal base period)")

    @property
    def passed(self) -> bool:
        return not math.isnan(self.pvalue) and self.pvalue >= ALPHA

    @property
    def adequate_power(self) -> bool:
        return not math.isnan(self.power) and self.power >= ADEQUATE_POWER


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """HonestDiD relative-magnitudes bounds on the short-run effect."""

    target: str
    horizon: int  # H: event times 0 .. H-1
    estimate: float
    se: float
    ci: ConfidenceInterval  # ordinary 95% t(G-1) interval of the short-run effect (no trend allowance)
    mbar: float
    robust_ci: ConfidenceInterval  # at ``mbar``
    identified_set: tuple[float, float]  # at ``mbar``, plug-in maximum pre-adoption change
    breakdown_mbar: float  # largest Mbar whose robust interval still excludes 0 (0 if none)
    max_pre_change: float
    method: str = ("Rambachan & Roth (2023) relative magnitudes: identified set from the largest estimated "
                   "pre-adoption change, widened by the t(G-1) interval (diff-diff 3.13.0's construction)")

    @property
    def survives(self) -> bool:
        """True when the robust interval at ``mbar`` excludes zero on the estimate's side."""
        lo, hi = self.robust_ci.low, self.robust_ci.high
        return bool((lo > 0 and self.estimate > 0) or (hi < 0 and self.estimate < 0))


def _rank_wald(beta: np.ndarray, sigma: np.ndarray) -> tuple[float, int]:
    """``beta' Sigma^+ beta`` on the numerical rank of Sigma (eigenvalues below 1e-10 x largest dropped)."""
    w, v = np.linalg.eigh((sigma + sigma.T) / 2)
    keep = w > max(w.max(), 0.0) * 1e-10
    if not keep.any():
        return math.nan, 0
    z = v[:, keep].T @ beta
    return float(np.sum(z**2 / w[keep])), int(keep.sum())


def _slope_weights(e: np.ndarray) -> np.ndarray:
    """Least-squares slope through the reference point (e = -1, value 0): ``sum x b / sum x^2``, x = e + 1."""
    x = e + 1.0
    out: np.ndarray = x / np.sum(x**2)
    return out


def rejection_probability(delta: np.ndarray, sigma: np.ndarray, reject: object, *, draws: int = 4000,
                          seed: int = 11) -> float:
    """P(``reject(b)``) for b ~ N(delta, Sigma), by Monte Carlo with a fixed seed (rows of b are draws).

    ``reject`` maps a (draws x k) array to booleans. Used for the check's power; with Roth's
    "no individually significant coefficient" rule it reproduces R ``pretrends`` (tests).
    """
    rng = np.random.default_rng(seed)
    k = len(delta)
    w, v = np.linalg.eigh((sigma + sigma.T) / 2)
    root = v * np.sqrt(np.clip(w, 0, None))
    b = delta[None, :] + rng.standard_normal((draws, k)) @ root.T
    return float(np.mean(reject(b)))  # type: ignore[operator]


def pretrend_test(event_time: np.ndarray, beta: np.ndarray, sigma: np.ndarray, *, n_units: int,
                  short_run_se: float | None, horizon: int = POST_WINDOW) -> PretrendTest | None:
    """Run the check on universal-base pre-adoption coefficients (``event_time`` <= -2).

    Args:
        event_time, beta, sigma: the pre-adoption event-study coefficients and their covariance.
        n_units: G (clusters); tests use G - 1 (slope) and G - k (joint) degrees of freedom.
        short_run_se: SE of the short-run average effect, for the stated trend (None: no stated trend).
        horizon: periods the short-run effect averages over (the stated trend's bias is slope x (H + 1) / 2).

    Returns:
        None when fewer than two pre-adoption coefficients exist (nothing to test).
    """
    pre = (event_time <= -2) & (event_time >= -(SLOPE_WINDOW + 1))
    if pre.sum() < 2 or n_units < 4:
        return None
    e, b, S = event_time[pre].astype(float), beta[pre], sigma[np.ix_(pre, pre)]
    df = n_units - 1
    # joint test on the small fixed window
    jw = e >= -(JOINT_WINDOW + 1)
    jb, jS = b[jw], S[np.ix_(jw, jw)]
    W, k = _rank_wald(jb, jS) if jw.any() else (math.nan, 0)
    if k >= 1 and n_units - k >= 1:
        F = W * (n_units - k) / (k * (n_units - 1))
        p_joint = float(stats.f.sf(F, k, n_units - k))
    else:
        F, p_joint = math.nan, math.nan
    # linear slope through the reference point
    ws = _slope_weights(e)
    slope = float(ws @ b)
    slope_se = float(math.sqrt(max(ws @ S @ ws, 0.0)))
    p_slope = float(2 * stats.t.sf(abs(slope / slope_se), df)) if slope_se > 0 else math.nan
    ps = [p for p in (p_joint, p_slope) if not math.isnan(p)]
    p = min(1.0, len(ps) * min(ps)) if ps else math.nan
    # power against the stated trend
    h = (horizon + 1) / 2
    stated = mde(short_run_se, df).mde / h if short_run_se and short_run_se > 0 else math.nan
    power = math.nan
    if not math.isnan(stated) and slope_se > 0:
        a = ALPHA / len(ps) if ps else ALPHA
        t_s = stats.t.ppf(1 - a / 2, df)
        f_crit = stats.f.isf(a, k, n_units - k) if k >= 1 and n_units - k >= 1 and len(ps) == 2 else math.inf
        jidx = np.flatnonzero(jw)
        Sp = np.linalg.pinv(jS, rcond=1e-10, hermitian=True) if len(jidx) else None

        def reject(draw: np.ndarray) -> np.ndarray:
            out: np.ndarray = np.abs(draw @ ws) / slope_se > t_s
            if Sp is not None and math.isfinite(f_crit):
                wald = np.einsum("ij,jk,ik->i", draw[:, jidx], Sp, draw[:, jidx])
                out |= wald * (n_units - k) / (k * (n_units - 1)) > f_crit
            return out

        power = rejection_probability(stated * (e + 1), S, reject)
    slope_80 = mde(slope_se, df).mde if slope_se > 0 else math.nan
    return PretrendTest((int(e[jw].min()), int(e[jw].max())) if jw.any() else (0, 0), F, (k, n_units - k), p_joint,
                        slope, slope_se, p_slope, (int(e.min()), int(e.max())), p, stated, power, slope_80, n_units)


def rm_identified_set(theta: float, max_pre_change: float, mbar: float, l_vec: np.ndarray) -> tuple[float, float]:
    """Delta^RM identified set for ``l' tau_post`` when the pre-period is known exactly.

    Every post-adoption bias step may be up to ``mbar x max_pre_change`` in size, and the bias at
    e starts from 0 at the reference, so ``l' delta`` ranges over ``+- mbar x max x sum_e |l_e| (e + 1)``
    (attained by steps all of one sign; the averaging vector has l >= 0).
    """
    h = float(np.sum(np.abs(l_vec) * (np.arange(len(l_vec)) + 1)))
    half = mbar * max_pre_change * h
    return theta - half, theta + half


def sensitivity(event_time: np.ndarray, beta: np.ndarray, sigma: np.ndarray, *, n_units: int,
                mbar: float = MBAR, pre_periods: int = JOINT_WINDOW, post_periods: int = POST_WINDOW,
                block: int = 1) -> Sensitivity | None:
    """Relative-magnitudes sensitivity of the short-run average effect (module docstring).

    ``event_time`` has the reference at -1; pre-adoption coefficients at -2, -3, ... (up to
    ``pre_periods`` of them) and post ones at 0 .. ``post_periods`` - 1 are used. Returns None when there
    is no pre-adoption change to scale by or no post-adoption coefficient.
    """
    pre_idx = np.flatnonzero((event_time <= -2) & (event_time >= -(pre_periods + 1)))
    post_idx = np.flatnonzero((event_time >= 0) & (event_time < post_periods))
    if len(pre_idx) == 0 or len(post_idx) == 0 or n_units < 3:
        return None
    post_idx = post_idx[np.argsort(event_time[post_idx])]
    post_e = event_time[post_idx]
    if post_e[0] != 0:
        return None
    H = 1
    while H < len(post_e) and post_e[H] == H:
        H += 1
    post_idx = post_idx[:H]
    pre_idx = pre_idx[np.argsort(event_time[pre_idx])]
    pre_e = event_time[pre_idx]
    # consecutive pre-adoption coefficients ending at -2 only (a gap would hide a step)
    if pre_e[-1] != -2:
        return None
    start = len(pre_e) - 1
    while start > 0 and pre_e[start - 1] == pre_e[start] - 1:
        start -= 1
    pre_idx = pre_idx[start:]
    df = n_units - 1
    k = len(pre_idx)
    # one-period changes: b_{s+1} - b_s inside the window and 0 - b_{-2} into the reference
    D = np.zeros((k, len(beta)))
    for i in range(k - 1):
        D[i, pre_idx[i + 1]], D[i, pre_idx[i]] = 1.0, -1.0
    D[k - 1, pre_idx[-1]] = -1.0
    changes = D @ beta
    max_change = float(np.max(np.abs(changes)))
    l_vec = np.zeros(len(beta))
    l_vec[post_idx] = 1.0 / H
    theta = float(l_vec @ beta)
    se = float(math.sqrt(max(l_vec @ sigma @ l_vec, 0.0)))
    q = float(stats.t.ppf(0.975, df))
    h = (H + 1) / 2
    ident = rm_identified_set(theta, max_change, mbar, np.full(H, 1.0 / H))
    robust = ConfidenceInterval(ident[0] - q * se, ident[1] + q * se)
    brk = max(0.0, (abs(theta) - q * se) / (max_change * h)) if max_change > 0 else math.inf
    target = (f"average change over the first {H * block} periods after adoption"
              + (f" ({H} blocks of {block})" if block > 1 else ""))
    return Sensitivity(target, H, theta, se,
                       ConfidenceInterval(theta - q * se, theta + q * se), mbar, robust, ident, brk, max_change)
