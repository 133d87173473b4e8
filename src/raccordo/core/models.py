"""Base model and the change journal."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .ids import new_id


class BaseModel(models.Model):
    """Every domain record: a time-ordered UUID key and creation/update timestamps."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Origin(models.TextChoices):
    UI = "ui", _("Web UI")
    API = "api", _("API")
    EXCHANGE = "exchange", _("Exchange")
    CLI = "cli", _("Command line")
    SYSTEM = "system", _("System")


class Operation(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")


class ChangeJournal(models.Model):
    """One append-only row per write made by a service; history, webhooks and outbound exchange read it.

    `seq` is the global, gap-tolerant order of changes that exchange cursors follow.
    """

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    # No index of its own: the (content_type, object_id, seq) index below leads with it, and every change
    # of every record writes a row here.
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("object type"),
                                     db_index=False)
    object_id = models.UUIDField(_("object id"), db_index=True)
    object_repr = models.CharField(_("object"), max_length=255)
    operation = models.CharField(_("operation"), max_length=10, choices=Operation.choices)
    changes = models.JSONField(_("changes"), default=dict, help_text=_("field -> [before, after]"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("user"))
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.SYSTEM)
    node = models.CharField(_("exchange node"), max_length=64, blank=True, default="",
                            help_text=_("The exchange node a change came from, so it is not echoed back to it."))
    request_id = models.CharField(_("request id"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("change journal entry")
        verbose_name_plural = _("change journal")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["content_type", "object_id", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.operation} {self.object_repr}"

    def save(self, *args, **kwargs):
        # Append-only from the application's side: an existing entry is never rewritten.
        if not self._state.adding:
            raise RuntimeError("The change journal is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("The change journal is append-only.")
