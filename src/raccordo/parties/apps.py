from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "raccordo.parties"
    label = "parties"
    verbose_name = _("Counterparties")

    def ready(self) -> None:
        # Imported in ready(): the search module connects signals to models, which exist only once the app registry is loaded.
        from . import search

        search.connect_signals()
