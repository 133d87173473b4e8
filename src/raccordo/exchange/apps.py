from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "raccordo.exchange"
    label = "exchange"
    verbose_name = _("Exchange")

    def ready(self) -> None:
        # Imported here: the models are ready only now. A merge of two counterparties moves their bindings too.
        from raccordo.parties.merge import counterparty_merged  # noqa: I001 - see the comment above
        from .binding_rows import bindings_merge  # the receiver, imported with its signal

        counterparty_merged.connect(bindings_merge, dispatch_uid="exchange-bindings-merge")
