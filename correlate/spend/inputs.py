"""What the spend classification reads, loaded once from the store into plain frames.

The spend itself is the panel's: the same actor-day usage rows after the same source precedence
(``correlate.mapping``'s ``_ai_usage_ranked``: per tool, day and identity the first source in
``[ingest] precedence`` wins) and the same dated team membership, so the classes add up to the team ×
day table's ``ai_cost_usd`` exactly. Each kept actor-day row is one *spend unit*.

Evidence tables written by other ingestion paths are read when they exist (``information_schema``):
``ai_session_daily`` (OTEL / transcripts, migration 0007: session id, branch, commit ids) and
``pr_commits`` (GitHub, migration 0004: PR commit SHAs and AI trailers). Without them the linking
degrades to the author-day rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from correlate.config import Config, normalize_identity
from correlate.days import day_sql
from correlate.mapping import register_mapping
from correlate.store import Store

__all__ = ["SpendInputs", "attach_person", "load_inputs", "parse_list", "with_evidence"]


@dataclass(frozen=True)
class SpendInputs:
    """Everything the linking and the classes need, as frames (pure functions take this).

    Attributes:
        units: one row per kept actor-day usage row with a cost: ``uid, tool, source, day, actor,
            actor_type, person, team, cost_usd, commits, tokens_input, tokens_output,
            tokens_cache_read, tokens_cache_creation``.
        models: the model split of each unit: ``uid, model, share`` (shares sum to 1 per unit) plus
            the model rows' tokens. A unit without model rows has one row with model ``unknown``.
        unmapped: ``day, actor, cost_usd`` of identities no team claims (outside the panel too).
        prs: pull requests with the author's ``person``.
        reviews: ``repo, number, state, submitted_at``.
        pr_incidents: ``repo, number`` of PRs shipped in a deployment with a linked failure, or named
            by an incident's ``caused_by_sha``.
        sessions: session-day rows with ``person`` (None when no session table exists).
        pr_commits: ``repo, number, sha, authored_at, message_has_ai_trailer, ai_tool`` (or None).
        membership: ``identity, person, team, since, until``.
        as_of: the day the classification is made (the newest data day).
        timezone: the configured time zone (for the days of timestamps).
    """

    units: pd.DataFrame
    models: pd.DataFrame
    unmapped: pd.DataFrame
    prs: pd.DataFrame
    reviews: pd.DataFrame
    pr_incidents: pd.DataFrame
    sessions: pd.DataFrame | None
    pr_commits: pd.DataFrame | None
    membership: pd.DataFrame
    as_of: date
    timezone: str = "UTC"

    @property
    def unmapped_cost_usd(self) -> float:
        """Spend of identities no team claims."""
        return float(self.unmapped["cost_usd"].sum())


def _table_exists(store: Store, name: str) -> bool:
    """True when the evidence table exists and holds rows: an empty table is no evidence (the migrations of
    other sources create their tables before any sync fills them)."""
    row = store.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    if not (row and row[0]):
        return False
    return store.con.execute(f"SELECT EXISTS (SELECT 1 FROM {name})").fetchone() == (True,)


def _units_sql() -> str:
    # The panel's precedence view (correlate.mapping) and membership join, kept row by row.
    return """
SELECT a.tool, a.source, a.day, a.actor, a.actor_type, m.person, m.team, a.cost_usd, a.commits,
       a.tokens_input, a.tokens_output, a.tokens_cache_read, a.tokens_cache_creation
FROM _ai_usage_ranked a
LEFT JOIN _membership m ON m.identity = a.ident AND (m.since IS NULL OR a.day >= m.since)
     AND (m.until IS NULL OR a.day < m.until)
WHERE a.kept AND a.day BETWEEN $since AND $until AND a.cost_usd IS NOT NULL AND a.cost_usd <> 0
ORDER BY a.tool, a.day, a.actor, m.team
"""


def load_inputs(store: Store, config: Config, since: date, until: date, as_of: date | None = None) -> SpendInputs:
    """Read the spend of ``[since, until]`` and the evidence around it.

    Args:
        store: an open store.
        config: teams, membership, precedence, time zone.
        since, until: spend days (inclusive).
        as_of: the classification day; default the newest day with usage or PR activity in the store.
    """
    register_mapping(store, config)
    con = store.con
    raw = con.execute(_units_sql(), {"since": since, "until": until}).df()
    raw["day"] = pd.to_datetime(raw["day"]).dt.date
    mapped = raw[raw["team"].notna()].reset_index(drop=True)
    unmapped = raw.loc[raw["team"].isna(), ["day", "actor", "cost_usd"]].reset_index(drop=True)
    units = mapped.assign(uid=range(len(mapped)))
    models = _model_split(store, units)

    tz = config.timezone
    prs = con.execute(f"""
        SELECT p.repo, p.number, p.author, p.title, p.state, p.created_at, p.ready_at, p.first_commit_at,
               p.merged_at, p.closed_at, p.size_lines, p.head_branch, p.head_sha, p.merge_commit_sha,
               p.base_branch, p.ai_tool,
               (SELECT any_value(m.person) FROM _membership m WHERE m.identity = _norm_id(p.author)) AS person,
               {day_sql('p.merged_at', tz)} AS merged_day
        FROM pull_requests p
    """).df()
    prs["merged_day"] = [d.date() if not pd.isna(d) else None for d in pd.to_datetime(prs["merged_day"])]
    reviews = con.execute("SELECT repo, number, state, submitted_at FROM reviews").df()
    pr_incidents = con.execute("""
        SELECT DISTINCT c.repo, c.number FROM deployment_changes c
        JOIN deployment_failures f ON f.deployment_source = c.deployment_source AND f.deployment_id = c.deployment_id
        UNION
        SELECT DISTINCT p.repo, p.number FROM pull_requests p
        JOIN incidents i ON i.caused_by_sha IS NOT NULL AND lower(i.caused_by_sha) = lower(p.merge_commit_sha)
    """).df()
    sessions = None
    if _table_exists(store, "ai_session_daily"):
        sessions = con.execute("""
            SELECT tool, source, day, actor, session_id, git_branch, cost_usd, commit_ids
            FROM ai_session_daily WHERE day BETWEEN $since AND $until
        """, {"since": since, "until": until}).df()
    pr_commits = None
    if _table_exists(store, "pr_commits"):
        pr_commits = con.execute(
            "SELECT repo, number, sha, authored_at, message_has_ai_trailer, ai_tool FROM pr_commits").df()
    membership = con.execute("SELECT identity, person, team, since, until FROM _membership").df()
    if as_of is None:
        row = con.execute("""
            SELECT max(d) FROM (SELECT max(day) AS d FROM ai_usage_daily
              UNION ALL SELECT max(CAST(coalesce(merged_at, closed_at, created_at) AS DATE)) FROM pull_requests)
        """).fetchone()
        as_of = row[0] if row and row[0] is not None else until
    inputs = SpendInputs(units=units, models=models, unmapped=unmapped, prs=prs, reviews=reviews,
                         pr_incidents=pr_incidents, sessions=None, pr_commits=None, membership=membership,
                         as_of=max(as_of, until), timezone=tz)
    return with_evidence(inputs, sessions=sessions, pr_commits=pr_commits)


def _model_split(store: Store, units: pd.DataFrame) -> pd.DataFrame:
    """Each unit's model shares, from the model rows of the *same* source and actor-day.

    The day row is the total (it is what the panel sums); the model rows only give the mix, so a
    unit's model costs always add up to its cost. No model rows: one ``unknown`` row.
    """
    con = store.con
    con.register("_spend_units", units[["uid", "tool", "source", "day", "actor"]])
    try:
        rows = con.execute("""
            SELECT u.uid, m.model, m.cost_usd, m.tokens_input, m.tokens_output, m.tokens_cache_read,
                   m.tokens_cache_creation
            FROM _spend_units u JOIN ai_usage_model_daily m
              ON m.tool = u.tool AND m.source = u.source AND m.day = u.day AND m.actor = u.actor
        """).df()
    finally:
        con.unregister("_spend_units")
    return model_shares(units, rows)


def model_shares(units: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Model shares per unit from model rows (``uid, model, cost_usd, tokens_*``); ``unknown`` when absent."""
    rows = rows.copy()
    rows["cost_usd"] = rows["cost_usd"].fillna(0.0).clip(lower=0)
    total = rows.groupby("uid")["cost_usd"].transform("sum")
    rows = rows[total > 0].copy()
    rows["share"] = rows["cost_usd"] / rows.groupby("uid")["cost_usd"].transform("sum")
    missing = units.loc[~units["uid"].isin(rows["uid"]), ["uid"]].assign(model="unknown", share=1.0)
    out = pd.concat([rows, missing], ignore_index=True)
    return out.drop(columns=["cost_usd"]).sort_values(["uid", "model"]).reset_index(drop=True)


def parse_list(value: object) -> list[str]:
    """A JSON array column (``commit_ids``) or a Python list as a list of strings; junk is an empty list."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    try:
        parsed = json.loads(str(value))
    except ValueError:
        return []
    return [str(v) for v in parsed if v] if isinstance(parsed, list) else []


def attach_person(frame: pd.DataFrame, membership: pd.DataFrame, identity_col: str) -> pd.Series:
    """The person behind each identity (case-insensitive, GitHub noreply folded), NaN when unknown."""
    person_of = dict(zip(membership["identity"], membership["person"], strict=True))
    return frame[identity_col].map(lambda v: person_of.get(normalize_identity(v)) if isinstance(v, str) else None)


def with_evidence(inputs: SpendInputs, *, sessions: pd.DataFrame | None = None,
                  pr_commits: pd.DataFrame | None = None) -> SpendInputs:
    """Attach session and PR-commit evidence (from the store or built in a test), mapping people."""
    if sessions is not None:
        sessions = sessions.copy()
        sessions["day"] = pd.to_datetime(sessions["day"]).dt.date
        sessions["person"] = attach_person(sessions, inputs.membership, "actor")
    if pr_commits is not None:
        pr_commits = pr_commits.copy()
    return replace(inputs, sessions=sessions if sessions is not None else inputs.sessions,
                   pr_commits=pr_commits if pr_commits is not None else inputs.pr_commits)
