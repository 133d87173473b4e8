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
