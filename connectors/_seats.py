"""Flat seat fees (Copilot, Cursor plans) spread over days, so a seat-day can carry its share of cost."""

from __future__ import annotations

import calendar
from datetime import date

__all__ = ["seat_share"]


def seat_share(day: date, seat_cost_usd_per_month: float) -> float:
    """The daily share of a monthly seat fee: the fee divided by the number of days in ``day``'s month.

    Example: a $19 seat on a day in February 2026 (28 days) carries $19 / 28 ≈ $0.679.
    """
    return seat_cost_usd_per_month / calendar.monthrange(day.year, day.month)[1]
