"""Synthetic truth for the spend classes: sessions with a known fate, on top of a demo organisation.

:func:`plant` takes a :class:`~correlate.demo.SyntheticOrg` (it does not change ``correlate.demo``)
and returns a :class:`SpendWorld`:

* the organisation with PR head branches set, planted trouble (revert PRs, follow-up fix PRs, extra
  changes-requested review rounds) added to its PR and review tables;
* PR commits (``pr_commits`` shape: SHAs authored between first commit and ready, some with the
  tool's co-author trailer);
* coding sessions (``ai_session_daily`` shape) that split each Claude Code actor-day's cost exactly;
* the truth: for every session (and one pseudo-session per Cursor actor-day, which has no telemetry:
  its evidence is ``no_telemetry``), its fate, the evidence it left and its true class.

Fates: ``pr`` (work on one of the author's PRs being written that day: the session shows that PR's
commit ids, or its branch, or nothing), ``abandoned`` (git activity that never became a PR, usually
visible as commits on a spike branch) and ``untraced`` (no git activity, no PR in writing:
questions, reading code). True classes: a ``pr`` session takes its PR's fate (open → pending,
closed → wasteful, merged with planted or demo-linked trouble → inefficient, else productive);
``abandoned`` → wasteful; ``untraced`` → unattributed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np
import pandas as pd

from connectors.records import PullRequest, Review
from correlate.config import normalize_identity
from correlate.demo import SyntheticOrg

__all__ = ["PR_COMMIT_COLUMNS", "SESSION_COLUMNS", "SpendWorld", "plant"]

SESSION_COLUMNS = ["tool", "source", "day", "actor", "session_id", "team", "git_branch", "first_at", "last_at",
                   "requests", "tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_creation",
                   "cost_usd", "cost_provenance", "models", "commit_ids", "lines_added", "lines_removed"]
PR_COMMIT_COLUMNS = ["repo", "number", "sha", "authored_at", "message_has_ai_trailer", "ai_tool"]


@dataclass
class SpendWorld:
    """A demo organisation with spend fates planted.

    Attributes:
        org: the organisation, its PR and review tables extended (load it with ``correlate.demo.load``).
        sessions: ``ai_session_daily``-shaped rows (Claude Code only).
        pr_commits: ``pr_commits``-shaped rows.
        truth: ``tool, day, actor, session_id, mapped, fate, evidence, repo, number, true_class, cost_usd``.
    """

    org: SyntheticOrg
    sessions: pd.DataFrame
    pr_commits: pd.DataFrame
    truth: pd.DataFrame


def _hex(rng: np.random.Generator, n: int) -> list[str]:
    a, b, c = (rng.integers(0, 2**62, n) for _ in range(3))
    return [f"{x:016x}{y:016x}{z:08x}"[:40] for x, y, z in zip(a, b, c % 2**32, strict=True)]


def plant(org: SyntheticOrg, *, seed: int = 11, p_commit: float = 0.55, p_branch: float = 0.25,
          p_abandon: float = 0.10, p_abandon_idle: float = 0.35, p_hidden_abandon: float = 0.3,
          p_revert: float = 0.06, p_fix: float = 0.06, p_rounds: float = 0.06,
          fix_delay_days: tuple[int, int] = (1, 10)) -> SpendWorld:
    """Plant session fates and PR trouble on ``org``.

    Args:
        org: from :func:`correlate.demo.generate`.
        seed: the same seed gives the same world.
        p_commit, p_branch: chance that a PR session shows the PR's commit ids, else its branch
            (the rest shows nothing and is left to the fallback rules).
        p_abandon: chance that a session on a day with a PR in writing is abandoned work instead.
        p_abandon_idle: chance that a session on a day without one is abandoned work (else untraced).
        p_hidden_abandon: chance that abandoned work leaves no visible git activity.
        p_revert, p_fix, p_rounds: shares of merged PRs that get reverted, a follow-up fix, or two
            more changes-requested reviews.
        fix_delay_days: range of days between a merge and its revert or fix PR.
    """
    rng = np.random.default_rng(seed)
    config = org.config
    person_of = {m.identity: m.person for m in config.memberships}
    prs = org.tables[PullRequest].copy()
    reviews = org.tables[Review].copy()
    cutoff = pd.Timestamp(org.end + timedelta(days=1), tz="UTC")

    prs["head_branch"] = [f"{a}/change-{r.split('/')[-1]}-{n}" for a, r, n in
                          zip(prs["author"], prs["repo"], prs["number"], strict=True)]
    merged_idx = np.flatnonzero(prs["merged_at"].notna().to_numpy())
    pick = rng.random(len(merged_idx))
    revert_i = merged_idx[pick < p_revert]
    fix_i = merged_idx[(pick >= p_revert) & (pick < p_revert + p_fix)]
    rounds_i = merged_idx[(pick >= p_revert + p_fix) & (pick < p_revert + p_fix + p_rounds)]
    next_number = prs.groupby("repo")["number"].max().to_dict()
    extra = []
    for kind, idx in (("revert", revert_i), ("fix", fix_i)):
        for i in idx:
            src = prs.iloc[i]
            created = (src["merged_at"] + pd.Timedelta(days=float(rng.uniform(*fix_delay_days)))).floor("s")
            merged = created + pd.Timedelta(hours=2)
            if merged >= cutoff:
                continue
            next_number[src["repo"]] += 1
            title = f'Revert "{src["title"]}"' if kind == "revert" else f"Fix regression from #{src['number']}"
            extra.append({"repo": src["repo"], "number": next_number[src["repo"]], "author": src["author"],
                          "author_type": "User", "title": title, "state": "merged", "is_draft": False,
                          "created_at": created, "ready_at": created, "first_commit_at": created - pd.Timedelta("1h"),
                          "merged_at": merged, "closed_at": merged, "updated_at": merged, "additions": 10,
                          "deletions": 10, "changed_files": 1, "size_lines": 20, "base_branch": "main",
                          "head_branch": f"{src['author']}/{kind}-{src['number']}", "ai_assisted": False,
                          "merged_without_review": False, "_planted": kind, "_of": i})
    planted = {i: "reverted" for i in (e["_of"] for e in extra if e["_planted"] == "revert")}
    planted.update({e["_of"]: "follow_up_fix" for e in extra if e["_planted"] == "fix"})
    extra_frame = pd.DataFrame(extra).drop(columns=["_planted", "_of"]) if extra else prs.iloc[:0]
    prs = pd.concat([prs, extra_frame], ignore_index=True)
    cr_rows = []
    for i in rounds_i:
        src = prs.iloc[i]
        for k in range(2):
            at = src["created_at"] + pd.Timedelta(hours=1 + k)
            cr_rows.append({"repo": src["repo"], "number": src["number"], "review_id": f"cr-{i}-{k}",
                            "author": "reviewer-bot-free", "author_type": "User", "state": "CHANGES_REQUESTED",
                            "submitted_at": at})
        planted.setdefault(int(i), "review_rounds")
    reviews = pd.concat([reviews, pd.DataFrame(cr_rows)], ignore_index=True) if cr_rows else reviews

    # trouble the demo itself planted: PRs shipped in a deployment with a linked failure
    from connectors.records import DeploymentChange, DeploymentFailure

    ch, fl = org.tables[DeploymentChange], org.tables[DeploymentFailure]
    failed = ch.merge(fl, on=["deployment_source", "deployment_id"])
    incident = set(zip(failed["repo"], failed["number"], strict=True))

    # PR commits: between first commit and ready, some with the tool's trailer
    n_commits = np.minimum(1 + rng.poisson(prs["size_lines"].fillna(50).to_numpy() / 80.0), 8)
    rows_i = np.repeat(np.arange(len(prs)), n_commits)
    start = pd.to_datetime(prs["first_commit_at"], utc=True).to_numpy()[rows_i]
    end = pd.to_datetime(prs["ready_at"].fillna(prs["created_at"]), utc=True).to_numpy()[rows_i]
    frac = rng.uniform(0, 1, len(rows_i))
    authored = pd.to_datetime(start + (end - start) * frac, utc=True).floor("s")
    ai_tool = prs["ai_tool"].to_numpy()[rows_i]
    trailer = pd.notna(ai_tool) & np.isin(ai_tool, ["claude_code", "cursor"]) & (rng.random(len(rows_i)) < 0.7)
    commits = pd.DataFrame({"repo": prs["repo"].to_numpy()[rows_i], "number": prs["number"].to_numpy()[rows_i],
                            "sha": _hex(rng, len(rows_i)), "authored_at": authored,
                            "message_has_ai_trailer": trailer, "ai_tool": np.where(trailer, ai_tool, None)})

    # the PR's true class
    state = np.where(prs["merged_at"].notna(), "merged", np.where(prs["closed_at"].notna(), "closed", "open"))
    true_pr = []
    for i, (repo, number) in enumerate(zip(prs["repo"], prs["number"], strict=True)):
        if state[i] == "open":
            true_pr.append("pending")
        elif state[i] == "closed":
            true_pr.append("wasteful")
        elif i in planted or (repo, number) in incident:
            true_pr.append("inefficient")
        else:
            true_pr.append("productive")
    prs_days = pd.DataFrame({
        "person": [person_of.get(normalize_identity(a)) for a in prs["author"]],
        "start": pd.to_datetime(prs["first_commit_at"], utc=True).dt.date,
        "ready": pd.to_datetime(prs["ready_at"].fillna(prs["created_at"]), utc=True).dt.date,
    })
    by_person: dict[str | None, list[int]] = defaultdict(list)
    for i, p in enumerate(prs_days["person"]):
        if p is not None:
            by_person[p].append(i)
    shas_of: dict[int, list[str]] = defaultdict(list)
    for i, sha in zip(rows_i, commits["sha"], strict=True):
        shas_of[int(i)].append(sha)
    starts, readies = list(prs_days["start"]), list(prs_days["ready"])
    repos, numbers, branches = list(prs["repo"]), [int(n) for n in prs["number"]], list(prs["head_branch"])
    sizes = prs["size_lines"].fillna(1).clip(lower=1).to_numpy(dtype=float)

    # sessions per costed actor-day
    from connectors.records import AIUsageDay

    usage = org.tables[AIUsageDay]
    usage = usage[usage["tool"].isin(["claude_code", "cursor"]) & (usage["cost_usd"].fillna(0) > 0)]
    sess_rows, truth_rows = [], []
    for u in usage.itertuples(index=False):
        person = person_of.get(normalize_identity(u.actor))
        n = int(u.sessions) if u.tool == "claude_code" and pd.notna(u.sessions) else 1
        costs = u.cost_usd * rng.dirichlet(np.ones(n)) if n > 1 else np.array([u.cost_usd])
        cands = [i for i in by_person.get(person, ()) if starts[i] <= u.day <= readies[i]]
        for k in range(n):
            sid = f"s-{u.actor}-{u.day}-{k}"
            repo = number = None
            if cands and rng.random() >= p_abandon:
                w = sizes[cands] / sizes[cands].sum()
                i = cands[int(rng.choice(len(cands), p=w))]
                fate, repo, number, truth_class = "pr", repos[i], numbers[i], true_pr[i]
                r = rng.random()
                if r < p_commit:
                    shas = shas_of[i]
                    chosen = list(rng.choice(shas, size=min(len(shas), 2), replace=False))
                    ids = [s if rng.random() < 0.5 else s[:7] for s in chosen]
                    branch, evidence = branches[i], "commit"
                elif r < p_commit + p_branch:
                    ids, branch, evidence = [], branches[i], "branch"
                else:
                    ids, branch, evidence = [], "main", "none"
            elif cands or rng.random() < p_abandon_idle:
                fate, truth_class = "abandoned", "wasteful"
                if rng.random() < p_hidden_abandon:
                    ids, branch, evidence = [], "main", "none"
                else:
                    ids, branch, evidence = _hex(rng, 2), f"spike/{u.actor.split('@')[0]}-{u.day}-{k}", "unshipped"
            else:
                fate, truth_class, ids, branch, evidence = "untraced", "unattributed", [], "main", "none"
            if u.tool != "claude_code":
                evidence = "no_telemetry"  # no sessions are emitted for other tools
            truth_rows.append((u.tool, u.day, u.actor, sid, person is not None, fate, evidence, repo, number,
                               truth_class, float(costs[k])))
            if u.tool == "claude_code":
                sess_rows.append((u.tool, "otel", u.day, u.actor, sid, None, branch, None, None, None, None, None,
                                  None, None, float(costs[k]), "estimated", None,
                                  json.dumps(ids) if ids else None, None, None))
    sessions = pd.DataFrame(sess_rows, columns=SESSION_COLUMNS)
    truth = pd.DataFrame(truth_rows, columns=["tool", "day", "actor", "session_id", "mapped", "fate", "evidence",
                                              "repo", "number", "true_class", "cost_usd"])
    tables = dict(org.tables)
    tables[PullRequest] = prs
    tables[Review] = reviews
    new_org = replace(org, tables=tables, truth={**org.truth, "spend_planted": planted})
    return SpendWorld(org=new_org, sessions=sessions, pr_commits=commits[PR_COMMIT_COLUMNS], truth=truth)
