"""Catalogue metrics evaluated over team × period panel rows: one value per label (a team, a group of
teams, the organisation) or one value per row (a team's weekly series).

Rows are combined as the catalogue says: counts are added, people counted once (headcount: each team's
largest period headcount, added over teams; AI-active people: distinct people in the ``_ai_persons``
lists), the window's days and working days counted once per period, ratios pooled (sum ÷ sum), and
durations are medians of the pooled events behind each row (``build_panel(..., keep_lists=True)``),
never medians of medians.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from correlate.metrics.catalogue import METRICS, Metric, metric

__all__ = ["Row", "Value", "deploy_days", "evaluate", "ratio", "row_sums", "row_values", "weekly_by_team"]

# measures that are not added up over rows
_PEOPLE = ("headcount", "ai_active_users")
_WINDOW = ("days", "working_days")  # one value per period, whatever the number of teams


def ratio(num: float, den: float) -> float:
    """``num / den``, NaN (printed as a dash) when the denominator is 0: a rate over nothing does not exist."""
    return float(num) / float(den) if den else float("nan")


@dataclass(frozen=True, slots=True)
class Value:
    """One metric's value for one label, with what it was made of.

    ``n``: the numerator (ratios), the total (sums, people) or the number of events (medians);
    ``of``: the denominator of a ratio (NaN otherwise).
    """

    value: float
    n: float
    of: float = float("nan")


@dataclass(frozen=True)
class Row:
    """Every catalogue metric for one label over a window."""

    label: str
    values: Mapping[str, Value]

    def value(self, name: str) -> float:
        return self.values[name].value

    def n(self, name: str) -> int:
        v = self.values[name].n
        return 0 if v != v else int(round(v))

    def __getitem__(self, name: str) -> Value:
        return self.values[name]


def _num(v: Any, default: float = 0.0) -> float:
    return default if v is None or pd.isna(v) else float(v)


def evaluate(rows: pd.DataFrame, label: pd.Series, names: Iterable[str], *, period: str,
             metrics: tuple[Metric, ...] = METRICS) -> dict[str, Row]:
    """Each label's :class:`Row`: row ``i`` of ``rows`` counts towards ``label[i]`` (NaN labels count nowhere).

    One groupby per measure (not one filter per label), so thousands of teams stay fast; a name in
    ``names`` without rows gets the row of an empty window (0 counts, NaN ratios and medians).

    Args:
        rows: panel rows (any grain); medians need the ``keep_lists`` event lists.
        label: the label of each row (same index).
        names: the labels to return, in order.
        period: the panel's period column (``day``, ``week`` or ``month``).
        metrics: what to evaluate (default: the whole catalogue).
    """
    names = list(names)
    label = label.reindex(rows.index)
    keep = label.notna().to_numpy()
    rows, label = rows[keep], label[keep]
    sums_cols = sorted({c for m in metrics if m.aggregate != "median" for c in (*m.numerator, *m.denominator)
                        if c not in _PEOPLE and c not in _WINDOW and c in rows.columns})
    sums = rows.groupby(label, sort=False)[sums_cols].sum(min_count=0).astype(float).to_dict("index")
    measures: dict[str, dict[Any, float]] = {}
    if "headcount" in rows:
        measures["headcount"] = rows.groupby([label, rows["team"]], sort=False)["headcount"].max().groupby(
            level=0).sum().to_dict()
    if "_ai_persons" in rows:
        persons = pd.DataFrame({"label": label.to_numpy(), "p": rows["_ai_persons"].to_numpy()}).explode("p")
        measures["ai_active_users"] = persons.dropna(subset=["p"]).groupby("label", sort=False)["p"].nunique().to_dict()
    elif "ai_active_users" in rows:  # one row per label (a team's week): the panel already counted distinct people
        measures["ai_active_users"] = rows.groupby(label, sort=False)["ai_active_users"].sum().to_dict()
    for col in _WINDOW:
        if col in rows:
            measures[col] = rows.groupby([label, rows[period]], sort=False)[col].max().groupby(level=0).sum().to_dict()
    pooled: dict[str, dict[Any, tuple[float, int]]] = {}
    for col in {m.numerator[0] for m in metrics if m.aggregate == "median"}:
        if col in rows:
            events = pd.DataFrame({"label": label.to_numpy(), "v": rows[col].to_numpy()}).explode("v")
            events["v"] = pd.to_numeric(events["v"], errors="coerce")
            agg = events.groupby("label", sort=False)["v"].agg(["median", "count"])
            pooled[col] = {k: (float(r["median"]), int(r["count"])) for k, r in agg.iterrows()}

    out: dict[str, Row] = {}
    for name in names:
        s = sums.get(name, {})

        def total(cols: tuple[str, ...], name: str = name, s: dict[str, float] = s) -> float:
            return float(sum(_num(measures[c].get(name)) if c in measures else _num(s.get(c)) for c in cols))

        values: dict[str, Value] = {}
        for m in metrics:
            if m.aggregate == "median":
                med, n = pooled.get(m.numerator[0], {}).get(name, (math.nan, 0))
                values[m.name] = Value(_num(med, math.nan), float(n))
            elif m.aggregate == "ratio":
                num, den = total(m.numerator), total(m.denominator)
                values[m.name] = Value(ratio(num * m.scale, den), num, den)
            else:
                v = total(m.numerator)
                values[m.name] = Value(v, v)
        out[name] = Row(name, values)
    return out


def row_values(frame: pd.DataFrame, name: str) -> pd.Series:
    """One value of metric ``name`` per panel row (a team's week, say), from that row's own columns:
    ratios divide the row's numerator by its denominator (NaN when it is 0), medians are the row's
    median column, sums the row's count (empty, not 0, when the source does not report it)."""
    m = metric(name)
    if m.aggregate == "median":
        return pd.to_numeric(frame[m.stats_column], errors="coerce").astype(float)

    def total(cols: tuple[str, ...]) -> pd.Series:
        # empty when the row has none of the columns (a source that does not report it), never 0
        values = frame[list(cols)].apply(pd.to_numeric, errors="coerce").astype(float)
        return values.sum(axis=1, min_count=1)

    num = total(m.numerator)
    if m.aggregate != "ratio":
        return num
    den = total(m.denominator)
    return (num * m.scale / den.where(den > 0)).astype(float)


def row_sums(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.Series:
    """Per row, the sum of ``cols`` (missing values count as 0): the events or trials of a ratio."""
    values = frame[list(cols)].apply(pd.to_numeric, errors="coerce").astype(float)
    return values.sum(axis=1, min_count=0)


def weekly_by_team(weekly: pd.DataFrame, name: str, teams: list[str], pool: list[str] | None = None) -> pd.DataFrame:
    """Metric ``name`` per week (rows) and team (columns, in ``teams`` order); with ``pool``, a last column
    "median of N teams": the median over the ``pool`` teams' values of each week."""
    frame = weekly[weekly["team"].isin(pool or teams)].assign(_v=lambda w: row_values(w, name))
    weeks = sorted(frame["week"].unique())
    # one pivot (not one filter per team): stays fast with thousands of teams
    wide = frame.pivot_table(index="week", columns="team", values="_v", aggfunc="first", dropna=False).reindex(
        index=weeks)
    out = wide.reindex(columns=teams)
    if pool:
        out[f"median of {len(pool)} teams"] = wide.median(axis=1, skipna=True)
    return out


def deploy_days(daily: pd.DataFrame, labels: pd.Series, first: date,
                 last: date) -> dict[Any, tuple[int, float, float]]:
    """The catalogue's ``deploy_days_per_week`` (DORA deployment frequency) per label.

    Args:
        daily: ``team, day, deployments`` for the days with a deployment (``Facts.deployment_days``).
        labels: the label of each row of ``daily`` (NaN: counts nowhere).
        first, last: the window.

    Returns:
        label → (complete ISO weeks inside the window, median days with a deployment per complete week,
        days with a deployment in the window).
    """
    frame = daily.assign(label=labels.reindex(daily.index)).dropna(subset=["label"])
    per_day = frame.groupby(["label", "day"])["deployments"].sum().unstack("label", fill_value=0)
    calendar = pd.date_range(first, last, freq="D")
    per_day.index = pd.to_datetime(per_day.index)
    deployed = (per_day.reindex(calendar, fill_value=0) > 0).astype(int)
    week = calendar - pd.to_timedelta(calendar.day_of_week, unit="D")
    sizes = pd.Series(1, index=calendar).groupby(week).size()
    complete = sizes[sizes == 7].index
    weekly = deployed.groupby(week).sum().loc[complete]
    medians = weekly.median(axis=0) if len(complete) else pd.Series(float("nan"), index=deployed.columns)
    totals = deployed.sum(axis=0)
    return {lab: (len(complete), float(medians[lab]), float(totals[lab])) for lab in deployed.columns}
