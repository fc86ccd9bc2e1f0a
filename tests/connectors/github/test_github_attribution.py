"""AI attribution evidence in commit messages, PR bodies (the shared rules) and agent author accounts."""

from __future__ import annotations

import pytest

from connectors.github.attribution import agent_tool, text_evidence


@pytest.mark.parametrize(("text", "expected"), [
    ("Fix bug\n\nCo-Authored-By: Claude <noreply@anthropic.com>", ("co_author_claude", "claude_code")),
    ("Summary\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)", ("generated_with_claude_code",
                                                                                    "claude_code")),
    ("Refactor\n\nMade-with: Cursor", ("made_with_cursor", "cursor")),
    ("Tweak\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>", ("co_author_cursor", "cursor")),
    ("Add\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", ("co_author_copilot", "copilot")),
])
def test_tool_trailers_and_text_are_recognised(text: str, expected: tuple[str, str]) -> None:
    assert text_evidence(text) == expected


@pytest.mark.parametrize("text", [
    None, "", "Co-authored-by: Claudia Schmidt <c@example.com>", "We discussed Claude Code in the retro",
    "Fix: co-authored-by: claude appears mid-line, not as a trailer",
])
def test_people_and_mentions_are_not_evidence(text: str | None) -> None:
    assert text_evidence(text) is None


def test_agent_accounts_map_to_their_tool_and_people_do_not() -> None:
    assert agent_tool("Copilot") == "copilot"
    assert agent_tool("devin-ai-integration[bot]") == "devin"
    assert agent_tool("dependabot[bot]") is None
    assert agent_tool("ann") is None
    assert agent_tool(None) is None
