"""Which AI tool a commit message or PR body names (connectors/ai_attribution.py). The trailers are the
forms each tool writes (Claude Code's commit footer, Cursor's trailer and agent, Copilot's coding agent)."""

from __future__ import annotations

import pytest

from connectors.ai_attribution import detect_ai_tool


@pytest.mark.parametrize("text, expected", [
    ("Fix flaky test\n\nCo-Authored-By: Claude <noreply@anthropic.com>", ("claude_code", "co_author_claude")),
    ("Refactor\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>", ("claude_code", "co_author_claude")),
    ("Add endpoint\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)",
     ("claude_code", "generated_with_claude_code")),
    ("Tidy imports\n\nMade-with: Cursor", ("cursor", "made_with_cursor")),
    ("Tidy imports\n\nmade-with: cursor\n", ("cursor", "made_with_cursor")),
    ("Implement cache\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>", ("cursor", "co_author_cursor")),
    ("Fix bug\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
     ("copilot", "co_author_copilot")),
    ("Fix bug\n\nCo-authored-by: copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>",
     ("copilot", "co_author_copilot")),
])
def test_each_tools_own_trailer_is_recognised(text: str, expected: tuple[str, str]) -> None:
    assert detect_ai_tool([text]) == expected


@pytest.mark.parametrize("text", [
    "Paint water lilies\n\nCo-authored-by: Claude Monet <claude@monet.fr>",  # a human called Claude
    "Co-authored-by: Copilot Jones <pilot@airline.example>",  # a human whose name starts with Copilot
    "We evaluated Cursor and made-with: Cursor is the trailer it writes",  # mentioned mid-line, not a trailer
    "Mention of Claude Code and GitHub Copilot in prose",
    "",
])
def test_prose_and_humans_with_tool_names_are_not_attribution(text: str) -> None:
    assert detect_ai_tool([text]) is None


def test_the_first_text_with_a_match_wins_and_within_it_the_earliest_trailer() -> None:
    pr_body = "Summary\n\nMade-with: Cursor\nCo-Authored-By: Claude <noreply@anthropic.com>"
    commit = "wip\n\nCo-authored-by: Copilot <1+Copilot@users.noreply.github.com>"
    assert detect_ai_tool([None, "plain", pr_body, commit]) == ("cursor", "made_with_cursor")
    assert detect_ai_tool([commit, pr_body]) == ("copilot", "co_author_copilot")
    assert detect_ai_tool([]) is None
