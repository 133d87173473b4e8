"""Telephony: the calls a PBX reports, who sits at which extension, and how Raccordo reaches the PBX."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel
from raccordo.core.secrets import EncryptedTextField


class Provider(models.TextChoices):
    ASTERISK = "asterisk", _("Asterisk (AMI)")
    MANGO = "mango", _("Mango Office")
    GENERIC = "generic", _("Generic (signed HTTP)")


class CallDirection(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")
    INTERNAL = "internal", _("Internal")


class CallStatus(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")
    MISSED = "missed", _("Missed")


class EventKind(models.TextChoices):
    """The events of the one call-event contract every adapter feeds."""

    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")
    MISSED = "missed", _("Missed")
    RECORDING = "recording_ready", _("Recording ready")


class Call(BaseModel):
    """One phone call as the PBX reported it, matched to a client by number; the card's feed shows it."""

    provider = models.CharField(_("PBX"), max_length=20, choices=Provider.choices)
    # The PBX's own key of the whole call (Asterisk's Linkedid, Mango's entry_id), stable across transfers.
    call_id = models.CharField(_("call id"), max_length=150)
    direction = models.CharField(_("direction"), max_length=10, choices=CallDirection.choices,
                                 default=CallDirection.INBOUND)
    status = models.CharField(_("status"), max_length=10, choices=CallStatus.choices, default=CallStatus.RINGING,
                              db_index=True)
    from_number = models.CharField(_("from"), max_length=40, blank=True)
    to_number = models.CharField(_("to"), max_length=40, blank=True)
    # The outside party's number in E.164 ("" when it does not parse, or for an internal call).
    number = models.CharField(_("number"), max_length=20, blank=True, db_index=True)
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="calls", verbose_name=_("employee"))
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="calls", verbose_name=_("counterparty"))
    contact = models.ForeignKey("parties.ContactPerson", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="calls", verbose_name=_("contact person"))
    started_at = models.DateTimeField(_("started"), db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("talk time, s"), null=True, blank=True)
    disposition = models.CharField(_("outcome"), max_length=30, blank=True)
    # Any http(s) address the PBX gives (often a host name without a domain, which URLField would refuse).
    recording_url = models.CharField(_("recording"), max_length=500, blank=True)
    # The call-back task a missed call became (so a repeated "missed" never makes a second one).
    task = models.ForeignKey("activities.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("task"))

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "call_id"], name="telephony_call_unique")]
        indexes = [models.Index(fields=["counterparty", "-started_at"]),
                   models.Index(fields=["user", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.number or self.from_number or self.to_number}"


class CallEvent(BaseModel):
    """One event of the contract as received, kept once: a PBX that repeats itself changes nothing."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events", verbose_name=_("call"))
    event = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    # The person at the extension when the event came: the pop-up reads their own ringing events.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("employee"))
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    raw = models.JSONField(_("as received"), default=dict, blank=True)

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        ordering = ["occurred_at"]
        constraints = [models.UniqueConstraint(fields=["call", "event", "extension"], name="telephony_event_once")]
        indexes = [models.Index(fields=["user", "event", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.event} {self.extension}".strip()


class Extension(BaseModel):
    """Which employee sits at which internal number of the PBX: where the pop-up goes, whose phone rings."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_extension",
                                verbose_name=_("employee"))
    number = models.CharField(_("extension"), max_length=20, unique=True,
                              help_text=_("The internal number of the employee's phone on the PBX, e.g. 101."))

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class TelephonySettings(BaseModel):
    """How Raccordo reaches the PBX: the Asterisk manager login, the webhook secrets (one row)."""

    ami_enabled = models.BooleanField(_("connect to Asterisk"), default=False)
    ami_host = models.CharField(_("AMI host"), max_length=200, blank=True)
    ami_port = models.PositiveIntegerField(_("AMI port"), default=5038)
    ami_username = models.CharField(_("AMI user"), max_length=100, blank=True)
    ami_secret = EncryptedTextField(_("AMI secret"), blank=True)
    ami_context = models.CharField(_("dial plan context for click-to-call"), max_length=80, default="from-internal")
    ami_channel = models.CharField(_("employee's phone channel"), max_length=80, default="PJSIP/{extension}",
                                   help_text=_("{extension} is replaced by the employee's extension."))
    ami_recording_url = models.CharField(
        _("recording address"), max_length=300, blank=True,
        help_text=_("Where the PBX serves a call's recording; {call_id} is replaced by the call's Linkedid."))
    webhook_secret = EncryptedTextField(_("webhook signing secret"), blank=True)
    mango_secret_key = EncryptedTextField(_("Mango Office API key"), blank=True)
    mango_secret_salt = EncryptedTextField(_("Mango Office API salt"), blank=True)

    class Meta:
        verbose_name = _("telephony settings")
        verbose_name_plural = _("telephony settings")

    def __str__(self) -> str:
        return str(_("Telephony settings"))

    def clean(self) -> None:
        errors = {}
        # Switched on without an address or a login, the worker would retry for ever against nothing.
        if self.ami_enabled and not (self.ami_host and self.ami_username):
            errors["ami_host"] = _("To connect to Asterisk, give its host and the AMI user.")
        if "{extension}" not in (self.ami_channel or ""):
            errors["ami_channel"] = _("The channel must contain {extension}, e.g. PJSIP/{extension}.")
        if errors:
            raise ValidationError(errors)


class PbxState(BaseModel):
    """What an adapter last reported: connected or not, its last event and last error (one row per adapter)."""

    provider = models.CharField(_("PBX"), max_length=20, choices=Provider.choices, unique=True)
    connected = models.BooleanField(_("connected"), default=False)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("PBX state")
        verbose_name_plural = _("PBX states")
        ordering = ["provider"]

    def __str__(self) -> str:
        return self.get_provider_display()
