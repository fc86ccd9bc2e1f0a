"""GitHub Copilot usage metrics: the daily per-user and user-teams reports (API version 2026-03-10).

Two steps per report and day (docs.github.com/rest/copilot/copilot-usage-metrics)::

    GET /orgs/{org}/copilot/metrics/reports/users-1-day?day=2026-05-07
    -> {"download_links": ["https://…signed….ndjson"], "report_day": "2026-05-07"}
    GET https://…signed….ndjson            (no GitHub token: another host, short-lived signature)
    -> one JSON object per line

Enterprises use ``/enterprises/{enterprise}/…`` with the same report names. Reports exist from
2025-10-10 and reach back one year. A signed link that has expired answers 403/404/410 from the download
host; the report endpoint is then asked once more for fresh links.

This uses httpx through :mod:`connectors._http`, not PyGithub's requester: the second step goes to a
signed URL on another host that must not receive the GitHub token, and PyGithub's requester would send
it (and knows nothing about NDJSON). The GitHub API step still gets GitHub's rate-limit handling from
``_http`` (403 with ``x-ratelimit-remaining: 0`` or ``Retry-After`` is a rate limit, not an auth error).

Mapping onto :class:`~connectors.records.AIUsageDay` is documented row by row in
``correlate/tool_mapping.py`` (and docs/tools.md); fields with no shared column are kept verbatim in
``extra_json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from connectors import _http
from connectors._fields import Ctx, compact_json, get_count, get_text, sum_present
from connectors._seats import seat_share
from connectors.errors import PayloadError, TransientSourceError
from connectors.records import AIUsageDay
from connectors.tool_records import CopilotUserTeam

__all__ = [
    "API_VERSION",
    "FIRST_REPORT_DAY",
    "CopilotClient",
    "CopilotDay",
    "CopilotScope",
    "map_team_row",
    "map_user_row",
]

SOURCE = "copilot"
API_VERSION = "2026-03-10"
FIRST_REPORT_DAY = date(2025, 10, 10)  # GitHub: "Reports are available starting from October 10, 2025"
EXPIRED_LINK_STATUS = frozenset({403, 404, 410})  # how a download host refuses a stale signature
KEY_HINT = ("a token allowed to read Copilot metrics (classic: read:org or manage_billing:copilot; "
            "fine-grained: 'Copilot metrics' read), and the org's 'Copilot usage metrics' policy enabled")

# Per-user fields that land in a shared column (the rest go to extra_json verbatim).
_MAPPED_USER_FIELDS = frozenset({
    "day", "user_login", "user_initiated_interaction_count", "code_acceptance_activity_count",
    "loc_suggested_to_add_sum", "loc_added_sum", "loc_deleted_sum",
})


@dataclass(frozen=True, slots=True)
class CopilotScope:
    """Whose reports to read: an organization or an enterprise."""

    kind: Literal["org", "enterprise"]
    name: str

    @property
    def label(self) -> str:
        """``org:<name>`` / ``enterprise:<name>``: the sync partition and the user-teams scope."""
        return f"{self.kind}:{self.name}"

    def report_path(self, report: str) -> str:
        prefix = "orgs" if self.kind == "org" else "enterprises"
        return f"/{prefix}/{self.name}/copilot/metrics/reports/{report}"


@dataclass(frozen=True)
class CopilotDay:
    """One day of Copilot reports. ``available`` is False when GitHub has no report for the day."""

    day: date
    available: bool
    usage: list[AIUsageDay] = field(default_factory=list)
    teams: list[CopilotUserTeam] = field(default_factory=list)
    links_refreshed: int = 0  # how many times an expired download link was re-requested


class CopilotClient:
    """Reads the daily reports of one org or enterprise. Use as a context manager (closes both clients).

    Args:
        base_url: the GitHub API (``https://api.github.com`` or GHE.com's API host).
        token: the GitHub token (revealed from the ``Secret`` by the caller; never logged).
        scope: the org or enterprise.
        env_var: the variable the token came from, named in an ``AuthError``.
    """

    def __init__(self, base_url: str, token: str, scope: CopilotScope, *, env_var: str | None = None) -> None:
        self.scope = scope
        self.env_var = env_var
        self._api = _http.make_client(base_url, headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        })
        # Signed links carry their own authorisation; this client has no token on purpose.
        self._download = _http.make_client("", headers={"Accept": "application/x-ndjson, application/json"})

    def __enter__(self) -> CopilotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._api.close()
        self._download.close()

    # -- public ----------------------------------------------------------------------------------------
    def fetch_day(self, day: date, *, seat_cost_usd_per_month: float | None = None) -> CopilotDay:
        """Both reports of ``day``, mapped to records.

        Args:
            day: a UTC day on or after :data:`FIRST_REPORT_DAY`.
            seat_cost_usd_per_month: the flat Copilot seat price from config; when given, each user-day
                row carries the seat's daily share as ``cost_usd`` with provenance ``seat``.

        Raises:
            AuthError: the token was refused (names ``env_var``).
            PayloadError: a report line is not a JSON object in the documented shape.
            TransientSourceError: downloads kept failing, or fresh links expired again.
        """
        users, refreshed_u = self._report_rows("users-1-day", day)
        if users is None:
            return CopilotDay(day=day, available=False)
        teams, refreshed_t = self._report_rows("user-teams-1-day", day)
        usage = [map_user_row(row, where=where, seat_cost_usd_per_month=seat_cost_usd_per_month)
                 for row, where in users]
        team_rows = [map_team_row(row, scope=self.scope.label, where=where) for row, where in teams or []]
        stray = [where for record, (_, where) in zip(usage, users, strict=True) if record.day != day]
        stray += [where for team, (_, where) in zip(team_rows, teams or [], strict=True) if team.day != day]
        if stray:  # the day is replaced as a whole, so a row for another day would outlive its own day
            raise PayloadError(f"row is not for {day}, the day the report was asked for", source=SOURCE,
                               where=stray[0])
        return CopilotDay(day=day, available=True, usage=usage, teams=team_rows,
                          links_refreshed=refreshed_u + refreshed_t)

    # -- the two steps -------------------------------------------------------------------------------
    def _links(self, report: str, day: date) -> list[str] | None:
        """Step one: the signed links of ``report`` for ``day``; ``None`` when GitHub has no report."""
        path = self.scope.report_path(report)
        response = _http.request(
            self._api, "GET", path, params={"day": day.isoformat()}, source=SOURCE, stream=report,
            env_var=self.env_var, key_hint=KEY_HINT, ok_status=frozenset({200, 204, 404}),
        )
        if response.status_code in (204, 404):
            return None
        try:
            body = response.json()
        except (ValueError, RecursionError):  # RecursionError: nesting past Python's limit
            raise PayloadError(f"the {report} report endpoint did not answer JSON for {day}", source=SOURCE,
                               stream=report, where=path) from None
        links = body.get("download_links") if isinstance(body, dict) else None
        if not isinstance(links, list) or not all(isinstance(u, str) for u in links):
            raise PayloadError(f"the {report} answer for {day} has no `download_links` list of URLs",
                               source=SOURCE, stream=report, where=path)
        return list(links)

    def _report_rows(self, report: str, day: date) -> tuple[list[tuple[dict[str, Any], str]] | None, int]:
        """Step two: every row of every file of the report, with where it came from (for errors)."""
        links = self._links(report, day)
        if links is None:
            return None, 0
        rows: list[tuple[dict[str, Any], str]] = []
        refreshed = 0
        index = 0
        while index < len(links):
            body = self._get_file(links[index], report)
            if body is None:
                if refreshed:
                    raise TransientSourceError(
                        f"the {report} download links for {day} expired again right after being re-issued. "
                        "Check the machine's clock and network, then re-run; the day is fetched again.",
                        source=SOURCE, stream=report, where=_http.redact_url(links[index]))
                fresh = self._links(report, day)
                refreshed += 1
                if fresh is None or len(fresh) != len(links):
                    # The report changed under us: start the day over with the new set of files.
                    rows, index, links = [], 0, fresh or []
                    continue
                links = fresh
                continue  # retry the same index with its fresh link
            label = f"{report} {day} file {index + 1}"
            rows.extend((row, f"{label} line {n}") for n, row in _ndjson(body, label))
            index += 1
        return rows, refreshed

    def _get_file(self, url: str, report: str) -> bytes | None:
        """One signed file; ``None`` when the link has expired (the caller re-requests the report)."""
        response = _http.request(self._download, "GET", url, source=SOURCE, stream=report,
                                 ok_status=frozenset({200}) | EXPIRED_LINK_STATUS)
        if response.status_code in EXPIRED_LINK_STATUS:
            return None
        return response.content


def _ndjson(body: bytes, label: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of an NDJSON file (line number, object). A single JSON array is accepted too: GitHub's
    example schema shows the rows that way."""
    try:
        text = body.decode("utf-8-sig", errors="strict") if body else ""
    except UnicodeDecodeError as exc:
        raise PayloadError(f"report file is not UTF-8 text (byte {exc.start}); re-run to download it again",
                           source=SOURCE, where=label) from None
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            raise PayloadError(f"not valid JSON: {exc}", source=SOURCE, where=label) from None
        for n, item in enumerate(items, start=1):
            yield n, _object(item, f"{label} item {n}")
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise PayloadError(f"line is not JSON ({exc.args[0] if exc.args else exc})", source=SOURCE,
                               where=f"{label} line {n}") from None
        yield n, _object(item, f"{label} line {n}")


def _object(item: object, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise PayloadError(f"expected a JSON object, got {type(item).__name__}", source=SOURCE, where=where)
    return item


def _day(row: Mapping[str, Any], where: str) -> date:
    raw = row.get("day")
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise PayloadError(f"field 'day' should be YYYY-MM-DD, got {raw!r:.40}", source=SOURCE, where=where) from None


def map_user_row(row: Mapping[str, Any], *, where: str, seat_cost_usd_per_month: float | None = None) -> AIUsageDay:
    """One ``users-1-day`` row as an ``AIUsageDay(tool="copilot", source="copilot_api")``.

    The column-by-column rules are the ``copilot`` rows of ``correlate.tool_mapping.MAPPINGS``.

    Raises:
        PayloadError: no ``day``/``user_login``, or a counter that is not a count.
    """
    ctx = Ctx.at(SOURCE, where)
    login = get_text(row, "user_login", ctx)
    if login is None:
        raise PayloadError("row has no 'user_login'", source=SOURCE, where=where)
    day = _day(row, where)
    cli = row.get("totals_by_cli")
    if cli is not None and not isinstance(cli, dict):
        raise PayloadError("field 'totals_by_cli' should be an object", source=SOURCE, where=where)
    cli = cli or {}
    tokens = cli.get("token_usage") or {}
    if not isinstance(tokens, dict):
        raise PayloadError("field 'totals_by_cli.token_usage' should be an object", source=SOURCE, where=where)

    cost, provenance = (None, "unknown")
    if seat_cost_usd_per_month is not None:
        cost, provenance = (seat_share(day, seat_cost_usd_per_month), "seat")

    extra = {k: v for k, v in row.items() if k not in _MAPPED_USER_FIELDS}
    return AIUsageDay(
        tool="copilot",
        source="copilot_api",
        day=day,
        actor=login,
        actor_type="user",
        # IDE prompts and CLI prompts are counted apart by GitHub (CLI is not in the IDE fields), so
        # their sum does not double count.
        requests=sum_present(get_count(row, "user_initiated_interaction_count", ctx),
                             get_count(cli, "prompt_count", ctx)),
        lines_added=get_count(row, "loc_added_sum", ctx),
        lines_removed=get_count(row, "loc_deleted_sum", ctx),
        lines_suggested=get_count(row, "loc_suggested_to_add_sum", ctx),
        lines_accepted=_accepted_suggestion_lines(row, where),
        edit_accepted=get_count(row, "code_acceptance_activity_count", ctx),
        tokens_input=get_count(tokens, "prompt_tokens_sum", ctx),
        tokens_output=get_count(tokens, "output_tokens_sum", ctx),
        cost_usd=cost,
        cost_provenance=provenance,
        extra_json=compact_json(extra),
    )


def _accepted_suggestion_lines(row: Mapping[str, Any], where: str) -> int | None:
    """Lines added from suggestions: ``loc_added_sum`` of every feature except ``agent_edit``.

    ``loc_suggested_to_add_sum`` excludes agent edits, so acceptance must too for the two to be a
    ratio. Without the per-feature breakdown the split is unknown and the value stays empty.
    """
    features = row.get("totals_by_feature")
    if not isinstance(features, list):
        return None
    total: int | None = None
    for i, item in enumerate(features):
        if not isinstance(item, dict):
            raise PayloadError(f"totals_by_feature[{i}] should be an object", source=SOURCE, where=where)
        if item.get("feature") == "agent_edit":
            continue
        added = get_count(item, "loc_added_sum", Ctx.at(SOURCE, f"{where} totals_by_feature[{i}]"))
        total = sum_present(total, added)
    if not features:  # an empty breakdown: nothing was added, exactly as loc_added_sum says
        return get_count(row, "loc_added_sum", Ctx.at(SOURCE, where))
    return total


def map_team_row(row: Mapping[str, Any], *, scope: str, where: str) -> CopilotUserTeam:
    """One ``user-teams-1-day`` row (``user_id, user_login, day, team_id, slug``) as a record."""
    ctx = Ctx.at(SOURCE, where)
    user_id = get_count(row, "user_id", ctx)
    team_id = get_count(row, "team_id", ctx)
    if user_id is None or team_id is None:
        raise PayloadError("row needs both 'user_id' and 'team_id'", source=SOURCE, where=where)
    return CopilotUserTeam(scope=scope, day=_day(row, where), user_id=user_id, team_id=team_id,
                           user_login=get_text(row, "user_login", ctx), team_slug=get_text(row, "slug", ctx))
