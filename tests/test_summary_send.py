"""Sending the summary over a real SMTP server (aiosmtpd, STARTTLS, AUTH) and to the outbox:
the message, its MIME tree and headers, every failure's sentence, and exactly-once."""

from __future__ import annotations

import datetime as dt
import email
import re
import threading
import time
from email import policy
from pathlib import Path

import pytest
from smtp_server import PASSWORD, USERNAME, SmtpServer, running
from workbooks import baseline

from sheetsync import api
from sheetsync.config import validate_settings
from sheetsync.errors import ConfigError, DeliveryFailed
from sheetsync.state import StateStore, state_path

D = dt.date
TODAY = D(2026, 7, 1)


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "test-ca.pem"))
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", PASSWORD)
    yield from running(tmp_path)


def smtp_settings(server: SmtpServer, **smtp):
    return validate_settings(
        {
            "summary": {
                "to": ["Owner <owner@example.com>", "coach@example.com"],
                "cc": ["partner@example.com"],
                "sender": "sheetsync <sheetsync@example.com>",
                "reply_to": "Owner <owner@example.com>",
                "transport": "smtp",
            },
            "smtp": {
                "host": "127.0.0.1",
                "port": server.port,
                "username": USERNAME,
                "retry_for_seconds": 20,
                "timeout": 10,
                **smtp,
            },
        }
    )


def send(settings, backend=None, **kwargs):
    return api.send_summary(backend or baseline(), today=TODAY, settings=settings, **kwargs)


def test_the_message_arrives_once_with_the_specified_mime_tree_and_headers(smtp):
    sent = send(smtp_settings(smtp))
    assert not sent.outcome.already
    assert sent.outcome.delivery.where == f"the mail server 127.0.0.1:{smtp.port}"
    [received] = smtp.handler.messages
    assert sorted(received.recipients) == [
        "coach@example.com",
        "owner@example.com",
        "partner@example.com",
    ]
    message = received.message
    assert message["Subject"] == "Marketing summary — June 2026 — Bean & Crumb"
    assert message["From"] == "sheetsync <sheetsync@example.com>"
    assert message["To"] == "Owner <owner@example.com>, coach@example.com"
    assert message["Cc"] == "partner@example.com"
    assert message["Reply-To"] == "Owner <owner@example.com>"
    assert email.utils.parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Message-ID"] == sent.outcome.record.message_id
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", message["Message-ID"])
    tree = [(part.get_content_type(), part.get("Content-ID")) for part in message.walk()]
    assert tree == [
        ("multipart/alternative", None),
        ("text/plain", None),
        ("multipart/related", None),
        ("text/html", None),
        ("image/png", "<chart>"),
    ]
    text, related = message.get_payload()
    html, image = related.get_payload()
    assert "Marketing summary — June 2026 — Bean & Crumb" in text.get_content()
    assert 'src="cid:chart"' in html.get_content()
    png = image.get_content()
    assert png.startswith(b"\x89PNG") and len(png) < 100_000
    assert 'alt="Chart of spend and revenue to date per goal' in html.get_content()


def test_a_second_send_of_the_month_sends_nothing_and_force_sends_again(smtp):
    settings = smtp_settings(smtp)
    first = send(settings)
    again = send(settings)
    assert (
        again.outcome.already and again.outcome.record.message_id == first.outcome.record.message_id
    )
    assert len(smtp.handler.messages) == 1
    forced = send(settings, force=True)
    assert not forced.outcome.already and len(smtp.handler.messages) == 2
    other_people = validate_settings(
        {**settings.model_dump(), "summary": {**settings.summary.model_dump(), "cc": []}}
    )
    send(other_people)  # another recipient list is another send
    assert len(smtp.handler.messages) == 3


def test_a_wrong_password_is_one_sentence_and_is_not_recorded_as_sent(smtp, monkeypatch):
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", "wrong")
    settings = smtp_settings(smtp)
    with pytest.raises(DeliveryFailed) as failed:
        send(settings)
    message = str(failed.value)
    assert message.startswith(f"The mail server 127.0.0.1:{smtp.port} refused the login of")
    assert "$SHEETSYNC_SMTP_PASSWORD" in message and "Nothing was sent" in message
    assert smtp.handler.messages == []
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", PASSWORD)
    assert not send(settings).outcome.already  # the failed send is delivered by the next run
    assert len(smtp.handler.messages) == 1


def test_no_password_in_the_environment_is_said_before_connecting(smtp, monkeypatch):
    monkeypatch.delenv("SHEETSYNC_SMTP_PASSWORD")
    with pytest.raises(DeliveryFailed, match="environment variable SHEETSYNC_SMTP_PASSWORD"):
        send(smtp_settings(smtp))


def test_refused_recipients(smtp):
    smtp.handler.refuse = {"coach@example.com"}
    sent = send(smtp_settings(smtp))  # the others get it; the refusal is reported
    assert sent.outcome.delivery.refused == {"coach@example.com": "550 5.1.1 No such mailbox here"}
    assert len(smtp.handler.messages) == 1
    smtp.handler.refuse = {"owner@example.com", "coach@example.com", "partner@example.com"}
    with pytest.raises(DeliveryFailed, match="refused every recipient: .*owner@example.com"):
        send(smtp_settings(smtp), force=True)
    assert smtp.handler.attempts == 1  # 5xx: not retried


def test_a_dropped_connection_and_a_451_are_retried_and_deliver_once(smtp):
    smtp.handler.faults = ["drop", "451"]
    send(smtp_settings(smtp))
    assert smtp.handler.attempts == 3 and len(smtp.handler.messages) == 1


def test_a_permanent_rejection_is_not_retried(smtp):
    smtp.handler.faults = ["554"]
    with pytest.raises(DeliveryFailed) as failed:
        send(smtp_settings(smtp))
    assert "refused the message (554 5.7.1 Message rejected as spam)" in str(failed.value)
    assert smtp.handler.attempts == 1 and smtp.handler.messages == []


def test_a_server_that_is_down_then_back_gets_the_message_once(tmp_path, monkeypatch):
    server = SmtpServer(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", PASSWORD)
    threading.Timer(1.5, server.start).start()
    try:
        send(smtp_settings(server))
    finally:
        time.sleep(0.1)
        server.stop()
    assert len(server.handler.messages) == 1


def test_a_server_that_stays_down_is_one_sentence_naming_it(tmp_path, monkeypatch):
    server = SmtpServer(tmp_path)  # never started
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", PASSWORD)
    with pytest.raises(DeliveryFailed) as failed:
        send(smtp_settings(server, retry_for_seconds=1))
    assert str(failed.value).startswith(f"Cannot reach the mail server 127.0.0.1:{server.port} (")
    assert "check [smtp] host and port" in str(failed.value)


def test_an_untrusted_certificate_is_refused(smtp, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(DeliveryFailed, match="No secure connection could be made with the mail"):
        send(smtp_settings(smtp))
    assert smtp.handler.messages == []


def test_security_none_is_only_for_this_machine():
    with pytest.raises(ConfigError, match='security = "none"'):
        validate_settings({"smtp": {"host": "smtp.example.com", "security": "none"}})
    validate_settings({"smtp": {"host": "localhost", "security": "none"}})


def test_header_values_cannot_be_injected_through_config():
    for bad in ("owner@example.com\nBcc: all@example.com", "not an address", "a@b.c, d@e.f"):
        with pytest.raises(ConfigError, match="is not an e-mail address"):
            validate_settings({"summary": {"to": [bad]}})


def test_hostile_cells_stay_one_line_in_the_subject_and_readable(smtp):
    from workbooks import baseline_grids

    from sheetsync.backends.memory import MemoryBackend

    title = "Bean\r\nBcc: victim@example.com <b>&</b> 🍰 مخبز"
    hostile = MemoryBackend.from_grids(baseline_grids(), title=title)
    send(smtp_settings(smtp), backend=hostile)
    [received] = smtp.handler.messages
    assert received.message["Subject"] == (
        "Marketing summary — June 2026 — Bean Bcc: victim@example.com <b>&</b> 🍰 مخبز"
    )
    assert received.message["Bcc"] is None
    assert "victim@example.com" not in received.recipients


def outbox_settings(tmp_path: Path):
    return validate_settings(
        {"summary": {"to": ["owner@example.com"], "outbox": str(tmp_path / "outbox")}}
    )


def test_the_outbox_gets_one_eml_per_message_written_atomically(tmp_path):
    settings = outbox_settings(tmp_path)
    sent = send(settings)
    files = list((tmp_path / "outbox").iterdir())
    assert [Path(sent.outcome.delivery.where)] == files  # no temporary file left
    message = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["Message-ID"] == sent.outcome.record.message_id
    assert message.get_content_type() == "multipart/alternative"
    assert send(settings).outcome.already and len(list((tmp_path / "outbox").iterdir())) == 1


def test_a_run_killed_mid_send_to_the_outbox_is_settled_by_the_file(tmp_path):
    """A run that recorded its intent and died: the next run knows from the outbox."""
    settings = outbox_settings(tmp_path)
    sent = send(settings)
    key, month = _intent_key(sent)
    with StateStore(state_path(settings)) as store:
        # The file was written and the run died before recording it: not sent again.
        store._db.execute("UPDATE summaries SET outcome = 'sending', finished = NULL")
        assert send(settings).outcome.already
        assert store.sends(key, month, sent.outcome.record.recipients)[-1].outcome == "sent"
        # The run died before writing the file: sent now, once.
        Path(sent.outcome.delivery.where).unlink()
        store._db.execute("UPDATE summaries SET outcome = 'sending', finished = NULL")
    again = send(settings)
    assert not again.outcome.already and len(list((tmp_path / "outbox").iterdir())) == 1


def _intent_key(sent):
    from sheetsync.runs import workbook_key

    return workbook_key("memory"), sent.summary.month.key


def test_a_run_killed_mid_send_over_smtp_sends_nothing_until_forced(smtp):
    settings = smtp_settings(smtp)
    sent = send(settings)
    with StateStore(state_path(settings)) as store:
        store._db.execute("UPDATE summaries SET outcome = 'sending', finished = NULL")
    with pytest.raises(DeliveryFailed) as uncertain:
        send(settings)
    assert "was interrupted before sheetsync heard whether the mail server took it" in str(
        uncertain.value
    )
    assert sent.outcome.record.message_id in str(uncertain.value)
    assert "sheetsync summary --send --force" in str(uncertain.value)
    assert len(smtp.handler.messages) == 1
    send(settings, force=True)
    assert len(smtp.handler.messages) == 2


def test_implicit_tls_delivers_the_message(tmp_path, monkeypatch):
    server = SmtpServer(tmp_path, implicit_tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", PASSWORD)
    server.start()
    try:
        sent = send(smtp_settings(server, security="tls"))
    finally:
        server.stop()
    assert sent.outcome.delivery.where == f"the mail server 127.0.0.1:{server.port}"
    assert len(server.handler.messages) == 1


def test_starttls_asked_of_an_implicit_tls_port_is_one_sentence(tmp_path, monkeypatch):
    server = SmtpServer(tmp_path, implicit_tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", PASSWORD)
    server.start()
    try:
        with pytest.raises(DeliveryFailed) as failed:
            send(smtp_settings(server, retry_for_seconds=1, timeout=2))
    finally:
        server.stop()
    assert str(failed.value) == (
        f"The mail server 127.0.0.1:{server.port} kept closing the connection before the "
        "message was taken; if it takes TLS from the start (usually port 465), set [smtp] "
        'security = "tls". Nothing was sent; the next `summary --send` tries again.'
    )
    assert server.handler.messages == []
