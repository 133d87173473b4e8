"""Users and their roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.ids import new_id


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    HEAD = "head", _("Head of sales")
    MANAGER = "manager", _("Sales manager")
    MARKETER = "marketer", _("Marketer")
    ACCOUNTANT = "accountant", _("Accountant")


class User(AbstractUser):
    """A person who logs in to Raccordo; `role` decides what the access policy lets them see and do."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MANAGER)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True,
                                help_text=_("Preferred interface language; empty follows the browser."))

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN
