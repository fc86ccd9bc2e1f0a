"""Hostile GitHub GraphQL nodes: a pull-request node with fields missing or of the wrong type maps to
storable records (pull request, reviews, commits, activity) or raises a ``PayloadError`` that names the
field and the pull request; never another exception.

The node is HAND-BUILT in the shape ``connectors/github/queries/pull_requests.graphql`` asks for (the
``PullRequestFields`` fragment), then damaged at any depth. Nested connections keep ``hasNextPage``
false: paging through them needs GitHub and is tested against the fake server in tests/connectors/github.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import PayloadError
from connectors.github.pulls import PullRequestPage, _add_pull
from tests.robustness.damage import assert_storable, damaged, json_values

REPO = "acme/api"
ACTOR = {"login": "ada", "__typename": "User"}
DONE = {"hasNextPage": False, "endCursor": None}
NODE: dict[str, Any] = {
    "number": 42, "title": "Add retries", "state": "MERGED", "isDraft": False,
    "createdAt": "2026-03-02T09:00:00Z", "updatedAt": "2026-03-03T10:00:00Z", "mergedAt": "2026-03-03T09:00:00Z",
    "closedAt": "2026-03-03T09:00:00Z", "additions": 120, "deletions": 30, "changedFiles": 4,
    "baseRefName": "main", "headRefName": "retries", "headRefOid": "abc1234def", "body": "Co-authored by Claude",
    "mergeCommit": {"oid": "fed4321cba"}, "author": ACTOR,
    "labels": {"nodes": [{"name": "backend"}, {"name": "ai"}]},
    "timelineItems": {"nodes": [{"__typename": "ReadyForReviewEvent", "createdAt": "2026-03-02T09:30:00Z"}]},
    "reviews": {"pageInfo": DONE, "nodes": [
        {"fullDatabaseId": "1001", "state": "APPROVED", "submittedAt": "2026-03-02T12:00:00Z",
         "author": {"login": "bob", "__typename": "User"}}]},
    "commits": {"pageInfo": DONE, "nodes": [
        {"commit": {"oid": "abc1234def", "authoredDate": "2026-03-02T08:00:00Z",
                    "message": "Retry\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
                    "author": {"user": {"login": "ada"}}}}]},
    "comments": {"pageInfo": DONE, "nodes": [{"createdAt": "2026-03-02T11:00:00Z",
                                              "author": {"login": "copilot", "__typename": "Bot"}}]},
    "files": {"pageInfo": DONE, "nodes": [{"path": "src/retry.py", "additions": 100, "deletions": 20},
                                          {"path": "poetry.lock", "additions": 20, "deletions": 10}]},
}
github_values = st.one_of(json_values, st.sampled_from([
    2**63, -1, "not a time", "9999-12-31T23:59:59-05:00", "2026-03-02", "", "User", "Bot", True]))


def _keep_paging_off(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("hasNextPage"):
            node["hasNextPage"] = False
        for v in node.values():
            _keep_paging_off(v)
    elif isinstance(node, list):
        for v in node:
            _keep_paging_off(v)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(damaged(NODE, github_values, max_damage=3))
def test_pull_request_nodes_map_or_name_the_field(case: tuple[dict[str, Any], list[str]]) -> None:
    node, names = case
    _keep_paging_off(node)
    page = PullRequestPage(repo=REPO)
    try:
        _add_pull(None, page, node, owner="acme", name="api", token_env="GITHUB_TOKEN",  # type: ignore[arg-type]
                  generated_paths=["*.lock"])
    except PayloadError as exc:
        message = str(exc)
        if "has no usable number" in message:
            assert "number" in names, message
            return
        assert f"{REPO}#{node['number']}" in message, message
        assert any(n in message for n in names), (message, names)
        return
    for record in [*page.pulls, *page.reviews, *page.commits]:
        assert_storable(record)
    for a in page.activity:
        assert all(v is None or isinstance(v, str) for v in (a.author, a.author_type, a.state)), a


@pytest.mark.parametrize(("field", "value"), [("author", "ada"), ("labels", {"nodes": [5]}), ("additions", 2**63),
                                              ("createdAt", "9999-12-31T23:59:59-05:00"), ("isDraft", "no"),
                                              ("commits", {"nodes": [{"commit": {"oid": 5}}]})])
def test_a_node_field_of_the_wrong_type_names_field_and_pull_request(field: str, value: Any) -> None:
    # each raised AttributeError/TypeError/OverflowError, or reached the record as it was
    with pytest.raises(PayloadError, match=rf"{field}.*{REPO}#42"):
        _add_pull(None, PullRequestPage(repo=REPO), {**NODE, field: value}, owner="acme",  # type: ignore[arg-type]
                  name="api", token_env="GITHUB_TOKEN", generated_paths=[])


@pytest.mark.parametrize("number", [2**63, 0, True, "42", None])
def test_a_node_without_a_usable_number_is_a_payload_error(number: Any) -> None:
    with pytest.raises(PayloadError, match="has no usable number"):
        _add_pull(None, PullRequestPage(repo=REPO), {**NODE, "number": number}, owner="acme",  # type: ignore[arg-type]
                  name="api", token_env="GITHUB_TOKEN", generated_paths=[])
