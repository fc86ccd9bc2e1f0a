"""The config's mapping exposed to SQL: identities, team membership, owners, bots and source precedence.

:func:`register_mapping` creates, on the store's connection, the temp tables and views every query
after the store joins through (the panel, data quality, the report's queries, the spend inputs):

* ``_teams(team)``, ``_membership(team, person, identity, since, until)`` (the config's dated membership);
* ``_person_of(identity, person)``: one person key per identity, whatever the dates;
* ``_raw_ident(raw, ident, who)`` and ``_raw_member(raw, team, person, since, until)``: every actor, author
  and reviewer string in the store, normalised once (:mod:`correlate.identity`), the person it belongs to
  (``who``; the identity itself when no entry joins it), and its memberships;
* ``_bots(login)`` and the macros ``_norm_id(x)``, ``_is_bot(login, author_type)``;
* ``_owner``, ``_repo_owner``, ``_service_owner`` (:mod:`correlate.ownership`);
* ``_precedence(source, rank)`` from ``[ingest] precedence``, and the one precedence view
  ``_ai_usage_ranked``.

**Source precedence.** One person's day of one tool can arrive by several paths (the Analytics API, the
Enterprise API, OpenTelemetry, transcripts, ...), even under several identities (an API-key name in the
Analytics API, an account id in OpenTelemetry, joined by ``[[people]]``). ``_ai_usage_ranked`` is
``ai_usage_daily`` with the actor's normalised identity (``ident``), its person (``who``), how many paths
delivered that tool-day-person (``paths``) and whether the row is kept (``kept``): every row of the
person's first source in ``[ingest] precedence`` order (ties by source name), none of the others'. Every
reader of usage takes ``WHERE kept``; nothing else ranks sources.
"""

from __future__ import annotations

import pandas as pd

from correlate.config import Config
from correlate.identity import sql_macros
from correlate.ownership import register_owners
from correlate.store import Store

__all__ = ["register_mapping"]

# one window over plain columns (who is precomputed per distinct string): as cheap as a per-identity rule
_RANKED_VIEW = """
CREATE OR REPLACE TEMP VIEW _ai_usage_ranked AS
SELECT u.*, r.ident, r.who,
       count(DISTINCT u.source) OVER (PARTITION BY u.tool, u.day, r.who) AS paths,
       rank() OVER (PARTITION BY u.tool, u.day, r.who ORDER BY coalesce(p.rank, 999), u.source) = 1 AS kept
FROM ai_usage_daily u JOIN _raw_ident r ON r.raw = u.actor
LEFT JOIN _precedence p ON p.source = u.source
"""

# Identities are normalised once per distinct string: ``_norm_id`` is a regex, and applied per row it
# dominated the panel at scale (millions of usage and PR rows, tens of thousands of distinct identities);
# on the distinct strings it costs nothing, and every later join is a plain string-equality hash join.
_IDENTITIES = """
CREATE OR REPLACE TEMP TABLE _person_of AS
SELECT identity, min(person) AS person FROM _membership GROUP BY identity;
CREATE OR REPLACE TEMP TABLE _raw_ident AS
SELECT i.raw, i.ident, coalesce(po.person, i.ident) AS who
FROM (SELECT raw, _norm_id(raw) AS ident FROM (
    SELECT DISTINCT actor AS raw FROM ai_usage_daily
    UNION SELECT DISTINCT author FROM pull_requests WHERE author IS NOT NULL
    UNION SELECT DISTINCT author FROM reviews WHERE author IS NOT NULL)) i
LEFT JOIN _person_of po ON po.identity = i.ident;
CREATE OR REPLACE TEMP TABLE _raw_member AS
SELECT r.raw, m.team, m.person, m.since, m.until
FROM _raw_ident r JOIN _membership m ON m.identity = r.ident
"""


def register_mapping(store: Store, config: Config) -> None:
    """Create the temp tables, macros and the precedence view of the module docstring on ``store``'s connection.

    The identity and owner tables hold the strings present when it ran: it runs again after the store's next
    committed write (``store.generation``) or for another config, and is free otherwise (a report asks for
    it from every query).
    """
    if store.mapped is not None and store.mapped[0] is config and store.mapped[1] == store.generation:
        store.one("SELECT 1")  # what a rebuild would do first: end a partly fetched result (see below)
        return
    con = store.con
    gh = config.root.sources.github
    # an execute first: it ends any result a caller left partly fetched, which ``register`` would refuse
    _script(store, sql_macros(gh.bot_logins if gh else ()))
    teams = pd.DataFrame({"team": pd.Series(config.team_names, dtype="object")})
    members = pd.DataFrame(
        [(m.team, m.person, m.identity, m.since, m.until) for m in config.memberships],
        columns=["team", "person", "identity", "since", "until"],
    ).astype({"team": "object", "person": "object", "identity": "object"})
    members["since"] = pd.to_datetime(members["since"]).dt.date
    members["until"] = pd.to_datetime(members["until"]).dt.date
    precedence = pd.DataFrame({"source": list(config.root.ingest.precedence),
                               "rank": range(len(config.root.ingest.precedence))})
    for name, frame in [("_teams", teams), ("_membership", members), ("_precedence", precedence)]:
        con.register(f"{name}_df", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_df")
        con.unregister(f"{name}_df")
    con.execute("ALTER TABLE _membership ALTER since TYPE DATE; ALTER TABLE _membership ALTER until TYPE DATE")
    _script(store, _IDENTITIES)
    register_owners(store, config)
    con.execute(_RANKED_VIEW)
    store.mapped = (config, store.generation)


def _script(store: Store, script: str) -> None:
    for stmt in (part.strip() for part in script.split(";\n")):
        if stmt:
            store.con.execute(stmt)
