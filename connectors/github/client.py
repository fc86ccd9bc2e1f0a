"""The PyGithub client correlate uses: base URL, token, retries that wait visibly, and error mapping.

PyGithub does the HTTP (REST objects and its GraphQL requester). Three things are ours:

* :class:`WaitingRetry` is PyGithub's :class:`~github.GithubRetry` (5xx, 429, secondary-limit 403
  with ``Retry-After``, primary-limit 403 until ``X-RateLimit-Reset``) whose pauses go through
  :func:`connectors._http.wait`, so the CLI shows a countdown and tests record instead of sleeping.
* :func:`translate_errors` turns PyGithub and ``requests`` exceptions into :mod:`connectors.errors`,
  naming the token's environment variable, never its value.
* :func:`check_budget` waits for the reset when the remaining request budget runs low, instead of
  failing halfway through a repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededExceedsMaxWait,
    RateLimitExceededException,
    TwoFactorException,
    UnknownObjectException,
)

from connectors import _http
from connectors.errors import AuthError, FatalSourceError, PayloadError, RateLimitError, TransientSourceError

__all__ = [
    "LOW_BUDGET",
    "MAX_RATE_LIMIT_WAIT_S",
    "SOURCE",
    "WaitingRetry",
    "check_budget",
    "connect",
    "translate_errors",
    "wait_for_reset",
]

SOURCE = "github"
# Retries for 5xx/429/403-with-retry: attempts and back-off (1 s, 2 s, 4 s, ...), as in connectors._http.
MAX_RETRIES = 5
BACKOFF_FACTOR_S = 0.5
# Longer than this (an hour-long reset) and we stop with RateLimitError: re-running later resumes.
MAX_RATE_LIMIT_WAIT_S = 65 * 60.0
# Remaining requests (REST) or points (GraphQL) below which we wait for the reset before going on.
LOW_BUDGET = 50
PER_PAGE = 100
TIMEOUT_S = 60


# PyGithub follows a 301 only on the configured host (another host is a RuntimeError, mapped in
# translate_errors) and returns any other redirect as if it were an answer: an empty body that would read
# as "no pull requests". These are refused instead, naming the target host; nothing is sent there.
REFUSED_REDIRECTS = frozenset({302, 303, 307, 308})


class WaitingRetry(GithubRetry):
    """PyGithub's retry policy, with every pause routed through :func:`connectors._http.wait`.

    It sees every response PyGithub receives, so it is also where a redirect PyGithub would not follow
    becomes a :class:`FatalSourceError` (see :data:`REFUSED_REDIRECTS`).
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in REFUSED_REDIRECTS:
            return True  # not retried: increment() refuses it
        return bool(super().is_retry(method, status_code, has_retry_after))

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Any:
        if response is not None and getattr(response, "status", None) in REFUSED_REDIRECTS:
            here = (f"{_pool.scheme}://{_pool.host}" + (f":{_pool.port}" if _pool.port else "")
                    if _pool is not None else "the configured base_url")
            target = _location(response.headers)
            response.drain_conn()  # hand the connection back to the pool before leaving urllib3 by raising
            raise FatalSourceError(
                f"GitHub at {here} answered a redirect (HTTP {response.status})"
                + (f" to {target}" if target else "") + ". correlate does not follow it (the token goes only to "
                "the configured host, and PyGithub follows nothing but a 301 on that host): set [sources.github] "
                "base_url to the address the API answers on.",
                source=SOURCE, status=int(response.status),
            )
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_backoff_time(self) -> float:
        """1 s, 2 s, 4 s ... capped at ``backoff_max``: urllib3 would retry the first failure at once."""
        if not self.history:
            return 0.0
        return float(min(self.backoff_max, self.backoff_factor * 2 ** len(self.history)))

    def sleep(self, response: Any = None) -> None:
        delay = None
        if self.respect_retry_after_header and response is not None:
            delay = self.get_retry_after(response)
        if not delay:
            delay = self.get_backoff_time()
        if delay > MAX_RATE_LIMIT_WAIT_S:
            raise RateLimitError(
                f"GitHub asked to wait {delay:.0f}s before retrying. Everything fetched so far is stored; "
                "re-run `correlate sync --source github` later to resume.",
                source=SOURCE,
                status=getattr(response, "status", None),
            )
        status = getattr(response, "status", None)
        _http.wait(delay, f"github: HTTP {status or 'connection error'}, retrying")


def connect(
    base_url: str,
    token: str,
    *,
    per_page: int = PER_PAGE,
    timeout_s: int = TIMEOUT_S,
    max_retries: int = MAX_RETRIES,
) -> Github:
    """A PyGithub client for ``base_url`` (api.github.com or a GitHub Enterprise Server ``/api/v3``).

    The client is lazy: ``gh.get_repo(name)`` makes no request until data is read, so listing a
    repository's PRs costs only the list pages. Requests are serial, so PyGithub's fixed pause between requests is off
    (``seconds_between_requests=None``): GitHub's secondary limits are handled by the retry policy,
    which honours ``Retry-After`` through :func:`connectors._http.wait` rather than sleeping blindly.

    Args:
        base_url: REST root; the GraphQL endpoint is derived from it by PyGithub.
        token: the token itself (the caller read it from the environment variable it names).
        per_page: REST page size (GitHub's maximum is 100).
        timeout_s: per-request timeout.
        max_retries: retries for 5xx, 429 and retryable 403 answers.
    """
    retry = WaitingRetry(
        total=max_retries,
        backoff_factor=BACKOFF_FACTOR_S,
        status_forcelist=[429, *range(500, 600)],
        max_rate_limit_wait=MAX_RATE_LIMIT_WAIT_S,
        raise_on_status=False,
    )
    return Github(
        auth=Auth.Token(token),
        base_url=base_url.rstrip("/"),
        per_page=per_page,
        timeout=timeout_s,
        retry=retry,
        seconds_between_requests=None,
        seconds_between_writes=None,
        user_agent=_http.USER_AGENT,
        lazy=True,
    )


@contextmanager
def translate_errors(*, stream: str, token_env: str, where: str | None = None) -> Iterator[None]:
    """Re-raise PyGithub/``requests`` failures as :mod:`connectors.errors` with a fix in the message.

    Args:
        stream: what was being fetched (``pull_requests``, ``deployments`` ...), for context.
        token_env: the environment variable the token came from (named, never shown).
        where: the repository or organisation, for context.
    """
    try:
        yield
    except RateLimitExceededExceedsMaxWait as exc:
        reset = _reset_from_headers(exc.headers)
        raise RateLimitError(
            f"GitHub rate limit exhausted{_until(reset)}. Everything fetched so far is stored; re-run "
            "`correlate sync --source github` after that time.",
            source=SOURCE, stream=stream, status=exc.status, where=where, reset_at=reset,
        ) from None
    except RateLimitExceededException as exc:
        reset = _reset_from_headers(exc.headers)
        raise RateLimitError(
            f"GitHub rate limit still exhausted after retrying{_until(reset)}. Re-run `correlate sync --source "
            "github` later; it resumes from the saved cursor.",
            source=SOURCE, stream=stream, status=exc.status, where=where, reset_at=reset,
        ) from None
    except (BadCredentialsException, TwoFactorException) as exc:
        raise AuthError(
            f"GitHub refused the token in ${token_env} (HTTP {exc.status}: {_message(exc)}). Put a current token "
            f"in {token_env} (classic: repo and read:org scopes; fine-grained: pull requests, deployments, issues "
            "and members read).",
            source=SOURCE, env_var=token_env, stream=stream, status=exc.status, where=where,
        ) from None
    except UnknownObjectException:
        raise FatalSourceError(
            f"GitHub answered 404 for {where or 'a resource'}: it was deleted, renamed, or the token in "
            f"${token_env} cannot see it.",
            source=SOURCE, stream=stream, status=404, where=where,
        ) from None
    except GithubException as exc:
        if exc.status in (401, 403):
            raise AuthError(
                f"GitHub refused access (HTTP {exc.status}: {_message(exc)}). Check that the token in ${token_env} "
                "can read this repository or organisation.",
                source=SOURCE, env_var=token_env, stream=stream, status=exc.status, where=where,
            ) from None
        if exc.status is not None and (exc.status >= 500 or exc.status == 429):
            raise TransientSourceError(
                f"GitHub kept answering HTTP {exc.status} after retries. Re-run to resume from the saved cursor.",
                source=SOURCE, stream=stream, status=exc.status, where=where,
            ) from None
        raise FatalSourceError(
            f"GitHub answered HTTP {exc.status}: {_message(exc)}",
            source=SOURCE, stream=stream, status=exc.status, where=where,
        ) from None
    except requests.exceptions.RetryError:
        raise TransientSourceError(
            "GitHub kept failing (server errors) after retries. Everything fetched so far is stored; re-run to "
            "resume from the saved cursor.",
            source=SOURCE, stream=stream, where=where,
        ) from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise TransientSourceError(
            f"cannot reach GitHub ({type(exc).__name__}). Check base_url and the network, then re-run.",
            source=SOURCE, stream=stream, where=where,
        ) from None
    except RuntimeError as exc:
        # PyGithub refuses a 301 to another host or scheme (or back to the same path) with a bare RuntimeError
        # naming both hosts; nothing was sent there
        if "redirected" not in str(exc):
            raise
        raise FatalSourceError(
            f"GitHub redirected away from the configured host ({str(exc).split(', please')[0]}). correlate sends "
            "the token only to the configured host and did not follow: set [sources.github] base_url to the "
            "address the API answers on.",
            source=SOURCE, stream=stream, where=where,
        ) from None
    except json.JSONDecodeError as exc:
        # PyGithub parses every body with json.loads: a body cut off mid-way (a dropped connection behind a proxy)
        # or an HTML page from a proxy would otherwise surface as a bare traceback
        raise PayloadError(
            f"GitHub's answer was not JSON ({exc.msg} at character {exc.pos}): the response was cut off or did not "
            "come from GitHub. Everything fetched so far is stored; re-run to resume, and check base_url if it "
            "persists.",
            source=SOURCE, stream=stream, where=where,
        ) from None


def check_budget(gh: Github, *, remaining: int | None = None, reset_at: datetime | None = None,
                 need: int = LOW_BUDGET) -> None:
    """Wait for the reset when fewer than ``need`` requests/points remain.

    Reads the GraphQL ``rateLimit`` numbers when given, else the ``X-RateLimit-*`` headers PyGithub
    keeps from the last REST answer (no extra request is made).
    """
    if remaining is None:
        left, _limit = gh.requester.rate_limiting
        if left < 0:  # no answer seen yet
            return
        remaining = left
        reset_at = datetime.fromtimestamp(gh.requester.rate_limiting_resettime, UTC)
    if remaining >= need or reset_at is None:
        return
    wait_for_reset(reset_at, f"GitHub rate limit low ({remaining} left)")


def wait_for_reset(reset_at: datetime, reason: str) -> None:
    """Wait until ``reset_at`` (plus a second) through :func:`connectors._http.wait`, or raise if too far off."""
    seconds = (reset_at - datetime.now(UTC)).total_seconds() + 1
    if seconds > MAX_RATE_LIMIT_WAIT_S:
        raise RateLimitError(
            f"{reason}; it resets at {reset_at:%H:%MZ}, too far off to wait. Re-run `correlate sync --source "
            "github` after that time.",
            source=SOURCE, reset_at=reset_at,
        )
    _http.wait(seconds, f"{reason}; resumes at {reset_at:%H:%M:%SZ}")


def _reset_from_headers(headers: Any) -> datetime | None:
    if not headers:
        return None
    lowered = {str(k).lower(): v for k, v in dict(headers).items()}
    value = lowered.get("x-ratelimit-reset")
    if value and str(value).isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return None


def _location(headers: Any) -> str | None:
    """``scheme://host[:port]`` of a redirect's ``Location`` (no path or query: a signed URL stays private)."""
    if not headers:
        return None
    lowered = {str(k).lower(): v for k, v in dict(headers).items()}
    value = lowered.get("location")
    if not isinstance(value, str) or not value:
        return None
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else None


def _until(reset: datetime | None) -> str:
    return f" until {reset:%Y-%m-%d %H:%MZ}" if reset else ""


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:200]
    return str(exc.message or "no message")[:200]
