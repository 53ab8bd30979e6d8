"""Sending a month's summary exactly once per recipient list.

One file lock beside the state store makes sends one at a time across processes (cron and the
worker may start together). Inside it: look for an earlier send of the month to the same
people, write down the intent ("sending", with the Message-ID) before delivering, and the
outcome after. A delivery that failed is recorded as failed, so the next run delivers it.

A run killed after the intent and before the outcome leaves "sending" behind. For the outbox
the next run looks for the message's file (named by its Message-ID, written atomically): there
or not, it knows. Over SMTP it cannot know whether the server said "250 OK" before the run
died, so it sends nothing and says so; `--force` sends again once a person has checked. A
missing summary is noticed and fixed in a minute; a duplicate in a client's inbox cannot be
taken back, so at most once is the safe side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from filelock import FileLock, Timeout

from sheetsync.config import Settings
from sheetsync.delivery import outbox_file, send_by_smtp, write_to_outbox
from sheetsync.errors import DeliveryFailed
from sheetsync.mail import compose, new_message_id
from sheetsync.months import Month
from sheetsync.state import SendRecord, StateStore
from sheetsync.summary import Summary

LOCK_WAIT_SECONDS = 900  # longer than an SMTP send with all its retries


@dataclass(frozen=True, slots=True)
class Delivery:
    where: str  # the outbox file, or "the mail server host:port"
    refused: dict[str, str]  # recipients the server refused while taking the message


@dataclass(frozen=True, slots=True)
class SendOutcome:
    record: SendRecord  # this send, or the earlier one when `already`
    already: bool  # nothing was sent now: the month had gone to these people before
    delivery: Delivery | None  # None when `already`


Deliver = Callable[[EmailMessage], Delivery]


def deliverer(settings: Settings) -> Deliver:
    """The configured transport: the outbox folder or SMTP."""
    if settings.summary.transport == "smtp":
        smtp = settings.smtp

        def by_smtp(message: EmailMessage) -> Delivery:
            refused = send_by_smtp(message, smtp)
            return Delivery(f"the mail server {smtp.host}:{smtp.port}", refused)

        return by_smtp
    folder = Path(settings.summary.outbox)
    return lambda message: Delivery(str(write_to_outbox(message, folder)), {})


@contextmanager
def send_lock(store: StateStore) -> Iterator[None]:
    """One send at a time across processes: held from the look-up to the History rows."""
    lock = FileLock(f"{store.path}.send.lock", timeout=LOCK_WAIT_SECONDS)
    try:
        lock.acquire()
    except Timeout:
        raise DeliveryFailed(
            f"Another sheetsync has been sending a summary for {LOCK_WAIT_SECONDS // 60} minutes "
            f"(it holds {lock.lock_file}); nothing was sent. Try again once it has finished."
        ) from None
    try:
        yield
    finally:
        lock.release()


def send_once(
    summary: Summary,
    settings: Settings,
    store: StateStore,
    workbook: str,
    recipients: str,
    force: bool = False,
    deliver: Deliver | None = None,
) -> SendOutcome:
    """Deliver the summary unless it already went to these recipients (or `force`).

    The caller holds `send_lock(store)`.
    """
    return _send_locked(
        summary, settings, store, workbook, recipients, force, deliver or deliverer(settings)
    )


def _send_locked(
    summary: Summary,
    settings: Settings,
    store: StateStore,
    workbook: str,
    recipients: str,
    force: bool,
    deliver: Deliver,
) -> SendOutcome:
    month = summary.month.key
    if not force:
        earlier = _earlier_send(store, settings, workbook, month, recipients)
        if earlier is not None:
            return SendOutcome(earlier, already=True, delivery=None)
    message_id = new_message_id(settings.summary.sender)
    message = compose(summary, settings.summary, message_id, dt.datetime.now(dt.UTC))
    transport = settings.summary.transport
    with store.transaction() as db:
        send_id = store.record_intent(
            db, workbook, month, recipients, message_id, transport, summary.digest()
        )
    try:
        delivery = deliver(message)
    except DeliveryFailed as error:
        store.record_outcome(send_id, "failed", str(error))
        raise
    refused = "; ".join(f"{a} refused ({why})" for a, why in delivery.refused.items())
    store.record_outcome(send_id, "sent", f"{delivery.where}. {refused}".strip(". "))
    record = next(r for r in store.sends(workbook, month, recipients) if r.id == send_id)
    return SendOutcome(record, already=False, delivery=delivery)


def _earlier_send(
    store: StateStore, settings: Settings, workbook: str, month: str, recipients: str
) -> SendRecord | None:
    """The month's delivered send to these people, settling one a killed run left open."""
    records = store.sends(workbook, month, recipients)
    sent = [record for record in records if record.outcome == "sent"]
    if sent:
        return sent[-1]
    last = records[-1] if records else None
    if last is None or last.outcome != "sending":
        return None
    if last.transport == "outbox":
        if outbox_file(Path(settings.summary.outbox), last.message_id).exists():
            store.record_outcome(last.id, "sent", "found in the outbox after an interrupted run")
            return next(r for r in store.sends(workbook, month, recipients) if r.id == last.id)
        store.record_outcome(last.id, "failed", "interrupted before the outbox file was written")
        return None
    raise DeliveryFailed(
        f"A send of the {Month.parse(month).label()} summary to {last.people} started at "
        f"{_when(last.started)} and was interrupted before sheetsync heard whether the mail "
        f"server took it (Message-ID {last.message_id}), so nothing was sent now. Check the "
        "recipients' inboxes; if it did not arrive, run `sheetsync summary --send --force`."
    )


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def when(record: SendRecord) -> str:
    """When a send finished (or started), as the CLI prints it."""
    return _when(record.finished or record.started)
