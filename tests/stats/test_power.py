"""Power and MDE: R12 textbook values [PUB] and the MDE multipliers quoted in docs/statistics.md §3.J."""

from __future__ import annotations

import pytest

from correlate.stats.power import design_effect, mde, teams_per_group


def test_two_group_sample_sizes() -> None:
    assert teams_per_group(0.5) == pytest.approx(63.77, abs=0.01)
    assert teams_per_group(0.2) == pytest.approx(393.41, abs=0.01)
    assert teams_per_group(0.5, paired=True) == pytest.approx(33.37, abs=0.01)


def test_mde_multipliers() -> None:
    assert mde(1.0, None).mde == pytest.approx(2.80, abs=0.005)
    assert mde(1.0, 9).mde == pytest.approx(3.15, abs=0.01)  # G = 10
    assert mde(0.02, 499).mde == pytest.approx(0.056, abs=0.001)


def test_design_effect() -> None:
    assert design_effect(52, 0.1) == pytest.approx(6.1)
