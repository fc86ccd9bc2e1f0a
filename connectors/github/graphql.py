"""Run the query files in ``connectors/github/queries/`` through PyGithub's GraphQL requester.

Query text lives in ``.graphql`` files and is never formatted: only variables change. Every query
asks for ``rateLimit { cost remaining resetAt }``; when the remaining points fall below what the
next pages need, :func:`run` waits for the reset (visibly) instead of failing mid-repository.

Queries go through PyGithub's requester (``requestJsonAndCheck`` on its ``graphql_url``, which is
what ``Requester.graphql_query`` does) rather than ``graphql_query`` itself, because that one turns
every ``errors`` array into an untyped HTTP-400 exception and the ``type`` is what tells a
deleted repository from a rate limit.

A GraphQL answer can be HTTP 200 with an ``errors`` array. Those are mapped onto
:mod:`connectors.errors` by their ``type``: ``NOT_FOUND`` → :class:`FatalSourceError` (status 404,
so callers can report a deleted or renamed repository), ``RATE_LIMITED`` → :class:`RateLimitError`,
``FORBIDDEN``/``INSUFFICIENT_SCOPES`` → :class:`AuthError`, GitHub's "timeout"/"something went
wrong" answers → :class:`TransientSourceError`, anything else → :class:`FatalSourceError` with
GitHub's message and path.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from github import Github

from connectors.errors import AuthError, FatalSourceError, PayloadError, RateLimitError, TransientSourceError
from connectors.github.client import SOURCE, check_budget, translate_errors

__all__ = ["QUERY_NAMES", "parse_time", "query_text", "run"]

QUERY_NAMES = (
    "pull_requests",
    "pull_request_reviews",
    "pull_request_commits",
    "pull_request_comments",
    "pull_request_files",
)


@cache
def query_text(name: str) -> str:
    """The text of ``queries/<name>.graphql`` (shipped as package data)."""
    return resources.files("connectors.github").joinpath("queries", f"{name}.graphql").read_text(encoding="utf-8")


def run(gh: Github, name: str, variables: dict[str, Any], *, token_env: str, where: str | None = None,
        stream: str = "pull_requests") -> dict[str, Any]:
    """Send one query; return its ``data`` after checking ``errors`` and the rate-limit budget.

    Args:
        gh: the client from :func:`connectors.github.client.connect`.
        name: a query file name without extension (one of :data:`QUERY_NAMES`).
        variables: the query's variables.
        token_env: the token's environment variable, named in auth errors.
        where: ``owner/name`` for error context.
        stream: for error context.

    Raises:
        FatalSourceError: GraphQL errors (status 404 for NOT_FOUND).
        RateLimitError, AuthError: as mapped from the ``errors`` array or the HTTP status.
        PayloadError: the answer has no ``data`` object.
    """
    requester = gh.requester
    with translate_errors(stream=stream, token_env=token_env, where=where):
        _headers, body = requester.requestJsonAndCheck(
            "POST", requester.graphql_url, input={"query": query_text(name), "variables": variables}
        )
    if not isinstance(body, dict):
        raise PayloadError("GitHub GraphQL answered without a JSON object", source=SOURCE, stream=stream,
                           where=where)
    errors = body.get("errors")
    if errors:
        _raise_for_errors(errors, token_env=token_env, where=where, stream=stream)
    data = body.get("data")
    if not isinstance(data, dict):
        raise PayloadError("GitHub GraphQL answered without `data`", source=SOURCE, stream=stream, where=where)
    limit = data.get("rateLimit")
    if isinstance(limit, dict) and limit.get("remaining") is not None:
        cost = int(limit.get("cost") or 1)
        check_budget(gh, remaining=int(limit["remaining"]), reset_at=parse_time(limit.get("resetAt")),
                     need=max(2 * cost, 10))
    return data


def _raise_for_errors(errors: list[Any], *, token_env: str, where: str | None, stream: str) -> None:
    first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
    kind = str(first.get("type") or "")
    message = str(first.get("message") or "no message")[:300]
    path = ".".join(str(p) for p in first.get("path") or [])
    detail = f"{message}" + (f" (at {path})" if path else "") + (f"; {len(errors) - 1} more" if len(errors) > 1 else "")
    if kind == "NOT_FOUND":
        raise FatalSourceError(
            f"GitHub GraphQL: {detail}. The repository was deleted or renamed, or the token in ${token_env} cannot "
            "see it.",
            source=SOURCE, stream=stream, status=404, where=where,
        )
    if kind == "RATE_LIMITED":
        raise RateLimitError(
            f"GitHub GraphQL rate limit: {detail}. Re-run `correlate sync --source github` later; it resumes from "
            "the saved cursor.",
            source=SOURCE, stream=stream, where=where,
        )
    if kind in ("FORBIDDEN", "INSUFFICIENT_SCOPES"):
        raise AuthError(
            f"GitHub GraphQL refused: {detail}. Give the token in ${token_env} read access to pull requests "
            "(classic tokens: the repo scope).",
            source=SOURCE, env_var=token_env, stream=stream, where=where,
        )
    if "timeout" in message.lower() or "something went wrong" in message.lower():
        # GitHub's answer when a query took too long to resolve: smaller pages usually pass.
        raise TransientSourceError(f"GitHub GraphQL gave up on the query: {detail}", source=SOURCE, stream=stream,
                                   where=where)
    raise FatalSourceError(f"GitHub GraphQL error {kind or '(untyped)'}: {detail}", source=SOURCE, stream=stream,
                           where=where)


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 GitHub timestamp as an aware UTC datetime (None stays None)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: the ends of the calendar, shifted to UTC
        raise PayloadError(f"not an ISO-8601 time: {str(value)[:40]!r}", source=SOURCE) from None
