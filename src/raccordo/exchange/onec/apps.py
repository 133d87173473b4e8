from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OneCConfig(AppConfig):
    name = "raccordo.exchange.onec"
    label = "onec"
    verbose_name = _("1C site exchange")
