"""A key goes only to the configured host: every connector that carries one refuses a redirect elsewhere.

Two real servers on 127.0.0.1, on different ports: the configured one answers every request with a
redirect to the other, which records what reaches it. httpx strips ``Authorization`` across hosts but
not ``x-api-key`` (the Claude sources' header), so without the rule the second server received the
Admin key. The rule: a redirect that leaves the configured origin (scheme, host, port) is refused with
an error naming the source and both hosts, before anything is sent to the other host; a redirect within
the configured origin is still followed. The pages served here are hand-built (tests/claude_pages.py).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from connectors import claude_code, claude_enterprise, pagerduty
from connectors.copilot import CopilotClient, CopilotScope
from connectors.cursor import CursorClient
from connectors.errors import FatalSourceError
from connectors.github import connect, fetch_deployments, fetch_pull_requests
from tests.claude_pages import cc_page, cc_row
from tests.httpserver import Reply, Request, Server, serve

DAY = date(2026, 11, 2)
SECRET = "sk-ant-admin01-REDIRECT-TEST-7c1e"


def redirect_to(target: str, status: int = 302) -> Callable[[Request], Reply]:
    """Answer every request with ``status`` pointing at the same path and query on ``target``."""
    def handler(req: Request) -> Reply:
        query = urlencode(req.query, doseq=True)
        return Reply(status, b"", headers={"location": f"{target}{req.path}" + (f"?{query}" if query else "")})
    return handler


def recorder(req: Request) -> Reply:
    return Reply(200, {"data": [], "has_more": False, "next_page": None})


def _claude_code(url: str) -> None:
    with claude_code.make_client(url, SECRET) as client:
        claude_code.fetch_day(client, DAY, env_var="X_ADMIN_KEY")


def _claude_enterprise(url: str) -> None:
    with claude_enterprise.make_client(url, SECRET, env_var="X_ANALYTICS_KEY",
                                       limiter=claude_enterprise.RateLimiter()) as client:
        claude_enterprise.fetch_day(client, DAY)


def _copilot(url: str) -> None:
    with CopilotClient(url, SECRET, CopilotScope("org", "acme"), env_var="X_GITHUB_TOKEN") as client:
        client.fetch_day(DAY)


def _cursor(url: str) -> None:
    with CursorClient(url, SECRET, env_var="X_CURSOR_KEY") as client:
        client.fetch_window(DAY, DAY)


def _pagerduty(url: str) -> None:
    with pagerduty.make_pagerduty_client(url, SECRET) as client:
        pagerduty.fetch_window(client, datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC),
                               env_var="X_PAGERDUTY_TOKEN")


def _github_graphql(url: str) -> None:
    list(fetch_pull_requests(connect(url, SECRET, max_retries=0), "acme/api", datetime(2026, 10, 1, tzinfo=UTC),
                             token_env="X_GITHUB_TOKEN"))


def _github_rest(url: str) -> None:
    fetch_deployments(connect(url, SECRET, max_retries=0), "acme/api", datetime(2026, 10, 1, tzinfo=UTC),
                      production_environments=["production"], token_env="X_GITHUB_TOKEN")


SOURCES: dict[str, tuple[Callable[[str], None], str]] = {
    # source -> (one fetch against base_url, the source name the error carries)
    "claude_code": (_claude_code, "claude_code"),
    "claude_enterprise": (_claude_enterprise, "claude_enterprise"),
    "copilot": (_copilot, "copilot"),
    "cursor": (_cursor, "cursor"),
    "pagerduty": (_pagerduty, "pagerduty"),
    "github_graphql": (_github_graphql, "github"),
    "github_rest": (_github_rest, "github"),
}


def _credential_seen(server: Server) -> list[dict[str, Any]]:
    encoded = base64.b64encode(f"{SECRET}:".encode()).decode()  # Cursor's Basic auth
    return [r.headers for r in server.requests
            if any(SECRET in v or encoded in v for v in r.headers.values())]


@pytest.mark.parametrize("name", list(SOURCES))
def test_a_redirect_to_another_port_never_receives_the_credential(name: str) -> None:
    fetch, source = SOURCES[name]
    with serve(recorder) as other, serve(redirect_to(other.url)) as configured:
        with pytest.raises(FatalSourceError) as info:
            fetch(configured.url)

    assert _credential_seen(other) == []
    assert other.requests == []  # refused before connecting: not even a request without the key
    error = info.value
    assert error.source == source
    text = str(error)
    assert other.url.removeprefix("http://") in text and configured.url.removeprefix("http://") in text
    assert "base_url" in text and SECRET not in text


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("name", ["claude_code", "claude_enterprise", "github_graphql", "github_rest"])
def test_every_redirect_status_is_refused_off_host(name: str, status: int) -> None:
    fetch, _source = SOURCES[name]
    with serve(recorder) as other, serve(redirect_to(other.url, status)) as configured:
        with pytest.raises(FatalSourceError):
            fetch(configured.url)
    assert other.requests == []


def test_a_redirect_to_another_host_name_is_refused_by_github_too() -> None:
    # PyGithub follows a 301 itself when the host name matches; another name is its RuntimeError, mapped here
    with serve(recorder) as other, serve(redirect_to(other.url.replace("127.0.0.1", "localhost"), 301)) as cfg:
        with pytest.raises(FatalSourceError) as info:
            _github_rest(cfg.url)
    assert other.requests == []
    assert "localhost" in str(info.value) and SECRET not in str(info.value)


def test_an_https_server_redirecting_to_http_on_the_same_host_is_another_origin() -> None:
    # the scheme is part of the origin: a downgrade would put the key on the wire in clear text
    from connectors import _http

    assert _http.origin("https://api.example.com") == ("https", "api.example.com", 443)
    assert _http.origin("https://api.example.com:443/v1") == _http.origin("https://api.example.com")
    assert _http.origin("http://api.example.com") != _http.origin("https://api.example.com")


def test_a_redirect_within_the_configured_host_is_still_followed() -> None:
    def handler(req: Request) -> Reply:
        if not req.path.startswith("/moved"):
            query = urlencode(req.query, doseq=True)
            return Reply(307, b"", headers={"location": f"/moved{req.path}?{query}"})
        return Reply(200, cc_page([cc_row(DAY)]))

    with serve(handler) as server, claude_code.make_client(server.url, SECRET) as client:
        day = claude_code.fetch_day(client, DAY)
    assert [u.actor for u in day.usage] == ["developer@company.com"]
    assert [r.path for r in server.requests] == [claude_code.PATH, f"/moved{claude_code.PATH}"]
    assert server.requests[1].headers["x-api-key"] == SECRET  # same host: the key goes with it


def test_a_client_without_a_base_url_carries_no_key_and_follows_anywhere() -> None:
    # Copilot's signed download links: the client that fetches them has no credential at all
    from connectors import _http

    with serve(lambda req: Reply(200, {"ok": True})) as other, serve(redirect_to(other.url)) as first:
        with _http.make_client("") as client:
            response = _http.request(client, "GET", f"{first.url}/file", source="copilot")
    assert response.json() == {"ok": True} and len(other.requests) == 1
