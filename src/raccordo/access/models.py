"""Users, their roles and departments, counterparties shared between colleagues, personal API tokens."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from raccordo.core.ids import new_id
from raccordo.core.trees import refuse_cycle

from .subjects import ACTIONS, SUBJECTS


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    HEAD = "head", _("Head of sales")
    MANAGER = "manager", _("Sales manager")
    MARKETER = "marketer", _("Marketer")
    ACCOUNTANT = "accountant", _("Accountant")


class Scope(models.TextChoices):
    """Which people's records a role reaches (besides the records shared with the user)."""

    OWN = "own", _("Own records")
    DEPARTMENT = "department", _("Own department and the departments below it")
    ALL = "all", _("All records")


class Department(models.Model):
    """A node of the company's tree of departments ("Sales" > "Sales Russia" > "Moscow office")."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    name = models.CharField(_("name"), max_length=128, unique=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent department"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        refuse_cycle(self, _("A department cannot be placed below itself."))


class CustomRole(models.Model):
    """A role composed by an administrator: actions per object type, a scope and special grants.

    `permissions` has the shape of the built-in roles in `access.roles.BUILTIN_ROLES`:
    {"counterparties": ["view", "add", "change", "export"], "invoices": ["view"], ...}.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    name = models.CharField(_("name"), max_length=128, unique=True)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.OWN)
    permissions = models.JSONField(_("permissions"), default=dict, blank=True,
                                   help_text=_("Actions per object type, e.g. {\"invoices\": [\"view\"]}."))
    view_vip = models.BooleanField(_("sees VIP counterparties"), default=False)

    class Meta:
        verbose_name = _("custom role")
        verbose_name_plural = _("custom roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.permissions, dict):
            raise ValidationError({"permissions": _("Expected an object of object types to lists of actions.")})
        errors = []
        for subject, actions in self.permissions.items():
            if subject not in SUBJECTS:
                errors.append(_("Unknown object type: %(name)s.") % {"name": subject})
            elif not isinstance(actions, list) or any(a not in ACTIONS for a in actions):
                errors.append(_("Unknown action for %(name)s.") % {"name": subject})
        if errors:
            raise ValidationError({"permissions": errors})


class User(AbstractUser):
    """A person who logs in to Raccordo; `role` (or a custom role) decides what the access policy lets them do."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MANAGER)
    custom_role = models.ForeignKey(CustomRole, on_delete=models.PROTECT, null=True, blank=True, related_name="users",
                                    verbose_name=_("custom role"),
                                    help_text=_("When set, it replaces the built-in role's permissions."))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="members", verbose_name=_("department"))
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
        return self.is_superuser or (self.role == Role.ADMIN and self.custom_role_id is None)


class CounterpartyShare(models.Model):
    """A counterparty its responsible manager shares with a colleague: the colleague reaches it and its records."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.CASCADE, related_name="shares",
                                     verbose_name=_("counterparty"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shared_counterparties",
                             verbose_name=_("shared with"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("granted by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("shared counterparty")
        verbose_name_plural = _("shared counterparties")
        constraints = [models.UniqueConstraint(fields=["counterparty", "user"], name="access_share_unique")]

    def __str__(self) -> str:
        return f"{self.counterparty} → {self.user}"


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token: only its SHA-256 is stored; it expires, it has a scope, it can be revoked."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100, help_text=_("What it is for, e.g. “1C export script”."))
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True,
                              help_text=_("The token's first characters, to tell tokens apart."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(_("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class SignInCounter(models.Model):
    """Recent sign-in attempts of one (surface kind, login, client address), shared by every server process.

    Used by access.throttle when no Redis is configured. `expires` is a Unix time (not a DateTimeField) so
    that the atomic upsert in access.throttle compares plain numbers on SQLite and PostgreSQL alike.
    """

    key = models.CharField(max_length=80, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires = models.FloatField(db_index=True)

    class Meta:
        verbose_name = _("sign-in counter")
        verbose_name_plural = _("sign-in counters")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
