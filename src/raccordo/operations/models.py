"""What the operations of an installation leave behind: its workers' heartbeats and its backups."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel


class WorkerHeartbeat(BaseModel):
    """One background worker process (a Huey consumer) and when it last said it was alive."""

    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process"))
    started_at = models.DateTimeField(_("started"))
    seen_at = models.DateTimeField(_("last seen"), db_index=True)
    tasks_done = models.PositiveBigIntegerField(_("tasks done"), default=0)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["-seen_at"]
        constraints = [models.UniqueConstraint(fields=["host", "pid", "started_at"], name="operations_worker_unique")]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class BackupStatus(models.TextChoices):
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Backup(BaseModel):
    """One backup of the database and the files under var/: where it was written, how big, how it ended.

    Written once the backup has ended, so a backup never holds a record of itself still running.
    """

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    status = models.CharField(_("status"), max_length=10, choices=BackupStatus.choices)
    path = models.CharField(_("folder"), max_length=1000, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    database = models.CharField(_("database"), max_length=20)
    host = models.CharField(_("host"), max_length=255)
    nightly = models.BooleanField(_("nightly"), default=False)
    message = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"
