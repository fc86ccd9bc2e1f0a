"""Reports in a real browser: headless Chromium opens them from file:// with the network off.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it). Without it these tests skip
with a loud reason on a laptop, and fail when ``CI`` is set, so CI can never pass without them.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from correlate.commands import _write
from correlate.errors import NotAvailableError
from correlate.store import Store
from tests.browser import visit
from tests.htmlcheck import parse
from tests.reportdata import hostile_monthly, store_truth

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


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


@pytest.mark.parametrize(("paper", "size"), [("A4", (595, 842)), ("Letter", (612, 792))])
def test_pdf_pages_have_the_configured_paper_size(chromium: str, tmp_path: Path, paper: str, size: tuple[int, int]
                                                  ) -> None:
    from dataclasses import replace

    from correlate.html.render import render

    report = replace(hostile_monthly().report, paper=paper)
    data = _write(render("monthly.html.j2", r=report), tmp_path / "m.pdf", "pdf").read_bytes()
    boxes = {tuple(round(float(v)) for v in m) for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]",
                                                                    data)}
    assert boxes == {size}, boxes


@pytest.mark.slow
def test_the_demos_monthly_pdf_has_a_main_body_of_at_most_8_pages_then_the_appendix(chromium: str,
                                                                                     tmp_path: Path) -> None:
    from correlate.demo import DEMO_DEFAULTS as D
    from correlate.demo import generate, load
    from correlate.html.render import render
    from correlate.report.monthly import build_monthly

    end = date(2026, 12, 6)  # the demo as `correlate demo --as-of 2026-12-07` makes it: its defaults, its seed
    org = generate(teams=D.teams, devs=D.devs, days=D.days, seed=D.seed, effect=D.effect,
                   incident_effect=D.incident_effect, end=end)
    with Store.open(tmp_path / "demo.duckdb") as store:
        load(store, org)
        store_truth(store, org, seed=7)
        report = build_monthly(store, org.config, "2026-11", today=end + timedelta(days=1))
    html = render("monthly.html.j2", r=report)
    (tmp_path / "demo.html").write_text(html, encoding="utf-8")
    whole = _pages(_write(html, tmp_path / "demo.pdf", "pdf").read_bytes())
    # the main body alone: the document up to the appendix (which starts on a page of its own)
    body_html = html[:html.index('<section id="appendix"')] + "</body></html>"
    body = _pages(_write(body_html, tmp_path / "body.pdf", "pdf").read_bytes())
    assert 7 <= body <= 8, body  # seven sections, each on a new page; at most one runs over
    assert whole > body  # the appendix comes after it
    # page one answers: a verdict per primary outcome, how sure, what it costs, what to do next
    text = parse(html[:html.index('<section id="adoption"')]).all_text()
    assert text.count("Teams that adopted") + text.count("no detectable change") + text.count("too little") + \
        text.count("does not survive the correction") >= 4
    for part in ("How sure:", "AI spend: $", "What to do next"):
        assert part in text, part
    # the demo's appendix puts what was planted next to what was estimated
    demo = report.appendix.demo if report.appendix else None
    assert demo is not None and demo.rows[0][1] == f"{100 * D.effect:+.0f}%" and "95% CI" in demo.rows[0][2]
    assert 'data-demo="truth"' in html
