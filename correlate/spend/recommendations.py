"""Recommendations that follow from the spend figures, each with its numbers and the bar it cleared.

A recommendation is printed only when its evidence clears a stated bar built from the ``[spend]``
thresholds (``min_evidence_usd``, ``min_evidence_prs``, ``min_evidence_share``); the bar is part of
the recommendation, so a reader can see why it was made. Each carries a suggested *encoding*: the
CLAUDE.md convention, settings entry or subagent definition that would put it into practice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from correlate.config import SpendConfig
from correlate.spend.metrics import cache_share_columns

__all__ = ["Recommendation", "recommend"]


@dataclass(frozen=True)
class Recommendation:
    """One recommendation for one team.

    Attributes:
        kind: ``model_routing``, ``prompt_caching``, ``wasteful_rise``, ``rising_cost_per_commit``,
            ``batch``, ``follow_up`` or ``link_coverage``.
        team: the team it is about.
        message: one plain sentence with the numbers.
        numbers: the figures behind it (USD, shares as 0..1, counts).
        evidence_bar: the bar it cleared, in words, with the thresholds.
        encoding: a suggested way to put it into practice.
    """

    kind: str
    team: str
    message: str
    numbers: dict[str, float] = field(default_factory=dict)
    evidence_bar: str = ""
    encoding: str = ""


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def recommend(*, spend: SpendConfig, model_mix: pd.DataFrame, cache: pd.DataFrame, shares_now: pd.DataFrame,
              shares_before: pd.DataFrame, cost_per_commit: pd.DataFrame, batch: pd.DataFrame) -> list[Recommendation]:
    """Build the recommendations whose evidence clears the bar.

    Args:
        spend: thresholds.
        model_mix: :func:`correlate.spend.metrics.model_mix`.
        cache: :func:`correlate.spend.metrics.cache_use`.
        shares_now, shares_before: per team, spend per class (columns = classes) in the window and the
            window before it.
        cost_per_commit: :func:`correlate.spend.metrics.cost_per_commit`.
        batch: :func:`correlate.spend.metrics.batch_eligible`.
    """
    usd, prs, share = spend.min_evidence_usd, spend.min_evidence_prs, spend.min_evidence_share
    out: list[Recommendation] = []

    for r in model_mix.itertuples(index=False):
        if (r.cheaper_model and r.top_model_share >= 0.5 and r.small_prs >= prs and r.routing_saving_usd >= usd):
            out.append(Recommendation(
                "model_routing", r.team,
                f"{r.team} spends {_pct(r.top_model_share)} of the AI cost of PRs under {spend.small_pr_lines} lines "
                f"on {r.top_model}: routing that work to {r.cheaper_model} would have cost "
                f"${r.routing_saving_usd:,.0f} less in this window.",
                {"top_model_share": r.top_model_share, "small_pr_cost_usd": r.small_pr_cost_usd,
                 "small_prs": r.small_prs, "saving_usd": r.routing_saving_usd},
                f"top-model share >= 50% of small-PR spend, >= {prs} small PRs, saving >= ${usd:,.0f}",
                f'Set "model": "{r.cheaper_model}" in the repo\'s .claude/settings.json and keep {r.top_model} for '
                "design work (CLAUDE.md: \"switch to the larger model with /model only for multi-file design\"); "
                f"give routine subagents `model: {r.cheaper_model}` in .claude/agents/*.md."))

    if len(cache):
        # the cost table's definition (the catalogue's cache_read_share), summed over the team's models, so the
        # sentence quotes the team's own cell of that table
        num, den = cache_share_columns()
        team = cache.groupby("team")[sorted({num, *den})].sum(min_count=1)
        team["share"] = team[num] / team[list(den)].sum(axis=1, min_count=1).replace(0, np.nan)
        savings = cache.groupby("team")["cache_savings_usd"].sum(min_count=1)
        for name, row in team.dropna(subset=["share"]).iterrows():
            others = team.drop(index=name)["share"].dropna()
            if len(others) < 1:
                continue
            elsewhere = float(others.median())
            gap = elsewhere - float(row["share"])
            if row["share"] < 0.5 * elsewhere and gap >= share:
                out.append(Recommendation(
                    "prompt_caching", str(name),
                    f"Cache reads are {_pct(row['share'])} of input tokens for {name} vs a median of "
                    f"{_pct(elsewhere)} in the other teams: check prompt-caching settings.",
                    {"cache_read_share": float(row["share"]), "elsewhere_share": elsewhere,
                     "cache_savings_usd": float(savings.get(name, np.nan))},
                    f"share below half the other teams' median and at least {_pct(share)} below it",
                    "Make sure DISABLE_PROMPT_CACHING is not set (environment or managed settings); keep CLAUDE.md "
                    "and tool lists stable within a session so the cached prefix is reused."))

    decided = ["productive", "inefficient", "wasteful"]

    def wasteful_share(t: pd.DataFrame) -> pd.DataFrame:
        d = t[decided].sum(axis=1)
        return pd.DataFrame({"share": t["wasteful"] / d.replace(0, np.nan), "decided": d})

    if len(shares_now) and len(shares_before):
        now, before = wasteful_share(shares_now), wasteful_share(shares_before)
        both = now.add_suffix("_now").join(before.add_suffix("_before"), how="inner").dropna()
        for name, r in both.iterrows():
            if (r["share_now"] - r["share_before"] >= share and r["decided_now"] >= usd and r["decided_before"] >= usd):
                out.append(Recommendation(
                    "wasteful_rise", str(name),
                    f"The wasteful share of decided spend rose from {_pct(r['share_before'])} to "
                    f"{_pct(r['share_now'])} in {name}.",
                    {"share_before": r["share_before"], "share_now": r["share_now"],
                     "decided_usd_now": r["decided_now"], "decided_usd_before": r["decided_before"]},
                    f"rise >= {_pct(share)} points with >= ${usd:,.0f} decided spend in both windows",
                    "CLAUDE.md: \"plan first (plan mode) for changes over a day's work; open a draft PR at the first "
                    "commit; delete spike branches you abandon\"."))
        troubled = shares_now[decided].copy()
        troubled["share"] = troubled["inefficient"] / troubled[decided].sum(axis=1).replace(0, np.nan)
        for name, r in troubled.dropna().iterrows():
            if r["share"] >= 2 * share and r["inefficient"] >= usd:
                out.append(Recommendation(
                    "follow_up", str(name),
                    f"{_pct(r['share'])} of {name}'s decided spend went to PRs that needed follow-up fixes or cost "
                    "more "
                    "than their size suggests.",
                    {"inefficient_share": r["share"], "inefficient_usd": r["inefficient"]},
                    f"inefficient share >= {_pct(2 * share)} and >= ${usd:,.0f}",
                    "CLAUDE.md: \"run the tests and the linter before every commit\"; a PostToolUse hook that runs "
                    "the tests after edits; keep the team's review checklist in CLAUDE.md."))

    rising = cost_per_commit[cost_per_commit["rising"]] if len(cost_per_commit) else cost_per_commit
    for r in rising.itertuples(index=False):
        out.append(Recommendation(
            "rising_cost_per_commit", r.team,
            f"Cost per commit in {r.team} rose {_pct(r.cpc_ratio - 1)} to ${r.cost_per_commit:,.2f} while the "
            f"median PR size changed {_pct((r.size_ratio if r.size_ratio == r.size_ratio else 1.0) - 1)}.",
            {"cost_per_commit": r.cost_per_commit, "cpc_ratio": r.cpc_ratio,
             "size_ratio": float(r.size_ratio) if r.size_ratio == r.size_ratio else np.nan, "commits": r.commits},
            f"rise >= {_pct(spend.rising_cost_per_commit)} beyond the PR-size change, >= {prs} commits in both "
            "periods",
            "Give exploration subagents a cheaper model and a narrow tool list (.claude/agents/*.md: "
            "`model: haiku`, `tools: Read, Grep, Glob`); CLAUDE.md: \"/compact or start a new session between "
            "tasks\"."))

    for r in batch.itertuples(index=False):
        if r.batch_eligible_usd >= usd:
            out.append(Recommendation(
                "batch", r.team,
                f"{r.team} spent ${r.batch_eligible_usd:,.0f} from non-interactive actors: the Batch API would "
                f"have saved about ${r.batch_saving_usd:,.0f}.",
                {"batch_eligible_usd": r.batch_eligible_usd, "batch_saving_usd": r.batch_saving_usd},
                f"eligible spend >= ${usd:,.0f}",
                "Route scheduled or CI jobs that need no immediate answer through the Message Batches API."))

    if len(shares_now):
        total = shares_now.sum(axis=1)
        un = shares_now["unattributed"] / total.replace(0, np.nan)
        for name, s in un.dropna().items():
            if s >= 0.5 and shares_now.loc[name, "unattributed"] >= usd:
                out.append(Recommendation(
                    "link_coverage", str(name),
                    f"{_pct(s)} of {name}'s AI spend could not be linked to any PR.",
                    {"unattributed_share": float(s), "unattributed_usd": float(shares_now.loc[name, "unattributed"])},
                    f"unattributed share >= 50% and >= ${usd:,.0f}",
                    "Enable Claude Code telemetry with tool details (managed settings env: "
                    "CLAUDE_CODE_ENABLE_TELEMETRY=1, OTEL_LOG_TOOL_DETAILS=1) so sessions carry commit ids, and keep "
                    "the Co-Authored-By trailer on (attribution setting)."))
    return out
