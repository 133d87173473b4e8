"""SMS to clients: the provider's settings and state, each message with its delivery status, and mass sends."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel
from raccordo.core.secrets import EncryptedTextField


class Provider(models.TextChoices):
    SMSRU = "smsru", "SMS.ru"


class SmsSettings(BaseModel):
    """The company's SMS provider (one row): where to send, with which key and sender name, and how it went.

    The key and the callback secret are kept encrypted (core.secrets) and never shown back; their field names
    end in "token"/"secret" so the journal masks them. The state fields (last send, last error, balance) are
    written by the services after each call to the provider, so the settings page tells what happens now.
    """

    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices, default=Provider.SMSRU)
    api_token = EncryptedTextField(_("API key"), blank=True)
    sender = models.CharField(_("sender name"), max_length=11, blank=True,
                              help_text=_("The name approved by the provider (up to 11 Latin letters); empty for "
                                          "the provider's default."))
    base_url = models.URLField(_("API address"), max_length=255, default="https://sms.ru",
                               help_text=_("Change only to test against another server."))
    callback_secret = EncryptedTextField(_("callback secret"), blank=True)
    rate_per_minute = models.PositiveIntegerField(_("messages per minute in a mass send"), default=60)
    is_active = models.BooleanField(_("sending on"), default=True)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    balance = models.DecimalField(_("balance"), max_digits=12, decimal_places=2, null=True, blank=True)
    balance_at = models.DateTimeField(_("balance checked"), null=True, blank=True)
    last_callback_at = models.DateTimeField(_("last delivery report"), null=True, blank=True)
    last_refused_callback = models.CharField(_("last refused delivery report"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("SMS settings")
        verbose_name_plural = _("SMS settings")

    def __str__(self) -> str:
        return str(self.get_provider_display())

    @property
    def configured(self) -> bool:
        return bool(self.api_token and self.is_active)


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Not delivered")
    REFUSED = "refused", _("Refused")


class CampaignStatus(models.TextChoices):
    RUNNING = "running", _("Sending")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class SmsCampaign(BaseModel):
    """A mass SMS to a segment: the counterparty list's filters at the time it was started, and its progress.

    The recipients are frozen as queued SmsMessages when it starts (so the count the sender confirmed is the
    count that goes out); the worker sends them at the provider settings' rate.
    """

    name = models.CharField(_("name"), max_length=150)
    text = models.TextField(_("text"))
    filters = models.JSONField(_("segment"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices,
                              default=CampaignStatus.RUNNING, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("started by"))
    total = models.PositiveIntegerField(_("recipients"), default=0)
    skipped_opted_out = models.PositiveIntegerField(_("opted out"), default=0)
    skipped_no_mobile = models.PositiveIntegerField(_("without a mobile number"), default=0)
    skipped_duplicates = models.PositiveIntegerField(_("duplicate numbers"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("mass SMS")
        verbose_name_plural = _("mass SMS")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class SmsMessage(BaseModel):
    """One SMS to one number: its text, delivery status as the provider reports it, and whom it was about."""

    to = models.CharField(_("to"), max_length=20, db_index=True)
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED,
                              db_index=True)
    provider_id = models.CharField(_("provider's id"), max_length=64, blank=True, db_index=True)
    error = models.CharField(_("error"), max_length=255, blank=True)
    segments = models.PositiveSmallIntegerField(_("parts"), default=1)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+", verbose_name=_("counterparty"))
    contact = models.ForeignKey("parties.ContactPerson", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("contact person"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("sent by"))
    campaign = models.ForeignKey(SmsCampaign, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="messages", verbose_name=_("mass SMS"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)
    status_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS")
        verbose_name_plural = _("SMS")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["counterparty", "-created_at"], name="sms_message_card"),
                   models.Index(fields=["campaign", "status"], name="sms_message_campaign")]

    def __str__(self) -> str:
        return f"{self.to}: {self.text[:40]}"
