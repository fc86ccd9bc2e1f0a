"""Formatters: table-driven, one decision each."""

from __future__ import annotations

import math

import pytest

from correlate.html import filters


@pytest.mark.parametrize(("fn", "value", "expected"), [
    (filters.fmt_int, 12345.4, "12,345"),
    (filters.fmt_int, None, "no data"),
    (filters.fmt_int, math.nan, "no data"),
    (filters.fmt_pct, 0.1234, "12%"),
    (filters.fmt_pct, 0.0, "0%"),
    (filters.fmt_usd, 1234.5, "$1,234"),
    (filters.fmt_usd, 12.345, "$12.35"),
    (filters.fmt_usd, math.nan, "no data"),
    (filters.fmt_hours, 0.5, "30 min"),
    (filters.fmt_hours, 12.34, "12.3 h"),
    (filters.fmt_hours, 72, "3.0 d"),
    (filters.fmt_pvalue, 0.0004, "<0.001"),
    (filters.fmt_pvalue, 0.0123, "0.012"),
    (filters.fmt_pvalue, 0.456, "0.46"),
])
def test_formatters(fn, value, expected) -> None:  # type: ignore[no-untyped-def]
    assert fn(value) == expected


def test_an_interval_uses_its_estimates_formatter() -> None:
    assert filters.fmt_ci(0.1, 0.25, "pct") == "[10%, 25%]"
    assert filters.fmt_ci(None, 1, "pct") == "no data"


@pytest.mark.parametrize(("fn", "value", "expected"), [
    (filters.fmt_d_pct, -0.12, "−12 pp"),
    (filters.fmt_d_pct, 0.0, "0.0 pp"),
    (filters.fmt_d_pct, -0.004, "−0.4 pp"),
    (filters.fmt_d_pct, 0.095, "+9.5 pp"),
    (filters.fmt_d_usd, -0.757, "−$0.76"),
    (filters.fmt_d_hours, -1.95, "−1.9 h"),
    (filters.fmt_d_hours, 0.25, "+15 min"),
    (filters.fmt_d_num, 2.0, "+2.0"),
    (filters.fmt_d_num, math.nan, "no data"),
    (filters.fmt_rho, -0.714, "−0.71"),
    (filters.fmt_days_week, 2.5, "2.5 days/week"),
])
def test_signed_difference_formatters(fn, value, expected) -> None:  # type: ignore[no-untyped-def]
    assert fn(value) == expected


@pytest.mark.parametrize(("value", "unit", "expected"), [
    (-12.34, "%", "−12.3%"),
    (1.8, "pp", "+1.8 pp"),
    (0.4, "PRs per dev-week", "+0.40 PRs per dev-week"),
    (None, "%", "no data"),
])
def test_effects_carry_sign_and_unit(value, unit, expected) -> None:  # type: ignore[no-untyped-def]
    assert filters.fmt_effect(value, unit) == expected


def test_effect_interval_uses_the_effect_format() -> None:
    assert filters.fmt_effect_ci(-20.06, -4.2, "%") == "[−20.1%, −4.2%]"
    assert filters.fmt_effect_ci(math.nan, 1, "%") == "no data"


def test_a_duration_interval_keeps_one_unit_for_both_ends() -> None:
    """Chosen by the wider end, so the two ends can be compared at a glance (not "[−2.1 d, +12.0 h]")."""
    assert filters.fmt_ci(-50.0, 12.0, "d_hours") == "[−2.1 d, +0.5 d]"
    assert filters.fmt_ci(-3.0, 0.5, "d_hours") == "[−3.0 h, +0.5 h]"
    assert filters.fmt_ci(0.25, 0.5, "hours") == "[15 min, 30 min]"
    assert filters.fmt_ci(20.0, 60.0, "hours") == "[0.8 d, 2.5 d]"
    assert filters.fmt_ci(0.0, 2.0, "d_hours") == "[0.0 h, +2.0 h]"


def test_a_missing_value_prints_no_data_never_zero() -> None:
    for f in (filters.fmt_usd, filters.fmt_pct, filters.fmt_int, filters.fmt_hours, filters.fmt_num):
        assert f(math.nan) == "no data" and f(None) == "no data"


def test_an_exact_zero_carries_no_sign() -> None:
    # "[±0.0, +2.0]" read as an interval inside an interval
    assert filters.fmt_effect(0.0, "%") == "0.0%"
    assert filters.fmt_d_num(0.0) == "0.0"


def test_a_resampling_p_value_never_claims_more_than_its_resamples_can_show() -> None:
    floor = 1 / 1000  # 999 resamples
    assert filters.fmt_pvalue(0.0, floor) == "≤0.001"
    assert filters.fmt_pvalue(0.001, floor) == "≤0.001"
    assert filters.fmt_pvalue(0.0004, None) == "<0.001"  # an analytic p-value may be smaller
    assert filters.fmt_pvalue(0.02, floor) == "0.020"
    assert filters.fmt_pvalue(1 / 200, 1 / 200) == "≤0.005"  # 199 resamples


def test_a_difference_that_rounds_to_zero_prints_as_zero_without_a_sign() -> None:
    # "−0.0" reads as a fall that the printed values beside it do not show
    assert filters.fmt_d_num(-0.04) == "0.0"
    assert filters.fmt_d_pct(-0.0004) == "0.0 pp"
    assert filters.fmt_d_usd(0.001) == "$0.00"
    assert filters.fmt_d_hours(-0.004) == "0 min"
    assert filters.fmt_ci(-0.04, 0.2, "d_num") == "[0.0, +0.2]"
    assert filters.fmt_ci(-0.01, 30.0, "d_hours") == "[0.0 h, +30.0 h]"


def test_durations_printed_side_by_side_share_one_unit() -> None:
    unit = filters.duration_unit([86.4, 69.6])
    assert unit == "d"
    assert [filters.fmt_hours(v, unit) for v in (86.4, 69.6)] == ["3.6 d", "2.9 d"]
    assert filters.fmt_d_hours(-16.8, unit) == "−0.7 d"  # not "−16.8 h" beside days
    assert filters.fmt_ci(-47.9, -2.7, "d_hours", unit) == "[−2.0 d, −0.1 d]"
    assert filters.duration_unit([0.5, 0.75]) == "min" and filters.duration_unit([0.5, 12.0]) == "h"
    assert filters.attr_fmt(0.5, "hours", "h") == "0.5 h"
