"""Exactly once, with real processes: two `summary --send` started together, and a send
killed with SIGKILL mid-delivery then run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from smtp_server import PASSWORD, USERNAME, running
from workbooks import baseline_grids, write_xlsx

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))


@pytest.fixture
def smtp(tmp_path):
    yield from running(tmp_path)


@pytest.fixture
def setup(tmp_path, smtp):
    book = tmp_path / "marketing.xlsx"
    write_xlsx(book, baseline_grids())
    config = tmp_path / "sheetsync.toml"
    config.write_text(
        f"""
[workbook]
path = "marketing.xlsx"
[summary]
to = ["owner@example.com"]
transport = "smtp"
[smtp]
host = "127.0.0.1"
port = {smtp.port}
username = "{USERNAME}"
timeout = 60
[state]
path = "state.db"
"""
    )
    env = {**os.environ, "SSL_CERT_FILE": str(smtp.ca_file), "SHEETSYNC_SMTP_PASSWORD": PASSWORD}
    return config, env


def start(config: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SHEETSYNC, "summary", "--send", "-c", str(config), "--today", "2026-07-01", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_sends_started_together_deliver_one_message(setup, smtp):
    config, env = setup
    smtp.handler.slow_seconds = 1.0
    smtp.handler.faults = ["slow"]  # the first send takes a while: the second must wait, not race
    first, second = start(config, env), start(config, env)
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [process.returncode for process in (first, second)] == [0, 0], [e for _, e in outputs]
    assert len(smtp.handler.messages) == 1
    stdout = "".join(out for out, _ in outputs)
    assert stdout.count("Sent the June 2026 summary to owner@example.com") == 1
    assert stdout.count("The June 2026 summary was already sent to owner@example.com") == 1
    assert stdout.count("Added 2 rows for June 2026 to the History tab.") == 1


def test_a_send_killed_mid_delivery_then_rerun_sends_at_most_one(setup, smtp):
    config, env = setup
    smtp.handler.faults = ["slow"]  # the server holds the DATA reply; the client waits
    victim = start(config, env)
    assert smtp.handler.data_started.wait(60)
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    rerun = start(config, env)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 3
    assert "was interrupted before sheetsync heard whether the mail server took it" in err
    assert len(smtp.handler.messages) <= 1
    forced = start(config, env, "--force")
    out, err = forced.communicate(timeout=120)
    assert forced.returncode == 0, err
    assert "Sent the June 2026 summary" in out
    assert len(smtp.handler.messages) <= 2 and smtp.handler.messages[-1].recipients == [
        "owner@example.com"
    ]


def test_a_delivery_failure_exits_3_with_one_sentence(setup, smtp):
    config, env = setup
    smtp.handler.faults = ["554"]
    failed = start(config, env)
    out, err = failed.communicate(timeout=120)
    assert failed.returncode == 3
    assert err.strip() == (
        f"Error: The mail server 127.0.0.1:{smtp.port} refused the message (554 5.7.1 Message "
        "rejected as spam). Nothing was sent; the next `summary --send` tries again."
    )
