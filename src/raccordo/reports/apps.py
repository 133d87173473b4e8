from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "raccordo.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # Function-level import: the signal handlers need the models, which are not loaded before ready().
        from .signals import connect_signals  # noqa: PLC0415

        connect_signals()
