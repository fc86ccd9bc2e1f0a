"""Pure formatters used as jinja2 filters. Every rounding and wording decision about numbers lives here."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["DASH", "FILTERS", "duration_unit", "fmt_ci", "fmt_rho_ci",
           "fmt_d_hours", "fmt_d_num", "fmt_d_pct", "fmt_d_usd", "fmt_days_week", "fmt_effect",
           "fmt_effect_ci", "fmt_hours", "fmt_int", "fmt_num", "fmt_pct", "fmt_pvalue", "fmt_rho", "fmt_usd", "missing"]

DASH = "no data"  # what a value that does not exist prints as: never 0, $0.00 or a bare dash


def missing(value: Any) -> bool:
    """True for None and NaN (the report prints "no data", never 0, for a value that does not exist)."""
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


_DURATION_UNITS = {"min": (1 / 60, 0), "h": (1.0, 1), "d": (24.0, 1)}  # unit → (hours per unit, decimals)


def duration_unit(hours: Any) -> str:
    """The one unit for durations printed side by side ("min", "h" or "d"), chosen by the largest: "3.6 d"
    beside "2.9 d" and a difference of "−0.7 d", never "−17.6 h" beside days."""
    sizes = [abs(float(h)) for h in hours if not missing(h)]
    widest = max(sizes, default=0.0)
    return "min" if widest < 1 else ("h" if widest < 48 else "d")


def fmt_hours(value: Any, unit: str | None = None) -> str:
    """Hours for durations: "45 min" under an hour, "12.3 h" under 48 h, else "3.2 d" (or in ``unit``)."""
    if missing(value):
        return DASH
    h = float(value)
    unit = unit or duration_unit([h])
    per, digits = _DURATION_UNITS[unit]
    return f"{h / per:.{digits}f} {unit}"


def fmt_pvalue(value: Any, floor: float | None = None) -> str:
    """p-values as statisticians print them: "<0.001", "0.012", "0.34".

    ``floor``: the smallest p-value the test can give (a resampling test with B resamples: 1/(B+1)). A
    p-value at the floor prints as "≤" the floor, never smaller ("<0.001" from 999 resamples claims more
    than 999 resamples can show)."""
    if missing(value):
        return DASH
    p = float(value)
    if floor is not None and p <= floor * (1 + 1e-9):
        return f"≤{_plain(floor)}"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def _plain(v: float) -> str:
    """A small positive number with the digits it needs: 0.001, 0.005, 0.0099."""
    text = f"{v:.2g}" if v < 0.001 else f"{v:.3f}".rstrip("0")
    return text if "e" not in text else f"{v:.6f}".rstrip("0")


def fmt_ci(low: Any, high: Any, fmt: str = "num", unit: str | None = None) -> str:
    """An interval "[lo, hi]" with the same formatter as its estimate (durations: in ``unit`` if given)."""
    if missing(low) or missing(high):
        return DASH
    if fmt in ("hours", "d_hours"):
        # both ends in one unit, chosen by the wider end: "[−2.1 d, +0.5 d]", never "[−2.1 d, +12.0 h]"
        unit = unit or duration_unit([low, high])

        def f(v: Any) -> str:
            body = fmt_hours(abs(float(v)), unit)
            return body if fmt == "hours" else _signed(v, lambda _: body)

        return f"[{f(low)}, {f(high)}]"
    fmt_end: Callable[[Any], str] = FILTERS.get(fmt, fmt_num)
    return f"[{fmt_end(low)}, {fmt_end(high)}]"


def fmt_effect(value: Any, unit: str = "") -> str:
    """A signed estimate with its unit: "−12.3%", "+1.8 pp", "+0.40 PRs per dev-week", or a dash."""
    if missing(value):
        return DASH
    v = float(value)
    sign = "+" if v > 0 else ("−" if v < 0 else "")  # an exact 0 has no sign: "±0.0" read as an interval
    if unit == "%":
        return f"{sign}{abs(v):.1f}%"
    if unit == "pp":
        return f"{sign}{abs(v):.1f} pp"
    if unit in ("h", "hours"):
        return f"{sign}{fmt_hours(abs(v))}"
    return f"{sign}{abs(v):,.2f} {unit}".rstrip()


def fmt_effect_ci(low: Any, high: Any, unit: str = "") -> str:
    """An interval of two signed estimates: "[−20.1%, −4.2%]"."""
    if missing(low) or missing(high):
        return DASH
    return f"[{fmt_effect(low, unit)}, {fmt_effect(high, unit)}]"


def _signed(value: Any, body: Any) -> str:
    if missing(value):
        return DASH
    v = float(value)
    text = body(abs(v))
    if not any(c in "123456789" for c in text):
        return str(text)  # what prints as 0 has no sign: "−0.0" reads as a fall that is not there
    return f"{'+' if v > 0 else '−'}{text}"


def fmt_d_pct(value: Any) -> str:
    """A difference of two shares in percentage points: "−12 pp"; under 10 pp with one decimal ("−0.4 pp"),
    so a small difference never prints as "−0 pp"."""
    return _signed(value, lambda v: f"{100 * v:.0f} pp" if 100 * v >= 9.95 else f"{100 * v:.1f} pp")


def fmt_d_usd(value: Any) -> str:
    """A signed dollar difference: "−$0.76"."""
    return _signed(value, fmt_usd)


def fmt_d_hours(value: Any, unit: str | None = None) -> str:
    """A signed duration difference: "−1.9 h", "+13 min" (or in ``unit``)."""
    return _signed(value, lambda v: fmt_hours(v, unit))


def fmt_d_num(value: Any) -> str:
    """A signed number with one decimal: "+2.0"."""
    return _signed(value, lambda v: f"{v:,.1f}")


def fmt_days_week(value: Any) -> str:
    """Deployment days per week: "2.5 days/week"."""
    return DASH if missing(value) else f"{float(value):.1f} days/week"


def fmt_rho(value: Any) -> str:
    """A correlation coefficient with two decimals and an explicit sign."""
    return DASH if missing(value) else f"{float(value):+.2f}".replace("-", "−")


def fmt_rho_ci(low: Any, high: Any) -> str:
    """A correlation's interval "[−0.12, +0.40]", or "no data"."""
    if missing(low) or missing(high):
        return DASH
    return f"[{fmt_rho(low)}, {fmt_rho(high)}]"


def attr_fmt(value: Any, fmt: str, unit: str | None = None) -> str:
    """Format ``value`` with the formatter named ``fmt`` (templates pick it from data, not by branching);
    durations in ``unit`` when given (a row of durations in one unit: :func:`duration_unit`)."""
    return FILTERS[fmt](value, unit) if unit and fmt in ("hours", "d_hours") else FILTERS[fmt](value)


FILTERS: dict[str, Callable[..., str]] = {
    "int": fmt_int,
    "num": fmt_num,
    "pct": fmt_pct,
    "usd": fmt_usd,
    "hours": fmt_hours,
    "pvalue": fmt_pvalue,
    "ci": fmt_ci,
    "attr_fmt": attr_fmt,
    "effect": fmt_effect,
    "effect_ci": fmt_effect_ci,
    "rho": fmt_rho,
    "rho_ci": fmt_rho_ci,
    "days_week": fmt_days_week,
    "d_pct": fmt_d_pct,
    "d_usd": fmt_d_usd,
    "d_hours": fmt_d_hours,
    "d_num": fmt_d_num,
    "duration_unit": duration_unit,
}
