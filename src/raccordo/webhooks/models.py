"""Webhooks: other systems subscribe to Raccordo's changes and receive them as signed HTTP POSTs.

A subscription reads the change journal from its own cursor, as its owner may see it (the access policy of the
owner decides which records' events it gets), and turns each entry into events; every event becomes a delivery,
sent in order, retried with backoff, and kept in a log with a replay button.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel
from raccordo.core.secrets import EncryptedTextField


class EventType(models.TextChoices):
    RECORD_CREATED = "record.created", _("A record is created")
    RECORD_CHANGED = "record.changed", _("A record is changed")
    RECORD_DELETED = "record.deleted", _("A record is deleted")
    DEAL_STAGE = "deal.stage_changed", _("A deal moves to another stage")
    INVOICE_PAID = "invoice.paid", _("An invoice is paid in full")
    RUN_FINISHED = "exchange.run_finished", _("An exchange run finishes")


class WebhookSubscription(BaseModel):
    """One receiver's subscription: where to POST, which events, whose access decides, and how far it has read.

    `journal_seq` is the last change-journal position turned into deliveries, `runs_since` the finish time of
    the last exchange run told; both start at the moment the subscription is created (no back-fill of history).
    `record_types` narrows record.* events to these model labels ("sales.deal"); empty: every model the owner sees.
    """

    name = models.CharField(_("name"), max_length=150)
    url = models.URLField(_("receiver URL"), max_length=1000)
    secret = EncryptedTextField(_("signing secret"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("on behalf of"),
                              help_text=_("Events come only for the records this user may see."))
    events = models.JSONField(_("events"), default=list)
    record_types = models.JSONField(_("record types"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    journal_seq = models.BigIntegerField(default=0, editable=False)
    runs_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_delivery_at = models.DateTimeField(_("last delivery"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Gave up")


class WebhookDelivery(models.Model):
    """One event for one subscription: its payload as sent, and every attempt's outcome.

    Sent in `id` order per subscription, so a receiver sees a record's events in journal order; a delivery that
    fails holds the ones after it back until it is delivered or given up on (after MAX_ATTEMPTS, about a day).
    """

    id = models.BigAutoField(primary_key=True)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries",
                                     verbose_name=_("webhook"))
    event = models.CharField(_("event"), max_length=32, choices=EventType.choices)
    seq = models.BigIntegerField(_("journal position"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    response_status = models.PositiveIntegerField(_("answer"), null=True, blank=True)
    last_error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["subscription", "status", "id"], name="webhooks_delivery_queue")]
        constraints = [models.UniqueConstraint(fields=["subscription", "seq", "event"], condition=models.Q(
            seq__isnull=False), name="webhooks_delivery_once_per_entry")]

    def __str__(self) -> str:
        return f"{self.event} #{self.id}"
