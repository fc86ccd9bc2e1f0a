"""Link AI spend to pull requests, best evidence first, recording the rule that linked each dollar.

A *spend unit* is one actor-day usage row (see :mod:`correlate.spend.inputs`). Its cost is split,
in this order, and every piece keeps the rule that produced it:

1. **Session git activity** (``session_commit``, ``session_branch``): coding sessions of the same
   person, tool and day (``ai_session_daily`` from OTEL ``tool_result`` / transcripts) whose commit
   ids are commits of a PR (``pr_commits``, or the PR's head / merge SHA; a short id matches by
   prefix of at least 7 characters), or whose branch is a PR's head branch (same person, the day
   inside ``[first commit - wasteful_days, merged or closed]``; base branches never match). A
   session's share of the unit is its cost over ``max(session total, unit total)``, so sessions that
   cover only part of a day link only that part. A session whose commits or branch appear in *no*
   PR is ``session_unshipped`` — but only when that kind of evidence can be checked at all (PR
   commits are stored; head branches are known).
2. **Co-authored commits** (``co_authored``): what is left goes to the person's PRs with commits
   carrying this tool's trailer (``Co-Authored-By: Claude`` …) authored that day, split by the
   number of such commits.
3. **Author-day** (``author_day``): what is left goes to the person's PRs being written that day
   (first commit → ready for review, by day), split by PR size.
4. Anything still left is ``unattributed``: shown, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from correlate.config import SpendConfig
from correlate.spend.inputs import SpendInputs, parse_list

__all__ = ["LINK_RULES", "PR_RULES", "LinkResult", "link_spend", "timestamp_days"]

PR_RULES = ("session_commit", "session_branch", "co_authored", "author_day")
LINK_RULES = (*PR_RULES, "session_unshipped", "unattributed")
BASE_BRANCHES = frozenset({"main", "master", "develop", "development", "trunk", "head", ""})
_MIN_PREFIX = 7


@dataclass(frozen=True)
class LinkResult:
    """Linked spend: one row per (unit, rule, PR) with its dollars, and what evidence was available.

    Attributes:
        links: ``uid, rule, repo, number, cost_usd`` (``repo``/``number`` empty for
            ``session_unshipped`` and ``unattributed``). Per unit the pieces add up to its cost.
        commits_checkable: PR commits were available, so unmatched session commits mean "not shipped".
        branches_checkable: PR head branches were available, likewise for branches.
        sessions_available: a session table was read.
    """

    links: pd.DataFrame
    commits_checkable: bool
    branches_checkable: bool
    sessions_available: bool

    def rule_shares(self) -> dict[str, float]:
        """Share of linked dollars by rule (every rule listed, 0 when unused)."""
        total = float(self.links["cost_usd"].sum())
        by = self.links.groupby("rule")["cost_usd"].sum()
        return {r: (float(by.get(r, 0.0)) / total if total else 0.0) for r in LINK_RULES}


def timestamp_days(values: pd.Series, timezone: str) -> pd.Series:
    """Days of aware timestamps in ``timezone`` (the pandas twin of ``correlate.days.day_sql``)."""
    ts = pd.to_datetime(values, utc=True)
    return ts.dt.tz_convert(timezone).dt.date


def _pr_frame(inputs: SpendInputs, spend: SpendConfig) -> pd.DataFrame:
    prs = inputs.prs.copy()
    tz = inputs.timezone
    start = prs["first_commit_at"].where(prs["first_commit_at"].notna(), prs["created_at"])
    end = prs["ready_at"].where(prs["ready_at"].notna(), prs["created_at"])
    prs["start_day"] = timestamp_days(start, tz)
    prs["ready_day"] = timestamp_days(end, tz)
    # ready before the first commit (clock skew, rebased history): the window is the one day
    prs["ready_day"] = [r if (not pd.isna(r) and not pd.isna(s) and r >= s) else s
                        for s, r in zip(prs["start_day"], prs["ready_day"], strict=True)]
    done = prs["merged_at"].where(prs["merged_at"].notna(), prs["closed_at"])
    prs["done_day"] = timestamp_days(done, tz)
    return prs


def _sha_index(inputs: SpendInputs) -> dict[str, list[tuple[str, str, int]]]:
    """7-character prefix -> [(full sha, repo, number)] over PR commits and PR head / merge SHAs."""
    index: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    seen: set[tuple[str, str, int]] = set()
    frames = []
    if inputs.pr_commits is not None and len(inputs.pr_commits):
        frames.append(inputs.pr_commits[["repo", "number", "sha"]])
    for col in ("head_sha", "merge_commit_sha"):
        frames.append(inputs.prs[["repo", "number", col]].rename(columns={col: "sha"}))
    for frame in frames:
        frame = frame.dropna()
        for repo, number, sha in zip(frame["repo"].tolist(), frame["number"].tolist(), frame["sha"].tolist(),
                                     strict=True):
            key = (str(sha).lower(), repo, int(number))
            if len(key[0]) >= _MIN_PREFIX and key not in seen:
                seen.add(key)
                index[key[0][:_MIN_PREFIX]].append(key)
    return index


def _match_commits(ids: list[str], index: dict[str, list[tuple[str, str, int]]]) -> dict[tuple[str, int], int]:
    hits: dict[tuple[str, int], int] = defaultdict(int)
    for raw in ids:
        cid = raw.strip().lower()
        if len(cid) < _MIN_PREFIX:
            continue
        prs = {(repo, number) for sha, repo, number in index.get(cid[:_MIN_PREFIX], ())
               if sha.startswith(cid) or cid.startswith(sha)}
        for pr in prs:
            hits[pr] += 1
    return hits


def _session_links(inputs: SpendInputs, spend: SpendConfig, prs: pd.DataFrame, precedence: tuple[str, ...]
                   ) -> tuple[pd.DataFrame, bool, bool]:
    """Fractions of each (tool, day, person) linked by sessions: ``tool, day, person, rule, repo, number, frac``."""
    empty = pd.DataFrame(columns=["tool", "day", "person", "rule", "repo", "number", "frac"])
    commits_checkable = inputs.pr_commits is not None and len(inputs.pr_commits) > 0
    branches_checkable = bool(prs["head_branch"].notna().any())
    sessions = inputs.sessions
    if sessions is None or sessions.empty:
        return empty, commits_checkable, branches_checkable
    s = sessions[sessions["person"].notna()].copy()
    rank = {src: i for i, src in enumerate(precedence)}
    s["_rank"] = s["source"].map(rank).fillna(len(rank))
    # OTEL and transcripts can both carry one session: keep the preferred path's row.
    s = s.sort_values(["_rank", "source"]).drop_duplicates(["tool", "day", "person", "session_id"])
    s["cost_usd"] = s["cost_usd"].fillna(0.0).clip(lower=0)
    units = inputs.units
    unit_total = units.groupby(["tool", "day", "person"])["cost_usd"].sum().rename("unit_total")
    sess_total = s.groupby(["tool", "day", "person"])["cost_usd"].sum().rename("sess_total")
    s = s.join(unit_total, on=["tool", "day", "person"]).join(sess_total, on=["tool", "day", "person"])
    s = s[s["unit_total"] > 0]  # a credit (negative day) is never linked; it stays unattributed
    s["frac"] = s["cost_usd"] / np.maximum(s["sess_total"], s["unit_total"]).replace(0, np.nan)

    index = _sha_index(inputs)
    by_branch: dict[tuple[str, str], list[tuple[date, date | None, str, int]]] = defaultdict(list)
    b = prs[prs["head_branch"].notna() & prs["person"].notna() & prs["start_day"].notna()]
    for person, branch, start, done, repo, number in zip(*(b[c].tolist() for c in (
            "person", "head_branch", "start_day", "done_day", "repo", "number")), strict=True):
        if str(branch).lower() not in BASE_BRANCHES:
            by_branch[(person, branch)].append((start, None if pd.isna(done) else done, repo, int(number)))
    slack = timedelta(days=spend.wasteful_days)
    out: list[tuple[object, ...]] = []
    cols = ("tool", "day", "person", "frac", "commit_ids", "git_branch")
    for tool, day, person, frac, commit_ids, git_branch in zip(*(s[c].tolist() for c in cols), strict=True):
        if not frac or pd.isna(frac):
            continue
        key = (tool, day, person)
        ids = parse_list(commit_ids)
        hits = _match_commits(ids, index)
        if hits:
            n = sum(hits.values())
            out.extend((*key, "session_commit", repo, num, frac * k / n) for (repo, num), k in hits.items())
            continue
        branch = git_branch if isinstance(git_branch, str) else ""
        has_branch = branch.strip().lower() not in BASE_BRANCHES
        if has_branch:
            cands = [c for c in by_branch.get((person, branch), ())
                     if c[0] - slack <= day and (c[1] is None or day <= c[1])]
            if cands:
                _, _, repo, num = max(cands, key=lambda c: c[0])
                out.append((*key, "session_branch", repo, num, frac))
                continue
        if (ids and commits_checkable) or (has_branch and branches_checkable):
            out.append((*key, "session_unshipped", None, None, frac))
    if not out:
        return empty, commits_checkable, branches_checkable
    return pd.DataFrame(out, columns=empty.columns), commits_checkable, branches_checkable


def _in_writing(rest: pd.DataFrame, cand: pd.DataFrame) -> pd.DataFrame:
    """Units joined to the same person's PRs whose writing window holds the unit's day (a DuckDB range join:
    a person × PR cross product in pandas is millions of rows at a thousand developers)."""
    con = duckdb.connect()
    try:
        con.register("r", rest.assign(day=pd.to_datetime(rest["day"])))
        con.register("c", cand.assign(start_day=pd.to_datetime(cand["start_day"]),
                                      ready_day=pd.to_datetime(cand["ready_day"])))
        return con.execute("""
            SELECT r.uid, r.rem, c.repo, c.number, c.size_lines
            FROM r JOIN c ON c.person = r.person AND r.day BETWEEN c.start_day AND c.ready_day
            ORDER BY r.uid, c.repo, c.number
        """).df()
    finally:
        con.close()


def _weighted(pieces: pd.DataFrame, weight: str) -> pd.DataFrame:
    """Normalise ``weight`` within each uid to fractions of the uid's remainder."""
    pieces = pieces.copy()
    pieces["w"] = pieces[weight] / pieces.groupby("uid")[weight].transform("sum")
    return pieces


def link_spend(inputs: SpendInputs, spend: SpendConfig, precedence: tuple[str, ...] = ()) -> LinkResult:
    """Split every spend unit over PRs by the rules above.

    Args:
        inputs: units, PRs and evidence (:func:`correlate.spend.inputs.load_inputs`).
        spend: the ``[spend]`` thresholds (``wasteful_days`` bounds branch matching before a first commit).
        precedence: ingestion-path order, to keep one row per session when two paths carry it.

    Returns:
        A :class:`LinkResult`; its ``links`` add up to each unit's cost.
    """
    units = inputs.units[["uid", "tool", "day", "person", "cost_usd"]]
    prs = _pr_frame(inputs, spend)
    sess, commits_ok, branches_ok = _session_links(inputs, spend, prs, precedence)
    parts = []
    linked_frac = pd.Series(0.0, index=units["uid"].to_numpy())
    if len(sess):
        pieces = units.merge(sess, on=["tool", "day", "person"])
        pieces["cost_usd"] = pieces["cost_usd"] * pieces["frac"]
        parts.append(pieces[["uid", "rule", "repo", "number", "cost_usd"]])
        linked_frac = linked_frac.add(pieces.groupby("uid")["frac"].sum(), fill_value=0.0)
    rest = units.assign(rem=units["cost_usd"] * (1 - linked_frac.clip(upper=1.0).reindex(units["uid"]).to_numpy()))
    rest = rest[rest["rem"].abs() > 1e-12]
    # only positive remainders are linked; a negative one (a credit) stays unattributed, so the
    # pieces still add up to every unit's cost

    # Rule 2: the tool's co-authored commits by this person that day.
    if inputs.pr_commits is not None and len(inputs.pr_commits) and len(rest):
        c = inputs.pr_commits
        c = c[c["ai_tool"].notna() & c["authored_at"].notna()].merge(
            prs[["repo", "number", "person"]], on=["repo", "number"])
        c = c.assign(day=timestamp_days(c["authored_at"], inputs.timezone), tool=c["ai_tool"])
        counts = c.groupby(["tool", "day", "person", "repo", "number"]).size().rename("n").reset_index()
        pieces = rest[rest["rem"] > 0].merge(counts, on=["tool", "day", "person"])
        if len(pieces):
            pieces = _weighted(pieces, "n")
            pieces["cost_usd"] = pieces["rem"] * pieces["w"]
            parts.append(pieces.assign(rule="co_authored")[["uid", "rule", "repo", "number", "cost_usd"]])
            rest = rest[~rest["uid"].isin(pieces["uid"])]

    # Rule 3: PRs being written that day (first commit -> ready), split by size.
    if (rest["rem"] > 0).any():
        cand = prs[prs["person"].notna() & prs["start_day"].notna()][
            ["repo", "number", "person", "start_day", "ready_day", "size_lines"]]
        pieces = _in_writing(rest[rest["rem"] > 0][["uid", "person", "day", "rem"]], cand)
        if len(pieces):
            size = pd.to_numeric(pieces["size_lines"], errors="coerce").astype(float)
            size = size.fillna(size.groupby(pieces["uid"]).transform("median")).fillna(1.0).clip(lower=1.0)
            pieces["size"] = size
            pieces = _weighted(pieces, "size")
            pieces["cost_usd"] = pieces["rem"] * pieces["w"]
            parts.append(pieces.assign(rule="author_day")[["uid", "rule", "repo", "number", "cost_usd"]])
            rest = rest[~rest["uid"].isin(pieces["uid"])]

    if len(rest):
        parts.append(rest.assign(rule="unattributed", repo=None, number=None)[
            ["uid", "rule", "repo", "number", "cost_usd"]].assign(cost_usd=rest["rem"].to_numpy()))
    links = pd.concat([p for p in parts if len(p)], ignore_index=True) if parts else pd.DataFrame(
        columns=["uid", "rule", "repo", "number", "cost_usd"])
    links["number"] = pd.array(links["number"], dtype="Int64")
    links = links.groupby(["uid", "rule", "repo", "number"], dropna=False, as_index=False)["cost_usd"].sum()
    # when every dollar is unattributed the all-empty `repo` key comes out of groupby as float64, and merging it
    # with the PRs' string repos fails (`correlate export spend` crashed on a store without linkable PRs)
    links["repo"] = links["repo"].astype(object)
    return LinkResult(links=links, commits_checkable=commits_ok, branches_checkable=branches_ok,
                      sessions_available=inputs.sessions is not None)
