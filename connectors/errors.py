"""Errors raised by connectors, typed by what the caller should do about them.

::

    ConnectorError                      root: every connector failure is one of these
    ├── AuthError                       401/403: wrong, missing or under-scoped key (exit 2)
    ├── TransientSourceError            429, 5xx, timeouts, resets: retried by ``_http``; raised when retries run out
    │   └── RateLimitError              the budget is spent until ``reset_at``
    ├── FatalSourceError                anything retrying cannot fix (404 on a repo, 400 on a query)
    └── PayloadError                    the source answered, but the body is not in the documented shape

Every error carries ``source`` and, where known, ``stream``, ``status`` and ``where`` (a URL with the
query string removed, a file and line). Messages say how to fix the problem and never contain a key.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "AuthError",
    "ConnectorError",
    "FatalSourceError",
    "PayloadError",
    "RateLimitError",
    "TransientSourceError",
]


class ConnectorError(Exception):
    """Root of every connector failure."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        source: str,
        stream: str | None = None,
        status: int | None = None,
        where: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.stream = stream
        self.status = status
        self.where = where

    def __str__(self) -> str:
        context = f"source={self.source}"
        if self.stream:
            context += f", stream={self.stream}"
        if self.status is not None:
            context += f", HTTP {self.status}"
        if self.where:
            context += f", at {self.where}"
        return f"{self.message} ({context})"


class AuthError(ConnectorError):
    """The key was refused or lacks the scope this endpoint needs.

    ``env_var`` names the environment variable the key came from, never the key itself.
    """

    exit_code = 2

    def __init__(self, message: str, *, source: str, env_var: str | None = None, **kw: object) -> None:
        super().__init__(message, source=source, **kw)  # type: ignore[arg-type]
        self.env_var = env_var


class TransientSourceError(ConnectorError):
    """A failure that may pass: the retry policy gave up on it for now. Re-running resumes."""


class RateLimitError(TransientSourceError):
    """The source's request budget is spent until ``reset_at`` (UTC)."""

    def __init__(self, message: str, *, source: str, reset_at: datetime | None = None, **kw: object) -> None:
        super().__init__(message, source=source, **kw)  # type: ignore[arg-type]
        self.reset_at = reset_at


class FatalSourceError(ConnectorError):
    """A failure retrying cannot fix."""


class PayloadError(ConnectorError):
    """The response or file is not in the documented shape; ``where`` says which field or line."""
