"""PagerDuty incidents over the REST API v2: ``GET /incidents`` in date windows, offset paging while ``more``.

Wire contract (https://developer.pagerduty.com/api-reference/, "Pagination" and "List incidents"):

* ``Authorization: Token token=<key>`` and ``Accept: application/vnd.pagerduty+json;version=2``;
* ``since``/``until`` select incidents by creation time; PagerDuty rejects ranges over six months,
  so :func:`windows` cuts a longer span into windows of at most :data:`MAX_WINDOW`;
* classic offset paging: ``limit``/``offset`` and the page's ``more`` flag. PagerDuty refuses
  ``offset + limit`` beyond :data:`MAX_OFFSET`; a window holding more incidents than that is halved
  and fetched again (:func:`fetch_window`), so nothing is silently cut off;
* ``time_zone=UTC`` so every timestamp comes back in UTC.

The connector yields :class:`PagerDutyIncident`: the :class:`~connectors.records.Incident` record
plus the PagerDuty team references, which ``correlate`` maps onto configured teams (a connector
never sees the config).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors import _http
from connectors._fields import Ctx, get_count, get_map, get_rows, get_str
from connectors.errors import PayloadError
from connectors.records import Incident

__all__ = [
    "MAX_OFFSET",
    "MAX_WINDOW",
    "PAGE_LIMIT",
    "SOURCE",
    "PagerDutyIncident",
    "fetch_window",
    "make_pagerduty_client",
    "parse_incident",
    "windows",
]

SOURCE = "pagerduty"
STREAM = "incidents"
PAGE_LIMIT = 100  # PagerDuty's maximum page size
MAX_OFFSET = 10_000  # classic pagination stops here (offset + limit must stay within it)
MAX_WINDOW = timedelta(days=180)  # "the maximum range is 6 months"
MIN_WINDOW = timedelta(minutes=1)  # below this a window is not split further


@dataclass(frozen=True, slots=True)
class PagerDutyIncident:
    """An incident and the PagerDuty teams it belongs to (ids and names), for team mapping."""

    incident: Incident
    service_name: str | None
    teams: tuple[tuple[str, str | None], ...]  # (team id, team name)


def make_pagerduty_client(base_url: str, token: str) -> httpx.Client:
    """A client carrying the v2 ``Accept`` header and the token (in a header, never in a URL)."""
    return _http.make_client(
        base_url,
        headers={
            "Authorization": f"Token token={token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        },
    )


def windows(since: datetime, until: datetime, size: timedelta = MAX_WINDOW) -> list[tuple[datetime, datetime]]:
    """Cut ``[since, until)`` into consecutive windows of at most ``size``.

    Example:
        >>> from datetime import datetime, UTC
        >>> len(windows(datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)))
        3
    """
    out = []
    start = since
    while start < until:
        end = min(until, start + size)
        out.append((start, end))
        start = end
    return out


def fetch_window(client: httpx.Client, since: datetime, until: datetime, *,
                 env_var: str | None = None) -> list[PagerDutyIncident]:
    """Every incident created in ``[since, until)``, following ``more`` across offset pages.

    A window with more incidents than offset paging can reach is split in two and each half
    fetched on its own (recursively), rather than truncated.

    Raises:
        AuthError: the key was refused (names ``env_var``).
        RateLimitError, TransientSourceError: retries ran out (429 honoured by ``connectors._http``).
        PayloadError: a page is not in the documented shape.
    """
    try:
        return list(_pages(client, since, until, env_var))
    except _TooManyForOffsetPaging:
        if until - since <= MIN_WINDOW:
            raise PayloadError(
                f"more than {MAX_OFFSET} incidents were created between {since:%Y-%m-%dT%H:%M:%SZ} and "
                f"{until:%Y-%m-%dT%H:%M:%SZ}; offset paging cannot read them all.",
                source=SOURCE, stream=STREAM,
            ) from None
        middle = since + (until - since) / 2
        return (fetch_window(client, since, middle, env_var=env_var)
                + fetch_window(client, middle, until, env_var=env_var))


class _TooManyForOffsetPaging(Exception):
    pass


def _pages(client: httpx.Client, since: datetime, until: datetime, env_var: str | None) -> Iterator[PagerDutyIncident]:
    offset = 0
    while True:
        if offset + PAGE_LIMIT > MAX_OFFSET:
            raise _TooManyForOffsetPaging
        params: dict[str, str | int] = {
            "since": _iso(since),
            "until": _iso(until),
            "limit": PAGE_LIMIT,
            "offset": offset,
            "time_zone": "UTC",
        }
        response = _http.request(client, "GET", "/incidents", source=SOURCE, stream=STREAM, env_var=env_var,
                                 key_hint="a PagerDuty REST API key (read-only is enough)", params=params)
        try:
            body = response.json()
        except (ValueError, RecursionError):  # RecursionError: nesting past Python's limit
            raise PayloadError("the incidents page is not JSON", source=SOURCE, stream=STREAM,
                               where=_http.redact_url(response.request.url)) from None
        items = body.get("incidents") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise PayloadError("the incidents page has no `incidents` list", source=SOURCE, stream=STREAM,
                               where=_http.redact_url(response.request.url))
        for item in items:
            yield parse_incident(item)
        if not body.get("more") or not items:
            return
        # PagerDuty echoes the offset and limit it used; advance by what it actually returned.
        offset = int(body.get("offset", offset)) + len(items)


def parse_incident(obj: dict[str, Any]) -> PagerDutyIncident:
    """One PagerDuty incident object as a record.

    ``acknowledged_at`` is the earliest entry of ``acknowledgements``. PagerDuty clears that list when
    an incident resolves, so an incident first seen already resolved has no acknowledgement time
    (``correlate`` keeps an earlier-seen value).

    Raises:
        PayloadError: no ``id``, or a field of the wrong type or an unreadable timestamp (named, with the
            incident).
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
        raise PayloadError("an incident without an `id`", source=SOURCE, stream=STREAM)
    ctx = Ctx.at(SOURCE, f"incident {obj['id']}")
    service = get_map(obj, "service", ctx) or {}
    priority = get_map(obj, "priority", ctx) or {}
    acks = [t for i, a in enumerate(_list(obj, "acknowledgements", ctx))
            if (t := _ts(a, "at", ctx, f"acknowledgements[{i}].at")) is not None]
    status = get_str(obj, "status", ctx)
    resolved = _ts(obj, "resolved_at", ctx)
    if resolved is None and status == "resolved":
        # older payloads have no resolved_at; the last status change is the resolution
        resolved = _ts(obj, "last_status_change_at", ctx)
    teams = []
    for i, team in enumerate(_list(obj, "teams", ctx)):
        team_id = get_str(team, "id", ctx, f"teams[{i}].id")
        if team_id:
            teams.append((team_id, get_str(team, "summary", ctx, f"teams[{i}].summary")))
    record = Incident(
        source=SOURCE,
        incident_id=obj["id"],
        number=get_count(obj, "incident_number", ctx),
        title=get_str(obj, "title", ctx),
        status=status,
        urgency=get_str(obj, "urgency", ctx),
        priority=get_str(priority, "summary", ctx, "priority.summary") or get_str(priority, "name", ctx,
                                                                                  "priority.name"),
        service=get_str(service, "id", ctx, "service.id"),
        kind="incident",
        created_at=_ts(obj, "created_at", ctx),
        acknowledged_at=min(acks) if acks else None,
        resolved_at=resolved,
    )
    return PagerDutyIncident(record, get_str(service, "summary", ctx, "service.summary"), tuple(teams))


def _list(obj: Mapping[str, Any], key: str, ctx: Ctx) -> list[Mapping[str, Any]]:
    """A list of objects; absent or null is empty (PagerDuty sends ``null`` for some empty lists)."""
    return [] if obj.get(key) is None else get_rows(obj, key, ctx)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ts(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> datetime | None:
    value = get_str(obj, key, ctx, path)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)  # time_zone=UTC was requested
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ctx.fail(path or key, f"is not an ISO 8601 timestamp: {value[:40]!r}") from None
