"""``correlate doctor``: the path guide, one cheap request per Claude source, a summary, and no key in output.

Servers on 127.0.0.1 answer with hand-built pages in the documented shapes (sources.md §1-2).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from correlate import console as console_module
from correlate import doctor
from tests.claude_pages import cc_page, cc_row, ent_page, ent_user, latest_day_400
from tests.cli import run_cli, write_config
from tests.httpserver import Reply, Request, serve

ADMIN_ENV, ANALYTICS_ENV = "DOC_TEST_ADMIN_KEY", "DOC_TEST_ANALYTICS_KEY"
ADMIN_KEY = "sk-ant-admin01-DOCTOR-FAKE-91f3"
ANALYTICS_KEY = "sk-ant-api01-FAKE-DOCTOR-5e2a"
AUTH_401 = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    """Wide enough that table cells do not fold mid-phrase in captured output."""
    con = console_module.console
    old = con._width
    con.width = 400
    yield
    con._width = old


def config_with(tmp_path: Path, cc_url: str | None = None, ent_url: str | None = None, github: bool = False) -> Path:
    text = ""
    if cc_url:
        text += f'\n[sources.claude_code]\nbase_url = "{cc_url}"\napi_key_env = "{ADMIN_ENV}"\n'
    if ent_url:
        text += f'\n[sources.claude_enterprise]\nbase_url = "{ent_url}"\napi_key_env = "{ANALYTICS_ENV}"\n'
    if github:
        text += '\n[sources.github]\nrepos = ["acme/api"]\n'
    return write_config(tmp_path, text)


def cc_ok(req: Request) -> Reply:
    return Reply(200, cc_page([cc_row(date.fromisoformat(req.q("starting_at") or ""))]))


def test_without_a_config_it_explains_every_path_and_checks_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doctor.run(tmp_path / "absent.toml")
    out = capsys.readouterr().out
    for phrase in ("Claude Code Analytics API", "Enterprise Analytics API", "OpenTelemetry", "Local transcripts",
                   "Admin API key", "read:analytics", "Bedrock", "No admin access", "[sources.claude_code]",
                   "[sources.claude_enterprise]", "[otel]"):
        assert phrase in out
    assert "no source is configured" in out
    assert "doctor: 0 source(s) checked" in out and "not found" in out
    flat = " ".join(out.split())  # the table wraps long cells
    assert "OTLP/gRPC on port 4317, OTLP/HTTP on 4318" in flat and "OTEL_EXPORTER_OTLP_PROTOCOL=grpc" in flat


def test_each_configured_claude_source_gets_one_cheap_request(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ADMIN_ENV, ADMIN_KEY)
    monkeypatch.setenv(ANALYTICS_ENV, ANALYTICS_KEY)
    with serve(cc_ok) as cc, serve(lambda req: Reply(400, latest_day_400("2026-11-20"))) as ent:
        doctor.run(config_with(tmp_path, cc.url, ent.url, github=True))

    assert len(cc.requests) == 1 and cc.requests[0].q("limit") == "1"
    assert len(ent.requests) == 1 and ent.requests[0].path.endswith("/analytics/users")
    out = capsys.readouterr().out
    assert "key accepted; usage reported for" in out
    assert "[sources.claude_code] (configured)" in out and "[sources.claude_enterprise] (configured)" in out
    assert "latest available day: 2026-11-20" in out
    assert "[sources.github] present; not checked by doctor" in out
    assert "doctor: 2 source(s) checked, 2 working, 0 failing; 1 more configured but not checked here" in out
    assert ADMIN_KEY not in out and ANALYTICS_KEY not in out


def test_an_empty_analytics_api_answer_warns_about_subscription_users(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ADMIN_ENV, ADMIN_KEY)
    with serve(lambda req: Reply(200, cc_page([]))) as cc:
        doctor.run(config_with(tmp_path, cc.url))
    out = capsys.readouterr().out
    assert "no Claude Code usage reported" in out and "Enterprise API or OpenTelemetry" in out


def test_a_missing_key_variable_fails_with_exit_2_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(cc_ok) as cc, pytest.raises(doctor.KeyProblemError) as info:
        doctor.run(config_with(tmp_path, cc.url))
    assert info.value.exit_code == 2 and cc.requests == []
    assert f"${ADMIN_ENV} is not set" in capsys.readouterr().out


def test_an_admin_key_given_to_the_enterprise_api_is_called_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ANALYTICS_ENV, ADMIN_KEY)
    with serve(lambda req: Reply(403, AUTH_401)) as ent, pytest.raises(doctor.KeyProblemError):
        doctor.run(config_with(tmp_path, ent_url=ent.url))
    out = capsys.readouterr().out
    assert "Console Admin key" in out and "read:analytics" in out and ADMIN_KEY not in out


def test_enterprise_users_endpoint_served_is_ok(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ANALYTICS_ENV, ANALYTICS_KEY)
    with serve(lambda req: Reply(200, ent_page([ent_user("a@x.io")]))) as ent:
        doctor.run(config_with(tmp_path, ent_url=ent.url))
    assert "is available" in capsys.readouterr().out


def test_cli_doctor_with_a_refused_key_exits_2_and_never_prints_it(tmp_path: Path) -> None:
    with serve(lambda req: Reply(401, AUTH_401)) as cc:
        result = run_cli("doctor", config=config_with(tmp_path, cc.url), secrets={ADMIN_ENV: ADMIN_KEY})

    assert result.returncode == 2, result.stderr
    assert ADMIN_ENV in result.stdout and "fail" in result.stdout
    assert "KeyProblemError" in result.stderr
    assert ADMIN_KEY not in result.stdout + result.stderr
    assert cc.requests[0].headers["x-api-key"] == ADMIN_KEY
