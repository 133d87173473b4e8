from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "raccordo.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        # Imported here: the feed source reads models, which are loaded only once the apps are ready.
        from raccordo.activities.feed import register_source  # noqa: PLC0415

        from .feed import mail_feed_source  # noqa: PLC0415,I001 - see the comment above

        register_source(mail_feed_source)
        # Inside ready() too: comms' "email" channel sends from the user's own mailbox (mail.channel).
        from .channel import register_email_channel  # noqa: PLC0415

        register_email_channel()
