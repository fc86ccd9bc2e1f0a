"""The analysis grain: team x ISO week, built from the team x day table, with exposure offsets.

Why weeks (``docs/statistics.md`` §2.1): most team-days have 0-2 merged PRs and no deploys, and
weekends create structural zeros that make daily correlations spuriously strong. Days stay for
descriptive charts only.

What aggregating does to each kind of column:

* counts (PRs, deployments, incidents, AI sessions, cost, tokens) are summed;
* ``active_devs`` is the mean headcount over the week's working days and ``dev_days`` its sum, the
  exposure for per-developer counts; ``working_days`` is the exposure for deploy frequency;
* weekly AI-active users: a daily table cannot count distinct people across days, so when the
  input has no ``ai_weekly_active_users`` column the weekly value is the **largest daily count**
  (a lower bound of weekly actives; the adoption definition text says so);
* duration medians (cycle, pickup, review, lead time, time to restore) become the median of the
  daily medians weighted by that day's number of events (an approximation to the pooled weekly
  median; exact when each day has one event). Event-level rows go through
  :func:`weekly_durations_from_events`, which is exact and applies the maturity window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
import pandas as pd

from correlate.errors import InputError

__all__ = [
    "COUNT_COLUMNS",
    "DURATION_WEIGHTS",
    "apply_maturity",
    "business_hours",
    "maturity_days",
    "to_weekly",
    "weekly_durations_from_events",
]

COUNT_COLUMNS = (
    "ai_sessions", "ai_cost_usd", "ai_tokens_input", "ai_tokens_output", "ai_tokens_cache_read",
    "ai_tokens_cache_creation", "ai_lines_added", "ai_lines_removed", "ai_commits", "ai_prs", "ai_edit_accepted",
    "ai_edit_rejected", "prs_opened", "prs_merged", "prs_closed_unmerged", "ai_assisted_prs_merged",
    "prs_merged_without_review", "deployments", "deployments_failed", "incidents",
)
# duration median column -> the count column whose events it summarises (its weight)
DURATION_WEIGHTS = {
    "pr_cycle_time_h_median": "prs_merged",
    "pr_pickup_time_h_median": "prs_merged",
    "pr_review_time_h_median": "prs_merged",
    "pr_size_median": "prs_merged",
    "lead_time_h_median": "deployments",
    "time_to_restore_h_median": "incidents",
}


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    ok = ~np.isnan(values) & (weights > 0)
    if not ok.any():
        return float("nan")
    v, w = values[ok], weights[ok]
    order = np.argsort(v)
    v, w = v[order], w[order]
    cw = np.cumsum(w)
    half = cw[-1] / 2
    i = int(np.searchsorted(cw, half))
    # an exact half falls between two values: average them, like an ordinary median
    if np.isclose(cw[i], half) and i + 1 < len(v):
        return float((v[i] + v[i + 1]) / 2)
    return float(v[i])


def _grouped_weighted_median(keys: pd.DataFrame, values: pd.Series, weights: pd.Series) -> pd.Series:
    """Vectorised weighted median per group (lower weighted median; ties at exactly half averaged)."""
    ok = values.notna() & (weights > 0)
    f = keys[ok].assign(v=values[ok], w=weights[ok])
    names = list(keys.columns)
    f = f.sort_values([*names, "v"], kind="mergesort")
    gid = f.groupby(names, sort=False).ngroup().to_numpy()
    w = f["w"].to_numpy()
    v = f["v"].to_numpy()
    cw = np.cumsum(w)
    start = np.r_[0, np.flatnonzero(np.diff(gid)) + 1]
    offset = np.r_[0, cw[start[1:] - 1]]
    tot = np.add.reduceat(w, start) if len(w) else np.array([])
    cw_in = cw - offset[gid]
    half = (tot / 2)[gid]
    reached = cw_in >= half - 1e-12
    # first row in each group where the cumulative weight reaches half
    first_idx = pd.Series(np.arange(len(v)))[reached].groupby(gid[reached]).first().to_numpy()
    med = v[first_idx]
    exact = np.isclose(cw_in[first_idx], half[first_idx])
    nxt = np.minimum(first_idx + 1, len(v) - 1)
    same_group = gid[nxt] == gid[first_idx]
    med = np.where(exact & same_group & (nxt != first_idx), (v[first_idx] + v[nxt]) / 2, med)
    idx = f.iloc[start].set_index(names).index
    return pd.Series(med, index=idx)


def to_weekly(daily: pd.DataFrame, *, workdays: Iterable[int] = (0, 1, 2, 3, 4),
              holidays: Iterable[date] = ()) -> pd.DataFrame:
    """Aggregate a team x day panel to team x ISO week.

    Args:
        daily: columns ``team``, ``day`` (date or ISO string), ``headcount`` and any of the issue-2
            columns (counts, ``*_median`` durations, ``ai_active_users``).
        workdays: weekday numbers that are working days (Monday = 0).
        holidays: dates that are not working days.

    Returns:
        One row per team and week: ``team``, ``week`` (the Monday, a ``date``), ``week_index``
        (0, 1, ... from the first Monday in the data), ``working_days``, ``active_devs``,
        ``dev_days``, ``log_dev_days``, ``log_working_days``, ``ai_weekly_active_users``, the summed
        counts and the weighted-median durations.

    Raises:
        InputError: a required column is missing or a day does not parse.
    """
    for col in ("team", "day", "headcount"):
        if col not in daily.columns:
            raise InputError(f"the team x day table has no {col!r} column", field=col)
    d = daily.copy()
    try:
        d["day"] = pd.to_datetime(d["day"]).dt.normalize()
    except (ValueError, TypeError) as exc:
        raise InputError(f"cannot read days: {exc}", field="day") from None
    d["week"] = (d["day"] - pd.to_timedelta(d["day"].dt.day_of_week, unit="D")).dt.date
    hol = {pd.Timestamp(h).date() for h in holidays}
    wd = set(workdays)
    d["working"] = d["day"].dt.day_of_week.isin(wd) & ~d["day"].dt.date.isin(hol)
    d["work_head"] = d["headcount"].where(d["working"], 0.0)

    keys = ["team", "week"]
    grouped = d.groupby(keys, sort=True)
    out = grouped.agg(working_days=("working", "sum"), dev_days=("work_head", "sum")).reset_index()
    out["active_devs"] = out["dev_days"] / out["working_days"].where(out["working_days"] > 0)
    counts = [c for c in COUNT_COLUMNS if c in d.columns]
    if counts:
        # min_count=1: a week with no reported values stays missing, never becomes 0
        out = out.merge(grouped[counts].sum(min_count=1).reset_index(), on=keys)
    if "ai_weekly_active_users" in d.columns:
        out = out.merge(grouped["ai_weekly_active_users"].max().reset_index(), on=keys)
    elif "ai_active_users" in d.columns:
        wau = grouped["ai_active_users"].max().rename("ai_weekly_active_users").reset_index()
        out = out.merge(wau, on=keys)
    for col, wcol in DURATION_WEIGHTS.items():
        if col in d.columns:
            w = d[wcol] if wcol in d.columns else pd.Series(1.0, index=d.index)
            med = _grouped_weighted_median(d[keys], d[col].astype(float), w.fillna(0).astype(float))
            out = out.merge(med.rename(col).reset_index(), on=keys, how="left")
    first = min(out["week"]) if len(out) else None
    out["week_index"] = [(w - first).days // 7 for w in out["week"]] if first else []
    with np.errstate(divide="ignore"):
        out["log_dev_days"] = np.log(out["dev_days"].where(out["dev_days"] > 0))
        out["log_working_days"] = np.log(out["working_days"].where(out["working_days"] > 0))
    return out


def business_hours(start: pd.Series, end: pd.Series, *, workdays: Iterable[int] = (0, 1, 2, 3, 4),
                   holidays: Iterable[date] = (), day_start: float = 9.0, day_end: float = 17.0) -> pd.Series:
    """Working hours between two timestamps (per row), counting only ``day_start``-``day_end`` on working days.

    Both series must be naive local times in the team's calendar (``correlate.calendar`` converts).
    Missing ends give NaN (still open: censored, see :func:`apply_maturity`).
    """
    mask = "".join("1" if i in set(workdays) else "0" for i in range(7))
    hol = np.array([np.datetime64(pd.Timestamp(h).date()) for h in holidays], dtype="datetime64[D]")
    s = pd.to_datetime(start)
    e = pd.to_datetime(end)
    ok = s.notna() & e.notna() & (e >= s)
    out = pd.Series(np.nan, index=start.index)
    if not ok.any():
        return out
    s, e = s[ok], e[ok]
    span = day_end - day_start
    sd = s.dt.floor("D").to_numpy().astype("datetime64[D]")
    ed = e.dt.floor("D").to_numpy().astype("datetime64[D]")
    cal = np.busdaycalendar(weekmask=mask, holidays=hol)
    full_days = np.busday_count(sd, ed, busdaycal=cal).astype(float)  # working days in [sd, ed)

    def clip(ts: pd.Series) -> np.ndarray:
        h = (ts - ts.dt.floor("D")).dt.total_seconds().to_numpy() / 3600
        return np.asarray(np.clip(h, day_start, day_end) - day_start, dtype=float)

    s_work = np.is_busday(sd, busdaycal=cal)
    e_work = np.is_busday(ed, busdaycal=cal)
    hours = full_days * span - np.where(s_work, clip(s), 0.0) + np.where(e_work, clip(e), 0.0)
    out[ok] = hours
    return out


def maturity_days(cycle_time_h: pd.Series, *, quantile: float = 0.9) -> int:
    """The maturity window L: the pre-period p90 of cycle time, in whole days (at least 1).

    PRs opened less than L days before the cutoff are left out of duration outcomes, because only
    the quick ones have finished; dropping the still-open ones would manufacture an improvement in
    the most recent (mostly post-adoption) weeks (``docs/statistics.md`` §2.5).
    """
    v = pd.to_numeric(cycle_time_h, errors="coerce").dropna()
    if v.empty:
        return 7
    return max(1, int(np.ceil(float(v.quantile(quantile)) / 24)))


def apply_maturity(weekly: pd.DataFrame, *, cutoff: date, days: int,
                   columns: Iterable[str] = tuple(DURATION_WEIGHTS)) -> pd.DataFrame:
    """Blank (NaN) duration outcomes of weeks that end less than ``days`` days before ``cutoff``.

    For a table aggregated by merge day this is the closest available form of the maturity rule;
    event-level PRs get the exact rule in :func:`weekly_durations_from_events`.
    """
    out = weekly.copy()
    week_end = pd.to_datetime(out["week"]) + timedelta(days=6)
    young = week_end > pd.Timestamp(cutoff) - timedelta(days=days)
    for col in columns:
        if col in out.columns:
            out.loc[young, col] = np.nan
    return out


def weekly_durations_from_events(events: pd.DataFrame, *, start: str, end: str, cutoff: date, days: int,
                                 business: bool = False, workdays: Iterable[int] = (0, 1, 2, 3, 4),
                                 holidays: Iterable[date] = (), name: str = "pr_cycle_time_h_median") -> pd.DataFrame:
    """Exact weekly median durations from event rows (one per PR), applying the maturity window.

    Only events that *started* at least ``days`` days before ``cutoff`` count; their week is the
    ISO week of the start. Still-open events among them are kept in ``n_open`` (censored), and the
    median is over finished ones. ``business=True`` measures working hours (:func:`business_hours`).

    Returns:
        ``team``, ``week``, ``name`` (median hours), ``n_events``, ``n_open``.
    """
    for col in ("team", start, end):
        if col not in events.columns:
            raise InputError(f"event rows have no {col!r} column", field=col)
    ev = events.copy()
    ev[start] = pd.to_datetime(ev[start])
    ev[end] = pd.to_datetime(ev[end])
    ev = ev[ev[start] <= pd.Timestamp(cutoff) - timedelta(days=days)]
    if business:
        ev["h"] = business_hours(ev[start], ev[end], workdays=workdays, holidays=holidays)
    else:
        ev["h"] = (ev[end] - ev[start]).dt.total_seconds() / 3600
    day = ev[start].dt.normalize()
    ev["week"] = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date
    g = ev.groupby(["team", "week"], sort=True)
    return g.agg(**{name: ("h", "median"), "n_events": ("h", "size"),
                    "n_open": ("h", lambda s: int(s.isna().sum()))}).reset_index()
