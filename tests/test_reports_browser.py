"""Reports in a real browser: headless Chromium opens them from file:// with the network off.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it). Without it these tests skip
with a loud reason on a laptop, and fail when ``CI`` is set, so CI can never pass without them.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from correlate.commands import _write
from correlate.errors import NotAvailableError
from tests.browser import visit
from tests.reportdata import hostile_monthly

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "headless Chromium is not installed (apt-get install chromium): browser tests NOT RUN"
    if os.environ.get("CI"):
        pytest.fail(reason + " — and CI is set, so this is a failure")
    pytest.skip(reason)


def test_monthly_report_opens_offline_with_no_request_no_console_error_and_no_script(chromium: str) -> None:
    report = hostile_monthly().path
    url = report.resolve().as_uri()
    page = visit(chromium, url)
    assert page.requests == [url]  # the document itself, nothing else
    assert page.errors == []
    assert page.dialogs == []  # no hostile string ran as script
    assert page.title.startswith("AI adoption and delivery")
    assert page.screenshot.startswith(b"\x89PNG")
    report.with_suffix(".png").write_bytes(page.screenshot)
    width = int.from_bytes(page.screenshot[16:20], "big")
    height = int.from_bytes(page.screenshot[20:24], "big")
    assert width >= 1000 and height > 4000  # the whole long report was laid out


def test_pdf_export_starts_each_section_on_a_new_page(chromium: str, tmp_path: Path) -> None:
    rendered = hostile_monthly()
    # `_write` is what `report monthly --format pdf` calls after rendering
    pdf = _write(rendered.html, tmp_path / "monthly.pdf", "pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert 8 <= pages <= 40, pages  # eight sections, each starting a page


def test_pdf_without_chromium_is_a_clear_not_available_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no browser to find
    with pytest.raises(NotAvailableError, match="apt-get install chromium"):
        _write("<p>x</p>", tmp_path / "x.pdf", "pdf")
    assert not (tmp_path / "x.pdf").exists()
