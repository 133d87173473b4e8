"""Figures of reports kept in the database so that pages need not recompute them on every view.

The cache lives in the database, not in Django's cache: the web processes and the Huey worker that
refreshes the figures do not share a local-memory cache, and a database row is there for every process.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.ids import new_id


class SnapshotKind(models.TextChoices):
    KPI = "kpi", _("KPI report for a year")
    RECEIVABLES = "receivables", _("Receivable and overdue totals")


class ReportSnapshot(models.Model):
    """One report's figures computed for one access scope (and year), with when they were computed.

    `scope_key` names the set of records the figures were computed from (see reports.selectors.scope_key):
    two people share a snapshot only when the access policy shows them exactly the same records. `user` is
    the person whose access computed it; the worker recomputes the figures as that person.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    kind = models.CharField(_("report"), max_length=16, choices=SnapshotKind.choices)
    year = models.PositiveIntegerField(_("year"), default=0, help_text=_("0 for figures that have no year."))
    scope_key = models.CharField(_("access scope"), max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("computed for"))
    data = models.JSONField(_("figures"), default=dict)
    computed_at = models.DateTimeField(_("computed"))
    seconds = models.FloatField(_("computing time, s"), default=0)
    # Last time a page asked for it (updated at most once a minute): the worker keeps only these warm.
    requested_at = models.DateTimeField(_("last requested"), db_index=True)

    class Meta:
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")
        constraints = [models.UniqueConstraint(fields=["kind", "scope_key", "year"], name="reports_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year or ''} {self.scope_key}".strip()
