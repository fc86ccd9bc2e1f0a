"""Cross-package reference for the relative-magnitudes sensitivity (HonestDiD) and the universal-base event study.

Run in a throwaway environment (diff-diff is not a dependency of correlate):

    python -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install diff-diff==3.13.0
    /tmp/refvenv/bin/python tests/stats/reference/honest_reference.py

Prints JSON; tests/stats/test_pretrend.py quotes its numbers (diff-diff 3.13.0, numpy 2.4.6, pandas 3.1.1,
scipy 1.17.1, Python 3.11.7).

1. mpdta (tests/fixtures/stats/mpdta.csv), Callaway-Sant'Anna with never-treated controls, outcome
   regression, universal base period, event-study aggregation; then ``compute_honest_did(...,
   method="relative_magnitude", M=Mbar)`` for Mbar in 0.5, 1, 2 (its default target: the average of the
   post-adoption event times). diff-diff computes the identified set by a linear program over the union of
   polyhedra (Rambachan & Roth 2023, Lemma 2.2) and widens it by its critical value times the SE.
2. The same construction on fixed (beta, Sigma) inputs: the four fixtures R ``pretrends`` 0.1.0 was run on
   in diff-diff's benchmarks/data/r_pretrends_golden.json (K = 3 pre-periods at -3, -2, -1 relative to the
   reference 0, three post), through diff-diff's internal LP ``_solve_rm_bounds_union``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from diff_diff import CallawaySantAnna, compute_honest_did
from diff_diff.honest_did import _solve_rm_bounds_union

MPDTA = Path(__file__).resolve().parents[2] / "fixtures" / "stats" / "mpdta.csv"
# R pretrends 0.1.0 fixture "uniform_3_pre_periods_no_anticipation" (equicorrelated Sigma, 0.04 on the diagonal)
BETA = [0.0748350781672762, 0.068292848337178, -0.0771191463064529, -0.0935800609975106, 0.0682614805759886,
        0.211856579827921]
SIGMA = (0.04 * (0.3 * np.ones((6, 6)) + 0.7 * np.eye(6))).tolist()


def main() -> None:
    d = pd.read_csv(MPDTA)
    cs = CallawaySantAnna(control_group="never_treated", estimation_method="reg", base_period="universal")
    res = cs.fit(d, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat",
                 aggregate="event_study")
    es = {int(k): {"att": float(v["effect"]), "se": float(v["se"])} for k, v in res.event_study_effects.items()}
    honest = {}
    for mbar in (0.5, 1.0, 2.0):
        h = compute_honest_did(res, method="relative_magnitude", M=mbar)
        honest[str(mbar)] = {"lb": h.lb, "ub": h.ub, "ci_lb": h.ci_lb, "ci_ub": h.ci_ub}
    beta = np.array(BETA)
    ident = {}
    for mbar in (0.5, 1.0, 2.0):
        lb, ub = _solve_rm_bounds_union(beta[:3], beta[3:], np.full(3, 1 / 3), 3, mbar)
        ident[str(mbar)] = [float(lb), float(ub)]
    print(json.dumps({"mpdta_universal_event_study": es, "mpdta_relative_magnitudes": honest,
                      "fixed_inputs_identified_set": ident}, indent=1))


if __name__ == "__main__":
    main()
