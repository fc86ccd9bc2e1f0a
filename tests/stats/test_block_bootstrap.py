"""The one moving-block bootstrap: its interval covers a planted difference, and every edge case follows
the rules in the module docstring (short series, missing weeks, rates over weeks without trials)."""

from __future__ import annotations

import math

import numpy as np

from correlate.stats.block_bootstrap import MIN_WEEKS, block_index, median_difference, pooled_rate_difference


def test_blocks_are_runs_of_consecutive_weeks_inside_the_series() -> None:
    idx = block_index(10, np.random.default_rng(0), 200)
    assert idx.shape == (200, 10) and idx.min() >= 0 and idx.max() <= 9
    # positions 0-3, 4-7 and 8-9 of every resample are runs of consecutive weeks
    for lo, hi in ((0, 4), (4, 8), (8, 10)):
        assert (np.diff(idx[:, lo:hi], axis=1) == 1).all()
    short = block_index(3, np.random.default_rng(0), 50)
    assert (short == np.arange(3)).all()  # shorter than a block: one block of its own length


def test_the_interval_covers_a_planted_difference_in_medians() -> None:
    rng = np.random.default_rng(5)
    a = 30 + rng.normal(0, 3, 26)
    b = 20 + rng.normal(0, 3, 26)
    r = median_difference(a, b, reps=999, seed=2)
    assert r.low < 10 < r.high and r.low > 0
    assert r.pvalue is not None and r.pvalue < 0.01
    assert (r.n_a, r.n_b) == (26, 26)
    again = median_difference(a, b, reps=999, seed=2)
    assert again == r  # reproducible from its inputs
    swapped = median_difference(b, a, reps=999, seed=2)
    assert swapped.difference == -r.difference


def test_missing_weeks_are_dropped_and_too_few_weeks_give_no_interval() -> None:
    a = np.array([1.0, np.nan, 2.0, 3.0, np.nan, 4.0])
    b = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    r = median_difference(a, b)
    assert r.n_a == 4 and r.stat_a == 2.5 and not math.isnan(r.low)
    thin = median_difference(a[:3], b)
    assert thin.n_a == MIN_WEEKS - 2 and math.isnan(thin.low) and thin.pvalue is None
    assert thin.difference == 0.5  # the point difference is still given


def test_pooled_rates_count_weeks_with_trials_and_drop_resamples_without_any() -> None:
    events_a, trials_a = np.array([1, 0, 0, 1, 0, 2.0]), np.array([10, 0, 0, 10, 10, 10.0])
    events_b, trials_b = np.array([0, 0, 0, 1, 0, 0.0]), np.array([5, 5, 5, 5, 5, 5.0])
    r = pooled_rate_difference(events_a, trials_a, events_b, trials_b, reps=499)
    assert r.n_a == 4 and r.n_b == 6
    assert r.difference == 4 / 40 - 1 / 30
    assert r.low <= r.difference <= r.high
    none = pooled_rate_difference(events_a[:3], trials_a[:3], events_b, trials_b)
    assert none.n_a == 1 and math.isnan(none.low) and none.pvalue is None
    # trials in only 4 of 40 weeks: resamples without any are dropped, the others still give an interval
    sparse_t = np.zeros(40)
    sparse_t[[0, 1, 2, 3]] = 10
    sparse = pooled_rate_difference(np.where(sparse_t > 0, 1.0, 0.0), sparse_t, np.ones(40), np.full(40, 4.0),
                                    reps=499)
    assert sparse.n_a == 4 and sparse.low <= sparse.difference <= sparse.high
    assert math.isfinite(sparse.low) and sparse.pvalue is not None


def test_a_rate_difference_pools_events_and_trials_over_the_weeks() -> None:
    ev_a, tr_a = np.array([0, 1, 0, 0, 1, 0, 0, 1.0]), np.full(8, 2.0)
    ev_b, tr_b = np.zeros(8), np.full(8, 2.0)
    r = pooled_rate_difference(ev_a, tr_a, ev_b, tr_b, reps=499)
    assert r.stat_a == 3 / 16 and r.stat_b == 0.0 and r.difference == 3 / 16
    assert 0.0 <= r.low < r.difference < r.high
