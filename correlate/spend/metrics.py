"""Per team and model: the class split over time, cost per merged PR and per commit, caching, model mix, batch.

Every function takes the classified spend (:class:`~correlate.spend.classify.Classified`) and its
inputs and returns a plain frame; nothing here formats. Definitions:

* **cost per merged PR** (definitions.md §12): the team's spend in the window ÷ PRs its people merged
  in the window; beside it the *linked* cost per merged PR (spend linked to merged PRs ÷ those PRs).
* **cost per commit**: spend of the actor-days that report a commit count ÷ those commits (Claude Code's
  own commit counter). The rising flag compares the last two periods: cost per commit rose by at least
  ``rising_cost_per_commit`` and by that much more than the median merged-PR size did.
* **cache-read share**: the catalogue's ``cache_read_share`` (the cost table's column): cache-read tokens ÷
  (uncached input + cache-read tokens), so a recommendation quotes the number the table prints.
  **Savings**: cache reads priced at the model's input rate minus its cache-read rate, in
  force on the day (the one price table, :mod:`correlate.prices`, with the ``[prices] file`` override).
* **model mix**: of the spend linked to PRs under ``small_pr_lines`` lines, the share on the team's
  most expensive model, and what the second one would have cost instead (price ratio of inputs).
* **batch-eligible**: spend of non-interactive actors (``batch_actor_types``), and the price table's
  Batch API discount on it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from correlate.config import SpendConfig
from correlate.metrics.catalogue import metric
from correlate.prices import PriceTable
from correlate.spend.classify import CLASSES, Classified
from correlate.spend.inputs import SpendInputs

__all__ = ["batch_eligible", "cache_share_columns", "cache_use", "class_split", "cost_per_commit",
           "cost_per_merged_pr", "model_costs", "model_costs_total", "model_mix"]

def class_split(c: Classified, grain: str = "week", by_model: bool = False) -> pd.DataFrame:
    """Spend per team (and model), period and class: ``team, [model,] period, <classes...>, total``.

    Args:
        c: classified spend.
        grain: ``day``, ``week`` (Monday) or ``month``; ``all`` gives one period per team (its first day).
        by_model: also split by model.
    """
    d = c.detail.copy()
    day = pd.to_datetime(d["day"])
    if grain == "all":
        d["period"] = d.groupby("team")["day"].transform("min")
    else:
        d["period"] = {"day": day, "week": day - pd.to_timedelta(day.dt.day_of_week, unit="D"),
                       "month": day.dt.to_period("M").dt.start_time}[grain].dt.date
    keys = ["team", "model", "period"] if by_model else ["team", "period"]
    if d.empty:
        return pd.DataFrame(columns=[*keys, *CLASSES, "total"])
    t = d.pivot_table(index=keys, columns="class", values="cost_usd", aggfunc="sum", fill_value=0.0)
    for cls in CLASSES:
        if cls not in t.columns:
            t[cls] = 0.0
    t = t[list(CLASSES)]
    t["total"] = t.sum(axis=1)
    return t.reset_index()


def _team_of_pr_author(inputs: SpendInputs) -> pd.DataFrame:
    """Merged PRs with the author's team on the merge day."""
    from correlate.config import normalize_identity

    prs = inputs.prs[inputs.prs["merged_day"].notna()].copy()
    prs["identity"] = prs["author"].map(lambda a: normalize_identity(a) if isinstance(a, str) else None)
    m = inputs.membership
    j = prs.merge(m[["identity", "team", "since", "until"]], on="identity")
    md = pd.to_datetime(j["merged_day"])
    ok = j["since"].isna() | (md >= pd.to_datetime(j["since"]))
    ok &= j["until"].isna() | (md < pd.to_datetime(j["until"]))
    return j[ok]


def cost_per_merged_pr(c: Classified, inputs: SpendInputs, first: object, last: object) -> pd.DataFrame:
    """Per team and model: spend, merged PRs, cost per merged PR and linked cost per merged PR."""
    merged = _team_of_pr_author(inputs)
    merged = merged[(merged["merged_day"] >= first) & (merged["merged_day"] <= last)]
    n_merged = merged.groupby("team").size()
    d = c.detail
    total = d.groupby(["team", "model"])["cost_usd"].sum()
    states = c.outcomes[["repo", "number", "state"]].astype({"number": "Int64"})
    on_merged = d[d["repo"].notna()].astype({"number": "Int64"}).merge(states, on=["repo", "number"])
    on_merged = on_merged[on_merged["state"] == "merged"]
    linked = on_merged.groupby(["team", "model"])["cost_usd"].sum()
    linked_prs = on_merged.drop_duplicates(["team", "model", "repo", "number"]).groupby(["team", "model"]).size()
    out = pd.DataFrame({"cost_usd": total}).reset_index()
    out["merged_prs"] = out["team"].map(n_merged).fillna(0).astype(int)
    out["cost_per_merged_pr"] = out["cost_usd"] / out["merged_prs"].replace(0, np.nan)
    out = out.join(pd.DataFrame({"linked_cost_usd": linked, "linked_merged_prs": linked_prs}),
                   on=["team", "model"])
    out["linked_cost_usd"] = out["linked_cost_usd"].fillna(0.0)
    out["linked_merged_prs"] = out["linked_merged_prs"].fillna(0).astype(int)
    out["linked_cost_per_merged_pr"] = out["linked_cost_usd"] / out["linked_merged_prs"].replace(0, np.nan)
    return out


def cost_per_commit(inputs: SpendInputs, spend: SpendConfig, periods: list[tuple[date, date]] | None = None,
                    grain: str = "month") -> pd.DataFrame:
    """Per team and period: cost per commit, median merged-PR size, and the rising-cost-per-commit flag.

    Args:
        inputs: the spend units (their ``commits``) and PRs.
        spend: thresholds.
        periods: explicit ``(first, last)`` windows to compare, in order; default calendar months
            (``grain="month"``) or ISO weeks (``"week"``).
        grain: used when ``periods`` is None.

    The flag (``rising``) is set on a team's last period when cost per commit rose by at least
    ``rising_cost_per_commit`` over the previous period, rose that much more than the median PR size
    did, and both periods have at least ``min_evidence_prs`` commits.
    """
    u = inputs.units[inputs.units["commits"].notna()].copy()
    u["commits"] = u["commits"].astype(float)
    merged = _team_of_pr_author(inputs)
    merged["size_lines"] = pd.to_numeric(merged["size_lines"], errors="coerce").astype(float)
    if periods is None:
        per = "M" if grain == "month" else "W-SUN"
        u["period"] = pd.to_datetime(u["day"]).dt.to_period(per).dt.start_time.dt.date
        merged["period"] = pd.to_datetime(merged["merged_day"]).dt.to_period(per).dt.start_time.dt.date
    else:
        def label(days: pd.Series) -> pd.Series:
            out = pd.Series(None, index=days.index, dtype=object)
            for lo, hi in periods:
                out[(days >= lo) & (days <= hi)] = lo
            return out

        u["period"] = label(u["day"])
        merged["period"] = label(merged["merged_day"])
        u, merged = u[u["period"].notna()], merged[merged["period"].notna()]
    g = u.groupby(["team", "period"]).agg(cost_usd=("cost_usd", "sum"), commits=("commits", "sum")).reset_index()
    g["cost_per_commit"] = g["cost_usd"] / g["commits"].replace(0, np.nan)
    size = merged.groupby(["team", "period"])["size_lines"].median().rename("pr_size_median")
    g = g.join(size, on=["team", "period"]).sort_values(["team", "period"])
    g["cpc_ratio"] = g.groupby("team")["cost_per_commit"].pct_change(fill_method=None) + 1
    g["size_ratio"] = g.groupby("team")["pr_size_median"].pct_change(fill_method=None) + 1
    prev_commits = g.groupby("team")["commits"].shift(1)
    enough = (g["commits"] >= spend.min_evidence_prs) & (prev_commits >= spend.min_evidence_prs)
    r = spend.rising_cost_per_commit
    rising = enough & (g["cpc_ratio"] >= 1 + r) & ((g["cpc_ratio"] / g["size_ratio"].fillna(1.0)) >= 1 + r)
    g["rising"] = rising.fillna(False).astype(bool)
    last = g.groupby("team")["period"].transform("max")
    g.loc[g["period"] != last, "rising"] = False
    return g.reset_index(drop=True)


def _day_of_model_rows(inputs: SpendInputs) -> pd.DataFrame:
    """The model rows with their unit's team and day (prices are looked up for the day they were used)."""
    return inputs.models.merge(inputs.units[["uid", "team", "day"]], on="uid")


def cache_share_columns() -> tuple[str, tuple[str, ...]]:
    """The catalogue's cache-read share (numerator, denominator columns) in the spend inputs' column names: one
    definition for the cost table and the caching recommendation."""
    m = metric("cache_read_share")
    (num,) = m.numerator
    return num.removeprefix("ai_"), tuple(c.removeprefix("ai_") for c in m.denominator)


def cache_use(inputs: SpendInputs, prices: PriceTable) -> pd.DataFrame:
    """Per team and model: cache-read share (:func:`cache_share_columns`) and the savings cache reads brought
    (cache-read tokens × (input rate − cache-read rate) in force on the day, :meth:`PriceTable.cache_saving`)."""
    m = _day_of_model_rows(inputs)
    cols = ["tokens_input", "tokens_cache_read", "tokens_cache_creation"]
    for col in cols:
        if col not in m.columns:
            m[col] = np.nan
    saved_per_m = (pd.Series(prices.rate(m["model"], m["day"], "input"), index=m.index)
                   - pd.Series(prices.rate(m["model"], m["day"], "cache_read"), index=m.index))
    m["cache_savings_usd"] = m["tokens_cache_read"] * saved_per_m / 1e6
    g = m.groupby(["team", "model"]).agg(**{c: (c, lambda v: v.sum(min_count=1)) for c in cols},
                                        cache_savings_usd=("cache_savings_usd", lambda v: v.sum(min_count=1)))
    g = g.reset_index()
    num, den = cache_share_columns()
    g["cache_read_share"] = g[num] / g[list(den)].sum(axis=1, min_count=1).replace(0, np.nan)
    return g[["team", "model", *cols, "cache_read_share", "cache_savings_usd"]]


def model_mix(c: Classified, spend: SpendConfig, prices: PriceTable, day: date) -> pd.DataFrame:
    """Per team: spend on small PRs, the share on the team's most expensive model, and the routing saving
    (input prices in force on ``day``, the last day of the window)."""
    d = c.detail[c.detail["repo"].notna()].astype({"number": "Int64"})
    sizes = c.outcomes[["repo", "number", "size_lines"]].astype({"number": "Int64"})
    d = d.merge(sizes, on=["repo", "number"])
    small = d[pd.to_numeric(d["size_lines"], errors="coerce") < spend.small_pr_lines].copy()
    rows = []
    for team, g in small.groupby("team"):
        by_model = g.groupby("model")["cost_usd"].sum()
        priced: dict[str, float] = {}
        for m in by_model.index:
            p = prices.price(str(m), day)
            if p is not None:
                priced[str(m)] = p.input
        if not priced:
            continue
        top = max(priced, key=lambda m: priced[m])
        cheaper = sorted({p for p in priced.values() if p < priced[top]}, reverse=True)
        alt_price = cheaper[0] if cheaper else None
        alt = next((m for m in priced if priced[m] == alt_price), None)
        top_cost = float(by_model[top])
        saving = top_cost * (1 - alt_price / priced[top]) if alt_price else 0.0
        rows.append({"team": team, "small_pr_cost_usd": float(by_model.sum()),
                     "small_prs": len(set(zip(g["repo"], g["number"], strict=True))), "top_model": top,
                     "top_model_share": top_cost / float(by_model.sum()) if by_model.sum() else np.nan,
                     "top_model_cost_usd": top_cost, "cheaper_model": alt, "routing_saving_usd": saving})
    return pd.DataFrame(rows, columns=["team", "small_pr_cost_usd", "small_prs", "top_model", "top_model_share",
                                       "top_model_cost_usd", "cheaper_model", "routing_saving_usd"])


def batch_eligible(inputs: SpendInputs, spend: SpendConfig, prices: PriceTable) -> pd.DataFrame:
    """Per team: spend of non-interactive actors and the price table's Batch API discount on it."""
    u = inputs.units
    g = u.assign(eligible=u["cost_usd"].where(u["actor_type"].isin(spend.batch_actor_types), 0.0)).groupby(
        "team").agg(cost_usd=("cost_usd", "sum"), batch_eligible_usd=("eligible", "sum")).reset_index()
    g["batch_saving_usd"] = g["batch_eligible_usd"] * prices.batch_discount
    return g


def model_costs(inputs: SpendInputs, prices: PriceTable) -> pd.DataFrame:
    """Per tool and model: spend, tokens, what cache reads saved and what the Batch API discount would take off.

    The spend is the units' (the panel's precedence-resolved usage of configured teams' people), split
    by each unit's model shares, so the rows add up to the panel's ``ai_cost_usd`` to the cent. Prices
    are the ones in force on each usage day (:class:`~correlate.prices.PriceTable`); a model without a
    price, or a row without tokens, has no saving (NaN), never a guessed one.

    Returns:
        ``tool, model, people, cost_usd, tokens_input, tokens_output, tokens_cache_read, cache_read_share,
        cache_saved_usd, uncached_cost_usd, batch_saving_usd`` sorted by spend (largest first), then tool
        and model; :func:`model_costs_total` adds them up. ``people`` (distinct people behind the row) lets a
        report hide a model used by too few people to be shown.
    """
    cols = ["tool", "model", "people", "cost_usd", "tokens_input", "tokens_output", "tokens_cache_read",
            "cache_read_share", "cache_saved_usd", "uncached_cost_usd", "batch_saving_usd"]
    m = inputs.models.merge(inputs.units[["uid", "tool", "day", "person", "cost_usd"]], on="uid")
    if m.empty:
        return pd.DataFrame(columns=cols)
    for col in ("tokens_input", "tokens_output", "tokens_cache_read"):
        if col not in m.columns:
            m[col] = np.nan
        m[col] = pd.to_numeric(m[col], errors="coerce").astype(float)

    def rate(field: str) -> pd.Series:
        return pd.Series(prices.rate(m["model"], m["day"], field), index=m.index)

    p_in, p_out, p_read = rate("input"), rate("output"), rate("cache_read")
    m["cost_usd"] = m["cost_usd"] * m["share"]
    m["cache_saved_usd"] = m["tokens_cache_read"] * (p_in - p_read) / 1e6
    m["batch_saving_usd"] = (m["tokens_input"] * p_in + m["tokens_output"] * p_out) * prices.batch_discount / 1e6

    def total(v: pd.Series) -> float:
        return float(v.sum(min_count=1))

    sums = ["cost_usd", "tokens_input", "tokens_output", "tokens_cache_read", "cache_saved_usd", "batch_saving_usd"]
    g = _with_derived(m.groupby(["tool", "model"], sort=False).agg(people=("person", "nunique"),
                                                                     **{c: (c, total) for c in sums}).reset_index())
    return g.sort_values(["cost_usd", "tool", "model"], ascending=[False, True, True]).reset_index(drop=True)[cols]


def _with_derived(g: pd.DataFrame) -> pd.DataFrame:
    """Cache-read share of input tokens (:func:`cache_share_columns`) and what the spend would have been without
    cache reads."""
    num, den = cache_share_columns()
    total_in = g[list(den)].sum(axis=1, min_count=len(den))
    g["cache_read_share"] = g[num] / total_in.where(total_in > 0)
    g["uncached_cost_usd"] = g["cost_usd"] + g["cache_saved_usd"]
    return g


def model_costs_total(costs: pd.DataFrame) -> dict[str, float]:
    """The :func:`model_costs` rows added up (tokens and savings over the rows that have them; savings of
    unpriced models are absent, not 0)."""
    sums = ["cost_usd", "tokens_input", "tokens_output", "tokens_cache_read", "cache_saved_usd", "batch_saving_usd"]
    total = pd.DataFrame([{c: float(costs[c].sum(min_count=1)) if len(costs) else float("nan") for c in sums}])
    total["cost_usd"] = total["cost_usd"].fillna(0.0)
    return {k: float(v) for k, v in _with_derived(total).iloc[0].items()}
