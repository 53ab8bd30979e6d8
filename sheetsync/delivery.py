"""Delivering a composed message: a file in the outbox folder, or SMTP.

Every failure is a DeliveryFailed whose message is one sentence naming the server (or the
folder) and what to do. SMTP failures a later try may cure (4xx replies, a dropped or
refused connection, a timeout) are retried with exponential back-off for up to
`[smtp] retry_for_seconds`; permanent ones (5xx: a wrong password, a refused recipient) are not.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import tempfile
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from sheetsync.config import SmtpSettings
from sheetsync.errors import DeliveryFailed


def outbox_file(folder: Path, message_id: str) -> Path:
    """Where a message goes in the outbox: its name comes from its Message-ID, so a run that
    died mid-send can tell whether the file was written."""
    stem = re.sub(r"[^A-Za-z0-9.@_-]", "", message_id).replace("@", "-at-")
    return folder / f"summary-{stem}.eml"


def write_to_outbox(message: EmailMessage, folder: Path) -> Path:
    """Write the .eml atomically: a temporary file in the same folder, synced, then renamed."""
    target = outbox_file(folder, str(message["Message-ID"]))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".sending-", suffix=".eml")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(message.as_bytes(policy=SMTP_POLICY))
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise DeliveryFailed(
            f"Cannot write the summary to the outbox folder {folder} ({error.strerror}); set "
            "[summary] outbox to a folder you can write to. Nothing was sent."
        ) from None
    return target


def send_by_smtp(message: EmailMessage, settings: SmtpSettings) -> dict[str, str]:
    """Send over SMTP; returns the recipients the server refused while taking the rest."""
    password = _password(settings)
    retrying = Retrying(
        retry=retry_if_exception(is_temporary),
        stop=stop_after_delay(settings.retry_for_seconds),
        wait=wait_exponential(multiplier=0.5, max=30),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                refused = _send_once(message, settings, password)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(failure_sentence(error, settings)) from None
    return {address: f"{code} {_said(reply)}" for address, (code, reply) in refused.items()}


def _password(settings: SmtpSettings) -> str | None:
    if not settings.username:
        return None
    password = os.environ.get(settings.password_env)
    if not password:
        raise DeliveryFailed(
            f"[smtp] username is {settings.username!r} but the environment variable "
            f"{settings.password_env} (named by [smtp] password_env) holds no password; set it "
            "where sheetsync runs. Nothing was sent."
        )
    return password


def _send_once(
    message: EmailMessage, settings: SmtpSettings, password: str | None
) -> dict[str, tuple[int, bytes]]:
    context = ssl.create_default_context()
    server: smtplib.SMTP
    if settings.security == "tls":
        server = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with server:
        if settings.security == "starttls":
            server.starttls(context=context)
        if password is not None:
            server.login(settings.username, password)
        return server.send_message(message)


def is_temporary(error: BaseException) -> bool:
    """4xx replies and connection trouble may pass; 5xx replies, TLS and login problems do not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(error, ssl.SSLError | smtplib.SMTPNotSupportedError):
        return False
    return isinstance(error, OSError)  # refused, reset, unreachable, timed out


def failure_sentence(error: BaseException, settings: SmtpSettings) -> str:
    """One sentence naming the server, what went wrong and what to do."""
    named = f"the mail server {settings.host}:{settings.port}"
    server = named[0].upper() + named[1:]  # at the start of a sentence
    nothing = "Nothing was sent; the next `summary --send` tries again."
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"{server} refused the login of {settings.username!r} ({error.smtp_code} "
            f"{_said(error.smtp_error)}); check [smtp] username and the password in "
            f"${settings.password_env}. {nothing}"
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{address} ({code} {_said(reply)})"
            for address, (code, reply) in error.recipients.items()
        )
        return f"{server} refused every recipient: {refused}; check [summary] to and cc. {nothing}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (
            f"{server} refused the sender {error.sender} ({error.smtp_code} "
            f"{_said(error.smtp_error)}); set [summary] sender to an address that server may "
            f"send from. {nothing}"
        )
    if isinstance(error, smtplib.SMTPNotSupportedError) and "AUTH" in str(error):
        return (
            f"{server} offers no login (AUTH) on this connection; check [smtp] security (many "
            f"servers offer it only after STARTTLS), or leave [smtp] username empty if it needs "
            f"no login. {nothing}"
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return (
            f'{server} does not offer STARTTLS; set [smtp] security = "tls" (usually port 465) '
            f"if it takes TLS from the start. {nothing}"
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"No secure connection could be made with {named} ({error.reason or error}); check "
            f'[smtp] host, port and security ("starttls" on 587, "tls" on 465). {nothing}'
        )
    if isinstance(error, smtplib.SMTPResponseException):
        kind = "still failing after retries" if is_temporary(error) else "refused the message"
        return f"{server} {kind} ({error.smtp_code} {_said(error.smtp_error)}). {nothing}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return (
            f"{server} kept closing the connection before the message was taken; if it takes "
            f'TLS from the start (usually port 465), set [smtp] security = "tls". {nothing}'
        )
    if isinstance(error, socket.timeout | TimeoutError):
        return (
            f"{server} did not answer within {settings.timeout:g} seconds; check that it is up, "
            f"or raise [smtp] timeout. {nothing}"
        )
    reason = getattr(error, "strerror", None) or str(error)
    return (
        f"Cannot reach {named} ({reason}); check [smtp] host and port and that the server is "
        f"up. {nothing}"
    )


def _said(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
