"""Benjamini–Hochberg against the BH (1995) worked example (R10, [PUB])."""

from __future__ import annotations

import pytest

from correlate.stats.multiple import bh_adjust

R10 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528,
       0.7590, 1.0000]


def test_bh_worked_example() -> None:
    adj = bh_adjust(R10)
    assert adj[:6] == pytest.approx([0.0015, 0.0030, 0.0095, 0.0356, 0.0603, 0.0639], abs=1e-4)
    assert sum(a < 0.05 for a in adj) == 4  # BH rejects 4
    assert sum(p < 0.05 / len(R10) for p in R10) == 3  # Bonferroni rejects 3


def test_missing_pvalues_pass_through_and_do_not_count() -> None:
    adj = bh_adjust([0.01, None, 0.04, float("nan")])
    assert adj[1] is None and adj[3] is None
    assert adj[0] == pytest.approx(0.02) and adj[2] == pytest.approx(0.04)
