"""Segments of clients (saved filters or member lists) and mass e-mail to a segment with per-recipient status."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Dynamic (filters)")
    STATIC = "static", _("Static (a list)")


class SegmentTarget(models.TextChoices):
    COUNTERPARTIES = "counterparties", _("Counterparties")
    CONTACTS = "contacts", _("Contact persons")


class Segment(BaseModel):
    """A group of clients or contact persons to count, list, export and write to.

    A dynamic segment keeps its filters (segments.filters names them) and is evaluated live through the access
    policy of whoever looks at it, so two managers see their own part of one segment. A static segment keeps its
    members; they too are narrowed to what the viewer sees.
    """

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=8, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC)
    target = models.CharField(_("of"), max_length=16, choices=SegmentTarget.choices,
                              default=SegmentTarget.COUNTERPARTIES)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    counterparties = models.ManyToManyField("parties.Counterparty", blank=True, related_name="+",
                                            verbose_name=_("counterparties"))
    contacts = models.ManyToManyField("parties.ContactPerson", blank=True, related_name="+",
                                      verbose_name=_("contact persons"))

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MailingStatus(models.TextChoices):
    RUNNING = "running", _("Sending")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    BOUNCED = "bounced", _("Bounced")
    OPTED_OUT = "opted_out", _("Unsubscribed")
    SKIPPED = "skipped", _("Skipped")


class Mailing(BaseModel):
    """A mass e-mail from a comms template to a segment; its recipients are frozen when it starts."""

    name = models.CharField(_("name"), max_length=150)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="mailings",
                                verbose_name=_("segment"))
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="mailings", verbose_name=_("campaign"))
    template = models.ForeignKey("comms.MessageTemplate", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("template"))
    status = models.CharField(_("status"), max_length=10, choices=MailingStatus.choices,
                              default=MailingStatus.RUNNING, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("started by"))
    total = models.PositiveIntegerField(_("recipients"), default=0)
    skipped_opted_out = models.PositiveIntegerField(_("unsubscribed"), default=0)
    skipped_no_email = models.PositiveIntegerField(_("without an e-mail"), default=0)
    skipped_bounced = models.PositiveIntegerField(_("addresses that bounced"), default=0)
    skipped_duplicates = models.PositiveIntegerField(_("duplicate addresses"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("mass e-mail")
        verbose_name_plural = _("mass e-mails")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class MailingRecipient(BaseModel):
    """One e-mail of a mailing: to whom, about which client, and what became of it."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="recipients",
                                verbose_name=_("mass e-mail"))
    address = models.EmailField(_("e-mail"), db_index=True)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("counterparty"))
    contact = models.ForeignKey("parties.ContactPerson", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("contact person"))
    status = models.CharField(_("status"), max_length=10, choices=RecipientStatus.choices,
                              default=RecipientStatus.QUEUED, db_index=True)
    error = models.CharField(_("error"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("mailing recipient")
        verbose_name_plural = _("mailing recipients")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["mailing", "status"], name="segments_recipient_status")]

    def __str__(self) -> str:
        return self.address
