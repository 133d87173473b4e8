from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "raccordo.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        from raccordo.activities.feed import register_source

        from .feed import mail_feed_source

        register_source(mail_feed_source)
