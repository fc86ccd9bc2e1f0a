"""The built wheel installs and imports correlate, connectors and reports, and finds its templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_all_three_packages_and_their_data(tmp_path: Path) -> None:
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("correlate-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("reports/templates/") and n.endswith("monthly.html.j2") for n in names)
    assert any(n.startswith("correlate/migrations/") and n.endswith(".sql") for n in names)

    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                              str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    probe = (
        "import correlate, connectors, reports, jinja2\n"
        "from correlate.html.render import environment\n"
        "from correlate.store import migrations\n"
        f"assert correlate.__file__.startswith({str(target)!r}), correlate.__file__\n"
        f"assert reports.__file__.startswith({str(target)!r}), reports.__file__\n"
        "environment().get_template('monthly.html.j2')\n"
        "assert migrations()\n"
        "print('ok')\n"
    )
    # run outside the repo so the source tree cannot shadow the installed packages
    run = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
