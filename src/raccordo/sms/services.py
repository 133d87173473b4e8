"""Writes of the SMS app: the provider's settings, one message to one number, delivery reports, opt-outs.

Every send goes through `sms_send` (a manager on a card, a template through comms.channels, a mass send in the
worker, an administrator's test): the message is stored as queued first, so a provider that is down leaves a
record saying so, then handed to the provider and marked sent or refused.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import can_send_sms, may_configure
from raccordo.access.records import record_create, record_update
from raccordo.comms import services as comms_services
from raccordo.comms.models import Channel
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.phones import normalize_phone

from .models import SmsMessage, SmsSettings, SmsStatus
from .providers import ProviderError, ProviderUnavailable, provider_for
from .segments import count_segments

log = logging.getLogger(__name__)

SETTINGS_FIELDS = ("provider", "api_token", "sender", "base_url", "callback_secret", "rate_per_minute",
                   "is_active")
SECRET_FIELDS = ("api_token", "callback_secret")
MESSAGE_FIELDS = ("to", "text", "status", "segments", "counterparty", "contact", "sent_by", "campaign")
STATUS_FIELDS = ("status", "provider_id", "error", "sent_at", "status_at")
MAX_TEXT = 1000
# A delivery report never moves a message back: a late "on its way" does not undo "delivered".
FINAL = (SmsStatus.DELIVERED, SmsStatus.FAILED, SmsStatus.REFUSED)


def sms_settings() -> SmsSettings:
    """The one settings row (made empty on first use)."""
    found = SmsSettings.objects.order_by("created_at").first()
    return found if found is not None else SmsSettings.objects.create()


def sms_settings_update(*, user, data: dict[str, Any]) -> SmsSettings:
    """Change the provider's settings (administrators); an empty key or secret keeps the stored one."""
    if not may_configure(user):
        raise PermissionDenied(_("Only administrators set up SMS."), code="sms.settings.denied")
    data = {k: v for k, v in data.items() if not (k in SECRET_FIELDS and not v)}
    return record_update(sms_settings(), user=user, data=data, fields=SETTINGS_FIELDS)


def _state(**fields) -> None:
    # The provider's state (last send, last error, balance) changes with every message: kept with an UPDATE, not
    # journaled, because it is what happened, not a setting anyone changed.
    SmsSettings.objects.filter(pk=sms_settings().pk).update(**fields)


def clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the text of the message.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [_("The text is %(n)s characters long; at most %(max)s go in one SMS.") % {
            "n": len(text), "max": MAX_TEXT}]})
    return text


def _clean_number(to: str) -> str:
    try:
        return normalize_phone(to)
    except ValidationError as exc:
        raise ValidationError({"to": exc.messages}) from exc


def sms_queue(*, user, to: str, text: str, counterparty=None, contact=None, campaign=None) -> SmsMessage:
    """Store one message as queued (validated and access-checked: the sender must see the client)."""
    if counterparty is not None and user is not None and not can_send_sms(user, counterparty):
        raise PermissionDenied(_("You may not send messages to this client."), code="sms.denied")
    text = clean_text(text)
    return record_create(SmsMessage, user=user, data={
        "to": _clean_number(to), "text": text, "segments": count_segments(text).segments,
        "counterparty": counterparty, "contact": contact, "sent_by": user, "campaign": campaign},
        fields=MESSAGE_FIELDS)


def sms_deliver(*, message: SmsMessage, settings: SmsSettings | None = None, now=None) -> SmsMessage:
    """Hand a queued message to the provider; it ends sent (with the provider's id), refused or failed."""
    settings = settings or sms_settings()
    now = now or timezone.now()
    if not settings.configured:
        return sms_mark(message, SmsStatus.FAILED, _("SMS is not set up: ask your administrator."), now,
                        reached=False)
    try:
        provider_id = provider_for(settings).send(to=message.to, text=message.text)
    except ProviderError as exc:
        _state(last_error=str(exc)[:500], last_error_at=now)
        return sms_mark(message, SmsStatus.REFUSED, str(exc), now)
    except ProviderUnavailable as exc:
        _state(last_error=str(exc)[:500], last_error_at=now)
        return sms_mark(message, SmsStatus.FAILED, str(exc), now)
    _state(last_sent_at=now)
    return record_update(message, user=None, data={
        "status": SmsStatus.SENT, "provider_id": provider_id[:64], "error": "", "sent_at": now, "status_at": now},
        fields=STATUS_FIELDS)


def sms_mark(message: SmsMessage, status: str, error: str, now, *, reached: bool = True) -> SmsMessage:
    # `sent_at` says when the provider was asked (a mass send's rate counts it); a message stopped before that has none.
    data = {"status": status, "error": error[:255], "status_at": now}
    if reached:
        data["sent_at"] = now
    return record_update(message, user=None, data=data, fields=STATUS_FIELDS)


def sms_send(*, user, to: str, text: str, counterparty=None, contact=None) -> SmsMessage:
    """Send one SMS now (a manager from a card, a template, a test); returns it sent, refused or failed."""
    message = sms_queue(user=user, to=to, text=text, counterparty=counterparty, contact=contact)
    return sms_deliver(message=message)


def sms_channel_send(message) -> SmsMessage:
    """The "sms" channel of comms.channels: a filled template goes out as one SMS to the card's number."""
    return sms_send(user=message.user, to=message.to, text=message.body, counterparty=message.counterparty,
                    contact=message.contact)


def sms_test_send(*, user, to: str) -> SmsMessage:
    """An administrator's test message from the settings page, to check the key and the sender name."""
    if not may_configure(user):
        raise PermissionDenied(_("Only administrators set up SMS."), code="sms.settings.denied")
    return sms_send(user=user, to=to, text=_("Raccordo: a test message. SMS is set up."))


def sms_balance_refresh(*, user) -> SmsSettings:
    """Ask the provider for the account's balance and keep it on the settings page."""
    if not may_configure(user):
        raise PermissionDenied(_("Only administrators set up SMS."), code="sms.settings.denied")
    settings = sms_settings()
    if not settings.api_token:
        raise ApplicationError(_("Enter the API key first."), code="sms.not_configured")
    now = timezone.now()
    try:
        balance = provider_for(settings).balance()
    except (ProviderError, ProviderUnavailable) as exc:
        _state(last_error=str(exc)[:500], last_error_at=now)
        raise ApplicationError(str(exc), code="sms.provider") from exc
    _state(balance=balance, balance_at=now)
    return sms_settings()


def sms_delivery_reports(*, data, secret: str, remote: str = "") -> str | None:
    """Apply a delivery callback the provider posted; the answer it expects, or None when refused.

    Refused (and logged, with the reason on the settings page) unless the callback secret in its address
    matches and the provider's own signature checks out; nothing is changed then.
    """
    settings = sms_settings()
    provider = provider_for(settings)
    reason = ""
    if not settings.callback_secret:
        reason = "no callback secret is set"
    elif not _same(secret, settings.callback_secret):
        reason = "wrong callback secret"
    elif not provider.callback_authentic(data):
        reason = "bad signature"
    now = timezone.now()
    if reason:
        log.warning("SMS delivery report refused from %s: %s", remote or "?", reason)
        _state(last_refused_callback=f"{timezone.localtime(now):%Y-%m-%d %H:%M} {remote} {reason}"[:255])
        return None
    for report in provider.parse_callback(data):
        message = SmsMessage.objects.filter(provider_id=report.provider_id).first()
        if message is None or message.status in FINAL or message.status == report.status:
            continue
        record_update(message, user=None, data={"status": report.status, "status_at": report.at or now,
                                                "error": "" if report.status != SmsStatus.FAILED else report.detail},
                      fields=STATUS_FIELDS)
    _state(last_callback_at=now)
    return provider.callback_answer()


def _same(given: str, expected: str) -> bool:
    # A constant-time comparison, so the secret cannot be guessed a character at a time.
    return hmac.compare_digest((given or "").encode(), (expected or "").encode())


def sms_opt_out(*, user, counterparty, number: str, reason: str = ""):
    """Record that this number wants no more SMS (from the card: the client asked by phone, by mail, or "STOP")."""
    if not can_send_sms(user, counterparty):
        raise PermissionDenied(_("You may not change this client's messages."), code="sms.denied")
    return comms_services.opt_out(user=user, channel=Channel.SMS, address=_clean_number(number),
                                  counterparty=counterparty, reason=reason)


def sms_opt_in(*, user, counterparty, number: str) -> None:
    """Take a number off the opt-out list (the client asked for messages again)."""
    if not can_send_sms(user, counterparty):
        raise PermissionDenied(_("You may not change this client's messages."), code="sms.denied")
    comms_services.opt_in(user=user, channel=Channel.SMS, address=_clean_number(number))
