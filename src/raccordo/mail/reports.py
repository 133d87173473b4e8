"""Delivery reports (RFC 3464 bounce and delay notices) found while a mailbox syncs, handed to the apps that sent
the mail they are about.

A mail server that accepted a message can still fail to deliver it minutes or days later; it then writes a
`multipart/report; report-type=delivery-status` message to the sender. The mail app does not know what was sent
(a mass e-mail, an invoice...): apps register a reader (`register_reader`, from their AppConfig.ready()), and
every notice the sync sees is parsed once (`DeliveryReport`) and given to each reader.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser

from .parsing import message_ids

log = logging.getLogger(__name__)


@dataclass
class FailedRecipient:
    """One recipient a report says the message could not be delivered to."""

    address: str
    status: str            # the enhanced status code, e.g. "5.1.1"
    diagnostic: str = ""   # the remote server's words, e.g. "smtp; 550 5.1.1 No such user"


@dataclass
class DeliveryReport:
    """What a delivery report says: the Message-IDs of the original message, and who it failed for (permanent
    failures only: a delay, "4.x.x", is not a bounce)."""

    original_ids: list[str] = field(default_factory=list)
    failed: list[FailedRecipient] = field(default_factory=list)


_readers: list[Callable[[DeliveryReport], None]] = []


def register_reader(reader: Callable[[DeliveryReport], None]) -> None:
    """Have `reader(report)` called for every delivery report a mailbox sync finds."""
    if reader not in _readers:
        _readers.append(reader)


def readers() -> list:
    return list(_readers)


def parse_report(raw: bytes) -> DeliveryReport | None:
    """The report in a raw message, or None when it is not a delivery-status report."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if message.get_content_type() != "multipart/report" or \
            str(message.get_param("report-type", "")).lower() != "delivery-status":
        return None
    report = DeliveryReport()
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            report.failed += _failed(part)
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            report.original_ids += _original_ids(part)
    return report


def _failed(part) -> list[FailedRecipient]:
    """The per-recipient blocks of a message/delivery-status part with Action: failed and a 5.x.x status."""
    found = []
    blocks = part.get_payload() if part.is_multipart() else []
    for block in blocks[1:]:   # the first block is about the reporting server, the rest one per recipient
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip()
        recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
        address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
        if action == "failed" and status.startswith("5") and address:
            found.append(FailedRecipient(address=address, status=status,
                                         diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split())[:200]))
    return found


def _original_ids(part) -> list[str]:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        return message_ids(str(inner.get("Message-ID", ""))) if hasattr(inner, "get") else []
    headers = BytesParser(policy=policy.default).parsebytes(part.get_payload(decode=True) or b"", headersonly=True)
    return message_ids(str(headers.get("Message-ID", "")))


def read(raw: bytes) -> None:
    """Parse one notice and hand it to every reader; a broken notice or a failing reader is logged, never raised
    (a bad notice must not stop a mailbox's sync)."""
    try:
        report = parse_report(raw)
    except Exception:  # a notice the email package cannot read
        log.warning("mail.reports.unreadable", exc_info=True)
        return
    if report is None or not report.failed:
        return
    for reader in _readers:
        try:
            reader(report)
        except Exception:
            log.exception("mail.reports.reader_failed")
