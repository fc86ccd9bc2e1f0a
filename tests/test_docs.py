"""The docs the code, the reports and the README cite exist in the repository, with the section cited.

A reader who follows "see docs/statistics.md §3.J" from a report's method note, or a maintainer who follows a
docstring, must land on that section in their own clone: nothing may point outside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CITING = [*ROOT.glob("correlate/**/*.py"), *ROOT.glob("connectors/**/*.py"), *ROOT.glob("bench/*.py"),
          *ROOT.glob("reports/templates/*"), *ROOT.glob("docs/*.md"), ROOT / "README.md",
          *ROOT.glob("correlate/data/*.toml")]
# "statistics.md §3.J", "``docs/statistics.md`` §2.4 and §3.E", "definitions.md §5.3", "sources.md §1 and §7"
CITATION = re.compile(r"(?:docs/)?(statistics|definitions|sources)\.md`{0,2}((?:,? (?:and )?§[0-9]+(?:\.[0-9A-Z]+)?)+)")


def _citations() -> list[tuple[str, str, str]]:
    found = []
    for path in CITING:
        text = path.read_text(encoding="utf-8")
        for m in CITATION.finditer(text):
            for section in re.findall(r"§([0-9]+(?:\.[0-9A-Z]+)?)", m.group(2)):
                found.append((str(path.relative_to(ROOT)), f"{m.group(1)}.md", section))
    return found


def _has_section(doc: str, section: str) -> bool:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    top, _, sub = section.partition(".")
    if doc == "definitions.md":
        # numbered definitions ("5. **Change failure rate**"); "§5.3" is a point inside definition 5
        return re.search(rf"^{top}\. \*\*", text, re.M) is not None
    chapter = re.search(rf"^## {top}\. .*?(?=^## |\Z)", text, re.M | re.S)
    if chapter is None:
        return False
    if not sub:
        return True
    return re.search(rf"^### (?:{top}\.)?{sub}[. ]", chapter.group(0), re.M) is not None


def test_the_scan_finds_the_citations_it_is_meant_to_check() -> None:
    cited = {(doc, section) for _, doc, section in _citations()}
    assert {("statistics.md", "3.J"), ("statistics.md", "2.4"), ("sources.md", "1")} <= cited


@pytest.mark.parametrize(("where", "doc", "section"), sorted(set(_citations())))
def test_every_cited_section_exists_in_the_repository(where: str, doc: str, section: str) -> None:
    assert (ROOT / "docs" / doc).is_file(), f"{where} cites docs/{doc}, which is not in the repository"
    assert _has_section(doc, section), f"{where} cites {doc} §{section}, which docs/{doc} does not have"


def test_nothing_points_outside_the_repository() -> None:
    sibling = "../" + "shared"  # the reference folder beside a developer's checkout, absent from a user's clone
    outside = [str(p.relative_to(ROOT)) for p in [*CITING, *ROOT.glob("tests/**/*.py")]
               if sibling in p.read_text(encoding="utf-8")]
    assert outside == []


def test_the_section_finder_refuses_sections_that_do_not_exist() -> None:
    assert not _has_section("statistics.md", "3.Z")
    assert not _has_section("statistics.md", "42")
    assert not _has_section("definitions.md", "99")
