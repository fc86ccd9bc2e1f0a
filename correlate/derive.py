"""The derive stage: what is computed from stored facts of more than one row, after every sync and import.

Sources store facts (:mod:`correlate.sync`); this stage computes, in one transaction:

1. **PR metrics** (:func:`correlate.pr_metrics.derive_pr_metrics`) of every PR GitHub stored: stages,
   first response (the stored reviews and comments), size, merged without review, and the AI evidence
   rules (the connector's text evidence, an agent author, a configured label);
2. **AI attribution by usage** (:func:`correlate.pr_metrics.apply_usage_rule`): a PR whose author had
   Claude Code commits or PRs counted, by any usage path, on a day of the PR's life;
3. **DORA links** (:func:`correlate.dora.linkage.link_all`): which deployment shipped each merged PR
   (lead time) and which deployment each failure is blamed on.

Each step reads only stored facts and the config and rewrites its whole output, so the result is the same
whatever order the sources synced in, and ``correlate derive`` can re-run it on its own (after a change
to ``bot_logins``, ``ai_labels``, team ownership or the failure window). ``sync`` runs it after its
sources; each ``import`` runs it inside its own transaction.

PRs without commit facts are not GitHub's: the synthetic demo declares their derived columns (as it
declares its DORA links with rule ``declared``), and they are left as stored.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from connectors.records import PullRequest, record_columns
from correlate import clock
from correlate.config import Config, GitHubSource, load_config
from correlate.dora.linkage import link_all
from correlate.identity import normalize_identity
from correlate.pr_metrics import apply_usage_rule, derive_pr_metrics
from correlate.store import Store
from correlate.sync import SyncSummary

__all__ = ["DERIVED_RULES", "ai_usage_days", "derive", "derive_pull_requests", "derived_pull_requests", "run"]

# AI rules this stage decides (recomputed each time); any other stored ``ai_rule`` is the connector's
# evidence from text (trailers, "Generated with") or an agent's commits, and is kept.
DERIVED_RULES = ("label", "usage_activity")


def derive(store: Store, config: Config) -> SyncSummary:
    """Run the three steps of the module docstring in one transaction; returns what they did."""
    with store.transaction():
        prs, by_usage = derive_pull_requests(store, config)
        links = link_all(store, config)
    rows = {"pull requests derived": prs} if prs else {}
    if by_usage:
        rows["AI-assisted by usage"] = by_usage
    return SyncSummary("derive", rows, [links.describe()])


def derive_pull_requests(store: Store, config: Config, *, ai_days: pd.DataFrame | None = None) -> tuple[int, int]:
    """Recompute the derived columns of every PR GitHub stored (one with commit facts) from the stored facts.

    Returns:
        (PRs written, PRs marked AI-assisted by the usage rule).
    """
    wanted = "wanted AS (SELECT DISTINCT repo, number FROM pr_commits)"
    prs = store.query(f"WITH {wanted} SELECT p.* FROM pull_requests p JOIN wanted USING (repo, number) "
                      "ORDER BY p.repo, p.number")
    if prs.empty:
        return 0, 0
    activity = store.query(f"""
        WITH {wanted}
        SELECT r.repo, r.number, r.author, r.author_type, r.submitted_at AS at, 'review' AS kind, r.state
        FROM reviews r JOIN wanted USING (repo, number)
        UNION ALL
        SELECT c.repo, c.number, c.author, c.author_type, c.commented_at, 'comment', NULL
        FROM pr_comments c JOIN wanted USING (repo, number)""")
    derived = derived_pull_requests(prs, activity, config,
                                    ai_days if ai_days is not None else ai_usage_days(store, config))
    store.upsert(PullRequest, derived[record_columns(PullRequest)])
    return len(derived), int((derived["ai_rule"] == "usage_activity").sum())


def derived_pull_requests(prs: pd.DataFrame, activity: pd.DataFrame, config: Config,
                          ai_days: pd.DataFrame) -> pd.DataFrame:
    """PRs with their derived columns: :func:`derive_pr_metrics` then :func:`apply_usage_rule` (pure).

    Args:
        prs: PullRequest rows as stored or as a source maps them (the connector's AI evidence in ``ai_rule``).
        activity: their reviews and comments (``repo, number, author, author_type, at, kind, state``).
        config: ``[sources.github] bot_logins`` and ``ai_labels``.
        ai_days: :func:`ai_usage_days`.
    """
    prs = prs.copy()
    prs.loc[prs["ai_rule"].isin(DERIVED_RULES), ["ai_rule", "ai_tool"]] = None
    gh = config.root.sources.github or GitHubSource()
    derived = derive_pr_metrics(prs, activity, bot_logins=gh.bot_logins, ai_labels=gh.ai_labels)
    return apply_usage_rule(derived, ai_days, now=pd.Timestamp(clock.now()))


def ai_usage_days(store: Store, config: Config) -> pd.DataFrame:
    """Author-days with Claude Code commits or PRs, keyed by every identity of the same person.

    Usage rows name an email or API key; PRs name a GitHub login. The config's ``[[people]]`` and
    team members join them (a GitHub noreply address is its login already). Returns columns
    ``author`` and ``day``.
    """
    frame = store.query(
        "SELECT DISTINCT actor, day FROM ai_usage_daily "
        "WHERE tool = 'claude_code' AND (coalesce(commits, 0) > 0 OR coalesce(prs, 0) > 0)")
    if frame.empty:
        return pd.DataFrame(columns=["author", "day"])
    person_of: dict[str, str] = {}
    for m in config.memberships:
        person_of[m.identity] = m.person
    for entry in config.root.people:
        ids = [normalize_identity(i) for i in entry.ids]
        for ident in ids:
            person_of.setdefault(ident, ids[0])
    identities: dict[str, set[str]] = {}
    for ident, person in person_of.items():
        identities.setdefault(person, set()).add(ident)
    rows = []
    for actor, day in frame.itertuples(index=False):
        norm = normalize_identity(str(actor))
        for ident in identities.get(person_of.get(norm, ""), set()) | {norm}:
            rows.append((ident, day))
    return pd.DataFrame(rows, columns=["author", "day"]).drop_duplicates()


def run(config_path: Path) -> None:
    """``correlate derive``: recompute the derived tables from the stored facts and say what changed."""
    from correlate.console import console
    from correlate.plausible import PlausibleWindow

    config = load_config(config_path)
    with Store.open(config.store_path) as store:
        store.window = PlausibleWindow.of(config)
        summary = derive(store, config)
    console.print(f"[green]✓[/] {summary.describe()}", soft_wrap=True)
    console.print(f"Store: {config.store_path}")
