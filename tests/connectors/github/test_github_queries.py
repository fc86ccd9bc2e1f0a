"""Every shipped GraphQL query is valid against GitHub's recorded schema and uses no deprecated field."""

from __future__ import annotations

from importlib import resources

import graphql
import pytest
from graphql.validation import NoDeprecatedCustomRule, specified_rules

from connectors.github.graphql import QUERY_NAMES, query_text
from tests.connectors.github.fake_github import SCHEMA_PATH, schema


def test_schema_fixture_is_present() -> None:
    assert SCHEMA_PATH.is_file(), f"{SCHEMA_PATH} is missing: the tests validate queries against it"


def test_every_query_file_is_listed() -> None:
    shipped = {p.name.removesuffix(".graphql")
               for p in resources.files("connectors.github").joinpath("queries").iterdir()
               if p.name.endswith(".graphql")}
    assert shipped == set(QUERY_NAMES)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_validates_against_github_schema(name: str) -> None:
    document = graphql.parse(query_text(name))
    assert graphql.validate(schema(), document) == []
    assert graphql.validate(schema(), document, [*specified_rules, NoDeprecatedCustomRule]) == []


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_reads_the_rate_limit(name: str) -> None:
    document = graphql.parse(query_text(name))
    op = document.definitions[0]
    assert isinstance(op, graphql.OperationDefinitionNode)
    fields = {sel.name.value for sel in op.selection_set.selections if isinstance(sel, graphql.FieldNode)}
    assert "rateLimit" in fields
    assert "cost" in query_text(name) and "resetAt" in query_text(name)


def test_a_broken_query_is_rejected_by_the_same_check() -> None:
    broken = query_text("pull_request_reviews").replace("submittedAt", "submittedWhen")
    assert graphql.validate(schema(), graphql.parse(broken)) != []
