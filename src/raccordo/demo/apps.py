"""The demo company and first-run setup: the `demo` and `bootstrap` commands and the data they seed."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """An app without models: it exists so Django finds its management commands.

    It stands above every domain app (it writes counterparties, deals, invoices through their services),
    which is why it is not part of `core`, the ground floor they all build on.
    """

    name = "raccordo.demo"
    label = "demo"
    verbose_name = _("Demo data")
