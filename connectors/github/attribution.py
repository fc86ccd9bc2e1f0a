"""AI attribution evidence in commit messages, PR bodies and author accounts (definitions.md, AI-assisted PRs).

Pure text rules; the PR-level decision (which rule wins, labels, usage data) is made in
``correlate.pr_metrics``. Each rule returns ``(rule, tool)``:

* ``co_author_trailer``: ``Co-Authored-By: Claude <noreply@anthropic.com>`` (Claude Code),
  ``Co-authored-by: Copilot <...>`` (GitHub Copilot), ``Co-authored-by: Cursor Agent <...>``;
* ``generated_with_text``: Claude Code's "🤖 Generated with [Claude Code](...)" line;
* ``tool_trailer``: ``Made-with: Cursor``;
* ``agent_author``: the PR or commit author is an AI agent account (Copilot coding agent, Devin,
  Claude, Codex, Cursor background agents).
"""

from __future__ import annotations

import re

__all__ = ["AGENT_LOGINS", "agent_tool", "text_evidence"]

_TEXT_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^\s*co-authored-by:\s*claude\b", re.I | re.M), "co_author_trailer", "claude_code"),
    (re.compile(r"generated with \[?claude code\b", re.I), "generated_with_text", "claude_code"),
    (re.compile(r"^\s*made-with:\s*cursor\b", re.I | re.M), "tool_trailer", "cursor"),
    (re.compile(r"^\s*co-authored-by:\s*cursor(?:\s*agent)?\b", re.I | re.M), "co_author_trailer", "cursor"),
    (re.compile(r"^\s*co-authored-by:\s*(?:github\s+)?copilot\b", re.I | re.M), "co_author_trailer", "copilot"),
)

# Logins of AI agent accounts (lower case) -> tool. Extend through `bot_logins`-style config in correlate.
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
    """The first AI attribution rule ``text`` matches, as ``(rule, tool)``, or None.

    Examples:
        >>> text_evidence("Fix\\n\\nCo-Authored-By: Claude <noreply@anthropic.com>")
        ('co_author_trailer', 'claude_code')
        >>> text_evidence("plain message") is None
        True
    """
    if not text:
        return None
    for pattern, rule, tool in _TEXT_RULES:
        if pattern.search(text):
            return rule, tool
    return None


def agent_tool(login: str | None) -> str | None:
    """The AI tool an agent account stands for, or None for people and ordinary bots."""
    if not login:
        return None
    return AGENT_LOGINS.get(login.strip().lower())
