"""``serve-otlp`` checks ``[otel] spool_dir`` before listening: a folder it cannot spool to is a config error."""

from __future__ import annotations

from pathlib import Path

from tests.cli import run_cli, write_config


def test_a_spool_dir_that_is_a_file_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "spool").write_text("not a folder", encoding="utf-8")
    config = write_config(tmp_path, '[otel]\nspool_dir = "spool"\n')
    result = run_cli("serve-otlp", "--port", "0", "--no-grpc", config=config, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ConfigError" in result.stderr and str(config) in result.stderr
    assert "`otel.spool_dir`" in result.stderr and "is a file, not a folder" in result.stderr
    assert "--port" not in result.stderr  # the port was never the problem


def test_a_spool_dir_under_a_file_cannot_be_created_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "spool").write_text("not a folder", encoding="utf-8")
    config = write_config(tmp_path, '[otel]\nspool_dir = "spool/inner"\n')
    result = run_cli("serve-otlp", "--port", "0", "--no-grpc", config=config, timeout=60)
    assert result.returncode == 2
    assert "`otel.spool_dir`" in result.stderr and "cannot be created: Not a directory" in result.stderr
