"""What every channel to a client shares: message templates, and the addresses that asked for no more messages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class MessageTemplate(BaseModel):
    """A text a manager, a rule or a mailing sends to a client, with variables filled from the records it is about.

    `key` names a template the app itself uses ("order_shipped", "invoice_reminder"); shipped templates are
    seeded with one, and an administrator may edit their text but not their key. `language` picks the variant
    for a client's language (empty: any). The body is a Django template over plain values only
    (comms.rendering), never model instances, so no template can reach a field it is not given.
    """

    name = models.CharField(_("name"), max_length=150)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    key = models.SlugField(_("key"), max_length=64, blank=True,
                           help_text=_("Set on the templates Raccordo itself uses (rules, reminders)."))
    language = models.CharField(_("language"), max_length=8, blank=True,
                                help_text=_("For clients in this language; empty for any."))
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["channel", "name", "language"]
        constraints = [models.UniqueConstraint(fields=["key", "channel", "language"], condition=~models.Q(key=""),
                                               name="comms_template_key_channel_language")]

    def __str__(self) -> str:
        return self.name


class OptOut(BaseModel):
    """An address (e-mail, or phone in E.164) that asked for no more messages on a channel.

    Honoured by every mass send and every rule; a manager's own one-to-one message to a client still goes
    (it is not marketing), but the composer warns. Kept by address so that it holds across contacts and
    clients sharing it; `counterparty` only says whose card it was set from.
    """

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("counterparty"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="comms_optout_channel_address")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.address}"
