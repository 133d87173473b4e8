from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "raccordo.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        # The calls show on the counterparty card's feed without activities knowing this app.
        from raccordo.activities.feed import register_source

        from .feed import call_feed_source

        register_source(call_feed_source)
