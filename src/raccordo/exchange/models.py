"""The exchange engine's records: peers (nodes), bindings of their ids to ours, mappings, runs."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from raccordo.core.models import BaseModel


class NodeKind(models.TextChoices):
    ONEC_HTTP = "onec-http", _("1C site exchange (HTTP)")
    FOLDER = "folder", _("Folder of files")
    TABULAR = "tabular", _("CSV / XLSX")
    ENTERPRISEDATA = "enterprisedata", _("1C EnterpriseData (universal format), folder")
    ZUP_HR = "zup-hr", _("1C:ZUP staff (HR-XML and company.xml)")


# Nodes 1C reaches over HTTP with a generated exchange login and password (site exchange; staff from 1C:ZUP).
HTTP_KINDS = (NodeKind.ONEC_HTTP, NodeKind.ZUP_HR)


class UnknownOrders(models.TextChoices):
    CREATE = "create", _("Create them")
    IGNORE = "ignore", _("Ignore them")


class ExchangeNode(BaseModel):
    """A peer Raccordo exchanges with: one 1C base, one branch office, one drop folder."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=16, choices=NodeKind.choices, default=NodeKind.ONEC_HTTP)
    login = models.CharField(_("exchange login"), max_length=150, blank=True)
    password_hash = models.CharField(max_length=256, blank=True)
    path = models.CharField(_("folder"), max_length=500, blank=True)
    object_types = models.JSONField(_("object types"), default=list, blank=True,
                                    help_text=_("What this node exchanges; empty means everything its format has."))
    cml_version = models.CharField(_("CommerceML version"), max_length=8, default="2.05")
    encoding = models.CharField(_("encoding of files we send"), max_length=16, default="windows-1251")
    unknown_orders = models.CharField(_("orders created in accounting"), max_length=8, choices=UnknownOrders.choices,
                                      default=UnknownOrders.CREATE)
    default_responsible = models.ForeignKey("access.User", on_delete=models.SET_NULL, null=True, blank=True,
                                            related_name="+", verbose_name=_("responsible for new counterparties"))
    last_sent_no = models.PositiveBigIntegerField(_("last message sent"), default=0)
    last_received_no = models.PositiveBigIntegerField(_("last message received"), default=0)
    export_cursor = models.PositiveBigIntegerField(_("journal position exported"), default=0,
                                                   help_text=_("Journal entries up to here were sent and acknowledged."))
    pending_cursor = models.PositiveBigIntegerField(_("journal position sent, not yet acknowledged"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("exchange node")
        verbose_name_plural = _("exchange nodes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code

    def set_password(self, raw: str) -> None:
        self.password_hash = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password_hash) and check_password(raw, self.password_hash)


class Binding(models.Model):
    """(node, object type, external id) <-> one of our records, with a hash of what was last exchanged.

    An unchanged hash means the record is skipped without touching it; bindings are unique both ways.
    `scope` is the peer's container the record was last listed in (a CommerceML catalog's Ид), so a
    full snapshot of one catalog never touches another's; `peer_deleted` is the peer's deletion mark
    (ПометкаУдаления), remembered across files and exchanges so that nothing brings such a record back.
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: both unique constraints lead with the node, so they serve lookups by node too.
    node = models.ForeignKey(ExchangeNode, on_delete=models.CASCADE, related_name="bindings", db_index=False)
    object_type = models.CharField(max_length=64)
    external_id = models.CharField(max_length=255)
    object_id = models.UUIDField()
    content_hash = models.CharField(max_length=40, blank=True)
    scope = models.CharField(max_length=255, blank=True, default="")
    peer_deleted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("binding")
        verbose_name_plural = _("bindings")
        constraints = [
            models.UniqueConstraint(fields=["node", "object_type", "external_id"], name="binding_unique_external"),
            models.UniqueConstraint(fields=["node", "object_type", "object_id"], name="binding_unique_object"),
        ]

    def __str__(self) -> str:
        return f"{self.node_id}:{self.object_type}:{self.external_id}"


class ConflictPolicy(models.TextChoices):
    ACCOUNTING_WINS = "accounting", _("Accounting wins")
    CRM_WINS = "crm", _("CRM wins")
    NEWER_WINS = "newer", _("Newer wins")
    ASK = "ask", _("Ask")


class Mapping(BaseModel):
    """How one node's records of one object type become ours: matching keys, create or update only, ownership."""

    node = models.ForeignKey(ExchangeNode, on_delete=models.CASCADE, related_name="mappings")
    object_type = models.CharField(_("object type"), max_length=64)
    match_keys = models.JSONField(_("matching keys"), default=list, blank=True,
                                  help_text=_("Fields that find an existing record when no binding exists yet."))
    allow_create = models.BooleanField(_("create new records"), default=True)
    owned_fields = models.JSONField(_("fields accounting owns"), default=list, blank=True)
    conflict_policy = models.CharField(_("on conflict"), max_length=12, choices=ConflictPolicy.choices,
                                       default=ConflictPolicy.ACCOUNTING_WINS)
    field_map = models.JSONField(_("field map"), default=dict, blank=True,
                                 help_text=_("Field of the incoming record -> our field; empty: the format's defaults."))
    filters = models.JSONField(_("filters"), default=dict, blank=True,
                               help_text=_("Which records this mapping takes, e.g. only some product groups."))
    responsible = models.ForeignKey("access.User", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("responsible for new records"))

    class Meta:
        verbose_name = _("mapping")
        verbose_name_plural = _("mappings")
        constraints = [models.UniqueConstraint(fields=["node", "object_type"], name="mapping_unique_per_type")]

    def __str__(self) -> str:
        return f"{self.node} / {self.object_type}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partial", _("Finished with errors")
    FAILED = "failed", _("Failed")
    STOPPED = "stopped", _("Stopped")


class RecordPolicy(models.TextChoices):
    SKIP = "skip", _("Skip the record")
    END_STEP = "end_step", _("End the step")
    STOP_RUN = "stop_run", _("Stop the run")


class Run(BaseModel):
    """One execution of an import or export: counters, progress, timings and every record error."""

    node = models.ForeignKey(ExchangeNode, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs")
    kind = models.CharField(_("kind"), max_length=16, default="import")
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING,
                              db_index=True)
    on_record_error = models.CharField(_("on a failing record"), max_length=10, choices=RecordPolicy.choices,
                                       default=RecordPolicy.SKIP)
    files = models.JSONField(_("files"), default=list, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created = models.PositiveIntegerField(pgettext_lazy("number of records", "created"), default=0)
    updated = models.PositiveIntegerField(pgettext_lazy("number of records", "updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    deactivated = models.PositiveIntegerField(_("deactivated"), default=0)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    message = models.TextField(_("outcome"), blank=True)
    user = models.ForeignKey("access.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    task = models.ForeignKey("ExchangeTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="runs",
                             verbose_name=_("task"))
    params = models.JSONField(_("parameters"), default=dict, blank=True,
                              help_text=_("What the run was started with (kept files, options), so it can be retried."))
    retry_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retries",
                                 verbose_name=_("retry of"))

    class Meta:
        verbose_name = _("exchange run")
        verbose_name_plural = _("exchange runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    def counters(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("created", "updated", "unchanged", "skipped", "failed", "deactivated")}


class RunItem(models.Model):
    """One record's outcome in a run worth keeping: every error and duplicate, with where in which file it came
    from; in a dry run also each record that would be created or updated, with its changes."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="items")
    outcome = models.CharField(max_length=10)
    object_type = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    object_id = models.UUIDField(null=True, blank=True)
    code = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    file = models.CharField(max_length=255, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(null=True, blank=True,
                               help_text="Field -> [before, after] of a record a dry run would create or update; "
                                         "for a conflict, field -> [CRM value, accounting value].")
    resolution = models.CharField(max_length=12, blank=True,
                                  help_text="How a conflict was settled: accounting, crm (empty while it waits).")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("access.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("run item")
        verbose_name_plural = _("run items")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.file}:{self.line or ''} {self.code}"


class StepKind(models.TextChoices):
    IMPORT_FOLDER = "import-folder", _("Import the node's folder")
    EXPORT_ORDERS = "export-orders", _("Export orders")
    ENTERPRISEDATA = "enterprisedata-exchange", _("Exchange EnterpriseData messages with 1C")


class StepPolicy(models.TextChoices):
    GO_ON = "go_on", _("Go on with the next step")
    STOP = "stop", _("Stop the task")


class ExchangeTask(BaseModel):
    """An ordered list of exchange steps of one node, run by hand or on a cron schedule.

    steps: [{"kind": "import-folder" | "export-orders" | "enterprisedata-exchange", "policy_record": skip | end_step | stop_run,
    "policy_step": go_on | stop}, ...]
    """

    node = models.ForeignKey(ExchangeNode, on_delete=models.CASCADE, related_name="tasks",
                             verbose_name=_("exchange node"))
    name = models.SlugField(_("name"), max_length=64)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    cron = models.CharField(_("schedule (cron)"), max_length=100, blank=True,
                            help_text=_("minute hour day month weekday, e.g. “0 2 * * *” nightly at 02:00; "
                                        "empty: run by hand only."))
    is_active = models.BooleanField(_("active"), default=True)
    allowed_users = models.ManyToManyField("access.User", blank=True, related_name="+",
                                           verbose_name=_("users who may run it"))
    allowed_roles = models.JSONField(_("roles who may run it"), default=list, blank=True)
    last_scheduled_at = models.DateTimeField(_("last scheduled start"), null=True, blank=True)

    class Meta:
        verbose_name = _("exchange task")
        verbose_name_plural = _("exchange tasks")
        ordering = ["node", "name"]
        constraints = [models.UniqueConstraint(fields=["node", "name"], name="exchange_task_unique_name")]

    def __str__(self) -> str:
        return f"{self.node.code}/{self.name}"


class NodeLock(models.Model):
    """The one active run of a node: a row exists while a task of the node runs (unique per node)."""

    id = models.BigAutoField(primary_key=True)
    node = models.OneToOneField(ExchangeNode, on_delete=models.CASCADE, related_name="lock")
    task = models.ForeignKey(ExchangeTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    acquired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("node lock")
        verbose_name_plural = _("node locks")

    def __str__(self) -> str:
        return f"{self.node_id} since {self.acquired_at}"


class JournalGap(models.Model):
    """A run of change-journal positions an export found missing below entries it could see, and which
    transactions might still commit them (see `exchange.exporters.horizon`).

    PostgreSQL hands out journal positions when a row is written, not when it commits: a position may be
    missing because its transaction is still open (it will appear, below entries already sent) or because
    it rolled back (it never will). The gap is kept with the writers that were open when it was seen; once
    none of them is, a position still missing is gone for good and exports pass over it."""

    id = models.BigAutoField(primary_key=True)
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField(db_index=True)
    # PostgreSQL virtual transaction ids ("backend/local") that held a write lock on the journal then.
    holders = models.JSONField(default=list, blank=True)
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("journal gap")
        verbose_name_plural = _("journal gaps")

    def __str__(self) -> str:
        return f"#{self.first_seq}-{self.last_seq}"
