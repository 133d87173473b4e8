from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running Raccordo: backups, workers' heartbeats, health checks, metrics and the system page."""

    name = "raccordo.operations"
    label = "operations"
    verbose_name = _("Operations")
