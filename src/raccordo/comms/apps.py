from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommsConfig(AppConfig):
    name = "raccordo.comms"
    label = "comms"
    verbose_name = _("Messages to clients")
    default_auto_field = "django.db.models.BigAutoField"
