from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "raccordo.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        """Plug the calls into the card's feed and into the head's report, without those apps knowing this one."""
        # Imported here, once the models are loaded: the feed and the report's hook read models.
        from raccordo.activities.feed import register_source  # noqa: I001
        # (the same reason)
        from raccordo.reports.missed_calls import register_missed_calls_source
        # (the same reason: feed and selectors import this app's models)
        from .feed import call_feed_source
        # (the same reason)
        from .selectors import missed_calls_by_person, pbx_configured

        register_source(call_feed_source)
        register_missed_calls_source(missed_calls_by_person, connected=pbx_configured)
