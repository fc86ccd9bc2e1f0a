"""Team rows for reports: the minimum-group-size rule and tables of catalogue metrics per team.

Privacy rule: reports show teams, never people. A team with fewer than ``[report] min_group_size``
people is merged with the other small teams into "Other (small teams)", or, when even together they are
too few, suppressed. A suppressed group still gets a "Suppressed teams" row so every table's rows add up
to the organisation, but that row shows only additive totals (spend, counts of events): no people
count, rate or median, which for so few people would describe individuals. :class:`TeamGrouping`
records which team went where so every table (cost by model, coverage, spend classes) applies the
same rule.

The rule applies to sub-groups too. A row's AI-usage numbers (AI-active people, adoption share,
sessions, spend and everything per unit of spend, the share of its merged PRs that were AI-assisted) describe
only its AI-active people: a team of 12 with one AI user would show that one person's sessions, spend and
how many of their PRs an assistant helped with. So a row with fewer than
``min_group_size`` AI-active people (but at least one) shows none of them (:data:`FEW_AI_USERS`), and
when that leaves exactly one such row, the team row with the fewest AI-active people is hidden with it,
so the hidden numbers cannot be worked out by subtracting the others from the organisation's total.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from correlate.metrics.catalogue import Metric
from correlate.metrics.catalogue import table as catalogue_table
from correlate.metrics.rows import Row, evaluate
from correlate.report.sections import Cell, Column, MetricTable, TableRow

__all__ = ["FEW_AI_USERS", "ORG", "OTHER", "SUPPRESSED", "TeamGrouping", "TeamRows", "about_ai_users", "grouping",
           "hidden_reason", "hidden_usage", "metric_table", "org_usage_hidden", "team_rows"]

OTHER = "Other (small teams)"
SUPPRESSED = "Suppressed teams"
ORG = "Organisation"
FEW_AI_USERS = "fewer than {n} AI-active people: their usage would describe individuals"
COMPLEMENT = "hidden too, so that the other hidden row cannot be worked out from the organisation's total"


def about_ai_users(m: Metric) -> bool:
    """The metric is made from AI-usage rows (people, sessions, spend, tokens) or from the PRs an assistant
    helped with, so it describes only the AI-active people of a row, however large the team: the AI-assisted
    share of a team's merged PRs with one AI user is that person's use of the assistant."""
    return any(c.startswith("ai_") for c in (*m.numerator, *m.denominator))


def org_usage_hidden(org: Row, min_group_size: int) -> str:
    """Why the organisation's own AI-usage figures may not be shown ("" when they may): fewer than
    ``min_group_size`` people used an assistant, so its totals are those few people's usage."""
    return hidden_reason(min_group_size) if 0 < org.n("ai_active_users") < min_group_size else ""


def hidden_reason(min_group_size: int) -> str:
    """What a report prints in place of a figure it hides (never "no data", which means missing data)."""
    return f"hidden (fewer than {min_group_size} AI-active people)"


def hidden_usage(rows: dict[str, Row], labels: list[str], min_group_size: int) -> dict[str, str]:
    """The labels whose AI-usage numbers a report must not show, each with the reason (see the module doc)."""
    users = {lab: rows[lab].n("ai_active_users") for lab in labels}
    hidden = {lab: FEW_AI_USERS.format(n=min_group_size) for lab, k in users.items() if 0 < k < min_group_size}
    if len(hidden) == 1:
        others = sorted((k, lab) for lab, k in users.items() if lab not in hidden and k > 0)
        if others:
            hidden[others[0][1]] = COMPLEMENT
    return hidden


@dataclass(frozen=True)
class TeamGrouping:
    """How configured teams map to what a report may show.

    ``shown`` maps a team to its label (itself, or :data:`OTHER`); teams in ``suppressed`` appear only
    inside organisation totals and the additive "Suppressed teams" row.
    """

    min_group_size: int
    headcount: dict[str, int]
    shown: dict[str, str]
    merged: tuple[str, ...]
    suppressed: tuple[str, ...]
    note: str

    @property
    def small(self) -> tuple[str, ...]:
        return tuple(sorted((*self.merged, *self.suppressed)))

    def label(self, team: str) -> str | None:
        """The label a team's numbers appear under, or None when they are suppressed."""
        return self.shown.get(team)

    def row_label(self, team: str) -> str | None:
        """The table row a team's numbers add to (suppressed teams: the additive "Suppressed teams" row)."""
        return self.shown.get(team) or (SUPPRESSED if team in self.suppressed else None)

    @property
    def labels(self) -> list[str]:
        """The team rows of a table in order: shown teams by name, then Other, then Suppressed."""
        named = sorted({lab for lab in self.shown.values() if lab != OTHER})
        return [*named, *([OTHER] if self.merged else []), *([SUPPRESSED] if self.suppressed else [])]


def grouping(headcount: dict[str, int], min_group_size: int) -> TeamGrouping:
    """Apply the minimum-group-size rule to per-team headcounts."""
    small = sorted(t for t, n in headcount.items() if n < min_group_size)
    shown = {t: t for t, n in headcount.items() if n >= min_group_size}
    note = ""
    merged: tuple[str, ...] = ()
    suppressed: tuple[str, ...] = ()
    if small:
        names = ", ".join(small)
        if sum(headcount[t] for t in small) >= min_group_size:
            merged = tuple(small)
            shown.update({t: OTHER for t in small})
            note = (f"{len(small)} team(s) with fewer than {min_group_size} people ({names}) are shown together as "
                    f"“{OTHER}”, never individually.")
        else:
            suppressed = tuple(small)
            note = (f"{len(small)} team(s) with fewer than {min_group_size} people ({names}) are suppressed: even "
                    f"together they are below the minimum group size. Only their totals appear, as “{SUPPRESSED}”, "
                    "so that the rows add up to the organisation.")
    return TeamGrouping(min_group_size, dict(headcount), shown, merged, suppressed, note)


@dataclass(frozen=True)
class TeamRows:
    """One window's rows: each label's metrics and the organisation's, with the grouping behind them."""

    grouping: TeamGrouping
    rows: dict[str, Row]
    org: Row
    labels: list[str]  # the table's team rows in order
    hidden: dict[str, str] = field(default_factory=dict)  # label -> why its AI-usage numbers are not shown

    @property
    def org_hidden(self) -> str:
        """Why the organisation's AI-usage figures are hidden ("" when they are shown): :func:`org_usage_hidden`."""
        return org_usage_hidden(self.org, self.grouping.min_group_size)


def team_rows(window: pd.DataFrame, min_group_size: int, *, period: str, group: TeamGrouping | None = None,
              order: list[str] | None = None) -> TeamRows:
    """Per-label catalogue rows of a ``keep_lists`` panel window with the minimum-group-size rule applied.

    Args:
        window: panel rows (``build_panel(..., keep_lists=True)``) of the window.
        min_group_size: ``[report] min_group_size``.
        period: the panel's period column.
        group: an existing grouping to reuse (default: from this window's headcounts).
        order: the labels in the order the tables show them (default: :attr:`TeamGrouping.labels`).
    """
    if group is None:
        heads = {str(t): int(n) for t, n in window.groupby("team")["headcount"].max().items()}
        group = grouping(heads, min_group_size)
    labels = order or group.labels
    label = window["team"].map(group.row_label)
    rows = evaluate(window, label, labels, period=period)  # one pass, not one per team
    org = evaluate(window, pd.Series("Organisation", index=window.index, dtype=object), [ORG], period=period)[ORG]
    return TeamRows(group, rows, org, labels, hidden_usage(rows, labels, group.min_group_size))


def _additive(m: Metric) -> bool:
    return m.aggregate == "sum" and not m.counts_people


def metric_table(name: str, caption: str, rows: TeamRows, *, total: bool = True, note: str = "") -> MetricTable:
    """Catalogue table ``name`` (its metrics in column order) for every label and the organisation.

    The "Suppressed teams" row keeps only additive totals; its other cells are suppressed. A row with too
    few AI-active people shows none of its AI-usage numbers (:func:`hidden_usage`).
    """
    metrics = catalogue_table(name)
    columns = tuple(Column(m.name, m.header, m.fmt, m.show, m.counts_people) for m in metrics)
    out = []
    small = f"fewer than {rows.grouping.min_group_size} people"
    for lab in rows.labels:
        r = rows.rows[lab]
        kind = "other" if lab == OTHER else ("suppressed" if lab == SUPPRESSED else "team")
        cells = []
        for m in metrics:
            if kind == "suppressed" and not _additive(m):
                cells.append(Cell(float("nan"), suppressed=True, why=small))
            elif lab in rows.hidden and about_ai_users(m):
                cells.append(Cell(float("nan"), suppressed=True, why=rows.hidden[lab]))
            else:
                cells.append(Cell(r[m.name].value, r[m.name].n, r[m.name].of))
        out.append(TableRow(lab, tuple(cells), kind))  # type: ignore[arg-type]
    if any(lab in rows.hidden for lab in rows.labels) and any(about_ai_users(m) for m in metrics):
        why = "; ".join(dict.fromkeys(rows.hidden.values()))
        note = (note + " " if note else "") + f"n/a in AI-usage columns: {why}."
    if total:
        o = rows.org
        few = 0 < o.n("ai_active_users") < rows.grouping.min_group_size
        why = FEW_AI_USERS.format(n=rows.grouping.min_group_size)
        out.append(TableRow(o.label, tuple(Cell(float("nan"), suppressed=True, why=why) if few and about_ai_users(m)
                                           else Cell(o[m.name].value, o[m.name].n, o[m.name].of) for m in metrics),
                            "total"))
    return MetricTable(caption, columns, tuple(out), note)
