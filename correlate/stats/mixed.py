"""Section F: Gaussian mixed models (partial pooling across teams) via statsmodels ``MixedLM``.

Used for PR-level log durations to stabilise small teams and to split variance into team and
residual parts. Not for effect claims (random intercepts assume adoption is unrelated to the team
effect, which self-selection violates; prefer the fixed-effects estimators), and not with fewer
than about 6 teams (variances poorly identified): the result carries ``converged`` and a warning.
Validated against R ``lme4`` on statsmodels' dietox data (R6).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd
import statsmodels.formula.api as smf

from correlate.errors import AnalysisError

__all__ = ["MixedResult", "mixed_model"]


@dataclass(frozen=True)
class MixedResult:
    """Fixed effects (``params``, ``bse``), variance components and fit statistics of a MixedLM."""

    params: pd.Series
    bse: pd.Series
    cov_re: pd.DataFrame
    scale: float
    llf: float
    n: int
    n_groups: int
    reml: bool
    converged: bool
    warnings: tuple[str, ...]
    method: str = "linear mixed model (statsmodels MixedLM)"


def mixed_model(data: pd.DataFrame, formula: str, *, group: str, re_formula: str | None = None,
                reml: bool = True, method: str | None = None) -> MixedResult:
    """Fit ``formula`` with random effects by ``group`` (random intercept, or ``re_formula="~x"`` for slopes).

    ``method`` passes an optimiser to statsmodels (``"powell"`` fits dietox's random slopes, where
    the default gradient methods stop early; ``converged`` and ``warnings`` say when that happens).

    Raises:
        AnalysisError: fewer than 2 groups or a singular fit statsmodels cannot return.

    Examples:
        >>> r = mixed_model(dietox, "Weight ~ Time", group="Pig")
        >>> round(r.params["Time"], 4)
        6.9425
    """
    d = data.dropna(subset=[group])
    if d[group].nunique() < 2:
        raise AnalysisError(f"a mixed model needs at least 2 groups in {group!r}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = smf.mixedlm(formula, d, groups=group, re_formula=re_formula, missing="drop").fit(
                reml=reml, **({"method": method} if method else {}))
        except (ValueError, __import__("numpy").linalg.LinAlgError) as exc:
            raise AnalysisError(f"the mixed model could not be fitted: {exc}") from None
    notes = tuple(str(w.message) for w in caught)
    k = fit.k_fe
    return MixedResult(fit.fe_params, fit.bse.iloc[:k], fit.cov_re, float(fit.scale), float(fit.llf), int(fit.nobs),
                       int(d[group].nunique()), reml, bool(fit.converged), notes)
