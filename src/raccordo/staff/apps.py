from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "raccordo.staff"
    label = "staff"
    verbose_name = _("Staff from HR (1C:ZUP)")
    default_auto_field = "django.db.models.BigAutoField"
