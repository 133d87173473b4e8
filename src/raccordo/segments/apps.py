from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "raccordo.segments"
    label = "segments"
    verbose_name = _("Segments and mailings")

    def ready(self) -> None:
        # The card's feed learns the mass e-mail lines here; activities.feed does not know this app.
        from raccordo.activities.feed import register_source  # models must be loaded before these modules

        from .feed import mailing_feed_items  # (idem)

        register_source(mailing_feed_items)
        # Bounce notices found by a mailbox sync reach the mass e-mail here; the mail app does not know this one.
        from raccordo.mail.reports import register_reader

        from .bounces import record_late_bounce  # (idem)

        register_reader(record_late_bounce)
