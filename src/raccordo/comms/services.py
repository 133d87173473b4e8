"""Writes of message templates and opt-outs: validated, checked by the access policy, journaled."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from raccordo.access.records import record_create, record_delete, record_update
from raccordo.core.phones import normalize_phone

from .models import Channel, MessageTemplate, OptOut
from .rendering import template_errors

TEMPLATE_FIELDS = ("name", "channel", "language", "subject", "body", "is_active")


def _check_template(data: dict[str, Any], template: MessageTemplate | None = None) -> None:
    subject = data.get("subject", template.subject if template else "")
    body = data.get("body", template.body if template else "")
    errors = template_errors(subject or "", body or "")
    if "{% debug" in (subject or "") + (body or ""):
        errors.append("{% debug %}")
    if errors:
        raise ValidationError({"body": errors})


def template_create(*, user, data: dict[str, Any]) -> MessageTemplate:
    """Create a message template; a template naming an unknown variable or with a broken tag is refused."""
    _check_template(data)
    return record_create(MessageTemplate, user=user, data=data, fields=TEMPLATE_FIELDS)


def template_update(*, user, template: MessageTemplate, data: dict[str, Any]) -> MessageTemplate:
    """Change a template's text or name (a shipped template keeps its key, so the rule using it keeps working)."""
    _check_template(data, template)
    return record_update(template, user=user, data=data, fields=TEMPLATE_FIELDS)


def template_delete(*, user, template: MessageTemplate) -> None:
    """Delete a template; the ones Raccordo itself uses (with a key) are switched off instead of deleted."""
    if template.key:
        record_update(template, user=user, data={"is_active": False}, fields=("is_active",))
        return
    record_delete(template, user=user)


def normalize_address(channel: str, address: str) -> str:
    """An address as opt-outs keep it: e-mail lower-cased, a phone in E.164."""
    address = (address or "").strip()
    if channel == Channel.SMS:
        return normalize_phone(address)
    return address.lower()


@transaction.atomic
def opt_out(*, user, channel: str, address: str, counterparty=None, reason: str = "") -> OptOut:
    """Record that `address` wants no more messages on `channel` (idempotent: a second request changes nothing)."""
    address = normalize_address(channel, address)
    existing = OptOut.objects.filter(channel=channel, address=address).first()
    if existing is not None:
        return existing
    return record_create(OptOut, user=user, data={"channel": channel, "address": address,
                                                  "counterparty": counterparty, "reason": reason[:255]},
                         fields=("channel", "address", "counterparty", "reason"))


def opt_in(*, user, channel: str, address: str) -> None:
    """Remove an opt-out (the client asked for messages again)."""
    address = normalize_address(channel, address)
    for row in OptOut.objects.filter(channel=channel, address=address):
        record_delete(row, user=user)
