from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterpriseDataConfig(AppConfig):
    name = "raccordo.exchange.enterprisedata"
    label = "enterprisedata"
    verbose_name = _("1C EnterpriseData exchange")
