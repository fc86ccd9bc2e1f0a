"""Plain-language sentences for reports, bound to the evidence rung (``docs/statistics.md`` §1, §3.J).

Rules enforced here, so no template can forget them:

* below rung 4, no causal verbs ("caused", "drove", "resulted in", "impact of", "because of",
  "effect of", "led to"): :func:`check_wording` raises if a sentence would use one;
* rung 4 says "estimated effect (difference-in-differences)" and prints the assumption next to it;
* thin data or an estimate inside its MDE gets the mandatory "inconclusive" paragraph, never
  "no effect".

Numbers are formatted minimally here (the report's filters own styling); every sentence carries the
interval and n.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from correlate.stats.results import CorrelationResult, Gates

if TYPE_CHECKING:
    from correlate.stats.pretrend import PretrendTest, Sensitivity
    from correlate.stats.units import EventStudyDisplay

__all__ = [
    "ASSUMPTION",
    "DIVERGING",
    "CAUSAL_PATTERN",
    "association_sentence",
    "intensity_sentence",
    "check_wording",
    "effect_sentence",
    "event_study_caption",
    "inconclusive_paragraph",
    "insufficient_paragraph",
    "rung_and_reason",
]

CAUSAL_PATTERN = re.compile(
    r"\b(caus(e|ed|es|ing)|drove|drives?|driven|resulted in|results? in|impact of|because of|effect of|led to"
    r"|leads to|thanks to)\b", re.IGNORECASE)

ASSUMPTION = {
    1: "Purely descriptive: teams differ in many ways besides AI use.",
    2: "Association within teams: it holds fixed what differs between teams and between weeks, but a time-varying "
       "factor such as workload can move both AI use and the outcome.",
    3: "Assumes the pre-adoption trend would have continued.",
    4: "Estimate under the parallel-trends assumption: without adoption, adopting teams would have moved like the "
       "comparison teams; also assumes no anticipation and no spill-over between teams.",
}


def check_wording(text: str, rung: int) -> str:
    """Return ``text`` unchanged, or raise ``ValueError`` if it uses causal language below rung 4."""
    if rung < 4 and (m := CAUSAL_PATTERN.search(text)):
        raise ValueError(f"causal wording {m.group(0)!r} is not allowed at evidence rung {rung}: {text!r}")
    return text


def _num(v: float, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    # small effects in outcome units (a log point, a share) keep two significant digits: -0.031, not -0.0
    return f"{v:+.2g}" if 0 < abs(v) < 0.95 else f"{v:+.{digits}f}"


def _u(v: float, unit: str) -> str:
    """A signed number with its unit: '-12.3%', '+1.8pp', '+0.4 PRs per dev-week'."""
    if not unit:
        return _num(v)
    return f"{_num(v)}{unit}" if unit in ("%", "pp", "h") else f"{_num(v)} {unit}"


def association_sentence(r: CorrelationResult, x_label: str, y_label: str) -> str:
    """"Teams with higher X tend to have higher Y" (rung 1) or "within the same team ..." (rung 2)."""
    if math.isnan(r.statistic):
        return f"There are too few teams with data to relate {x_label} and {y_label}."
    direction = "higher" if r.statistic > 0 else "lower"
    ci = f"95% CI {r.ci.low:.2f} to {r.ci.high:.2f}" if not math.isnan(r.ci.low) else "no interval"
    if r.rung >= 2:
        text = (f"Within the same team, weeks with more {x_label} coincide with {direction} {y_label} "
                f"(r = {r.statistic:.2f}, {ci}; {r.n} team-weeks, {r.n_units} teams).")
    else:
        text = (f"Teams with higher {x_label} tend to have {direction} {y_label} "
                f"(Spearman rho = {r.statistic:.2f}, {ci}; {r.n} teams).")
    return check_wording(text, r.rung)


def effect_sentence(label: str, value: float, low: float, high: float, unit: str, *, rung: int,
                    control: str, n_units: int, n_adopting: int, reason: str = "") -> str:
    """One summary sentence for a primary outcome at its evidence rung (value and interval in business units).

    Below rung 4 ``reason`` (from :func:`rung_and_reason`) says in one sentence why it is not worded as an effect.
    """
    comp = "teams that had not yet adopted" if control == "not_yet" else "teams that never adopted"
    rng = f"{_u(value, unit)} (95% CI {_u(low, unit)} to {_u(high, unit)}; {n_units} teams, {n_adopting} adopting)"
    if rung >= 4:
        text = (f"Compared with {comp}, adopting teams' {label} changed by {rng}: estimated effect "
                f"(difference-in-differences). {ASSUMPTION[4]}")
    elif rung == 3:
        text = f"After adoption, {label} departed from its prior trend by {rng}. {ASSUMPTION[3]}"
    else:
        why = reason or "pre-adoption trends may differ."
        text = (f"Compared with {comp}, adopting teams' {label} moved by {rng}; this is an association, not an "
                f"estimate of what adoption did. {why}")
    return check_wording(text, rung)


def intensity_sentence(label: str, value: float, low: float, high: float, unit: str, *, n_units: int) -> str:
    """Rung-2 sentence for a TWFE slope on adoption intensity, read as 'from no AI use to full use'."""
    text = (f"Within the same team, weeks with higher AI adoption coincide with {label} differing by {_u(value, unit)} "
            f"between no use and full use (95% CI {_u(low, unit)} to {_u(high, unit)}; {n_units} teams). "
            f"{ASSUMPTION[2]}")
    return check_wording(text, 2)


def inconclusive_paragraph(*, G: int, adopting: int, comparison: int, weeks: int, mde_pct: float,
                           est_pct: float, lo: float, hi: float, mde_hours: float | None = None,
                           unit: str = "%", label: str = "median PR cycle time") -> str:
    """The mandatory paragraph when the estimate is inside its minimum detectable effect (§3.J).

    ``label`` names the duration ``mde_hours`` is in (the review-time paragraph said "h of median PR cycle time")."""
    hours = f" ({abs(mde_hours):.1f} h of {label})" if mde_hours is not None and not math.isnan(
        mde_hours) else ""
    return (f"With {G} teams ({adopting} adopting, {comparison} comparison) and {weeks} weeks, this analysis can "
            f"reliably detect only changes larger than about {_u(abs(mde_pct), unit).lstrip('+')}{hours}. "
            f"The estimated change, {_u(est_pct, unit)} (95% CI {_u(lo, unit)} to {_u(hi, unit)}), is inside that "
            "range, so the data cannot distinguish a real change of this size from normal week-to-week variation. "
            "The result is inconclusive; it is not evidence of no change.")


def multiplicity_paragraph(*, est_pct: float, lo: float, hi: float, unit: str, p_bh: float, m: int) -> str:
    """The paragraph when an interval excludes zero but the report-wide BH-adjusted p-value does not pass."""
    return (f"The estimated change, {_u(est_pct, unit)} (95% CI {_u(lo, unit)} to {_u(hi, unit)}), excludes zero on "
            f"its own, but this report tests {m} estimates at once: after the Benjamini–Hochberg correction for "
            f"that, its adjusted p-value is {p_bh:.3f}, above 0.05, so it is not counted as a detected change. "
            "The result is inconclusive; it is not evidence of no change.")


def insufficient_paragraph(gates: Gates) -> str:
    """The paragraph shown when the gates allow descriptives only (no p-values are printed)."""
    why = "; ".join(gates.reasons) if gates.reasons else "too little data"
    return (f"Insufficient data for inference: {why}. With {gates.n_units} teams ({gates.n_adopting} adopting, "
            f"{gates.n_control} comparison) and {gates.n_weeks} weeks, any estimate would be dominated by noise, so "
            "this report shows per-team medians before and after adoption only, without p-values. The result is "
            "inconclusive; it is not evidence of no change.")


# how the reason for a failed pre-trend check begins (the report adds it to sentences that are not detections)
DIVERGING = "Adopting teams were already diverging"


def _slope(slope: float, scale: str) -> str:
    """A pre-trend slope in the reader's unit: the estimation scale's log points are % per period."""
    if scale == "log":
        return f"about {100 * math.expm1(slope):+.1f}% per period"
    if scale == "pp":
        return f"about {100 * slope:+.2f} percentage points per period"
    return f"{slope:+.4f} per period"


def rung_and_reason(pretrend: PretrendTest | None, sens: Sensitivity | None, *,
                    scale: str = "level") -> tuple[int, str]:
    """The evidence rung of a difference-in-differences and, below 4, the one sentence that says why.

    Rung 4 ("estimated effect") needs all three: the pre-trend check does not reject, it had at least
    80% power against the stated trend, and the short-run change still excludes zero when the bias may
    shift after adoption by as much as the largest pre-adoption shift (Mbar = 1). A short-run change
    that is not distinguishable from zero under that allowance does not support an effect claim about
    the longer headline window either, whose possible trend bias only grows with the horizon.
    """
    if pretrend is None:
        return 2, ("There are too few weeks before adoption to test whether adopting teams were already "
                   "diverging, so this is reported as an association, not an estimated effect.")
    if not pretrend.passed:
        return 2, (f"{DIVERGING} from the comparison teams before adoption (drifting {_slope(pretrend.slope, scale)}"
                   f" relative to them; pre-trend test p = {_p(pretrend.pvalue)}), so this is an association, not "
                   "an estimated effect.")
    if not pretrend.adequate_power:
        return 2, (f"The pre-adoption check would have caught a trend large enough to fake a detectable change "
                   f"({pretrend.power_against:.3g} per period) only {100 * pretrend.power:.0f}% of the time (80% "
                   "needed), so a diverging trend cannot be ruled out and this is reported as an association.")
    if sens is None:
        return 2, ("The sensitivity of the estimate to a diverging trend could not be computed, so this is "
                   "reported as an association, not an estimated effect.")
    if not sens.survives:
        # worded as what could be true, not as "not distinguishable": the sentence sits beside "a difference the
        # data can distinguish from noise", which is about the plain interval
        return 2, (f"if the comparison teams could have drifted after adoption as much as they drifted before, the "
                   f"{sens.target} could still be zero (the conclusion holds only up to {sens.breakdown_mbar:.2f} "
                   "times that drift; 1 is needed), so this is reported as an association.")
    return 4, ""


def _p(p: float) -> str:
    return "n/a" if math.isnan(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")


def event_study_caption(label: str, view: EventStudyDisplay, *, n_adopting: int) -> str:
    """The caption that matches the plotted window, the reference week and the band type."""
    lo, hi = view.window
    cut = (" Bands that run past the axis are cut at its edge; the table has every number." if view.clipped
           else "")
    return (f"{label} ({view.unit}) by week relative to adoption, weeks {lo} to {hi:+d} (0 = first adopted week; "
            f"week {view.reference} is the reference, 0 by construction): the weeks where at least half of the "
            f"{n_adopting} adopting teams contribute. {view.band.capitalize()} 95% bands.{cut}")
