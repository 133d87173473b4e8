from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "raccordo.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        # Inside ready(): the channel imports the models. comms' "email" goes through the user's own mailbox.
        from .channel import register_email_channel
        register_email_channel()
