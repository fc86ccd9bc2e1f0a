"""``[report] organisation`` names the organisation on every report; without it they say "Your organisation"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from correlate.commands import write_compare, write_monthly
from correlate.config import Config, from_mapping
from correlate.store import Store
from tests.reportdata import MONTH, NO_STATS, build


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, Store]]:
    config, store_path = build(tmp_path_factory.mktemp("organisation"))
    with Store.open(store_path, read_only=True) as store:
        yield config, store


def named(config: Config, organisation: str) -> Config:
    data = config.root.model_dump(mode="json", exclude_none=True, by_alias=True)
    data["report"]["organisation"] = organisation
    return from_mapping(data, path=None)


def header(html: str) -> str:
    return html.split("<p>", 1)[1].split("·", 1)[0].strip()


def test_the_monthly_report_names_the_configured_organisation(org: tuple[Config, Store], tmp_path: Path) -> None:
    config, store = org
    plain = write_monthly(store, config, MONTH, tmp_path / "plain.html", stats=NO_STATS).read_text(encoding="utf-8")
    acme = write_monthly(store, named(config, "Acme & Co"), MONTH, tmp_path / "acme.html",
                         stats=NO_STATS).read_text(encoding="utf-8")
    assert header(plain) == "Your organisation"
    assert header(acme) == "Acme &amp; Co"  # printed, and escaped like any configured text
    assert "Your organisation" not in acme


def test_the_team_comparison_names_the_configured_organisation(org: tuple[Config, Store], tmp_path: Path) -> None:
    config, store = org
    teams = ",".join(config.team_names[:2])
    acme = write_compare(store, named(config, "Acme"), teams, None, None, tmp_path / "c.html").read_text(
        encoding="utf-8")
    assert header(acme) == "Acme"
    assert "Your organisation" not in acme
