"""The one HTTP policy every non-GitHub connector uses: timeouts, retries, Retry-After, redaction.

This is the only module that sleeps. A wait longer than a moment goes through :func:`wait`, which the
CLI replaces with a visible countdown (:func:`set_waiter`), so rate-limit pauses are never silent.

Retry policy (named constants, one place):
    * retried: HTTP 429, 500-599, connection errors, read/connect timeouts;
    * back-off: exponential from ``BACKOFF_BASE_S`` doubling to ``BACKOFF_MAX_S``, or the server's
      ``Retry-After`` (seconds or HTTP date) when it gives one, capped at ``RETRY_AFTER_MAX_S``;
    * at most ``MAX_ATTEMPTS`` attempts, then :class:`TransientSourceError` (or ``RateLimitError``).
    * 401/403 become :class:`AuthError` naming the environment variable; other 4xx are fatal.

Redirects: a client made with a ``base_url`` follows redirects only within that URL's origin (scheme,
host and port). A redirect (or any request) to another origin is refused before anything is sent
there, as :class:`FatalSourceError` naming the source and both hosts: the client carries the key in
its headers, and httpx strips only ``Authorization`` across hosts (not ``x-api-key``), so following
would hand the key to whoever the first server points at. A client without a ``base_url`` (signed
download links) carries no credential and follows redirects anywhere.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors.errors import AuthError, FatalSourceError, RateLimitError, TransientSourceError

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_ATTEMPTS",
    "RETRY_STATUS",
    "OffOriginError",
    "host_of",
    "make_client",
    "origin",
    "redact_url",
    "request",
    "set_waiter",
    "wait",
]

log = logging.getLogger("connectors.http")

USER_AGENT = "correlate/0.1 (+https://pypi.org/project/correlate/)"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRY_STATUS = frozenset({429, *range(500, 600)})
MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 60.0
RETRY_AFTER_MAX_S = 15 * 60.0

Waiter = Callable[[float, str], None]


def _sleep_waiter(seconds: float, reason: str) -> None:
    log.info("waiting %.1fs: %s", seconds, reason)
    time.sleep(seconds)


_waiter: Waiter = _sleep_waiter


def set_waiter(waiter: Waiter | None) -> Waiter:
    """Install the function that waits (the CLI shows a countdown); returns the previous one."""
    global _waiter
    previous = _waiter
    _waiter = waiter or _sleep_waiter
    return previous


def wait(seconds: float, reason: str) -> None:
    """Wait ``seconds`` through the installed waiter. The only sleep in connectors."""
    if seconds > 0:
        _waiter(seconds, reason)


class OffOriginError(Exception):
    """Raised from a pinned client's request hook: a request was about to leave the configured origin.

    :func:`request` turns it into a :class:`FatalSourceError` naming the source; it never reaches users as is.
    """

    def __init__(self, configured: str, target: str) -> None:
        super().__init__(f"refused to send a request from {configured} to {target}")
        self.configured = configured
        self.target = target


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: httpx.URL | str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` with the scheme's default port filled in: what "the same host" means here."""
    u = httpx.URL(str(url))
    return u.scheme, u.host, u.port or _DEFAULT_PORTS.get(u.scheme)


def host_of(url: httpx.URL | str) -> str:
    """``scheme://host:port`` of a URL, for messages (no path, query or credentials)."""
    scheme, host, port = origin(url)
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS.get(scheme) else "")


def _pin_to(base_url: str) -> Callable[[httpx.Request], None]:
    """A request hook refusing any request (first or after a redirect) outside ``base_url``'s origin."""
    allowed = origin(base_url)

    def check(req: httpx.Request) -> None:
        if origin(req.url) != allowed:
            raise OffOriginError(host_of(base_url), host_of(req.url))

    return check


def make_client(
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
) -> httpx.Client:
    """One configured client per source. Secrets go in ``headers``/``auth``, never in URLs.

    With a ``base_url`` the client never leaves its origin (see the module notes on redirects); with
    ``base_url=""`` it must carry no secret, because it follows redirects anywhere.
    """
    merged = {"User-Agent": USER_AGENT}
    merged.update(headers or {})
    hooks = {"request": [_pin_to(base_url)]} if base_url else {}
    return httpx.Client(base_url=base_url, headers=merged, auth=auth, timeout=timeout, follow_redirects=True,
                        event_hooks=hooks)


def redact_url(url: httpx.URL | str) -> str:
    """The URL without query string or credentials: safe for logs and error messages."""
    u = httpx.URL(str(url))
    return str(u.copy_with(query=None, fragment=None, userinfo=b""))


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Parse ``Retry-After`` as seconds or an HTTP date; ``None`` when absent or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(attempt: int) -> float:
    """Exponential back-off for attempt 1, 2, ... (no jitter: tests and users can predict it)."""
    return float(min(BACKOFF_MAX_S, BACKOFF_BASE_S * (2 ** (attempt - 1))))


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    source: str,
    stream: str | None = None,
    env_var: str | None = None,
    key_hint: str = "",
    ok_status: frozenset[int] = frozenset({200}),
    max_attempts: int = MAX_ATTEMPTS,
    **kwargs: Any,
) -> httpx.Response:
    """Send one logical request with the retry policy; return the response whose status is in ``ok_status``.

    Args:
        client: from :func:`make_client`.
        method, url: relative to the client's base URL.
        source, stream: for error context.
        env_var: the variable the key came from, named in an :class:`AuthError`.
        key_hint: what kind of key the endpoint needs (for example "an Admin API key"), for the message.
        ok_status: statuses handed back to the caller instead of raised (a connector that handles
            a 400 or 410 itself lists it here).
        max_attempts: attempts before giving up on a retryable failure.

    Raises:
        AuthError: 401 or 403.
        RateLimitError: still 429 after the last attempt.
        TransientSourceError: still 5xx or unreachable after the last attempt.
        FatalSourceError: any other status outside ``ok_status``.
    """
    last_problem = ""
    for attempt in range(1, max_attempts + 1):
        try:
            response = client.request(method, url, **kwargs)
        except OffOriginError as exc:
            asked = client.base_url.join(url)
            what = (f"{source} at {exc.configured} redirected to {exc.target}, a different host, port or scheme"
                    if host_of(asked) == exc.configured else f"a request of {source} pointed at {exc.target}")
            raise FatalSourceError(
                f"{what}. correlate sends the key only to the configured base_url ({exc.configured}), so nothing was "
                f"sent to {exc.target}. If the service has moved, set base_url to its new address; otherwise "
                f"check what sits in front of {exc.configured} (a proxy or a login page).",
                source=source,
                stream=stream,
                where=redact_url(asked),
            ) from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            last_problem = f"{type(exc).__name__} talking to {redact_url(client.base_url.join(url))}"
            if attempt == max_attempts:
                raise TransientSourceError(
                    f"{last_problem}; gave up after {attempt} attempts. Re-run to resume from the saved cursor.",
                    source=source,
                    stream=stream,
                    where=redact_url(client.base_url.join(url)),
                ) from None
            wait(backoff_seconds(attempt), f"{source}: {type(exc).__name__}, retry {attempt}/{max_attempts - 1}")
            continue

        status = response.status_code
        where = redact_url(response.request.url)
        if status in ok_status:
            return response
        if status in (401, 403) and not (status == 403 and _is_rate_limit_403(response)):
            var = f" in ${env_var}" if env_var else ""
            need = f" This endpoint needs {key_hint}." if key_hint else ""
            raise AuthError(
                f"The key{var} was refused (HTTP {status}).{need} Check that the variable holds a current key "
                "with the right scope.",
                source=source,
                env_var=env_var,
                stream=stream,
                status=status,
                where=where,
            )
        if status in RETRY_STATUS or status == 403:
            delay = retry_after_seconds(response.headers)
            if attempt == max_attempts or (delay is not None and delay > RETRY_AFTER_MAX_S):
                reset = datetime.now(UTC) + timedelta(seconds=delay) if delay is not None else None
                cls = RateLimitError if status in (403, 429) else TransientSourceError
                message = (
                    f"{source} kept answering HTTP {status} after {attempt} attempts. "
                    "Everything fetched so far is stored; re-run later to resume from the saved cursor."
                )
                if cls is RateLimitError:
                    raise RateLimitError(message, source=source, stream=stream, status=status, where=where,
                                         reset_at=reset)
                raise TransientSourceError(message, source=source, stream=stream, status=status, where=where)
            if delay is None:
                delay = backoff_seconds(attempt)
            wait(delay, f"{source}: HTTP {status}, retry {attempt}/{max_attempts - 1}")
            continue
        raise FatalSourceError(
            f"{source} answered HTTP {status}: {_error_text(response)}",
            source=source,
            stream=stream,
            status=status,
            where=where,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _is_rate_limit_403(response: httpx.Response) -> bool:
    if "retry-after" in response.headers:
        return True
    return bool(response.headers.get("x-ratelimit-remaining") == "0")


def _error_text(response: httpx.Response) -> str:
    """A short, key-free description of an error body (vendors put the reason in different places)."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return response.text[:200].strip() or response.reason_phrase
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])[:300]
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str):
                return str(body[key])[:300]
    return str(body)[:200]
