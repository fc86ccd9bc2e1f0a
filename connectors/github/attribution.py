"""AI attribution evidence for GitHub PRs: tool trailers in text, and AI agent author accounts.

Text rules are the project's one set, :func:`connectors.ai_attribution.detect_ai_tool` (Claude Code
co-author trailer or "Generated with Claude Code" line, ``Made-with: Cursor``, Cursor and Copilot
co-authors). This module adds the agent accounts (rule ``agent_author``). The PR-level decision
(which rule wins, labels, usage data) is made in ``correlate.pr_metrics``.
"""

from __future__ import annotations

from connectors.ai_attribution import detect_ai_tool

__all__ = ["AGENT_LOGINS", "agent_tool", "text_evidence"]

# Logins of AI agent accounts (lower case) -> tool.
AGENT_LOGINS: dict[str, str] = {
    "copilot": "copilot",
    "copilot-swe-agent": "copilot",
    "copilot-swe-agent[bot]": "copilot",
    "claude": "claude_code",
    "claude[bot]": "claude_code",
    "devin-ai-integration[bot]": "devin",
    "chatgpt-codex-connector[bot]": "codex",
    "codex[bot]": "codex",
    "cursor[bot]": "cursor",
    "cursoragent": "cursor",
}


def text_evidence(text: str | None) -> tuple[str, str] | None:
    """The AI attribution rule ``text`` matches, as ``(rule, tool)``, or None.

    Examples:
        >>> text_evidence("Fix\\n\\nCo-Authored-By: Claude <noreply@anthropic.com>")
        ('co_author_claude', 'claude_code')
        >>> text_evidence("plain message") is None
        True
    """
    found = detect_ai_tool([text])
    return (found[1], found[0]) if found else None


def agent_tool(login: str | None) -> str | None:
    """The AI tool an agent account stands for, or None for people and ordinary bots."""
    if not login:
        return None
    return AGENT_LOGINS.get(login.strip().lower())
