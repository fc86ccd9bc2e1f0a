"""How each AI coding tool's own fields map onto the shared usage columns, as data.

The report's method notes print :data:`MAPPINGS` (one table per tool) and ``docs/tools.md`` is
generated from it (:func:`as_markdown`; a test keeps the two identical). Every tool has exactly one
row per shared column in :data:`SHARED_COLUMNS`; a row whose ``source_field`` is ``None`` is a column
the tool does not report, which stays empty (NULL) in the store, never 0.

Field names are the vendors' documented ones (docs/sources.md §1 and §7). The Claude Code
rows describe the Analytics API ingest, aggregated to one row per actor and day.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAPPINGS", "SHARED_COLUMNS", "TOOLS", "MappingRow", "as_markdown", "mapping_for"]


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One shared column of one tool: the source field(s) it comes from and how."""

    tool: str
    column: str
    source_field: str | None  # None: the tool does not report it; the column stays empty
    note: str


# "active_user" is not a column but the rule that puts a row in the table (a row = active that day).
SHARED_COLUMNS: tuple[str, ...] = (
    "active_user", "actor", "sessions", "requests", "active_seconds", "lines_added", "lines_removed",
    "lines_suggested", "lines_accepted", "commits", "prs", "edit_accepted", "edit_rejected", "tokens_input",
    "tokens_output", "tokens_cache_read", "tokens_cache_creation", "cost_usd", "cost_provenance", "extra_json",
)
TOOLS: tuple[str, ...] = ("claude_code", "copilot", "cursor")

_NA = "not reported by this tool; stays empty"
_ROWS: tuple[tuple[str, str, str | None, str], ...] = (
    # -- Claude Code: Analytics API usage_report/claude_code (sources.md §1) -------------------------------
    ("claude_code", "active_user", "a record for the actor and day", "the API returns only actors with activity"),
    ("claude_code", "actor", "actor.email_address | actor.api_key_name",
     "user_actor by email; api_actor by key name (actor_type = api_key)"),
    ("claude_code", "sessions", "core_metrics.num_sessions", "summed over the actor's rows of the day"),
    ("claude_code", "requests", None, _NA),
    ("claude_code", "active_seconds", None, "not in the Analytics API (OpenTelemetry has active time)"),
    ("claude_code", "lines_added", "core_metrics.lines_of_code.added", "lines Claude Code added, all files"),
    ("claude_code", "lines_removed", "core_metrics.lines_of_code.removed", ""),
    ("claude_code", "lines_suggested", None, "Claude Code edits are proposals accepted or rejected as a whole"),
    ("claude_code", "lines_accepted", None, _NA),
    ("claude_code", "commits", "core_metrics.commits_by_claude_code", ""),
    ("claude_code", "prs", "core_metrics.pull_requests_by_claude_code", ""),
    ("claude_code", "edit_accepted", "Σ tool_actions.*.accepted", "edit, multi-edit, write, notebook-edit tools"),
    ("claude_code", "edit_rejected", "Σ tool_actions.*.rejected", ""),
    ("claude_code", "tokens_input", "Σ model_breakdown[].tokens.input", ""),
    ("claude_code", "tokens_output", "Σ model_breakdown[].tokens.output", ""),
    ("claude_code", "tokens_cache_read", "Σ model_breakdown[].tokens.cache_read", ""),
    ("claude_code", "tokens_cache_creation", "Σ model_breakdown[].tokens.cache_creation", "no 5m/1h split"),
    ("claude_code", "cost_usd", "Σ model_breakdown[].estimated_cost.amount ÷ 100",
     "US cents at list price, not the invoice"),
    ("claude_code", "cost_provenance", "'estimated'", "subscription seats are a flat fee (see customer_type)"),
    ("claude_code", "extra_json", "terminal_type, is_remote, subscription_type …", "fields with no shared column"),
    # -- GitHub Copilot: usage metrics users-1-day report, API 2026-03-10 (sources.md §7) -------------------
    ("copilot", "active_user", "a users-1-day row for the user and day", "GitHub lists users with activity"),
    ("copilot", "actor", "user_login", "GitHub login (user_id kept in extra_json)"),
    ("copilot", "sessions", None, "IDE sessions are not reported; CLI sessions are in extra_json (totals_by_cli)"),
    ("copilot", "requests", "user_initiated_interaction_count + totals_by_cli.prompt_count",
     "explicit prompts in the IDE plus CLI prompts; GitHub counts the two apart, so no double count"),
    ("copilot", "active_seconds", None, _NA),
    ("copilot", "lines_added", "loc_added_sum", "accepted completions, applied blocks and agent/edit-mode edits"),
    ("copilot", "lines_removed", "loc_deleted_sum", "currently agent edits only"),
    ("copilot", "lines_suggested", "loc_suggested_to_add_sum", "excludes agent edits"),
    ("copilot", "lines_accepted", "Σ totals_by_feature[feature ≠ agent_edit].loc_added_sum",
     "agent edits were never suggested, so they are left out to keep accepted ÷ suggested a rate; "
     "empty without the per-feature breakdown"),
    ("copilot", "commits", None, _NA),
    ("copilot", "prs", None, "per-user PR counts are not in the users report"),
    ("copilot", "edit_accepted", "code_acceptance_activity_count", "accept, apply, insert and copy actions"),
    ("copilot", "edit_rejected", None,
     "not reported; generations not accepted (code_generation_activity_count in extra_json) are not rejections"),
    ("copilot", "tokens_input", "totals_by_cli.token_usage.prompt_tokens_sum", "CLI only; IDE tokens are not reported"),
    ("copilot", "tokens_output", "totals_by_cli.token_usage.output_tokens_sum", "CLI only"),
    ("copilot", "tokens_cache_read", None, _NA),
    ("copilot", "tokens_cache_creation", None, _NA),
    ("copilot", "cost_usd", "[sources.copilot] seat_cost_usd_per_month ÷ days in the month",
     "the seat's daily share on each active day when the price is configured; otherwise empty"),
    ("copilot", "cost_provenance", "'seat' | 'unknown'", "the usage API carries no billing"),
    ("copilot", "extra_json", "every other field of the row, verbatim",
     "used_chat/agent/cli, code review flags, totals_by_ide/feature/language/model, totals_by_cli"),
    # -- Cursor: Admin API daily-usage-data + filtered-usage-events (sources.md §7) -------------------------
    ("cursor", "active_user", "a daily-usage-data row with isActive", "inactive member-days are not stored"),
    ("cursor", "actor", "email", "daily rows; usage events join on userEmail"),
    ("cursor", "sessions", None, _NA),
    ("cursor", "requests", "composerRequests + chatRequests + agentRequests + cmdkUsages",
     "requests by kind; the billing split (subscriptionIncludedReqs, usageBasedReqs, apiKeyReqs) is in extra_json"),
    ("cursor", "active_seconds", None, _NA),
    ("cursor", "lines_added", "totalLinesAdded", ""),
    ("cursor", "lines_removed", "totalLinesDeleted", ""),
    ("cursor", "lines_suggested", None, "suggested lines are not reported (Tab counts are in extra_json)"),
    ("cursor", "lines_accepted", "acceptedLinesAdded", "lines added from accepted AI suggestions"),
    ("cursor", "commits", None, _NA),
    ("cursor", "prs", None, _NA),
    ("cursor", "edit_accepted", "totalAccepts", "applies are totalApplies in extra_json"),
    ("cursor", "edit_rejected", "totalRejects", ""),
    ("cursor", "tokens_input", "Σ usageEvents[].tokenUsage.inputTokens",
     "token-billed events only; empty when the plan bills by request"),
    ("cursor", "tokens_output", "Σ usageEvents[].tokenUsage.outputTokens", "as above"),
    ("cursor", "tokens_cache_read", "Σ usageEvents[].tokenUsage.cacheReadTokens", "as above"),
    ("cursor", "tokens_cache_creation", "Σ usageEvents[].tokenUsage.cacheWriteTokens", "as above"),
    ("cursor", "cost_usd", "Σ (tokenUsage.totalCents + cursorTokenFee) ÷ 100, + configured seat share",
     "billed usage from events; plus seat_cost_usd_per_month ÷ days in the month when configured"),
    ("cursor", "cost_provenance", "'billed' | 'seat' | 'billed+seat' | 'unknown'", "which parts the cost holds"),
    ("cursor", "extra_json", "every other daily field, verbatim; usage_events, usage_event_request_units",
     "isActive, tabs shown/accepted, applies, requests by billing kind, mostUsedModel, clientVersion …"),
)

MAPPINGS: tuple[MappingRow, ...] = tuple(MappingRow(*row) for row in _ROWS)


def mapping_for(tool: str) -> list[MappingRow]:
    """The rows of one tool, in :data:`SHARED_COLUMNS` order."""
    rows = {r.column: r for r in MAPPINGS if r.tool == tool}
    return [rows[c] for c in SHARED_COLUMNS if c in rows]


_TITLES = {"claude_code": "Claude Code (Analytics API)", "copilot": "GitHub Copilot (usage metrics reports)",
           "cursor": "Cursor (Admin API)"}


def as_markdown() -> str:
    """``docs/tools.md``: the intro and one table per tool (regenerate with ``python -m correlate.tool_mapping``)."""
    out = [
        "# AI tools on shared columns",
        "",
        "<!-- Generated from correlate/tool_mapping.py by `python -m correlate.tool_mapping > docs/tools.md`;",
        "     tests/test_tool_mapping.py fails when the two differ. Edit the Python, not this file. -->",
        "",
        "Every tool's daily usage lands in `ai_usage_daily` (and tokens/cost by model in `ai_usage_model_daily`)",
        "with a `tool` column. A column a tool does not report stays empty, never 0: an empty cell means",
        "\"unknown\", and comparisons between tools use only the columns both report. Cost carries its",
        "provenance: `billed` (the vendor's charge), `estimated` (list price), `discounted` (list price less",
        "your discounts, before usage credits: the Claude Enterprise Analytics API's `amount`; not the invoice),",
        "`derived` (tokens × the price table), `seat` (a configured flat fee spread over the days of the month,",
        "on active days), or `unknown` (empty cost).",
        "",
        "Copilot's `user-teams-1-day` report is stored as `copilot_user_teams` (day, user, GitHub team slug).",
        "GitHub leaves out teams with fewer than five Copilot-seated users, and a user in two teams appears",
        "in both, so team sums from it double-count such users.",
        "",
        "## Configuration",
        "",
        "```toml",
        "[sources.copilot]            # correlate sync --source copilot",
        "org = \"acme\"                 # or: enterprise = \"acme-inc\" (exactly one)",
        "token_env = \"GITHUB_TOKEN\"   # classic: read:org (org) / manage_billing:copilot or read:enterprise;",
        "                             # fine-grained: \"Copilot metrics\" read;",
        "                             # the org's \"Copilot usage metrics\" policy must be enabled.",
        "seat_cost_usd_per_month = 19 # optional: cost_usd becomes the seat's daily share (provenance seat)",
        "backfill_days = 90           # first sync; reports exist from 2025-10-10, at most a year back",
        "",
        "[sources.cursor]             # correlate sync --source cursor",
        "api_key_env = \"CURSOR_API_KEY\" # a team admin's Admin API key (Basic auth, key as user name)",
        "seat_cost_usd_per_month = 40 # optional: added to billed usage as the seat's daily share",
        "backfill_days = 90",
        "```",
        "",
        "Copilot is fetched one UTC day at a time (two reports per day, each a signed NDJSON download), up to",
        "yesterday; Cursor in windows of at most 30 days, at most 20 requests a minute (the sync waits, with a",
        "countdown, rather than be refused). Each re-sync fetches the last two stored days again.",
    ]
    for tool in TOOLS:
        out += ["", f"## {_TITLES[tool]} — `tool = \"{tool}\"`", "",
                "| shared column | source field | note |", "|---|---|---|"]
        for row in mapping_for(tool):
            # GitHub-flavoured tables split cells on "|", even inside code spans, unless escaped
            field = f"`{row.source_field}`".replace("|", "\\|") if row.source_field else "— (empty)"
            note = row.note.replace("|", "\\|")
            out.append(f"| `{row.column}` | {field} | {note} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(as_markdown(), end="")
