"""Who an account is: the one identity rule and the one bot rule, for Python and for SQL.

**Identity.** Identities (emails, GitHub logins, API-key names, account ids) compare without case and
surrounding space, and a GitHub noreply address (``12345+ann@users.noreply.github.com`` or
``ann@users.noreply.github.com``) is the login it stands for (``ann``). Nothing else is folded: an
email and a login of the same person are joined only by ``[[people]]`` or team membership.

**Bot.** An account is a bot when GitHub types it ``Bot``, its login ends in ``[bot]``, or its login is
listed: :data:`DEFAULT_BOT_LOGINS` (review and automation accounts that answer without the suffix in
some APIs) plus ``[sources.github] bot_logins``. A bot's review is no review, and a bot's PR is no
team member's PR.

The rules are written once, here. SQL gets them as the temp macros ``_norm_id(x)`` and
``_is_bot(login, author_type)`` (:func:`sql_macros`), generated from the same pattern and list, so the
panel's joins and the config's identities cannot drift apart (a test runs both on the same cases).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the config imports this module: keep pandas out of the CLI's start-up
    import pandas as pd

__all__ = ["DEFAULT_BOT_LOGINS", "NOREPLY_PATTERN", "bot_logins", "is_bot", "normalize_identity", "sql_macros"]

# A GitHub noreply address; group 1 is the login. RE2 (DuckDB) and Python's re read it alike.
NOREPLY_PATTERN = r"^(?:\d+\+)?([a-z0-9-]+(?:\[bot\])?)@users\.noreply\.github\.com$"
_NOREPLY = re.compile(NOREPLY_PATTERN)

# Review and automation accounts that are not a person, including AI review bots that have no
# `[bot]` suffix in some answers. `[sources.github] bot_logins` adds to this.
DEFAULT_BOT_LOGINS = frozenset({
    "coderabbitai", "copilot", "copilot-pull-request-reviewer", "github-actions", "dependabot", "renovate",
    "sourcery-ai", "codium-pr-agent", "qodo-merge-pro", "graphite-app", "greptile-apps", "ellipsis-dev",
    "claude", "cursor", "sonarcloud", "codecov", "netlify", "vercel", "gemini-code-assist",
})


def normalize_identity(identity: str) -> str:
    """The identity as every join compares it: lower case, trimmed, a GitHub noreply address as its login.

    Examples:
        >>> normalize_identity("  Ann@Example.COM ")
        'ann@example.com'
        >>> normalize_identity("12345+Ann@users.noreply.github.com")
        'ann'
    """
    value = identity.strip().lower()
    m = _NOREPLY.match(value)
    return m.group(1) if m else value


def bot_logins(extra: Iterable[str] = ()) -> frozenset[str]:
    """The listed bot logins (lower case): :data:`DEFAULT_BOT_LOGINS` plus ``extra`` (the config's)."""
    return DEFAULT_BOT_LOGINS | {normalize_identity(b) for b in extra if b.strip()}


def is_bot(login: pd.Series, author_type: pd.Series, extra: Iterable[str] = ()) -> pd.Series:
    """True where the account is a bot (see the module docstring), element-wise."""
    names = login.fillna("").astype(str).map(normalize_identity)
    return (author_type.fillna("") == "Bot") | names.str.endswith("[bot]") | names.isin(bot_logins(extra))


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_macros(extra_bots: Iterable[str] = ()) -> str:
    """DuckDB statements creating ``_bots(login)`` (:func:`bot_logins` of ``extra_bots``) and the macros
    ``_norm_id(x)`` and ``_is_bot(login, author_type)`` for this connection."""
    pattern = _sql_text(NOREPLY_PATTERN)
    logins = ", ".join(_sql_text(b) for b in sorted(bot_logins(extra_bots)))
    return f"""
CREATE OR REPLACE TEMP MACRO _norm_id(x) AS
  CASE WHEN regexp_matches(lower(trim(x)), {pattern})
       THEN regexp_extract(lower(trim(x)), {pattern}, 1)
       ELSE lower(trim(x)) END;
CREATE OR REPLACE TEMP TABLE _bots AS SELECT unnest([{logins}]::VARCHAR[]) AS login;
CREATE OR REPLACE TEMP MACRO _is_bot(who, kind) AS
  coalesce(kind = 'Bot', FALSE) OR _norm_id(coalesce(who, '')) LIKE '%[bot]'
  OR _norm_id(coalesce(who, '')) IN (SELECT b.login FROM _bots b)
"""
