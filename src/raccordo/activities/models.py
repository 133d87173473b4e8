"""What happens around clients: interactions, tasks, reminders and complaints."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel

from .texts import reminder_text


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class Interaction(BaseModel):
    """A call, e-mail, meeting or note with a counterparty: the timeline of the relationship."""

    kind = models.CharField(_("kind"), max_length=10, choices=InteractionKind.choices, default=InteractionKind.CALL)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.OUTBOUND)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="interactions", verbose_name=_("counterparty"))
    contact = models.ForeignKey("parties.ContactPerson", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="interactions", verbose_name=_("contact person"))
    deal = models.ForeignKey("sales.Deal", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="interactions", verbose_name=_("deal"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("details"), blank=True)
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    duration_seconds = models.PositiveIntegerField(_("duration, s"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="interactions", verbose_name=_("author"))

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["counterparty", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Task(BaseModel):
    """Something a person must do by a date, maybe about a counterparty or deal."""

    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks",
                                 verbose_name=_("assignee"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("author"))
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="tasks", verbose_name=_("counterparty"))
    deal = models.ForeignKey("sales.Deal", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks",
                             verbose_name=_("deal"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN,
                              db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at"]
        indexes = [models.Index(fields=["assignee", "status", "due_at"]),
                   # The task list's default: my tasks by due date.
                   models.Index(fields=["assignee", "due_at", "id"], name="activities_task_assignee_due")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # A task about another company's deal would show on the wrong card and reach the wrong people.
        if self.deal_id and self.counterparty_id and self.deal.counterparty_id != self.counterparty_id:
            raise ValidationError({"deal": _("The deal belongs to another counterparty.")})


class Importance(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class Periodicity(models.TextChoices):
    ONCE = "once", _("Once")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Reminder(BaseModel):
    """A prompt for a person about any record (an invoice to chase, a client's birthday)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders",
                             verbose_name=_("for"))
    subject = models.CharField(_("subject"), max_length=255)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="reminders", verbose_name=_("counterparty"))
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    target_id = models.UUIDField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    start_at = models.DateTimeField(_("remind at"), db_index=True)
    importance = models.CharField(_("importance"), max_length=6, choices=Importance.choices, default=Importance.NORMAL)
    periodicity = models.CharField(_("repeat"), max_length=8, choices=Periodicity.choices, default=Periodicity.ONCE)
    is_done = models.BooleanField(_("done"), default=False, db_index=True)
    # When the due reminder was last e-mailed to its person (a periodic one is e-mailed once per occurrence).
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    # A reminder made by an automatic rule ("invoice:-1" = a day before the invoice's due date): keeps the rule idempotent.
    rule = models.CharField(_("rule"), max_length=50, blank=True, db_index=True)
    # What a rule's reminder says, as parameters ({"kind": "invoice_due", "number": ..., "offset": ...}), so
    # it is rendered in the reader's language (activities.texts); `subject` keeps the text in the writer's.
    subject_params = models.JSONField(_("subject parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["start_at"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The subject in the active language (a rule's reminder is rendered from its parameters)."""
        return reminder_text(subject=self.subject, params=self.subject_params)


class ComplaintStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")


class Complaint(BaseModel):
    """A claim from a client about goods or service, with an owner, a deadline and a resolution."""

    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, related_name="complaints",
                                     verbose_name=_("counterparty"))
    received_at = models.DateTimeField(_("received"))
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.NEW, db_index=True)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="complaints", verbose_name=_("responsible"))
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.subject
