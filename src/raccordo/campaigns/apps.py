from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "raccordo.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The card's feed learns of campaign touches here; activities.feed does not know this app.
        from raccordo.activities.feed import register_source  # models must be loaded before these modules

        from .feed import touch_feed_items  # (idem)

        register_source(touch_feed_items)
        # A new deal of a client who met a campaign is attributed to it (last touch); sales does not know this app.
        from raccordo.sales.services import register_source_finder

        from .services import last_touch_campaign  # (idem)

        register_source_finder(last_touch_campaign)
