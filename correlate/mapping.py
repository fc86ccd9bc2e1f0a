"""The config's mapping exposed to SQL: identities, team membership, owners, bots and source precedence.

:func:`register_mapping` creates, on the store's connection, the temp tables and views every query
after the store joins through (the panel, data quality, the report's queries, the spend inputs):

* ``_teams(team)``, ``_membership(team, person, identity, since, until)`` (the config's dated membership);
* ``_raw_ident(raw, ident)`` and ``_raw_member(raw, team, person, since, until)``: every actor, author
  and reviewer string in the store, normalised once (:mod:`correlate.identity`), and its memberships;
* ``_bots(login)`` and the macros ``_norm_id(x)``, ``_is_bot(login, author_type)``;
* ``_owner``, ``_repo_owner``, ``_service_owner`` (:mod:`correlate.ownership`);
* ``_precedence(source, rank)`` from ``[ingest] precedence``, and the one precedence view
  ``_ai_usage_ranked``.

**Source precedence.** One actor-day of one tool can arrive by several paths (the Analytics API, the
Enterprise API, OpenTelemetry, transcripts, ...). ``_ai_usage_ranked`` is ``ai_usage_daily`` with the
actor's normalised identity (``ident``), how many paths delivered that tool-day-identity (``paths``)
and whether this row is the one kept (``kept``): the first source in ``[ingest] precedence`` order,
ties by source name. Every reader of usage takes ``WHERE kept``; nothing else ranks sources.
"""

from __future__ import annotations

import pandas as pd

from correlate.config import Config
from correlate.identity import sql_macros
from correlate.ownership import register_owners
from correlate.store import Store

__all__ = ["register_mapping"]

_RANKED_VIEW = """
CREATE OR REPLACE TEMP VIEW _ai_usage_ranked AS
SELECT u.*, r.ident,
       count(*) OVER (PARTITION BY u.tool, u.day, r.ident) AS paths,
       row_number() OVER (PARTITION BY u.tool, u.day, r.ident ORDER BY coalesce(p.rank, 999), u.source) = 1 AS kept
FROM ai_usage_daily u JOIN _raw_ident r ON r.raw = u.actor
LEFT JOIN _precedence p ON p.source = u.source
"""

# Identities are normalised once per distinct string: ``_norm_id`` is a regex, and applied per row it
# dominated the panel at scale (millions of usage and PR rows, tens of thousands of distinct identities);
# on the distinct strings it costs nothing, and every later join is a plain string-equality hash join.
_IDENTITIES = """
CREATE OR REPLACE TEMP TABLE _raw_ident AS
SELECT raw, _norm_id(raw) AS ident FROM (
    SELECT DISTINCT actor AS raw FROM ai_usage_daily
    UNION SELECT DISTINCT author FROM pull_requests WHERE author IS NOT NULL
    UNION SELECT DISTINCT author FROM reviews WHERE author IS NOT NULL);
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
