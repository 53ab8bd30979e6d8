"""The worker's log lines: what a person reads, what a log tool parses, and no secrets."""

from __future__ import annotations

import json
import logging

from sheetsync.config import validate_settings
from sheetsync.runlog import RunLine, open_log

OK = RunLine("bakery", "sync", "ok", 1.234, requests=3, cells_written=12, errors=1, warnings=0)
FAILED = RunLine("florist", "sync", "failed", 0.05, detail="florist.xlsx was not found.")


def logged(capsys, log_format: str, *lines: RunLine, settings=None) -> list[str]:
    log = open_log(log_format, settings or validate_settings({}))
    for line in lines:
        log.info("run", extra={"run": line})
    return capsys.readouterr().err.splitlines()


def test_one_human_line_per_run(capsys):
    ok, failed = logged(capsys, "text", OK, FAILED)
    assert ok.endswith(
        " UTC bakery: sync ok in 1.2 s (12 cells written, 3 requests, 1 error, 0 warnings)"
    )
    assert failed.endswith(" UTC florist: sync failed in 0.1 s (florist.xlsx was not found.)")


def test_json_lines_for_log_tools(capsys):
    (line,) = logged(capsys, "json", OK)
    parsed = json.loads(line)
    assert parsed["event"] == "run" and parsed["level"] == "info"
    assert {key: parsed[key] for key in ("workbook", "job", "outcome", "cells_written")} == {
        "workbook": "bakery",
        "job": "sync",
        "outcome": "ok",
        "cells_written": 12,
    }
    assert parsed["seconds"] == 1.234 and parsed["time"].endswith("+00:00")


def test_secrets_never_reach_the_log(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", "hunter2-correct-horse")
    private_key = (
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
    )
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps({"type": "service_account", "private_key": private_key}))
    settings = validate_settings({"google": {"credentials": str(key_file)}})
    leaky = RunLine(
        "bakery",
        "summary",
        "failed",
        0.1,
        detail=f"login hunter2-correct-horse refused; key {private_key} {json.dumps(private_key)}",
    )
    for log_format in ("text", "json"):
        (line,) = logged(capsys, log_format, leaky, settings=settings)
        assert "hunter2" not in line and "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in line
        assert "[redacted]" in line
    logging.getLogger("sheetsync.worker").handlers.clear()
