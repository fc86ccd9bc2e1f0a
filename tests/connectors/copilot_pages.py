"""A fake GitHub Copilot usage-metrics API for tests, serving HAND-BUILT pages in GitHub's documented shape.

Shapes come from docs.github.com (REST "Copilot usage metrics", API version 2026-03-10) and github/docs
``content/copilot/reference/copilot-usage-metrics/{example-schema,team-level-metrics}.md``: a report
endpoint answers ``{"download_links": [...], "report_day": "YYYY-MM-DD"}`` and each link serves NDJSON.
None of these bytes were recorded from GitHub.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.httpserver import Reply, Request

# GitHub's "User-level schema example" (example-schema.md), values as published, plus organization_id and
# the used_copilot_code_review_* flags the field reference lists. Hand-copied, not recorded.
DOC_USER_ROW: dict[str, Any] = {
    "code_acceptance_activity_count": 1,
    "code_generation_activity_count": 1,
    "day": "2025-10-01",
    "enterprise_id": "1",
    "organization_id": "999",
    "loc_added_sum": 8,
    "loc_deleted_sum": 0,
    "loc_suggested_to_add_sum": 10,
    "loc_suggested_to_delete_sum": 0,
    "totals_by_cli": {
        "last_known_cli_version": {"cli_version": "1.0.8", "sampled_at": "2025-10-01T00:01:43.000Z"},
        "prompt_count": 2,
        "request_count": 2,
        "session_count": 2,
        "token_usage": {"avg_tokens_per_request": 4400.0, "output_tokens_sum": 5000, "prompt_tokens_sum": 3800},
    },
    "totals_by_feature": [{
        "code_acceptance_activity_count": 1, "code_generation_activity_count": 1, "feature": "code_completion",
        "loc_added_sum": 8, "loc_deleted_sum": 0, "loc_suggested_to_add_sum": 10, "loc_suggested_to_delete_sum": 0,
        "user_initiated_interaction_count": 0,
    }],
    "totals_by_ide": [{
        "code_acceptance_activity_count": 1, "code_generation_activity_count": 1, "ide": "vscode",
        "loc_added_sum": 8, "loc_deleted_sum": 0, "loc_suggested_to_add_sum": 10, "loc_suggested_to_delete_sum": 0,
        "user_initiated_interaction_count": 0,
    }],
    "totals_by_language_feature": [],
    "totals_by_language_model": [],
    "totals_by_model_feature": [],
    "used_agent": False,
    "used_chat": False,
    "used_cli": True,
    "used_copilot_code_review_active": False,
    "used_copilot_code_review_passive": False,
    "user_id": 1,
    "user_login": "login1",
    "user_initiated_interaction_count": 0,
    "etl_id": "green",
    "day_partition": "2025-10-01",
    "entity_id_partition": 1,
}


def user_row(day: str, user_id: int, login: str, **overrides: Any) -> dict[str, Any]:
    """A per-user row in the documented shape (team-level-metrics.md's alice/bob example fields)."""
    row: dict[str, Any] = {
        "day": day, "user_id": user_id, "user_login": login, "organization_id": "999", "enterprise_id": "13213",
        "user_initiated_interaction_count": 50, "code_generation_activity_count": 40,
        "code_acceptance_activity_count": 12, "loc_suggested_to_add_sum": 200, "loc_suggested_to_delete_sum": 0,
        "loc_added_sum": 88, "loc_deleted_sum": 4, "used_chat": True, "used_agent": True, "used_cli": False,
        "totals_by_feature": [
            {"feature": "code_completion", "loc_added_sum": 60, "loc_suggested_to_add_sum": 200},
            {"feature": "agent_edit", "loc_added_sum": 28, "loc_deleted_sum": 4},
        ],
    }
    row.update(overrides)
    return row


def team_row(day: str, user_id: int, login: str, team_id: int, slug: str) -> dict[str, Any]:
    """A user-teams row (team-level-metrics.md: user_id, user_login, day, organization_id, team_id, slug)."""
    return {"user_id": user_id, "user_login": login, "day": day, "organization_id": "999", "team_id": team_id,
            "slug": slug}


def ndjson(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


@dataclass
class FakeCopilot:
    """Serves ``/orgs/{org}/copilot/metrics/reports/{report}?day=`` and the signed files it links to.

    ``files(report, day)`` returns the NDJSON bodies of that report (one per download link), or ``None``
    for "no report" (HTTP 404). ``expire`` holds link generations that answer 410 (expired signature).
    """

    files: Callable[[str, str], list[str] | None]
    org: str = "acme"
    url: str = ""
    expire_first_links: int = 0  # how many report answers hand out links that are already expired
    report_status: int = 200
    report_calls: list[tuple[str, str]] = field(default_factory=list)
    _generation: int = 0

    def __call__(self, req: Request) -> Reply:
        prefix = f"/orgs/{self.org}/copilot/metrics/reports/"
        if req.path.startswith(prefix):
            if self.report_status != 200:
                return Reply(self.report_status, {"message": "Bad credentials"} if self.report_status == 401 else
                             {"message": "Not Found"})
            report = req.path[len(prefix):]
            day = req.q("day") or ""
            self.report_calls.append((report, day))
            bodies = self.files(report, day)
            if bodies is None:
                return Reply(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
            self._generation += 1
            gen = self._generation
            links = [f"{self.url}/signed/{report}/{day}/{i}.ndjson?sv=2026&gen={gen}&sig=SECRETSIG"
                     for i in range(len(bodies))]
            return Reply(200, {"download_links": links, "report_day": day})
        if req.path.startswith("/signed/"):
            _, _, report, day, name = req.path.split("/")
            gen = int(req.q("gen") or 0)
            if gen <= self.expire_first_links:
                return Reply(410, "<Error><Code>AuthenticationFailed</Code></Error>",
                             headers={"content-type": "application/xml"})
            bodies = self.files(report, day) or []
            return Reply(200, bodies[int(name.split(".")[0])], headers={"content-type": "application/x-ndjson"})
        return Reply(404, {"message": "Not Found"})
