"""Per-PR derived fields: first review, stages, size, merged-without-review, AI-assisted (definitions.md §4, §8).

Pure and vectorised over DataFrames, so the GitHub ingest and the synthetic demo organisation
compute the same numbers the same way. Nothing here reads the store or the network.

Inputs (columns; extra columns are kept and ignored):
    prs: the :class:`connectors.records.PullRequest` columns, at least ``repo``, ``number``,
        ``author``, ``author_type``, ``created_at``, ``ready_at``, ``first_commit_at``,
        ``merged_at``, ``closed_at``, ``additions``, ``deletions``, ``size_lines``, ``labels``
        (JSON array text), ``ai_rule``, ``ai_tool`` (evidence a connector found in text).
    activity: reviews and conversation comments: ``repo``, ``number``, ``author``,
        ``author_type``, ``at``, ``kind`` (``review`` | ``comment``), ``state`` (review state).

Rules:
    * first response (``first_review_at``): the first review or comment at or after ``ready_at``
      by an account that is neither the PR author nor a bot (:func:`correlate.identity.is_bot`);
    * ``first_approval_at``: the first APPROVED review by such an account;
    * the stage durations come from :func:`correlate.pr_stages.derive_stages` (the project's one
      definition): coding = first commit → ready; pickup = ready → first review, else → first
      approval, else → merge; review = end of pickup → merge; cycle = ready → merge; lifetime =
      first commit → merge. A stage whose ends are missing is NULL, never 0; one whose end precedes
      its start counts as 0 (its work happened inside another stage);
    * ``merged_without_review``: merged with no review by such an account at or before the merge
      (NULL for PRs not merged);
    * ``size_lines``: kept when the connector computed it without generated paths, else
      additions + deletions;
    * AI-assisted, first rule that holds: text evidence (trailer or "Generated with Claude Code"),
      agent author (:data:`connectors.github.attribution.AGENT_LOGINS`), a label in ``ai_labels``,
      and (:func:`apply_usage_rule`) the author's Claude Code activity during the PR's life.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from connectors.github.attribution import AGENT_LOGINS
from correlate.identity import is_bot
from correlate.pr_stages import derive_stages

__all__ = ["apply_usage_rule", "derive_pr_metrics"]

_TIMES = ("created_at", "ready_at", "first_commit_at", "merged_at", "closed_at", "updated_at")
_KEY = ["repo", "number"]


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True).astype("datetime64[us, UTC]")


def derive_pr_metrics(
    prs: pd.DataFrame,
    activity: pd.DataFrame | None = None,
    *,
    bot_logins: Iterable[str] = (),
    ai_labels: Iterable[str] = (),
    agent_logins: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Fill the derived PullRequest columns from raw PR facts and review/comment activity.

    Args:
        prs: one row per PR (columns in the module docstring).
        activity: reviews and comments; None or empty when there are none.
        bot_logins: extra logins that are bots (case-insensitive), added to
            :data:`correlate.identity.DEFAULT_BOT_LOGINS`.
        ai_labels: labels that mark a PR AI-assisted (case-insensitive).
        agent_logins: login → tool of AI agent accounts; default the connector's list.

    Returns:
        A copy of ``prs`` with ``first_review_at``, ``first_approval_at``, ``coding_s``, ``pickup_s``,
        ``review_s``, ``cycle_s``, ``lifetime_s``, ``size_lines``, ``merged_without_review``,
        ``ai_assisted``, ``ai_rule`` and ``ai_tool`` filled.

    Examples:
        >>> t = pd.Timestamp("2026-01-05 09:00", tz="UTC")
        >>> prs = pd.DataFrame({"repo": ["a/b"], "number": [1], "author": ["ann"], "author_type": ["User"],
        ...     "created_at": [t], "ready_at": [t], "first_commit_at": [t - pd.Timedelta(hours=2)],
        ...     "merged_at": [t + pd.Timedelta(hours=5)], "closed_at": [t + pd.Timedelta(hours=5)],
        ...     "additions": [10], "deletions": [2], "size_lines": [None], "labels": ["[]"],
        ...     "ai_rule": [None], "ai_tool": [None]})
        >>> act = pd.DataFrame({"repo": ["a/b"], "number": [1], "author": ["bob"], "author_type": ["User"],
        ...     "at": [t + pd.Timedelta(hours=1)], "kind": ["review"], "state": ["APPROVED"]})
        >>> row = derive_pr_metrics(prs, act).iloc[0]
        >>> [float(row[c]) for c in ("coding_s", "pickup_s", "review_s", "cycle_s", "size_lines")]
        [7200.0, 3600.0, 14400.0, 18000.0, 12.0]
    """
    out = prs.copy()
    for col in _TIMES:
        if col in out.columns:
            out[col] = _utc(out[col])
        else:
            out[col] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us, UTC]")

    first_review, first_approval, reviewed = _first_responses(out, activity, bot_logins)
    keys = pd.MultiIndex.from_frame(out[_KEY])
    out["first_review_at"] = _utc(pd.Series(first_review.reindex(keys).to_numpy(), index=out.index))
    out["first_approval_at"] = _utc(pd.Series(first_approval.reindex(keys).to_numpy(), index=out.index))
    was_reviewed = pd.Series(reviewed.reindex(keys).fillna(False).to_numpy(dtype=bool), index=out.index)

    # the five durations have one definition in the project: correlate.pr_stages
    out = derive_stages(out)
    is_merged = out["merged_at"].notna()
    out["merged_without_review"] = (~was_reviewed).astype(object).where(is_merged, None)

    raw_size = pd.to_numeric(out.get("additions"), errors="coerce") + pd.to_numeric(out.get("deletions"),
                                                                                    errors="coerce")
    size = pd.to_numeric(out["size_lines"], errors="coerce") if "size_lines" in out else raw_size
    out["size_lines"] = size.fillna(raw_size).astype("Int64")

    _apply_ai_rules(out, ai_labels=ai_labels, agent_logins=agent_logins or AGENT_LOGINS)
    return out


def _first_responses(prs: pd.DataFrame, activity: pd.DataFrame | None,
                     bot_logins: Iterable[str]) -> tuple[pd.Series, pd.Series, pd.Series]:
    empty_t = pd.Series(dtype="datetime64[us, UTC]", index=pd.MultiIndex.from_arrays([[], []], names=_KEY))
    if activity is None or activity.empty:
        return empty_t, empty_t, pd.Series(dtype=bool, index=empty_t.index)
    act = activity.copy()
    act["at"] = _utc(act["at"])
    act = act.merge(prs[[*_KEY, "author", "ready_at", "merged_at"]], on=_KEY, how="inner", suffixes=("", "_pr"))
    other = act["author"].fillna("").str.lower() != act["author_pr"].fillna("").str.lower()
    human = ~is_bot(act["author"], act["author_type"], bot_logins) & act["author"].notna()
    after_ready = act["ready_at"].isna() | (act["at"] >= act["ready_at"])
    ok = act[other & human & act["at"].notna()]
    responses = ok[after_ready.loc[ok.index]]
    first_review = responses.groupby(_KEY)["at"].min()
    approvals = responses[(responses["kind"] == "review") & (responses["state"] == "APPROVED")]
    first_approval = approvals.groupby(_KEY)["at"].min()
    reviews = ok[(ok["kind"] == "review") & (ok["merged_at"].isna() | (ok["at"] <= ok["merged_at"]))]
    reviewed = reviews.groupby(_KEY)["at"].size() > 0
    return first_review, first_approval, reviewed


def _apply_ai_rules(out: pd.DataFrame, *, ai_labels: Iterable[str], agent_logins: Mapping[str, str]) -> None:
    rule = out["ai_rule"].astype("object") if "ai_rule" in out else pd.Series(None, index=out.index, dtype="object")
    tool = out["ai_tool"].astype("object") if "ai_tool" in out else pd.Series(None, index=out.index, dtype="object")
    rule = rule.where(rule.notna(), None)
    tool = tool.where(rule.notna(), None)

    agents = {k.lower(): v for k, v in agent_logins.items()}
    agent = out["author"].fillna("").astype(str).str.lower().map(agents)
    take = rule.isna() & agent.notna()
    rule = rule.mask(take, "agent_author")
    tool = tool.mask(take, agent)

    wanted = {label.strip().lower() for label in ai_labels}
    if wanted:
        labelled = out["labels"].map(lambda text: _has_label(text, wanted))
        take = rule.isna() & labelled
        rule = rule.mask(take, "label")
    out["ai_rule"] = rule
    out["ai_tool"] = tool
    out["ai_assisted"] = rule.notna()


def _has_label(text: object, wanted: set[str]) -> bool:
    if not isinstance(text, str) or not text:
        return False
    try:
        names = json.loads(text)
    except ValueError:
        return False
    return any(str(n).strip().lower() in wanted for n in names or [])


def apply_usage_rule(prs: pd.DataFrame, ai_days: pd.DataFrame, *, now: pd.Timestamp | None = None) -> pd.DataFrame:
    """Mark PRs AI-assisted (rule ``usage_activity``, tool ``claude_code``) from the author's usage days.

    A PR not already AI-assisted is marked when its author had Claude Code commits or PRs counted
    on a UTC day within the PR's life: from its first commit (else creation) to its merge or close
    (else ``now``).

    Args:
        prs: output of :func:`derive_pr_metrics`.
        ai_days: columns ``author`` (the PR author's login, as in ``prs``) and ``day`` (date): the
            author-days with Claude Code commits or PRs, already resolved from usage identities.
        now: the end of the life of open PRs; default the current time.
    """
    out = prs.copy()
    if ai_days is None or ai_days.empty or out.empty:
        return out
    now = now or pd.Timestamp.now(tz="UTC")
    start = _utc(out["first_commit_at"]).fillna(_utc(out["created_at"]))
    end = _utc(out["merged_at"]).fillna(_utc(out["closed_at"])).fillna(now)
    life = pd.DataFrame({"i": np.arange(len(out)), "author": out["author"].fillna("").str.lower().to_numpy(),
                         "start": start.dt.floor("D").dt.date.to_numpy(), "end": end.dt.date.to_numpy()})
    days = ai_days.assign(author=ai_days["author"].astype(str).str.lower(),
                          day=pd.to_datetime(ai_days["day"]).dt.date)[["author", "day"]].drop_duplicates()
    hits = life.merge(days, on="author")
    hits = hits[(hits["day"] >= hits["start"]) & (hits["day"] <= hits["end"])]
    matched = np.zeros(len(out), dtype=bool)
    matched[hits["i"].unique()] = True
    take = pd.Series(matched, index=out.index) & ~out["ai_assisted"].fillna(False).astype(bool)
    out.loc[take, "ai_rule"] = "usage_activity"
    out.loc[take, "ai_tool"] = "claude_code"
    out.loc[take, "ai_assisted"] = True
    return out
