"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, STARTTLS with a certificate made by
trustme, and AUTH LOGIN/PLAIN with one account. Faults are queued per message: a 451, a 554,
a dropped connection, or a slow answer (to kill a client mid-send)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME, PASSWORD = "sheetsync@example.com", "correct horse"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Handler:
    messages: list[Received] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # "451", "554", "drop", "slow"
    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    data_started: threading.Event = field(default_factory=threading.Event)
    attempts: int = 0
    slow_seconds: float = 30.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.attempts += 1
        self.data_started.set()
        fault = self.faults.pop(0) if self.faults else None
        if fault == "451":
            return "451 4.3.0 Mailbox busy, try again later"
        if fault == "554":
            return "554 5.7.1 Message rejected as spam"
        if fault == "drop":
            server.transport.close()
            return "421 closing"
        if fault == "slow":
            await asyncio.sleep(self.slow_seconds)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK: queued"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    account = (USERNAME.encode(), PASSWORD.encode())
    if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == account:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpServer:
    """Started with `start()`; `ca_file` is what a client must trust (SSL_CERT_FILE)."""

    folder: Path
    port: int = field(default_factory=free_port)
    handler: Handler = field(default_factory=Handler)
    implicit_tls: bool = False

    def __post_init__(self) -> None:
        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost")
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(self.context)
        self.ca_file = self.folder / "test-ca.pem"
        authority.cert_pem.write_to_path(str(self.ca_file))
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        tls = {"ssl_context": self.context} if self.implicit_tls else {"tls_context": self.context}
        self._controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            require_starttls=not self.implicit_tls,
            authenticator=authenticate,
            # aiosmtpd only counts STARTTLS as TLS here; an implicit-TLS session is TLS anyway.
            auth_require_tls=not self.implicit_tls,
            **tls,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def running(folder: Path, implicit_tls: bool = False) -> Iterator[SmtpServer]:
    server = SmtpServer(folder, implicit_tls=implicit_tls).start()
    try:
        yield server
    finally:
        server.stop()
