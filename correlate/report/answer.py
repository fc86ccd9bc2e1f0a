"""Page one of the monthly report: is it working, how sure are we, what does it cost, what to do next.

Every sentence here is made from numbers the statistics engine and the builders already computed; this
module only words them. The wording follows the evidence rung (``correlate.stats.wording``): below
rung 4 no sentence may use causal language (:func:`correlate.stats.wording.check_wording` raises), and
a rung-4 sentence says it is an estimate under the parallel-trends assumption. An estimate inside its
minimum detectable effect is "no detectable change" with the size the data could have seen, never
"no effect"; an interval that excludes zero but does not pass the correction for the report's number of
tests says exactly that, and never offers the minimum detectable effect as its reading. Which of these an
outcome is, the statistics engine decides (``correlate.stats.suite``); this module only words it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from correlate.metrics.catalogue import metric
from correlate.report.sections import (
    VERDICT_STATUS,
    Period,
    SpendMonth,
    SpendSummary,
    StatLine,
    StatsSection,
    Verdict,
)
from correlate.report.statistics import TOO_WIDE_FACTOR
from correlate.stats.wording import DIVERGING, check_wording

__all__ = ["SUBJECT", "next_steps", "spend_summary", "verdicts"]

SUBJECT = "Teams that adopted AI coding assistants"

# How a change in each primary outcome reads in plain words: (when the number went up, when it went down).
# "{x}" is the size of the change.
PHRASES: dict[str, tuple[str, str]] = {
    "pr_cycle_time_h": ("merged PRs {x} slower", "merged PRs {x} faster"),
    "pr_review_time_h": ("spent {x} longer in review", "spent {x} less time in review"),
    "prs_merged_per_dev_week": ("merged {x} more PRs per developer-week", "merged {x} fewer PRs per developer-week"),
    "deployments_per_week": ("deployed {x} more often", "deployed {x} less often"),
    "change_failure_rate": ("had a change failure rate {x} higher", "had a change failure rate {x} lower"),
    "incidents_per_100_deploys": ("had {x} more incidents per deployment", "had {x} fewer incidents per deployment"),
}


def _size(v: float, unit: str) -> str:
    """A magnitude without sign: "18%", "4.1 percentage points", "0.4 PRs per dev-week"."""
    a = abs(v)
    if unit == "%":
        return f"{a:.0f}%" if a >= 9.5 else f"{a:.1f}%"
    if unit == "pp":
        return f"{a:.1f} percentage points"
    return f"{a:,.2f} {unit}".rstrip()


def _signed(v: float, unit: str) -> str:
    sign = "+" if v > 0 else ("−" if v < 0 else "")
    body = _size(v, unit).replace(" percentage points", " pp")
    return f"{sign}{body}"


def _interval(low: float, high: float, unit: str) -> str:
    """"95% CI 9–26%" when both ends point the same way, else "95% CI −4% to +12%"."""
    if low * high > 0:
        a, b = sorted((abs(low), abs(high)))
        lo, hi = _size(a, unit), _size(b, unit)
        if unit == "%":
            return f"95% CI {lo.rstrip('%')}–{hi}"
        if unit == "pp":
            return f"95% CI {lo.split(' ')[0]}–{hi}"
        return f"95% CI {lo}–{hi}"
    return f"95% CI {_signed(low, unit)} to {_signed(high, unit)}"


def _diverging(line: StatLine) -> str:
    """The failed pre-trend check, said after a sentence that is not a detection: a reader must not take a
    confounded movement, or its absence, at face value."""
    return f" {line.rung_reason}" if line.rung < 4 and line.rung_reason.startswith(DIVERGING) else ""


def _verdict(line: StatLine) -> Verdict:
    """One outcome's sentence from its summary line (estimate, interval, MDE, rung, verdict)."""
    name, label = line.metric, line.outcome
    title = label[:1].upper() + label[1:]
    if line.verdict == "too_wide":
        text = (f"{title}: too few events to estimate a change (its 95% interval spans more than a "
                f"{TOO_WIDE_FACTOR:.0f}-fold change); the report shows medians only.")
        return Verdict(label, "too_little_data", check_wording(text, 1), line.rung)
    if line.verdict == "descriptive" or math.isnan(line.estimate):
        # the gates' reason (too few weeks, no adopting team), not a team count that reads as the cause
        why = f": {line.reason}." if line.reason else "."
        text = f"{title}: too little data to estimate a change{why} The report shows medians only."
        return Verdict(label, "too_little_data", check_wording(text, 1), line.rung)
    up, down = PHRASES.get(name, (f"had {label} {{x}} higher", f"had {label} {{x}} lower"))
    better_dir = metric(name).better if name else None
    went_up = line.estimate > 0
    better = None if better_dir is None or line.estimate == 0 else (went_up == (better_dir == "higher"))
    ci = _interval(line.low, line.high, line.unit)
    status = VERDICT_STATUS.get(line.verdict, "no_change")
    if status == "not_after_correction":
        # the interval excludes zero on its own; what holds it back is the correction for testing many estimates,
        # so that is what the sentence says, and the minimum detectable effect (smaller than what was seen) is not
        # offered as the reading
        tests = f"{line.tests} estimates" if line.tests > 1 else "several estimates"
        adjusted = f" (adjusted p = {line.p_bh:.3f})" if line.p_bh is not None and not math.isnan(line.p_bh) else ""
        move = "a rise" if went_up else "a fall"
        text = (f"{title}: {move} of {_size(line.estimate, line.unit)} ({ci}), which does not survive the "
                f"correction for testing {tests} at once{adjusted}, so it is not counted as a detected change. "
                f"That is not evidence of no change.{_diverging(line)}")
        return Verdict(label, status, check_wording(text, min(line.rung, 3)), line.rung, line.estimate, line.low,
                       line.high, line.unit, None)
    if status != "detected":
        # the minimum detectable effect is the reading only of an interval that includes zero
        inside = line.low <= 0 <= line.high
        seen = _size(line.mde, line.unit) if inside and not math.isnan(line.mde) else ""
        limit = f"; the data could only have seen changes larger than about {seen}" if seen else ""
        text = (f"{title}: no detectable change ({_signed(line.estimate, line.unit)}, {ci}){limit}. "
                f"That is not evidence of no change.{_diverging(line)}")
        return Verdict(label, "no_change", check_wording(text, min(line.rung, 3)), line.rung, line.estimate,
                       line.low, line.high, line.unit, None)
    change = (up if went_up else down).format(x=_size(line.estimate, line.unit))
    if line.rung >= 4:
        text = (f"{SUBJECT} {change} ({ci}), a change the data can distinguish from noise. It is an estimate of "
                "what adoption changed, valid if adopting teams would otherwise have moved like the comparison "
                "teams.")
    else:
        why = line.rung_reason or "the checks that would make it an estimate of what adoption changed did not pass."
        why = why[:1].lower() + why[1:]  # it follows a colon
        text = (f"{SUBJECT} {change} than the comparison teams ({ci}), a difference the data can distinguish from "
                f"noise. It is an association, not an estimate of what adoption changed: {why}")
    return Verdict(label, "detected", check_wording(text, line.rung), line.rung, line.estimate, line.low, line.high,
                   line.unit, better)


def verdicts(stats: StatsSection) -> tuple[tuple[Verdict, ...], str]:
    """Page one's verdict per primary outcome, and one sentence on how sure the report is."""
    if not stats.available:
        return ((Verdict("all outcomes", "unavailable",
                         f"No estimate of what changed this month: {stats.reason}."),),
                "No statistical estimate: the report describes the month only.")
    out = tuple(_verdict(line) for line in stats.summary)
    estimated = [v for v in out if v.status in ("detected", "no_change", "not_after_correction")]
    kind = _evidence_kind(len(estimated), sum(1 for v in estimated if v.rung >= 4)) if estimated else \
        "descriptive only"
    evidence = f"How sure: {stats.level}; {kind}. Intervals are 95%; p-values are corrected for the number of tests."
    return out, evidence


def _evidence_kind(n: int, at4: int) -> str:
    """What the estimates are, by how many of the ``n`` estimated outcomes reached rung 4: all, none or some."""
    checks = "the checks that make a result an estimate of what adoption changed"
    if at4 == n:
        return ("difference-in-differences: each adopting team against teams that had not adopted at the same time, "
                "which rules out fixed differences between teams but rests on the parallel-trends assumption")
    if at4 == 0:
        which = "the one outcome did not pass" if n == 1 else f"none of the {n} outcomes passed"
        read = "it is read as an association" if n == 1 else "all are read as associations"
        return f"difference-in-differences; {which} {checks}, so {read} (appendix B says why)"
    rest = n - at4
    others = "the other is read as an association" if rest == 1 else f"the other {rest} are read as associations"
    return f"difference-in-differences; {at4} of {n} outcomes passed {checks}, {others} (appendix B says why)"


def spend_summary(total: float, previous: float, per_pr: float, productive: float, period: Period,
                  trend: Sequence[SpendMonth], linked: float = math.nan, *, hidden: str = "",
                  previous_hidden: str = "", pending: str = "", pending_share: float = math.nan) -> SpendSummary:
    """The spend paragraph: this period, its like-for-like comparison, per merged PR, the months before.

    Args:
        hidden: the period's spend is withheld (too few AI-active people): the reason, printed instead of every
            figure of the period (spend, per PR, linked and productive shares describe those few people).
        previous_hidden: the comparison period's spend is withheld: the reason.
        pending: the productive share cannot be known yet (the spend is too recent to judge): why; printed as
            "not yet known" instead of a share that only looks like a result.
        pending_share: the share of the spend still too recent to judge; said beside the productive share, which
            can only grow as that spend is judged.
    """
    if hidden:
        return SpendSummary(math.nan, math.nan, math.nan, math.nan, tuple(trend),
                            f"AI spend in {period.label}: {hidden}.")
    parts = [f"AI spend: {_usd(total)} in {period.label}"]
    if not math.isnan(previous) and previous > 0:
        change = 100 * (total - previous) / previous
        parts.append(f"{'+' if change >= 0 else '−'}{abs(change):.0f}% against {_usd(previous)} in "
                     f"{period.previous_label}")
    elif previous_hidden:
        parts.append(f"{period.previous_label}: {previous_hidden}")
    else:
        parts.append(f"no data to compare with in {period.previous_label}")
    text = parts[0] + " (" + parts[1] + ")"
    if not math.isnan(per_pr):
        text += f"; {_usd(per_pr)} per merged PR"
    if pending:
        linked_text = f"{100 * linked:.0f}% of it can be linked to pull requests; " if not math.isnan(linked) else ""
        text += f"; {linked_text}how much went to work that merged and held is not yet known ({pending})"
        productive = math.nan
    elif not math.isnan(linked) and not math.isnan(productive):
        text += (f"; {100 * linked:.0f}% of it can be linked to pull requests, {100 * productive:.0f}% to work that "
                 f"merged and held{_still_pending(pending_share)}")
    elif not math.isnan(productive):
        text += f"; {100 * productive:.0f}% of it went to work that merged and held{_still_pending(pending_share)}"
    return SpendSummary(total, previous, per_pr, productive, tuple(trend), text + ".")


def _still_pending(share: float) -> str:
    return f" ({100 * share:.0f}% is too recent to judge yet)" if not math.isnan(share) and share >= 0.005 else ""


def _usd(v: float) -> str:
    if math.isnan(v):
        return "no data"
    return f"${v:,.0f}" if abs(v) >= 100 else f"${v:,.2f}"


def next_steps(verdict_list: Sequence[Verdict], stats: StatsSection, *, period: Period, recommendations: int,
               unmatched_share: float, n_control: int | None, kinds: int = 0) -> tuple[str, ...]:
    """Two to four things to do, most useful first, each from a number on this page or in the report."""
    steps: list[str] = []
    worse = [v for v in verdict_list if v.status == "detected" and v.better is False]
    better = [v for v in verdict_list if v.status == "detected" and v.better]
    # only a rung-4 estimate says what adoption changed; below it a movement the right way is an association, and
    # acting on it as an effect is what the report must not invite
    effects = [v for v in better if v.rung >= 4]
    associations = [v for v in better if v.rung < 4]
    unclear = [v for v in verdict_list if v.status in ("no_change", "not_after_correction")]
    for v in worse:
        steps.append(f"Look into {v.outcome}: it moved the wrong way for adopting teams. Section 6 shows the week "
                     "it started and which cohorts carry it.")
    if effects and not worse:
        steps.append(f"Keep the rollout going and keep measuring: {', '.join(v.outcome for v in effects)} moved the "
                     "right way, and the next months show whether it lasts.")
    if associations and not worse:
        names = ", ".join(v.outcome for v in associations)
        steps.append(f"{names[:1].upper() + names[1:]} moved the right way in adopting teams, but the data cannot "
                     "yet separate adoption from other differences between the teams (appendix B): keep measuring; "
                     "more weeks and teams that have not adopted yet show whether it holds.")
    if unclear:
        more = (f" (today {n_control} comparison team{'s' if n_control != 1 else ''})" if n_control is not None
                else "")
        steps.append("Do not read the outcomes without a detectable change as 'no effect': more weeks, and teams "
                     f"that have not adopted yet{more}, narrow the intervals.")
    if not stats.available:
        steps.append("Sync more history (a year of weeks with some teams not yet adopting) for an estimate of what "
                     "adoption changed.")
    if recommendations:
        across = f" across {kinds} kind{'s' if kinds != 1 else ''}" if kinds > 1 else ""
        steps.append(f"Act on the spend recommendations in section 3 ({recommendations} team finding"
                     f"{'s' if recommendations != 1 else ''}{across}): each names the team, the figure and how to put "
                     "it into practice.")
    if not math.isnan(unmatched_share) and unmatched_share > 0.05:
        steps.append(f"Fix the team mapping: {100 * unmatched_share:.0f}% of usage rows matched no team and are "
                     "missing from every figure (`correlate export identities --out identities.csv` lists them).")
    if not period.partial:
        return tuple(steps[:4])
    # a partial month keeps its caveat as the last step, said once
    return (*steps[:3], f"{period.note} Read the figures as a first look; the full month's report is the one to act "
                        "on.")
