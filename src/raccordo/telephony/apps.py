from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "raccordo.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        # Models are loaded only now; the calls show on the card's feed without activities knowing this app.
        from raccordo.activities.feed import register_source  # noqa: I001
        # (the same reason: feed imports the models)
        from .feed import call_feed_source

        register_source(call_feed_source)
