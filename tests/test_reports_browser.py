"""Reports in a real browser: headless Chromium opens them from file:// with the network off.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it). Without it these tests skip
with a loud reason on a laptop, and fail when ``CI`` is set, so CI can never pass without them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from correlate.commands import write_compare, write_monthly
from correlate.config import Config
from correlate.html.pdf import html_to_pdf
from correlate.html.statsview import unavailable
from correlate.store import Store
from tests.browser import visit
from tests.reportdata import HOSTILE, MONTH, build

pytestmark = pytest.mark.browser
NO_STATS = unavailable("the statistics engine (correlate.stats, issue 6) is not part of this build")


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "headless Chromium is not installed (apt-get install chromium): browser tests NOT RUN"
    if os.environ.get("CI"):
        pytest.fail(reason + " — and CI is set, so this is a failure")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def hostile_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, Store, Path]]:
    folder = tmp_path_factory.mktemp("browser")
    config, store_path = build(folder, hostile=True)
    with Store.open(store_path) as store:
        yield config, store, folder


@pytest.fixture(scope="module")
def monthly_html(hostile_org: tuple[Config, Store, Path]) -> Path:
    config, store, folder = hostile_org
    return write_monthly(store, config, MONTH, folder / "monthly.html", org_name=HOSTILE[0], stats=NO_STATS)


def test_monthly_report_opens_offline_with_no_request_no_console_error_and_no_script(
        chromium: str, monthly_html: Path) -> None:
    report, folder = monthly_html, monthly_html.parent
    url = report.resolve().as_uri()
    page = visit(chromium, url)
    assert page.requests == [url]  # the document itself, nothing else
    assert page.errors == []
    assert page.dialogs == []  # no hostile string ran as script
    assert page.title.startswith("AI adoption and delivery")
    assert page.screenshot.startswith(b"\x89PNG")
    shot = folder / "monthly.png"
    shot.write_bytes(page.screenshot)
    width = int.from_bytes(page.screenshot[16:20], "big")
    height = int.from_bytes(page.screenshot[20:24], "big")
    assert width >= 1000 and height > 4000  # the whole long report was laid out


def test_compare_report_prints_to_a_pdf_of_a_few_pages(chromium: str, hostile_org: tuple[Config, Store, Path]) -> None:
    config, store, folder = hostile_org
    teams = ",".join(config.team_names[:2])
    pdf = write_compare(store, config, teams, None, None, folder / "compare.pdf", fmt="pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert 2 <= pages <= 12, pages


def test_monthly_report_pdf_keeps_sections_on_their_own_pages(chromium: str, monthly_html: Path) -> None:
    # the same HTML `write_monthly(..., fmt="pdf")` prints (the compare test covers that path end to end)
    pdf = html_to_pdf(monthly_html.read_text(encoding="utf-8"), monthly_html.with_suffix(".pdf"))
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes()))
    assert 8 <= pages <= 40, pages  # eight sections, each starting a page
