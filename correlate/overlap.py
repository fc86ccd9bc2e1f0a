"""API-key logins seen twice: one person's Claude Code use under an API-key name and under an account id.

For a developer who logs Claude Code in with an API key, the Claude Code Analytics API names the actor by
the key (``actor.api_key_name``, ``actor_type = api_key``) while OpenTelemetry names the same use by the
account (``user.account_uuid``; no email). Source precedence picks one path per *person* and day, but
only a ``[[people]]`` entry (or one team member entry) tells correlate that the two strings are one
person; until then both paths are counted.

:func:`find_overlaps` finds such pairs in the store: an API-key actor of the Analytics API and an
account actor of OpenTelemetry that are active on mostly the same days (Jaccard of their active days
at least :data:`MIN_DAY_MATCH`, over at least :data:`MIN_COMMON_DAYS` common days) with matching daily
totals (median per-day ``min/max`` of tokens, else lines added, else cost, else sessions, at least
:data:`MIN_AGREEMENT`), and that no configured person joins. Each pair is matched at most once (best
first). It is evidence, not proof: ``correlate doctor`` prints the pairs and a ``[[people]]`` entry to
paste once a person confirms them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from correlate.config import Config, normalize_identity
from correlate.store import Store

__all__ = ["MIN_AGREEMENT", "MIN_COMMON_DAYS", "MIN_DAY_MATCH", "Overlap", "find_overlaps"]

MIN_COMMON_DAYS = 3
MIN_DAY_MATCH = 0.6
MIN_AGREEMENT = 0.8

# (name shown, SQL expression per row): the first one both paths report decides the agreement
_METRICS = (
    ("tokens", "tokens_input + tokens_output"),
    ("lines added", "CAST(lines_added AS DOUBLE)"),
    ("cost", "cost_usd"),
    ("sessions", "CAST(sessions AS DOUBLE)"),
)


@dataclass(frozen=True)
class Overlap:
    """One API-key actor and one account actor that look like the same person's use.

    Attributes:
        api_key: the Analytics API actor (``api_key_name``).
        account: the OpenTelemetry actor (``user.account_uuid`` or ``user.account_id``).
        common_days, key_days, account_days: active days in both, of the key, of the account.
        metric: what was compared day by day; ``agreement`` its median per-day ``min/max`` on common days.
        key_teams, account_teams: the configured teams each identity is a member of (a team counts an
            identity's use only when it is a member).
        known_ids: other identities the config already gives either side's person (kept in the entry).
    """

    api_key: str
    account: str
    common_days: int
    key_days: int
    account_days: int
    metric: str
    agreement: float
    key_teams: tuple[str, ...] = ()
    account_teams: tuple[str, ...] = ()
    known_ids: tuple[str, ...] = ()

    @property
    def day_match(self) -> float:
        return self.common_days / (self.key_days + self.account_days - self.common_days)

    @property
    def effect(self) -> str:
        """What the team × day table does with the pair today."""
        if self.key_teams and self.account_teams:
            return f"counted twice ({', '.join(sorted({*self.key_teams, *self.account_teams}))})"
        if self.key_teams or self.account_teams:
            kept = self.api_key if self.key_teams else self.account
            return f"counted once, as {kept} ({', '.join(self.key_teams or self.account_teams)})"
        return "not counted (neither identity is in a team)"

    @property
    def counted_twice(self) -> bool:
        return bool(self.key_teams and self.account_teams)

    def people_entry(self) -> str:
        """A ``[[people]]`` entry joining both identities (and those the config already gives them), as TOML."""
        ids = list(dict.fromkeys([*self.known_ids, self.api_key, self.account]))
        # JSON string escapes are valid TOML basic strings
        return "[[people]]\nids = [" + ", ".join(json.dumps(i, ensure_ascii=False) for i in ids) + "]"


def find_overlaps(store: Store, config: Config) -> list[Overlap]:
    """The API-key/account pairs in the store that look like one person and no configured person joins."""
    metric_cols = ", ".join(f"{expr} AS m{i}" for i, (_, expr) in enumerate(_METRICS))
    agreements = ", ".join(
        f"median(CASE WHEN greatest(k.m{i}, a.m{i}) > 0 THEN least(k.m{i}, a.m{i}) / greatest(k.m{i}, a.m{i}) "
        f"WHEN k.m{i} = 0 AND a.m{i} = 0 THEN 1.0 END) AS agree{i}"
        for i in range(len(_METRICS)))
    rows = store.con.execute(f"""
        WITH d AS (
            SELECT actor, source, actor_type, day, {metric_cols}
            FROM ai_usage_daily WHERE tool = 'claude_code' AND source IN ('analytics_api', 'otel')),
        k AS (SELECT * FROM d WHERE source = 'analytics_api' AND actor_type = 'api_key'),
        a AS (SELECT * FROM d WHERE source = 'otel' AND actor_type = 'user' AND actor NOT LIKE '%@%'),
        kd AS (SELECT actor, count(DISTINCT day) AS n FROM k GROUP BY actor),
        ad AS (SELECT actor, count(DISTINCT day) AS n FROM a GROUP BY actor),
        pairs AS (
            SELECT k.actor AS api_key, a.actor AS account, count(DISTINCT k.day) AS common, {agreements}
            FROM k JOIN a ON a.day = k.day
            GROUP BY ALL HAVING count(DISTINCT k.day) >= {MIN_COMMON_DAYS})
        SELECT p.*, kd.n AS key_days, ad.n AS account_days
        FROM pairs p JOIN kd ON kd.actor = p.api_key JOIN ad ON ad.actor = p.account
        ORDER BY p.api_key, p.account""").fetchall()

    person_of, ids_of, teams_of = _config_people(config)
    found: list[Overlap] = []
    for api_key, account, common, *rest in rows:
        agrees, key_days, account_days = rest[:len(_METRICS)], rest[-2], rest[-1]
        chosen = next(((name, float(v)) for (name, _), v in zip(_METRICS, agrees, strict=True) if v is not None),
                      None)
        if chosen is None or chosen[1] < MIN_AGREEMENT:
            continue
        if common / (key_days + account_days - common) < MIN_DAY_MATCH:
            continue
        k, a = normalize_identity(api_key), normalize_identity(account)
        if k in person_of and person_of.get(k) == person_of.get(a):
            continue  # already one person: precedence handles it
        others: dict[str, str] = {}  # normalised -> as written, first spelling wins
        for person in dict.fromkeys(x for x in (person_of.get(k), person_of.get(a)) if x):
            for ident in ids_of[person]:
                others.setdefault(normalize_identity(ident), ident)
        known = tuple(v for n, v in others.items() if n not in (k, a))
        found.append(Overlap(api_key, account, int(common), int(key_days), int(account_days), chosen[0],
                             chosen[1], tuple(sorted(teams_of.get(k, ()))), tuple(sorted(teams_of.get(a, ()))),
                             known))
    return _one_to_one(found)


def _one_to_one(candidates: list[Overlap]) -> list[Overlap]:
    """Best pairs first (agreement × day match); each identity is used once."""
    taken: set[str] = set()
    out = []
    for o in sorted(candidates, key=lambda o: (-o.agreement * o.day_match, o.api_key, o.account)):
        if o.api_key in taken or o.account in taken:
            continue
        taken |= {o.api_key, o.account}
        out.append(o)
    return sorted(out, key=lambda o: (o.api_key, o.account))


def _config_people(config: Config) -> tuple[dict[str, str], dict[str, list[str]], dict[str, set[str]]]:
    """identity → person key, person key → identities as written, identity → teams; from members and [[people]]."""
    person_of: dict[str, str] = {}
    ids_of: dict[str, list[str]] = {}
    teams_of: dict[str, set[str]] = {}
    for m in config.memberships:
        person_of.setdefault(m.identity, m.person)
        ids_of.setdefault(person_of[m.identity], []).append(m.identity)
        teams_of.setdefault(m.identity, set()).add(m.team)
    for entry in config.root.people:
        norms = [normalize_identity(i) for i in entry.ids if i.strip()]
        key = next((person_of[n] for n in norms if n in person_of), norms[0] if norms else None)
        if key is None:
            continue
        for raw, n in zip([i for i in entry.ids if i.strip()], norms, strict=True):
            person_of.setdefault(n, key)
            ids_of.setdefault(key, []).append(raw)
    return person_of, {k: list(dict.fromkeys(v)) for k, v in ids_of.items()}, teams_of
