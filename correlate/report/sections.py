"""The typed sections a report hands its template: frozen dataclasses of numbers and text, nothing to compute.

The builders (:mod:`correlate.report.monthly`, :mod:`correlate.report.team_comparison`) fill them from
the panel, the statistics and the spend classes; ``correlate/html`` only formats them (filters, SVG
charts drawn from :class:`ChartData`) and ``reports/templates`` only loops and prints.

Conventions that later work builds on:

* Every people-counting cell is a :class:`Cell` whose metric has ``counts_people``; a suppressed cell
  (below ``[report] min_group_size``) has ``suppressed=True`` and no value, so a template never prints
  a number for it.
* A value that does not exist is NaN (printed as a dash), never 0.
* :class:`Period` carries the window and the one it is compared with, so a partial period can be
  flagged in one place.
* Static method text lives in :class:`MethodNotes`, one object, so it can move to an appendix whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pandas as pd

__all__ = ["AdoptionSection", "AssocRow", "AttRow", "Cell", "ChartData", "CohortRow", "Column", "ComparisonReport",
           "CostSection", "CoverageNote", "Diff", "EditRow", "Headline", "Indicator", "LaggingSection",
           "LeadingSection", "Matrix", "MethodNotes", "ModelCost", "MonthlyReport", "Period", "QualitySection",
           "Recommendation", "SpendClasses", "SplitRow", "StatLine", "StatsSection", "Study", "SummarySection",
           "TableRow", "MetricTable", "TierCell", "TierRow", "TierTable", "ToolRow", "Verdict", "SpendMonth",
           "SpendSummary", "DemoTruth", "Appendix", "VERDICT_STATUS", "VERDICT_WORDS", "verdict_words"]

RowKind = Literal["team", "other", "suppressed", "total"]


@dataclass(frozen=True)
class ChartData:
    """A chart as data: the template draws it (``| svg``) and prints ``columns``/``rows`` as its text alternative.

    ``kind``: ``line`` (rows are x then one value per series in ``columns[1:]``), ``bar`` (rows are label,
    value) or ``event_study`` (rows are event time, estimate, low, high). ``options`` are drawing hints
    (``ylabel``, ``xlabel``, ``percent``, ``window`` of event times drawn, ``mde`` band).
    """

    title: str
    kind: Literal["line", "bar", "event_study"]
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    fmt: str = "num"
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Period:
    """The window a report describes and the window it is compared with (inclusive days).

    A month in progress (or one whose data starts after its first day) is ``partial``: ``first``–``last``
    are the days it covers, ``month_days`` the days of the calendar month, and the comparison window
    is the same days of the month before (like for like), or None when the store has no data there.
    ``previous_label`` names the comparison in plain words ("last month", "1–6 Nov").
    """

    first: date
    last: date
    label: str
    previous_first: date | None = None
    previous_last: date | None = None
    partial: bool = False
    month_days: int = 0
    previous_label: str = "last month"
    note: str = ""  # why the period is partial, in one sentence ("" when it is whole)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def window(self) -> str:
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


@dataclass(frozen=True)
class Cell:
    """One table cell: a value, what it was made of (``n`` of ``of``), or suppressed (privacy).

    ``why`` says why a suppressed cell is empty (shown on hover and in the table's note).
    """

    value: float
    n: float = float("nan")
    of: float = float("nan")
    suppressed: bool = False
    why: str = ""


@dataclass(frozen=True)
class Column:
    """A table column: a catalogue metric with its header and how to print it."""

    key: str
    header: str
    fmt: str
    show: str = "value"
    counts_people: bool = False


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: tuple[Cell, ...]
    kind: RowKind = "team"


@dataclass(frozen=True)
class MetricTable:
    """Rows of catalogue metrics: teams, then "Other (small teams)", "Suppressed teams" and the total."""

    caption: str
    columns: tuple[Column, ...]
    rows: tuple[TableRow, ...]
    note: str = ""


@dataclass(frozen=True)
class Headline:
    label: str
    value: float
    previous: float
    fmt: str
    note: str = ""
    hidden: str = ""  # printed instead of ``value`` when the figure is withheld for privacy (never "no data")
    previous_hidden: str = ""  # the same for ``previous``


@dataclass(frozen=True)
class Matrix:
    """A small table with a row label column and numeric cells (cost by team and model); a cell that is a
    string is printed as it is (the reason a figure is hidden)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    fmt: str
    note: str = ""  # printed under the table (why some cells are hidden)


# ---- statistics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatLine:
    """One Summary sentence for a primary outcome, with the numbers it states."""

    outcome: str
    sentence: str
    paragraph: str
    estimate: float
    low: float
    high: float
    unit: str
    n: int
    n_units: int
    rung_label: str
    p_bh: float | None
    verdict: str
    metric: str = ""  # the catalogue name (wording per outcome)
    rung: int = 1
    rung_reason: str = ""  # below rung 4: why it is not worded as an effect (one sentence, from the engine)
    mde: float = float("nan")  # minimum detectable effect, in ``unit``
    tests: int = 0  # how many p-values the report's Benjamini-Hochberg correction ran over (0: not known)
    reason: str = ""  # no estimate: why (the engine's gate reasons, e.g. "only 1 adopting team (need 2)")


@dataclass(frozen=True)
class AssocRow:
    """Association of adoption with one outcome: between teams (rung 1) and within teams (rung 2)."""

    outcome: str
    between: float
    between_low: float
    between_high: float
    between_n: int
    between_p_bh: float | None
    within: float
    within_low: float
    within_high: float
    within_n: int


@dataclass(frozen=True)
class AttRow:
    """The cohort-aggregated ATT of one outcome, in business units, with its minimum detectable effect."""

    outcome: str
    estimate: float
    low: float
    high: float
    unit: str
    mde: float
    p_bh: float | None
    verdict: str
    pretrend: str
    n_adopting: int
    n_control: int
    paragraph: str
    too_wide: bool = False  # the interval spans more than a 100-fold change: printed as too few events, no numbers


@dataclass(frozen=True)
class CohortRow:
    """One adoption cohort's ATT per primary outcome: ``cells`` are (value, unit) in column order."""

    cohort: str
    cells: tuple[tuple[float, str], ...]


@dataclass(frozen=True)
class StatsSection:
    """What the statistics engine found (or why there is nothing: ``available`` False and ``reason``)."""

    available: bool
    reason: str = ""
    level: str = ""
    gate_text: str = ""
    summary: tuple[StatLine, ...] = ()
    association: tuple[AssocRow, ...] = ()
    att: tuple[AttRow, ...] = ()
    cohort_columns: tuple[str, ...] = ()
    cohorts: tuple[CohortRow, ...] = ()
    event_studies: tuple[ChartData, ...] = ()
    definitions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    method_notes: tuple[str, ...] = ()
    n_control: int | None = None  # comparison teams (never or not yet adopting)

    @property
    def paragraphs(self) -> tuple[tuple[str, str], ...]:
        """(outcome, the engine's full sentence and its minimum-detectable-effect paragraph), once per outcome:
        the appendix says what each estimate could and could not see."""
        out: dict[str, str] = {}
        for s in self.summary:
            out[s.outcome] = " ".join(t for t in (s.sentence, s.paragraph) if t)
        for a in self.att:
            if a.outcome not in out and a.paragraph:
                out[a.outcome] = a.paragraph
        return tuple(out.items())


# ---- monthly sections ------------------------------------------------------------------------------


VerdictStatus = Literal["detected", "no_change", "not_after_correction", "too_little_data", "unavailable"]

# The engine's verdict (correlate.stats.suite) as page one's status, and the words every view prints for it:
# page one's badge and the estimates tables read the same words, so they cannot disagree.
VERDICT_STATUS: Mapping[str, VerdictStatus] = {
    "detected": "detected", "inconclusive": "no_change", "not_after_correction": "not_after_correction",
    "descriptive": "too_little_data", "too_wide": "too_little_data"}
VERDICT_WORDS: Mapping[str, str] = {  # keyed by VerdictStatus
    "detected": "detected", "no_change": "no detectable change",
    "not_after_correction": "does not survive the correction", "too_little_data": "too little data",
    "unavailable": "no estimate"}


def verdict_words(verdict: str) -> str:
    """What a report prints for an engine verdict or a page-one status ("inconclusive" -> "no detectable change")."""
    return VERDICT_WORDS[VERDICT_STATUS.get(verdict, verdict)]


@dataclass(frozen=True)
class Verdict:
    """Page one's answer for one primary outcome: one plain sentence worded by its evidence rung.

    ``status``: ``detected`` (the data can tell the change from noise), ``no_change`` (the interval includes
    zero: inside the minimum detectable effect), ``not_after_correction`` (the interval excludes zero but the
    p-value corrected for the report's number of tests does not pass), ``too_little_data`` (the gates allow
    descriptives only) or ``unavailable`` (no estimate at all).
    """

    outcome: str
    status: VerdictStatus
    sentence: str
    rung: int = 1
    estimate: float = float("nan")
    low: float = float("nan")
    high: float = float("nan")
    unit: str = ""
    better: bool | None = None  # the change points the way the catalogue calls better (None: no direction)


@dataclass(frozen=True)
class SpendMonth:
    """One month of the spend trend (``days`` of ``month_days`` when the month is partial)."""

    label: str
    usd: float
    days: int
    month_days: int
    hidden: str = ""  # printed instead of ``usd`` when that month's AI-active people were too few to show


@dataclass(frozen=True)
class SpendSummary:
    """What it costs, in one paragraph: the period's spend, its comparison, per merged PR, and the trend."""

    total_usd: float
    previous_usd: float
    per_merged_pr: float
    productive_share: float
    trend: tuple[SpendMonth, ...]
    sentence: str


@dataclass(frozen=True)
class SummarySection:
    """Page one: is it working (verdicts), how sure (evidence), what it costs (spend), what to do next."""

    headlines: tuple[Headline, ...]
    verdicts: tuple[Verdict, ...] = ()
    evidence: str = ""
    spend: SpendSummary | None = None
    next_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolRow:
    """One assistant's adoption and spend over the window (people of configured teams only)."""

    tool: str
    people: int
    adoption_share: float
    person_days: int
    cost_usd: float
    cost_estimated: float
    cost_billed: float
    cost_discounted: float  # after discounts, before credits (Claude Enterprise): not the invoice
    cost_other: float
    days_without_cost: int
    sessions: float
    requests: float


@dataclass(frozen=True)
class SplitRow:
    """Leading indicators of one PR group (AI-assisted, not, unknown, or one assistant)."""

    group: str
    people: int
    merged: int
    merge_rate: float
    cycle_h: float
    coding_h: float
    pickup_h: float
    review_h: float
    size: float
    without_review_share: float


@dataclass(frozen=True)
class EditRow:
    tool: str
    edit_tool: str
    accepted: int
    rejected: int
    rate: float


@dataclass(frozen=True)
class AdoptionSection:
    share_chart: ChartData
    sessions_chart: ChartData
    table: MetricTable
    edits: tuple[EditRow, ...]
    edit_note: str
    tools: tuple[ToolRow, ...]
    tools_note: str
    tool_split: tuple[SplitRow, ...]
    tool_split_note: str


@dataclass(frozen=True)
class ModelCost:
    """One tool × model line of the caching table (or the total): spend, tokens, and what prices say."""

    tool: str
    model: str
    cost_usd: float
    tokens_input: float
    tokens_output: float
    tokens_cache_read: float
    cache_read_share: float
    cache_saved_usd: float
    uncached_cost_usd: float
    batch_saving_usd: float


@dataclass(frozen=True)
class Recommendation:
    """One kind of spend recommendation that cleared its evidence bar, with the teams it is about.

    ``findings`` are (team, sentence with the numbers) for teams the report may name; ``evidence_bar``
    and ``encoding`` (how to put it into practice) are the same for every team of the kind.
    """

    kind: str
    findings: tuple[tuple[str, str], ...]
    evidence_bar: str
    encoding: str


@dataclass(frozen=True)
class SpendClasses:
    """Where the month's spend went (token intelligence: ``correlate export spend`` has the rows)."""

    total_usd: float
    by_class: tuple[tuple[str, float], ...]
    linked_share: float
    table: Matrix
    recommendations: tuple[Recommendation, ...]
    thresholds: str
    hidden_note: str = ""
    hidden: str = ""  # the organisation's spend is withheld (too few AI-active people): printed instead of figures
    maturity_note: str = ""  # why the productive share cannot be known yet (recent spend is pending), or ""


@dataclass(frozen=True)
class CostSection:
    chart: ChartData
    table: MetricTable
    team_model: Matrix
    models: tuple[ModelCost, ...]
    model_total: ModelCost
    unmapped_usd: float
    unmapped_hidden: str  # why the unclaimed spend's amount is not printed ("" = it is)
    price_note: str
    spend: SpendClasses
    hidden: str = ""  # the organisation's totals (spend, tokens) are withheld: printed instead of the total row


@dataclass(frozen=True)
class LeadingSection:
    cycle_chart: ChartData
    table: MetricTable
    split: tuple[SplitRow, ...]
    split_note: str


@dataclass(frozen=True)
class TierCell:
    metric: str
    tier: str  # "elite" | "high" | "medium" | "low" | "no tier"
    value: float
    fmt: str  # the filter that prints ``value``
    thresholds: str
    reason: str


@dataclass(frozen=True)
class TierRow:
    team: str
    cells: tuple[TierCell, ...]


@dataclass(frozen=True)
class TierTable:
    year: int
    labels: tuple[str, ...]
    rows: tuple[TierRow, ...]
    note: str
    thresholds: tuple[str, ...]


@dataclass(frozen=True)
class LaggingSection:
    table: MetricTable
    tiers: TierTable


@dataclass(frozen=True)
class CoverageNote:
    """The privacy rule as applied: which teams were merged or suppressed (names only, never numbers)."""

    min_group_size: int
    note: str


@dataclass(frozen=True)
class QualitySection:
    grouping: CoverageNote
    coverage: MetricTable
    match_rates: pd.DataFrame
    unmatched: pd.DataFrame  # source, identities, rows: counts only, never an identity (the export lists them)
    supply: pd.DataFrame
    ownership: pd.DataFrame
    warnings: tuple[str, ...]
    # table, rows, first_value, last_value: rows kept out for event times outside the plausible window
    quarantined: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Study:
    name: str
    design: str
    headline: str
    caveat: str


@dataclass(frozen=True)
class MethodNotes:
    """Definitions, statistical method notes, the tool mapping, the limitations checklist, external studies."""

    definitions: tuple[str, ...]
    notes: tuple[str, ...]
    tool_mapping: tuple[Any, ...]
    limitations: tuple[tuple[str, str], ...]
    external_intro: str
    studies: tuple[Study, ...]


@dataclass(frozen=True)
class DemoTruth:
    """What ``correlate demo`` planted, beside what this report estimated (demo stores only)."""

    rows: tuple[tuple[str, str, str], ...]  # (what, planted, estimated)
    note: str


@dataclass(frozen=True)
class Appendix:
    """Reference material after the main body: per-team detail, what each estimate could see, the method."""

    coverage: MetricTable
    tiers: TierTable
    team_model: Matrix
    spend_by_team: Matrix
    sessions_chart: ChartData
    demo: DemoTruth | None = None


@dataclass(frozen=True)
class MonthlyReport:
    title: str
    org_name: str
    period: Period
    min_group_size: int
    summary: SummarySection
    stats: StatsSection
    adoption: AdoptionSection
    cost: CostSection
    leading: LeadingSection
    lagging: LaggingSection
    quality: QualitySection
    method: MethodNotes
    appendix: Appendix | None = None
    paper: str = "Letter"


# ---- the team comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Diff:
    """One team's difference (B − A) from the reference team on one indicator: the difference of the window
    values printed beside it, with a 95% moving-block bootstrap interval of that same difference.

    ``p_bh`` (the bootstrap p-value, Benjamini–Hochberg across the modelled indicators for this pair) is set
    for the indicators the statistics model; other indicators have intervals only.
    """

    team: str
    value: float
    low: float
    high: float
    weeks: int
    p_bh: float | None = None
    hidden: bool = False  # either team's figure is hidden: no difference, interval or p-value either
    note: str = ""  # why the interval says less than it seems (a degenerate bootstrap), "" when it is fine

    @property
    def no_spread(self) -> bool:
        """Both ends equal: every resample gave the same difference (printed as "no spread", not "[x, x]")."""
        return self.low == self.high


@dataclass(frozen=True)
class Indicator:
    """One indicator (a catalogue metric): window value per team, differences vs the first team."""

    key: str
    label: str
    fmt: str
    diff_fmt: str
    values: tuple[float, ...]
    diffs: tuple[Diff, ...]
    hidden: tuple[bool, ...] = ()  # per team: an AI-usage figure of fewer than min_group_size people ("n/a")


@dataclass(frozen=True)
class ComparisonReport:
    title: str
    org_name: str
    period: Period
    teams: tuple[str, ...]
    reference: str
    table: MetricTable
    indicators: tuple[Indicator, ...]
    charts: tuple[ChartData, ...]
    caveats: tuple[str, ...]
    min_group_size: int
    reps: int
    block: int
    engine_outcomes: tuple[str, ...]
    notes: tuple[str, ...] = ()  # footnotes of degenerate intervals, numbered as the table marks them
    paper: str = "Letter"

    @property
    def p_floor(self) -> float:
        """The smallest p-value ``reps`` resamples can give: 1/(B+1)."""
        return 1.0 / (self.reps + 1)
