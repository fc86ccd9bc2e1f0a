"""PDF export through headless Chromium's print-to-PDF.

Why Chromium: the report is one self-contained HTML file with inline SVG and print CSS; the
browser that opens the attachment is the one that should lay it out for paper too. No Python
dependency is added; the Debian ``chromium`` package (``.ci/run`` installs it) or any
Chromium/Chrome binary on PATH works, or name one in ``CORRELATE_CHROMIUM``.

Chromium runs with the network disabled (no background networking, component updates, sync or
QUIC) and a fresh profile that is deleted afterwards. The report's CSP forbids every load anyway.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from correlate.errors import NotAvailableError

__all__ = ["CHROMIUM_FLAGS", "find_chromium", "html_to_pdf"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio",
)


def find_chromium() -> str:
    """The Chromium binary to use: ``$CORRELATE_CHROMIUM`` or the first candidate on PATH.

    Raises:
        NotAvailableError: none found; the message says how to install one.
    """
    named = os.environ.get("CORRELATE_CHROMIUM", "").strip()
    if named:
        found = shutil.which(named)
        if not found:
            raise NotAvailableError(f"CORRELATE_CHROMIUM names {named!r}, which is not an executable on PATH.")
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise NotAvailableError(
        "--format pdf needs headless Chromium, and none was found on PATH (tried "
        f"{', '.join(CANDIDATES)}). Install it (Debian/Ubuntu: `apt-get install chromium`; macOS: install Google "
        "Chrome and set CORRELATE_CHROMIUM to its binary), or write HTML with --format html and print it from a "
        "browser.")


def html_to_pdf(html: str, out: Path, *, timeout: float = 120.0) -> Path:
    """Print ``html`` to ``out`` as PDF with headless Chromium (page size from the report's print CSS).

    Raises:
        NotAvailableError: no Chromium, or Chromium failed (its last output lines are in the message).
    """
    binary = find_chromium()
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="correlate-pdf-") as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
               f"--print-to-pdf={target}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise NotAvailableError(f"Chromium ({binary}) did not finish printing the PDF within {timeout:.0f}s.") \
                from None
        if proc.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            tail = "\n".join((proc.stderr or proc.stdout or "").strip().splitlines()[-5:])
            raise NotAvailableError(f"Chromium ({binary}) could not print the PDF (exit {proc.returncode}): {tail}")
        shutil.move(str(target), out)
    return out
