"""The spend section of the monthly report as a view-model: numbers only, no formatting.

The reports work renders :class:`SpendSection`; every figure it shows is here with the thresholds
it depends on, so the page can print them next to the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from correlate.config import Config
from correlate.prices import table_for_config
from correlate.spend import classify_window
from correlate.spend.classify import CLASSES
from correlate.spend.linking import LINK_RULES
from correlate.spend.metrics import (
    batch_eligible,
    cache_use,
    class_split,
    cost_per_commit,
    cost_per_merged_pr,
    model_costs,
    model_mix,
)
from correlate.spend.recommendations import Recommendation, recommend
from correlate.store import Store

__all__ = ["SpendSection", "not_yet_judged", "spend_section"]


@dataclass(frozen=True)
class SpendSection:
    """Spend classes, their evidence and the recommendations for ``[first, last]``.

    Attributes:
        first, last: the report window (days, inclusive); ``as_of`` the classification day.
        thresholds: every ``[spend]`` setting used (name -> value).
        total_usd: team-mapped spend in the window (equals the panel's ``ai_cost_usd`` total).
        by_class: USD per class (all classes, 0 when empty).
        unmapped_usd: spend of identities no team claims (outside the classes and the panel).
        rule_shares: share of spend per linking rule (all rules listed).
        evidence: which evidence was available (sessions, PR commits, head branches).
        by_reason: ``class, reason, cost_usd, prs`` — why each class holds what it holds (e.g.
            inefficient: reverted / incident / follow_up_fix / review_rounds / cost_above_median).
        by_team: ``team`` + USD per class + ``total``.
        over_time: :func:`correlate.spend.metrics.class_split` by week over the comparison window and
            the report window (``period`` before ``first`` is the comparison).
        by_team_model: class split per team and model over the report window.
        team_model: cost per merged PR per team and model.
        cost_per_commit: per team and month, with the ``rising`` flag.
        cache: cache-read share and savings per team and model.
        model_mix: small-PR spend on the top model per team.
        batch: batch-eligible spend per team.
        models: spend, tokens, caching savings and the batch counterfactual per tool and model
            (:func:`correlate.spend.metrics.model_costs`; adds up to ``total_usd``).
        medians: the team × size-bucket medians behind the cost-above-median rule.
        recommendations: those that cleared their bar.
    """

    first: date
    last: date
    as_of: date
    thresholds: dict[str, object]
    total_usd: float
    by_class: dict[str, float]
    unmapped_usd: float
    unmapped_identities: int  # distinct identities behind unmapped_usd
    rule_shares: dict[str, float]
    evidence: dict[str, bool]
    by_reason: pd.DataFrame
    by_team: pd.DataFrame
    over_time: pd.DataFrame
    by_team_model: pd.DataFrame
    team_model: pd.DataFrame
    cost_per_commit: pd.DataFrame
    cache: pd.DataFrame
    model_mix: pd.DataFrame
    batch: pd.DataFrame
    models: pd.DataFrame
    medians: pd.DataFrame
    recommendations: list[Recommendation] = field(default_factory=list)


def not_yet_judged(s: SpendSection) -> str:
    """Why no spend of the window can be productive yet ("" when some can): a merged PR is judged (held, or
    needed a fix) only ``follow_up_days`` after its merge, and every PR merged in the window is younger than
    that on the classification day, so its spend is pending and a productive share of 0% is no result."""
    days = int(s.thresholds.get("follow_up_days", 0) or 0)  # type: ignore[call-overload]
    if (s.as_of - s.first).days >= days:
        return ""
    return (f"this spend is at most {(s.as_of - s.first).days} days old, and a merged PR is judged only once it "
            f"is {days} days old")


def _per_team(detail: pd.DataFrame) -> pd.DataFrame:
    t = detail.pivot_table(index="team", columns="class", values="cost_usd", aggfunc="sum", fill_value=0.0)
    for c in CLASSES:
        if c not in t.columns:
            t[c] = 0.0
    return t[list(CLASSES)]


def spend_section(store: Store, config: Config, first: date, last: date, as_of: date | None = None) -> SpendSection:
    """Build the spend section for ``[first, last]``; the window of equal length before it is the comparison
    (classified on its own, as the window is).

    Args:
        store: an open store.
        config: teams and ``[spend]`` thresholds.
        first, last: the report window (days, inclusive).
        as_of: classification day (default: the newest data day in the store).
    """
    spend = config.root.spend
    before_first, before_last = first - timedelta(days=(last - first).days + 1), first - timedelta(days=1)
    # The window is classified on its own, exactly as `correlate export spend --since first --until last`
    # classifies it, so the report's classes are the export's; the window before is classified apart.
    window_inputs, now_classified = classify_window(store, config, first, last, as_of=as_of)
    before_inputs, before = classify_window(store, config, before_first, before_last, as_of=now_classified.as_of)
    now = now_classified.detail
    shares_now, shares_before = _per_team(now), _per_team(before.detail)
    links_now = now_classified.links.links
    total = float(now["cost_usd"].sum())
    by_rule = links_now.groupby("rule")["cost_usd"].sum()
    link_total = float(links_now["cost_usd"].sum())
    both = replace(window_inputs, units=pd.concat([before_inputs.units, window_inputs.units], ignore_index=True))
    cpc = cost_per_commit(both, spend, periods=[(before_first, before_last), (first, last)])
    prices = table_for_config(config)
    cache = cache_use(window_inputs, prices)
    mix = model_mix(now_classified, spend, prices, last)
    batch = batch_eligible(window_inputs, spend, prices)
    by_team = shares_now.copy()
    by_team["total"] = by_team.sum(axis=1)
    over_time = class_split(replace(now_classified, detail=pd.concat([before.detail, now], ignore_index=True)),
                            "week")
    by_team_model = class_split(now_classified, "all", by_model=True).drop(columns=["period"])
    recs = recommend(spend=spend, model_mix=mix, cache=cache, shares_now=shares_now, shares_before=shares_before,
                     cost_per_commit=cpc, batch=batch)
    unmapped = window_inputs.unmapped_cost_usd
    unmapped_identities = int(window_inputs.unmapped["actor"].nunique()) if len(window_inputs.unmapped) else 0
    classified = now_classified
    return SpendSection(
        first=first, last=last, as_of=classified.as_of, thresholds=spend.model_dump(), total_usd=total,
        by_class={c: float(now.loc[now["class"] == c, "cost_usd"].sum()) for c in CLASSES},
        unmapped_usd=unmapped, unmapped_identities=unmapped_identities,
        rule_shares={r: (float(by_rule.get(r, 0.0)) / link_total if link_total else 0.0) for r in LINK_RULES},
        evidence={"sessions": classified.links.sessions_available, "pr_commits": classified.links.commits_checkable,
                  "head_branches": classified.links.branches_checkable},
        by_reason=_by_reason(now), by_team=by_team.reset_index(), over_time=over_time, by_team_model=by_team_model,
        team_model=cost_per_merged_pr(now_classified, window_inputs, first, last), cost_per_commit=cpc, cache=cache,
        model_mix=mix, batch=batch, models=model_costs(window_inputs, prices), medians=classified.medians,
        recommendations=recs)


def _by_reason(detail: pd.DataFrame) -> pd.DataFrame:
    """Spend and distinct PRs per class and reason, classes in their fixed order."""
    if detail.empty:
        return pd.DataFrame(columns=["class", "reason", "cost_usd", "prs"])
    d = detail.assign(pr=detail["repo"].astype(str) + "#" + detail["number"].astype(str))
    g = d.groupby(["class", "reason"]).agg(cost_usd=("cost_usd", "sum"),
                                           prs=("pr", lambda p: p[d.loc[p.index, "repo"].notna()].nunique()))
    g = g.reset_index()
    g["order"] = g["class"].map({c: i for i, c in enumerate(CLASSES)})
    return g.sort_values(["order", "cost_usd"], ascending=[True, False]).drop(columns=["order"]).reset_index(drop=True)
