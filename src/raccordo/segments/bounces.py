"""Bounces that arrive after the mail server accepted a mass e-mail: a delivery report (RFC 3464) found by a
mailbox sync marks the recipient bounced, with the remote server's reason.

The report quotes the original e-mail's Message-ID, which names the recipient row (mailing.recipient_message_id);
only a recipient still marked sent whose address the report names as failed permanently (5.x.x) is changed, so
reading the same report twice, or a report about someone else's mail, changes nothing.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from raccordo.core.journal import journal_bulk
from raccordo.core.models import Operation
from raccordo.mail.reports import DeliveryReport

from .mailing import MESSAGE_ID_PREFIX
from .models import MailingRecipient, RecipientStatus


def _recipient_ids(report: DeliveryReport) -> list[uuid.UUID]:
    found = []
    for message_id in report.original_ids:
        local = message_id.partition("@")[0]
        if local.startswith(MESSAGE_ID_PREFIX):
            try:
                found.append(uuid.UUID(local.removeprefix(MESSAGE_ID_PREFIX)))
            except ValueError:
                continue
    return found


@transaction.atomic
def record_late_bounce(report: DeliveryReport) -> int:
    """Mark as bounced the mass e-mail recipients this report is about; how many changed."""
    failed = {f.address: f for f in report.failed}
    ids = _recipient_ids(report)
    if not ids or not failed:
        return 0
    changed = []
    for recipient in MailingRecipient.objects.select_for_update().filter(pk__in=ids, status=RecipientStatus.SENT):
        notice = failed.get(recipient.address.lower())
        if notice is None:
            continue
        recipient.status = RecipientStatus.BOUNCED
        recipient.error = f"{notice.status} {notice.diagnostic}".strip()[:255]
        changed.append(recipient)
    if changed:
        MailingRecipient.objects.bulk_update(changed, ["status", "error"])
        journal_bulk(entries=[(r, Operation.UPDATE, {"status": [RecipientStatus.SENT, RecipientStatus.BOUNCED],
                                                     "error": ["", r.error]}) for r in changed])
    return len(changed)
