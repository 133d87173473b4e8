"""Business processes (templates of steps that route tasks to people) and automation rules (when / if / then)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel

from .texts import shown


class Subject(models.TextChoices):
    """What a process runs on: its start button is on that record's card."""

    DEAL = "deal", _("Deal")
    COUNTERPARTY = "counterparty", _("Counterparty")
    COMPLAINT = "complaint", _("Complaint")
    INVOICE = "invoice", _("Invoice")


class AssigneeKind(models.TextChoices):
    RESPONSIBLE = "responsible", _("The responsible manager")
    ROLE = "role", _("A role")
    USER = "user", _("A person")


class ClosesOn(models.TextChoices):
    """What finishes a step; the step's task is closed with it."""

    TASK_DONE = "task_done", _("Its task is done")
    DEAL_STAGE = "deal_stage", _("The deal reaches a stage")
    INVOICE_PAID = "invoice_paid", _("The invoice is paid")
    COMPLAINT_CLOSED = "complaint_closed", _("The complaint is resolved or rejected")


class ProcessTemplate(BaseModel):
    """A business process: ordered steps, each a task for someone with a deadline in working days."""

    code = models.SlugField(_("code"), max_length=50, unique=True,
                            help_text=_("A short identifier that stays when the name is translated or changed."))
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    subject = models.CharField(_("runs on"), max_length=12, choices=Subject.choices, default=Subject.DEAL)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("process template")
        verbose_name_plural = _("process templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return shown(self.name)


class ProcessStep(BaseModel):
    """One step of a process template: who does it, within how many working days, and what closes it."""

    template = models.ForeignKey(ProcessTemplate, on_delete=models.CASCADE, related_name="steps",
                                 verbose_name=_("process template"))
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=255)
    assignee_kind = models.CharField(_("assignee"), max_length=12, choices=AssigneeKind.choices,
                                     default=AssigneeKind.RESPONSIBLE)
    assignee_role = models.CharField(_("role"), max_length=128, blank=True,
                                     help_text=_("A built-in role (head, manager, accountant...) or a custom role's name."))
    assignee_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("person"))
    days = models.PositiveSmallIntegerField(_("deadline, working days"), default=1)
    closes_on = models.CharField(_("closed when"), max_length=20, choices=ClosesOn.choices,
                                 default=ClosesOn.TASK_DONE)
    close_stage = models.ForeignKey("sales.Stage", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("stage"))

    class Meta:
        verbose_name = _("process step")
        verbose_name_plural = _("process steps")
        ordering = ["template", "order"]

    def __str__(self) -> str:
        return shown(self.title)

    def clean(self) -> None:
        if self.assignee_kind == AssigneeKind.ROLE and not self.assignee_role.strip():
            raise ValidationError({"assignee_role": _("Name the role that does this step.")})
        if self.assignee_kind == AssigneeKind.USER and not self.assignee_user_id:
            raise ValidationError({"assignee_user": _("Choose the person who does this step.")})
        if self.closes_on == ClosesOn.DEAL_STAGE and not self.close_stage_id:
            raise ValidationError({"close_stage": _("Choose the stage that closes this step.")})


class Holiday(BaseModel):
    """A day off that deadlines in working days skip (weekends are skipped always)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class ProcessStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ProcessInstance(BaseModel):
    """One run of a process template on a deal, counterparty, complaint or invoice."""

    template = models.ForeignKey(ProcessTemplate, on_delete=models.PROTECT, related_name="instances",
                                 verbose_name=_("process template"))
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, related_name="processes",
                                     verbose_name=_("counterparty"))
    deal = models.ForeignKey("sales.Deal", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="processes", verbose_name=_("deal"))
    invoice = models.ForeignKey("sales.Invoice", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="processes", verbose_name=_("invoice"))
    complaint = models.ForeignKey("activities.Complaint", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="processes", verbose_name=_("complaint"))
    status = models.CharField(_("status"), max_length=10, choices=ProcessStatus.choices,
                              default=ProcessStatus.RUNNING, db_index=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("started by"))
    # The automation rule that started it, by name (the rule may be deleted later; the history stays readable).
    started_by_rule = models.CharField(_("started by rule"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self) -> str:
        return f"{self.template}: {self.deal or self.invoice or self.complaint or self.counterparty}"

    @property
    def target(self):
        """The record the process runs on."""
        return self.deal or self.invoice or self.complaint or self.counterparty


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    OPEN = "open", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class StepRun(BaseModel):
    """One step of a running process: its task, its person, its deadline and, when late, its escalation."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="steps",
                                 verbose_name=_("process"))
    step = models.ForeignKey(ProcessStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("step"))
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=255)
    closes_on = models.CharField(_("closed when"), max_length=20, choices=ClosesOn.choices,
                                 default=ClosesOn.TASK_DONE)
    close_stage = models.ForeignKey("sales.Stage", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("stage"))
    status = models.CharField(_("status"), max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING,
                              db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("assignee"))
    task = models.ForeignKey("activities.Task", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="process_steps", verbose_name=_("task"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    escalated_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("escalated to"))
    escalation_task = models.ForeignKey("activities.Task", on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", verbose_name=_("escalation task"))

    class Meta:
        verbose_name = _("process step")
        verbose_name_plural = _("process steps")
        ordering = ["instance", "order"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return shown(self.title)

    def is_overdue(self, now) -> bool:
        return self.status == StepStatus.OPEN and self.due_at is not None and self.due_at < now


class Trigger(models.TextChoices):
    """When an automation rule looks at a change."""

    DEAL_STAGE = "deal_stage", _("A deal enters a stage")
    INVOICE_PAID = "invoice_paid", _("An invoice is paid")
    ONEC_STATUS = "onec_status", _("1C changes an order's status")
    TASK_OVERDUE = "task_overdue", _("A task is overdue")
    COMPLAINT_NEW = "complaint_new", _("A complaint is registered")


class AutomationRule(BaseModel):
    """When something happens (trigger) and the record matches (conditions), do something (actions)."""

    code = models.SlugField(_("code"), max_length=50, blank=True,
                            help_text=_("Set for the rules Raccordo ships, so they are found after renaming."))
    name = models.CharField(_("name"), max_length=150, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    trigger = models.CharField(_("when"), max_length=20, choices=Trigger.choices, default=Trigger.DEAL_STAGE)
    trigger_stage = models.ForeignKey("sales.Stage", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("stage"),
                                      help_text=_("For “a deal enters a stage”: which stage (empty: any)."))
    # [{"field": "amount", "op": ">", "value": "1000"}, ...]; all must hold (processes.conditions).
    conditions = models.JSONField(_("conditions"), default=list, blank=True)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["name"]

    def __str__(self) -> str:
        return shown(self.name)


class ActionKind(models.TextChoices):
    CREATE_TASK = "create_task", _("Create a task")
    START_PROCESS = "start_process", _("Start a process")
    SEND_MESSAGE = "send_message", _("Send the client a message from a template")
    NOTIFY_USER = "notify_user", _("Notify a user")
    CHANGE_FIELD = "change_field", _("Change a field")


class RuleAction(BaseModel):
    """One thing an automation rule does, in order."""

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="actions",
                             verbose_name=_("automation rule"))
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("action"), max_length=20, choices=ActionKind.choices, default=ActionKind.CREATE_TASK)
    text = models.CharField(_("text"), max_length=255, blank=True,
                            help_text=_("The task's title or the notification's text."))
    assignee_kind = models.CharField(_("for"), max_length=12, choices=AssigneeKind.choices,
                                     default=AssigneeKind.RESPONSIBLE)
    assignee_role = models.CharField(_("role"), max_length=128, blank=True)
    assignee_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("person"))
    days = models.PositiveSmallIntegerField(_("deadline, working days"), default=1)
    process_template = models.ForeignKey(ProcessTemplate, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("process template"))
    message_template = models.ForeignKey("comms.MessageTemplate", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("message template"),
                                         help_text=_("Sent in the client's language when the template has "
                                                     "variants in other languages."))
    field = models.CharField(_("field"), max_length=64, blank=True)
    value = models.CharField(_("value"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("rule action")
        verbose_name_plural = _("rule actions")
        ordering = ["rule", "order"]

    def __str__(self) -> str:
        return self.get_kind_display()


class RuleFiring(BaseModel):
    """A rule fired once on one change: what it did, or why it could not. The same change never fires it twice."""

    rule = models.ForeignKey(AutomationRule, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="firings", verbose_name=_("automation rule"))
    rule_name = models.CharField(_("rule"), max_length=150)
    # "seq:<journal seq>" for a change, "overdue:<task>:<due>" for a task found late: unique per rule.
    key = models.CharField(max_length=120)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.UUIDField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=255)
    results = models.JSONField(_("results"), default=list, blank=True)
    failed = models.BooleanField(_("failed"), default=False)

    class Meta:
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["rule", "key"], name="processes_firing_once")]

    def __str__(self) -> str:
        return f"{self.rule_name}: {self.object_repr}"


class AutomationCursor(models.Model):
    """How far through the change journal the automation pass has read (its `seq`), as the exchange's export."""

    name = models.CharField(max_length=32, primary_key=True)
    seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("automation cursor")
        verbose_name_plural = _("automation cursors")

    def __str__(self) -> str:
        return f"{self.name}: {self.seq}"
