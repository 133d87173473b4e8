"""Webhook subscriptions and their deliveries: turning the journal into events, and sending them.

    subscription_create/update/delete   - administrators, through access.policy.may_manage_webhooks
    collect(subscription, now=)         - journal entries and finished runs since the cursor -> pending deliveries
    deliver(subscription, now=)         - send pending deliveries in order until one fails (then back off)
    replay(user=, delivery=)            - send a delivery again
    sign(secret, timestamp, body)       - the signature header a receiver checks

The journal's `seq` is given out when a transaction inserts, not when it commits, so a later position can be
visible before an earlier one. `collect` stops at a gap younger than GAP_WAIT: the missing entry is either still
being committed (and will be told in order next time) or was rolled back (and the gap is passed once it is old).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets as pysecrets
import urllib.error
import urllib.request
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import require_webhooks, visible
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.core.models import ChangeJournal
from raccordo.exchange.models import Run

from . import events as ev
from .models import DeliveryStatus, EventType, WebhookDelivery, WebhookSubscription

SUBSCRIPTION_FIELDS = ("name", "url", "secret", "owner", "events", "record_types", "is_active")
GAP_WAIT = dt.timedelta(seconds=60)
BATCH = 500
TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 15
# Seconds to wait after the n-th failed attempt: quick at first (a receiver restarting), then up to an hour.
BACKOFF = (10, 30, 60, 120, 300, 600, 900, 1800, 3600)


def _check(data: dict[str, Any]) -> None:
    errors = {}
    url = str(data.get("url", ""))
    if url and not url.lower().startswith(("http://", "https://")):
        errors["url"] = [_("Give an http:// or https:// address.")]
    unknown = [e for e in data.get("events", []) if e not in EventType.values]
    if "events" in data and (unknown or not data["events"]):
        errors["events"] = [_("Choose at least one event.") if not unknown else
                            _("Unknown events: %(events)s.") % {"events": ", ".join(map(str, unknown))}]
    if errors:
        raise ValidationError(errors)


def subscription_create(*, user, data: dict[str, Any]) -> WebhookSubscription:
    """Subscribe a receiver; it is told of changes from now on. A secret is generated when none is given."""
    require_webhooks(user)
    _check(data)
    data = dict(data)
    data["secret"] = data.get("secret") or pysecrets.token_urlsafe(32)
    sub = record_create(WebhookSubscription, user=user, data=data, fields=SUBSCRIPTION_FIELDS)
    sub.journal_seq = ChangeJournal.objects.aggregate(m=Max("seq"))["m"] or 0
    sub.runs_since = timezone.now()
    sub.save(update_fields=["journal_seq", "runs_since"])
    return sub


def subscription_update(*, user, subscription: WebhookSubscription, data: dict[str, Any]) -> WebhookSubscription:
    """Change a subscription; an empty secret keeps the one it has."""
    require_webhooks(user)
    _check(data)
    data = {k: v for k, v in data.items() if not (k == "secret" and not v)}
    return record_update(subscription, user=user, data=data, fields=SUBSCRIPTION_FIELDS)


def subscription_delete(*, user, subscription: WebhookSubscription) -> None:
    """Remove a subscription and its delivery log."""
    require_webhooks(user)
    record_delete(subscription, user=user)


# --- Turning the journal into deliveries ---------------------------------------------------------------------

def _journal_batch(sub: WebhookSubscription, now: dt.datetime) -> list[ChangeJournal]:
    """The next entries after the cursor, up to the first gap that may still fill."""
    entries = list(ChangeJournal.objects.filter(seq__gt=sub.journal_seq).select_related("user")
                   .order_by("seq")[:BATCH])
    expected, ready = sub.journal_seq + 1, []
    for entry in entries:
        if entry.seq != expected and entry.at > now - GAP_WAIT:
            break
        ready.append(entry)
        expected = entry.seq + 1
    return ready


def collect(subscription: WebhookSubscription, *, now: dt.datetime | None = None) -> int:
    """Add the pending deliveries of everything since the subscription's cursor; returns how many were added."""
    now = now or timezone.now()
    wanted, types = set(subscription.events), set(subscription.record_types or ())
    added = 0
    with transaction.atomic():
        sub = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        entries = _journal_batch(sub, now)
        rows = []
        for entry in entries:
            model, label = ev.model_of(entry.content_type_id)
            names = ev.entry_events(entry, label, wanted, types)
            if names and ev.owner_sees(sub.owner, entry, model):
                rows += [WebhookDelivery(subscription=sub, event=name, seq=entry.seq, object_type=label,
                                         object_id=str(entry.object_id), payload=ev.entry_payload(entry, name, label),
                                         next_attempt_at=now) for name in names]
        if entries:
            sub.journal_seq = entries[-1].seq
        if EventType.RUN_FINISHED in wanted:
            rows += _run_deliveries(sub, now)
        WebhookDelivery.objects.bulk_create(rows)
        added = len(rows)
        sub.save(update_fields=["journal_seq", "runs_since"])
    return added


def _run_deliveries(sub: WebhookSubscription, now: dt.datetime) -> list[WebhookDelivery]:
    runs = visible(Run.objects.filter(finished_at__isnull=False), sub.owner)
    if sub.runs_since is not None:
        runs = runs.filter(finished_at__gt=sub.runs_since)
    found = list(runs.select_related("node").order_by("finished_at", "pk")[:BATCH])
    if found:
        sub.runs_since = found[-1].finished_at
    return [WebhookDelivery(subscription=sub, event=EventType.RUN_FINISHED, object_type="exchange.run",
                            object_id=str(run.pk), payload=ev.run_payload(run), next_attempt_at=now) for run in found]


# --- Sending ---------------------------------------------------------------------------------------------------

def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Raccordo-Signature header: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body under the secret>."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A receiver that redirects is misconfigured; following it would post the payload somewhere unchecked.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(sub: WebhookSubscription, delivery: WebhookDelivery, now: dt.datetime) -> tuple[int | None, str]:
    """POST one delivery; (HTTP status or None, error text or "")."""
    body = json.dumps({"id": delivery.pk, **delivery.payload}, ensure_ascii=False, sort_keys=True).encode("utf-8")
    timestamp = int(now.timestamp())
    request = urllib.request.Request(sub.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "Raccordo-Webhooks/1",
        "X-Raccordo-Event": delivery.event, "X-Raccordo-Delivery": str(delivery.pk),
        "X-Raccordo-Signature": sign(sub.secret, timestamp, body)})
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, _("The receiver answered %(code)s.") % {"code": exc.code}
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, _("The receiver cannot be reached: %(reason)s") % {"reason": reason}


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1])


def deliver(subscription: WebhookSubscription, *, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send the subscription's due deliveries in order, stopping at the first failure; returns how many went."""
    now = now or timezone.now()
    sent = 0
    queue = WebhookDelivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).order_by("id")
    for delivery in queue[:limit]:
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            break
        code, error = _post(subscription, delivery, now)
        delivery.attempts += 1
        delivery.response_status = code
        if code is not None and 200 <= code < 300:
            delivery.status, delivery.delivered_at, delivery.last_error = DeliveryStatus.DELIVERED, now, ""
            delivery.save()
            subscription.last_delivery_at = now
            sent += 1
            continue
        delivery.last_error = error
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + _backoff(delivery.attempts)
        delivery.save()
        subscription.last_error, subscription.last_error_at = error, now
        if delivery.status == DeliveryStatus.PENDING:
            break
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        last_delivery_at=subscription.last_delivery_at, last_error=subscription.last_error,
        last_error_at=subscription.last_error_at)
    return sent


def replay(*, user, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (its payload as it was), at the next round of the worker."""
    require_webhooks(user)
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    return delivery


def run_all(*, now: dt.datetime | None = None) -> int:
    """One round of the worker: collect and deliver for every active subscription."""
    sent = 0
    for sub in WebhookSubscription.objects.filter(is_active=True).select_related("owner"):
        if not sub.owner.is_active:
            continue
        collect(sub, now=now)
        sent += deliver(sub, now=now)
    return sent
