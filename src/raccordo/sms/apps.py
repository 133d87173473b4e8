from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "raccordo.sms"
    label = "sms"
    verbose_name = _("SMS")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The one way messages reach clients (comms.channels) learns the "sms" channel here, and the card's feed
        # its SMS lines; neither module knows this app.
        from raccordo.activities.feed import register_source  # models must be loaded before these modules
        from raccordo.comms.channels import register  # (idem)

        from .feed import sms_feed_items  # (idem)
        from .services import sms_channel_send  # (idem)

        register("sms", sms_channel_send)
        register_source(sms_feed_items)
