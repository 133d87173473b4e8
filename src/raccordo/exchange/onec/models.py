"""The 1C site-exchange endpoint's records: per-node limits, exchange sessions, their files, the request log."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel
from raccordo.exchange.models import ExchangeNode, Run

MiB = 1024 * 1024


class OneCSettings(BaseModel):
    """How one node's 1C talks to the endpoint: what init answers, the upload limits, time budget, retention."""

    node = models.OneToOneField(ExchangeNode, on_delete=models.CASCADE, related_name="onec_settings",
                                verbose_name=_("exchange node"))
    zip_allowed = models.BooleanField(_("accept zip archives"), default=True,
                                      help_text=_("Answered to 1C as zip=yes: 1C then sends one archive."))
    file_limit = models.PositiveBigIntegerField(_("chunk size (bytes)"), default=16 * MiB,
                                                help_text=_("1C cuts files into chunks of at most this size."))
    max_upload = models.PositiveBigIntegerField(_("upload limit per session (bytes)"), default=2048 * MiB)
    # Budgets of one 1C exchange (all its archives together): a second archive cannot double them.
    zip_max_entries = models.PositiveIntegerField(_("files unpacked in one exchange, at most"), default=100_000)
    zip_max_total = models.PositiveBigIntegerField(_("unpacked size of one exchange's archives, at most (bytes)"),
                                                   default=8192 * MiB)
    zip_max_ratio = models.PositiveIntegerField(_("compression ratio, at most"), default=200,
                                                help_text=_("Real 1C archives reach about 80:1; more is a zip bomb."))
    time_budget = models.FloatField(_("seconds per import request"), default=20.0,
                                    help_text=_("An import request answers “progress” after this and the "
                                                "background worker goes on."))
    session_timeout = models.PositiveIntegerField(_("session expires after idle seconds"), default=3600)
    lock_seconds = models.PositiveIntegerField(
        _("a session blocks another one for seconds"), default=120,
        help_text=_("While a session was active this recently (or still imports), a second one is refused."))
    snapshot_idle = models.PositiveIntegerField(
        _("an exchange without “complete” ends after idle seconds"), default=600,
        help_text=_("Older 1C clients never say that an exchange is over: it ends when 1C starts the next one, "
                    "or after this long without a request. Only then does a full catalog deactivate what it "
                    "did not list."))
    max_open_sessions = models.PositiveIntegerField(
        _("open exchanges per node, at most"), default=4,
        help_text=_("Beyond this, the oldest idle exchange of the node is closed when 1C starts a new one."))
    keep_days = models.PositiveIntegerField(_("keep uploaded files for days"), default=7)
    log_keep_days = models.PositiveIntegerField(_("keep the request log for days"), default=90)

    class Meta:
        verbose_name = _("1C exchange settings")
        verbose_name_plural = _("1C exchange settings")

    def __str__(self) -> str:
        return str(self.node)


class SessionStatus(models.TextChoices):
    AUTHORISED = "auth", _("Authorised")
    OPEN = "open", _("Open")
    COMPLETE = "complete", _("Complete")
    CLOSED = "closed", _("Replaced by a newer session")
    EXPIRED = "expired", _("Expired")


class OneCSession(BaseModel):
    """One exchange session of a 1C base: from checkauth to the last import, with its own upload directory."""

    node = models.ForeignKey(ExchangeNode, on_delete=models.CASCADE, related_name="onec_sessions",
                             verbose_name=_("exchange node"))
    token = models.CharField(max_length=64, unique=True)
    type = models.CharField(_("type"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=SessionStatus.choices,
                              default=SessionStatus.AUTHORISED, db_index=True)
    version = models.CharField(_("protocol version"), max_length=16, blank=True)
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last request"), db_index=True)
    initialised_at = models.DateTimeField(_("initialised"), null=True, blank=True)
    finish_run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("deactivation run"))
    files_removed = models.BooleanField(_("files removed"), default=False)
    message = models.TextField(_("outcome"), blank=True)
    # Set when 1C was told the exchange is over (catalog `complete`, sale `complete`): the token is dead
    # from then on, whatever the status (finding M6).
    ended_at = models.DateTimeField(_("token ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("1C exchange session")
        verbose_name_plural = _("1C exchange sessions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["node", "type", "status"], name="onec_session_node_type")]

    def __str__(self) -> str:
        return f"{self.node} {self.type} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def directory(self) -> Path:
        return Path(settings.VAR_DIR) / "exchange" / self.node.code / str(self.pk)


class FileKind(models.TextChoices):
    XML = "xml", _("CommerceML")
    ZIP = "zip", _("Archive")
    OTHER = "other", _("Other file")


class FileStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    UNPACKED = "unpacked", _("Unpacked")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")


class OneCFile(BaseModel):
    """A file of a session: uploaded in chunks, or unpacked from an uploaded archive; its import run."""

    session = models.ForeignKey(OneCSession, on_delete=models.CASCADE, related_name="files",
                                verbose_name=_("session"))
    name = models.CharField(_("name"), max_length=500)
    kind = models.CharField(_("kind"), max_length=8, choices=FileKind.choices, default=FileKind.OTHER)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    chunks = models.PositiveIntegerField(_("chunks"), default=0)
    resent = models.PositiveIntegerField(_("sent again"), default=0)
    archive = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="members",
                                verbose_name=_("unpacked from"))
    status = models.CharField(_("status"), max_length=10, choices=FileStatus.choices, default=FileStatus.UPLOADED)
    run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                            verbose_name=_("import run"))
    message = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("1C exchange file")
        verbose_name_plural = _("1C exchange files")
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["session", "name"], name="onec_file_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> Path:
        return self.session.directory / self.name


class OneCRequest(models.Model):
    """One request of 1C to the endpoint and the first line of the answer: the node's exchange log."""

    id = models.BigAutoField(primary_key=True)
    node = models.ForeignKey(ExchangeNode, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="onec_requests", verbose_name=_("exchange node"))
    session = models.ForeignKey(OneCSession, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="requests", verbose_name=_("session"))
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)
    login = models.CharField(_("login"), max_length=150, blank=True)
    type = models.CharField(_("type"), max_length=16, blank=True)
    mode = models.CharField(_("mode"), max_length=16, blank=True)
    filename = models.CharField(_("file"), max_length=500, blank=True)
    bytes = models.PositiveBigIntegerField(_("bytes"), default=0)
    answer = models.CharField(_("answer"), max_length=16, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    auth_failed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("1C exchange request")
        verbose_name_plural = _("1C exchange requests")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["remote_addr", "login", "at"], name="onec_request_throttle")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.type} {self.mode} {self.answer}"
