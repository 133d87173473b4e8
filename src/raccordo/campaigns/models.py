"""Marketing campaigns: their events on a Gantt chart, the touches that attribute clients to them, web forms."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel
from raccordo.sales.models import ZERO


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    EXHIBITION = "exhibition", _("Exhibition")
    CALLS = "calls", _("Calls")
    ADS = "ads", _("Advertising")
    OTHER = "other", _("Other")


class Campaign(BaseModel):
    """A marketing campaign: what it cost against what the clients it brought actually paid (its ROI).

    `segment` is the clients it addresses (a segments.Segment): its mass e-mails go to it, and each e-mail sent
    is a touch of the campaign on the client's card.
    """

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.OTHER)
    budget = models.DecimalField(_("budget"), max_digits=18, decimal_places=2, default=ZERO)
    actual_cost = models.DecimalField(_("actual cost"), max_digits=18, decimal_places=2, default=ZERO)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"))
    segment = models.ForeignKey("segments.Segment", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="campaigns", verbose_name=_("target segment"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": [_("The campaign cannot end before it starts.")]})
        if self.actual_cost is not None and self.actual_cost < ZERO:
            raise ValidationError({"actual_cost": [_("The cost cannot be negative.")]})


class EventKind(models.TextChoices):
    MAILING = "mailing", _("Mailing")
    EXHIBITION = "exhibition", _("Exhibition")
    CALL_WAVE = "call_wave", _("Call wave")
    ADS = "ads", _("Advertising")
    OTHER = "other", _("Other")


class CampaignEvent(BaseModel):
    """One planned piece of a campaign (a mailing, an exhibition...), a bar on its Gantt chart.

    `depends_on` are finish-to-start links: this event may not start before each of them ends.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events",
                                 verbose_name=_("campaign"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices, default=EventKind.OTHER)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"))
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="followers",
                                        verbose_name=_("starts after"))

    class Meta:
        verbose_name = _("campaign event")
        verbose_name_plural = _("campaign events")
        ordering = ["starts_on", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": [_("The event cannot end before it starts.")]})


class CampaignTouch(BaseModel):
    """A client met a campaign (a web form, an imported list...): the first and last touch attribute it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="touches",
                                 verbose_name=_("campaign"))
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, related_name="campaign_touches",
                                     verbose_name=_("counterparty"))
    contact = models.ForeignKey("parties.ContactPerson", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("contact person"))
    at = models.DateTimeField(_("when"), db_index=True)
    utm_source = models.CharField("utm_source", max_length=150, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=150, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=150, blank=True)
    utm_term = models.CharField("utm_term", max_length=150, blank=True)
    utm_content = models.CharField("utm_content", max_length=150, blank=True)

    class Meta:
        verbose_name = _("campaign touch")
        verbose_name_plural = _("campaign touches")
        ordering = ["at"]
        indexes = [models.Index(fields=["counterparty", "at"])]

    def __str__(self) -> str:
        return f"{self.campaign} / {self.counterparty} / {self.at:%Y-%m-%d}"


class WebForm(BaseModel):
    """A form an administrator embeds on the company's site: each submission is a lead for a manager.

    The assignee is `assignee`, or, when it is empty, the active members of `department` in turn (round robin,
    `last_assigned` remembers whose turn it was). Only pages on `allowed_origins` may post to it.
    """

    name = models.CharField(_("name"), max_length=150)
    fields = models.JSONField(_("fields"), default=list, blank=True,
                              help_text=_("Which of name, company, email, phone, message the form asks for."))
    consent_text = models.TextField(_("consent text"))
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="web_forms",
                                 verbose_name=_("campaign"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("assign to"))
    department = models.ForeignKey("access.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("or in turn among the department"))
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+", editable=False)
    allowed_origins = models.TextField(_("allowed sites"), blank=True,
                                       help_text=_("One origin a line, e.g. https://www.example.com"))
    success_url = models.URLField(_("page after sending"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.assignee_id and not self.department_id:
            raise ValidationError({"assignee": [_("Choose a person or a department to assign the leads to.")]})
        unknown = [f for f in (self.fields or []) if f not in FORM_FIELDS]
        if unknown:
            raise ValidationError({"fields": [_("Unknown fields: %(names)s") % {"names": ", ".join(unknown)}]})

    @property
    def origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]


FORM_FIELDS = ("name", "company", "email", "phone", "message")


class LeadConsent(BaseModel):
    """A person's consent given on a web form: the exact text they agreed to, when and from where."""

    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, related_name="consents",
                                     verbose_name=_("counterparty"))
    web_form = models.ForeignKey(WebForm, on_delete=models.SET_NULL, null=True, related_name="consents",
                                 verbose_name=_("web form"))
    text = models.TextField(_("consent text"))
    given_at = models.DateTimeField(_("given"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"{self.counterparty} {self.given_at:%Y-%m-%d}"
