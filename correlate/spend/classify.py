"""Classify linked spend: productive, inefficient, wasteful, pending or unattributed (definitions.md §13).

Every dollar of every spend unit lands in exactly one class, so per team × day the classes add up
to the team × day table's ``ai_cost_usd``. The rules, with the ``[spend]`` thresholds they use:

* **productive** — linked to a PR that merged and survived: not reverted (a merged PR titled
  ``Revert "<title>"`` in the same repo), no linked incident (shipped in a deployment with a linked
  failure, or named by an incident's ``caused_by_sha``), no follow-up fix (a PR in the same repo
  whose title says fix / follow-up and names ``#<number>``, opened within ``follow_up_days`` of the
  merge), fewer than ``review_rounds`` changes-requested reviews.
* **inefficient** — linked to a merged PR with that trouble (this is not DORA's deployment rework: see
  ``correlate.metrics.catalogue.REWORK``); and, of a surviving PR, the part
  of its cost above ``inefficiency_multiple`` × the team's median cost of merged PRs of the same
  size bucket (``size_buckets``; the median needs ``min_evidence_prs`` PRs). The cost of a PR is all
  spend linked to it in the window, by any rule.
* **wasteful** — linked to a PR closed unmerged, or to session git activity (commits, a branch) that
  is in no PR ``wasteful_days`` after the session.
* **pending** — linked to an open PR, to a PR merged fewer than ``follow_up_days`` ago with no trouble
  seen yet (its survival cannot be judged), or to unshipped git activity younger than ``wasteful_days``.
* **unattributed** — no link (see :mod:`correlate.spend.linking`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from correlate.config import SpendConfig
from correlate.spend.inputs import SpendInputs
from correlate.spend.linking import LinkResult, timestamp_days

__all__ = ["CLASSES", "Classified", "classify", "pr_outcomes", "size_bucket_labels"]

CLASSES = ("productive", "inefficient", "wasteful", "pending", "unattributed")
_FIX_TITLE = re.compile(r"\b(?:fix|fixes|fixed|hotfix|follow[- ]?up|regression)\b", re.I)
_REVERT_TITLE = re.compile(r'^\s*revert\s+"(.*)"\s*$', re.I)


@dataclass(frozen=True)
class Classified:
    """The classified spend and what it rests on.

    Attributes:
        detail: one row per (unit, rule, PR, class, reason, model): ``team, day, tool, actor, person,
            actor_type, uid, rule, repo, number, class, reason, model, cost_usd``.
        outcomes: :func:`pr_outcomes` for the PRs that received spend.
        medians: ``team, size_bucket, n_prs, median_cost_usd`` behind the cost-above-median rule.
        links: the :class:`~correlate.spend.linking.LinkResult` it was built from.
        config: the thresholds used (printed with the numbers).
        as_of: the classification day.
    """

    detail: pd.DataFrame
    outcomes: pd.DataFrame
    medians: pd.DataFrame
    links: LinkResult
    config: SpendConfig
    as_of: date


def size_bucket_labels(edges: tuple[int, ...]) -> list[str]:
    """Labels for the size buckets: ``<50``, ``50-199``, ..., ``>=800``."""
    edges = tuple(sorted(edges))
    if not edges:
        return ["all"]
    labels = [f"<{edges[0]}"]
    labels += [f"{lo}-{hi - 1}" for lo, hi in zip(edges, edges[1:], strict=False)]
    labels.append(f">={edges[-1]}")
    return labels


def _bucket(size: pd.Series, edges: tuple[int, ...]) -> pd.Series:
    labels = size_bucket_labels(edges)
    if not edges:
        return pd.Series("all", index=size.index, dtype=object)
    idx = np.searchsorted(np.array(sorted(edges)), size.fillna(-1).to_numpy(), side="right")
    out = pd.Series(np.array(labels, dtype=object)[idx], index=size.index)
    return out.where(size.notna(), "unknown")


def pr_outcomes(inputs: SpendInputs, spend: SpendConfig) -> pd.DataFrame:
    """One row per PR: state, trouble evidence (reverted, incident, follow-up fix, review rounds) and whether
    its survival can be judged yet.

    Columns: ``repo, number, state (merged | closed | open), merged_day, size_lines, size_bucket,
    reverted, follow_up_fix, incident, changes_requested, trouble, trouble_reason, settled``.
    """
    prs = inputs.prs.copy()
    tz = inputs.timezone
    merged = prs["merged_at"].notna()
    closed = prs["closed_at"].notna() & ~merged
    prs["state"] = np.where(merged, "merged", np.where(closed, "closed", "open"))
    prs["merged_day"] = timestamp_days(prs["merged_at"], tz)

    # reverted: a merged PR titled Revert "<title>" in the same repo, merged after the original
    titles = prs["title"].fillna("").astype(str)
    reverted_of = titles.str.extract(_REVERT_TITLE, expand=False)
    reverts = prs.assign(orig_title=reverted_of)[reverted_of.notna() & merged][["repo", "orig_title", "merged_at"]]
    hit = prs[merged].assign(t=titles[merged]).merge(reverts, left_on=["repo", "t"],
                                                     right_on=["repo", "orig_title"], suffixes=("", "_rev"))
    hit = hit[hit["merged_at_rev"] > hit["merged_at"]]
    # titles repeat ("Bump dependencies"): a revert undoes the latest same-titled PR merged before it
    hit = hit.sort_values("merged_at").drop_duplicates(["repo", "orig_title", "merged_at_rev"], keep="last")
    reverted = set(zip(hit["repo"], hit["number"], strict=True))

    # follow-up fix: a PR in the same repo titled fix/follow-up naming #<number>, opened within follow_up_days
    fixes = prs[titles.str.contains(_FIX_TITLE.pattern, flags=re.I)][["repo", "title", "created_at"]].copy()
    fixes["ref"] = fixes["title"].str.findall(r"#(\d+)")
    fixes = fixes.explode("ref").dropna(subset=["ref"])
    fixes["ref"] = fixes["ref"].astype(int)
    fx = prs[merged][["repo", "number", "merged_at"]].merge(fixes, left_on=["repo", "number"],
                                                            right_on=["repo", "ref"])
    gap = (pd.to_datetime(fx["created_at"], utc=True) - pd.to_datetime(fx["merged_at"], utc=True))
    fx = fx[(gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=spend.follow_up_days))]
    fixed = set(zip(fx["repo"], fx["number"], strict=True))

    incident = set(zip(inputs.pr_incidents["repo"].tolist(), [int(n) for n in inputs.pr_incidents["number"].tolist()],
                       strict=True))
    crs = inputs.reviews[inputs.reviews["state"] == "CHANGES_REQUESTED"]
    cr: dict[tuple[str, int], int] = {}
    for repo, number in zip(crs["repo"].tolist(), crs["number"].tolist(), strict=True):
        cr[(repo, int(number))] = cr.get((repo, int(number)), 0) + 1
    pairs = list(zip(prs["repo"].tolist(), [int(n) for n in prs["number"].tolist()], strict=True))
    prs["reverted"] = [p in reverted for p in pairs]
    prs["follow_up_fix"] = [p in fixed for p in pairs]
    prs["incident"] = [p in incident for p in pairs]
    prs["changes_requested"] = [cr.get(p, 0) for p in pairs]
    many_rounds = prs["changes_requested"] >= spend.review_rounds
    reasons = np.select(
        [_bools(prs[c]) for c in ("reverted", "incident", "follow_up_fix")] + [_bools(many_rounds)],
        ["reverted", "incident", "follow_up_fix", "review_rounds"], default="")
    prs["trouble"] = _bools(merged) & (reasons != "")
    prs["trouble_reason"] = pd.Series(reasons, index=prs.index).where(prs["trouble"].to_numpy(dtype=bool))
    age = pd.Series([(inputs.as_of - d).days if not pd.isna(d) else np.nan for d in prs["merged_day"]],
                    index=prs.index)
    prs["settled"] = merged & (age >= spend.follow_up_days)
    prs["size_bucket"] = _bucket(pd.to_numeric(prs["size_lines"], errors="coerce"), spend.size_buckets)
    return prs[["repo", "number", "state", "merged_day", "size_lines", "size_bucket", "reverted", "follow_up_fix",
                "incident", "changes_requested", "trouble", "trouble_reason", "settled"]]


def _bools(values: pd.Series) -> np.ndarray:
    return np.asarray(values, dtype=bool)


def _pr_class(outcomes: pd.DataFrame) -> pd.DataFrame:
    o = outcomes
    conds = [_bools(o["state"] == "open"), _bools(o["state"] == "closed"), _bools(o["trouble"]),
             ~_bools(o["settled"])]
    cls = np.select(conds, ["pending", "wasteful", "inefficient", "pending"], default="productive")
    reason = np.select(
        conds,
        ["open_pr", "closed_unmerged", o["trouble_reason"].fillna(""), "survival_window_open"],
        default="merged_survived")
    return o.assign(**{"class": cls, "reason": reason})


def classify(inputs: SpendInputs, links: LinkResult, spend: SpendConfig) -> Classified:
    """Put every linked dollar in one class and split it by model.

    Args:
        inputs: the spend and evidence.
        links: :func:`correlate.spend.linking.link_spend` of the same inputs.
        spend: the ``[spend]`` thresholds.

    Returns:
        A :class:`Classified`.
    """
    outcomes = pr_outcomes(inputs, spend)
    classes = _pr_class(outcomes)
    units = inputs.units.set_index("uid")
    lk = links.links.copy()
    lk["day"] = units.loc[lk["uid"], "day"].to_numpy()
    lk["team"] = units.loc[lk["uid"], "team"].to_numpy()
    withpr = lk["repo"].notna()
    lk["number"] = lk["number"].astype("Int64")
    merged = lk.merge(classes[["repo", "number", "class", "reason", "size_bucket"]].astype({"number": "Int64"}),
                      on=["repo", "number"], how="left")
    age = pd.Series([(inputs.as_of - d).days for d in merged["day"]], index=merged.index)
    unshipped = merged["rule"] == "session_unshipped"
    merged.loc[unshipped, "class"] = np.where(age[unshipped] >= spend.wasteful_days, "wasteful", "pending")
    merged.loc[unshipped, "reason"] = np.where(age[unshipped] >= spend.wasteful_days, "unshipped_git_activity",
                                               "unshipped_recent")
    none = merged["rule"] == "unattributed"
    merged.loc[none, "class"] = "unattributed"
    merged.loc[none, "reason"] = "no_evidence"
    lost = withpr.to_numpy() & merged["class"].isna().to_numpy()
    merged.loc[lost, ["class", "reason"]] = ["unattributed", "pr_not_stored"]

    merged, medians = _cost_above_median(merged, spend)
    detail = _by_model(merged, inputs)
    return Classified(detail=detail, outcomes=outcomes, medians=medians, links=links, config=spend,
                      as_of=inputs.as_of)


def _cost_above_median(rows: pd.DataFrame, spend: SpendConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move the part of a surviving PR's cost above k × its team-and-size median to *inefficient*."""
    cols = ["team", "size_bucket", "n_prs", "median_cost_usd"]
    on_merged = rows[rows["class"].isin(["productive", "inefficient"]) & rows["repo"].notna()
                     & (rows["reason"] != "cost_above_median")]
    if on_merged.empty:
        return rows, pd.DataFrame(columns=cols)
    per_pr = on_merged.groupby(["repo", "number"]).agg(cost=("cost_usd", "sum"), size_bucket=("size_bucket", "first"))
    # a PR's team: the team that spent most on it
    team_of = (on_merged.groupby(["repo", "number", "team"])["cost_usd"].sum().reset_index()
               .sort_values("cost_usd").drop_duplicates(["repo", "number"], keep="last")
               .set_index(["repo", "number"])["team"])
    per_pr["team"] = team_of
    per_pr = per_pr[per_pr["cost"] > 0]
    med = per_pr.groupby(["team", "size_bucket"])["cost"].agg(n_prs="size", median_cost_usd="median").reset_index()
    med = med[med["size_bucket"] != "unknown"]
    if spend.inefficiency_multiple is None:
        return rows, med[cols]
    usable = med[med["n_prs"] >= spend.min_evidence_prs]
    per_pr = per_pr.reset_index().merge(usable, on=["team", "size_bucket"])
    per_pr["excess"] = (per_pr["cost"] - spend.inefficiency_multiple * per_pr["median_cost_usd"]).clip(lower=0)
    per_pr["frac"] = per_pr["excess"] / per_pr["cost"]
    per_pr = per_pr[per_pr["frac"] > 0]
    if per_pr.empty:
        return rows, med[cols]
    rows = rows.merge(per_pr[["repo", "number", "frac"]], on=["repo", "number"], how="left")
    hit = (rows["class"] == "productive") & rows["frac"].notna()
    moved = rows[hit].copy()
    moved["cost_usd"] = moved["cost_usd"] * moved["frac"]
    moved["class"], moved["reason"] = "inefficient", "cost_above_median"
    rows.loc[hit, "cost_usd"] = rows.loc[hit, "cost_usd"] * (1 - rows.loc[hit, "frac"])
    rows = pd.concat([rows, moved], ignore_index=True).drop(columns=["frac"])
    return rows, med[cols]


def _by_model(rows: pd.DataFrame, inputs: SpendInputs) -> pd.DataFrame:
    units = inputs.units[["uid", "tool", "actor", "person", "actor_type"]]
    out = rows.merge(units, on="uid").merge(inputs.models[["uid", "model", "share"]], on="uid")
    out["cost_usd"] = out["cost_usd"] * out["share"]
    cols = ["team", "day", "tool", "actor", "person", "actor_type", "uid", "rule", "repo", "number", "size_bucket",
            "class", "reason", "model", "cost_usd"]
    return out[cols].reset_index(drop=True)
