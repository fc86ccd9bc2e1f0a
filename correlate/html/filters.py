"""Pure formatters used as jinja2 filters. Every rounding and wording decision about numbers lives here."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["FILTERS", "fmt_ci", "fmt_hours", "fmt_int", "fmt_num", "fmt_pct", "fmt_pvalue", "fmt_usd", "missing"]

DASH = "—"


def missing(value: Any) -> bool:
    """True for None and NaN (the report prints a dash, never 0, for a value that does not exist)."""
    if value is None:
        return True
    try:
        return bool(math.isnan(value))
    except TypeError:
        return False


def fmt_int(value: Any) -> str:
    """12,345 (rounded), or a dash."""
    return DASH if missing(value) else f"{round(float(value)):,}"


def fmt_num(value: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals and thousands separators, or a dash."""
    return DASH if missing(value) else f"{float(value):,.{digits}f}"


def fmt_pct(value: Any, digits: int = 0) -> str:
    """A share (0.123) as a percentage ("12%"), or a dash."""
    return DASH if missing(value) else f"{100 * float(value):.{digits}f}%"


def fmt_usd(value: Any) -> str:
    """Dollars: "$1,234" at or above $100, "$12.34" below, or a dash."""
    if missing(value):
        return DASH
    v = float(value)
    return f"${v:,.0f}" if abs(v) >= 100 else f"${v:,.2f}"


def fmt_hours(value: Any) -> str:
    """Hours for durations: "45 min" under an hour, "12.3 h" under 48 h, else "3.2 d"."""
    if missing(value):
        return DASH
    h = float(value)
    if h < 1:
        return f"{h * 60:.0f} min"
    if h < 48:
        return f"{h:.1f} h"
    return f"{h / 24:.1f} d"


def fmt_pvalue(value: Any) -> str:
    """p-values as statisticians print them: "<0.001", "0.012", "0.34"."""
    if missing(value):
        return DASH
    p = float(value)
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def fmt_ci(low: Any, high: Any, fmt: str = "num") -> str:
    """An interval "[lo, hi]" with the same formatter as its estimate."""
    if missing(low) or missing(high):
        return DASH
    f = FILTERS.get(fmt, fmt_num)
    return f"[{f(low)}, {f(high)}]"


def attr_fmt(value: Any, fmt: str) -> str:
    """Format ``value`` with the formatter named ``fmt`` (templates pick it from data, not by branching)."""
    return FILTERS[fmt](value)


FILTERS = {
    "int": fmt_int,
    "num": fmt_num,
    "pct": fmt_pct,
    "usd": fmt_usd,
    "hours": fmt_hours,
    "pvalue": fmt_pvalue,
    "ci": fmt_ci,
    "attr_fmt": attr_fmt,
}
