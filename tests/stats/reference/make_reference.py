"""Re-derive the cross-package [XPKG] reference values the statistics tests use, with independent code paths.

Run: ``python tests/stats/reference/make_reference.py`` (from the project root). Prints JSON.

* Callaway–Sant'Anna on mpdta with the pinned ``differences`` 0.3.0 (never and not-yet-treated controls):
  group, simple and dynamic aggregates with analytic SEs (tests/stats/test_did.py; docs/statistics.md R1).
* Naive TWFE on mpdta with statsmodels LSDV (``use_correction`` False/True brackets the fixest CRV1 value the
  engine reproduces, R2).
* Imputation (BJS) on mpdta with statsmodels: OLS of lemp on county + year dummies over untreated rows,
  prediction for treated rows, mean residual (R2: -0.04771).

The published values (R did README, Stata, lme4, rmcorr, BH 1995, power textbook) are quoted in the tests
with their source and need no script.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import statsmodels.formula.api as smf
from differences import ATTgt

MPDTA = Path(__file__).resolve().parents[2] / "fixtures" / "stats" / "mpdta.csv"


def cs_differences(d: pd.DataFrame, control: str) -> dict[str, float]:
    panel = d.assign(cohort=d["first.treat"].where(d["first.treat"] > 0)).set_index(["countyreal", "year"])
    att = ATTgt(data=panel, cohort_column="cohort")
    att.fit(formula="lemp", est_method="reg", control_group=control, progress_bar=False)
    out = {}
    for name, frame in (("group", att.aggregate("cohort", overall=True)), ("simple", att.aggregate("simple")),
                        ("dynamic", att.aggregate("event", overall=True))):
        out[name] = round(float(frame.iloc[0, 0]), 6)
        out[f"{name}_se"] = round(float(frame.iloc[0, 1]), 6)
    return out


def main() -> None:
    d = pd.read_csv(MPDTA)
    d["treat_post"] = ((d["first.treat"] > 0) & (d["year"] >= d["first.treat"])).astype(float)
    lsdv = {}
    for corr in (False, True):
        fit = smf.ols("lemp ~ treat_post + C(countyreal) + C(year)", d).fit(
            cov_type="cluster", cov_kwds={"groups": d["countyreal"], "use_correction": corr})
        lsdv[f"se_use_correction_{corr}"] = round(float(fit.bse["treat_post"]), 6)
        lsdv["coef"] = round(float(fit.params["treat_post"]), 6)
    untreated = d[d["treat_post"] == 0]
    m = smf.ols("lemp ~ C(countyreal) + C(year)", untreated).fit()
    treated = d[d["treat_post"] == 1]
    imputation = float((treated["lemp"] - m.predict(treated)).mean())
    print(json.dumps({
        "cs_never": cs_differences(d, "never_treated"), "cs_not_yet": cs_differences(d, "not_yet_treated"),
        "twfe_lsdv": lsdv, "imputation_att": round(imputation, 6),
    }, indent=2))


if __name__ == "__main__":
    main()
