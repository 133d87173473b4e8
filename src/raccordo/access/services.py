"""Write services of access: sharing counterparties, handing a leaver's clients over, users' roles, API tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.activities.models import Task, TaskStatus
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import journal_bulk, journal_record
from raccordo.core.models import Operation
from raccordo.parties.models import Counterparty
from raccordo.sales.models import Deal, StageKind

from . import policy
from .models import ApiToken, CounterpartyShare, CustomRole, Department, TokenScope, hash_token
from .records import check_fields, record_create, record_update

TOKEN_PREFIX = "rcd_"
# Fields that decide what a user may do: nobody changes them on themselves, only administrators on others.
PRIVILEGED_USER_FIELDS = ("role", "custom_role", "department", "is_superuser", "is_staff", "is_active",
                          "groups", "user_permissions")


# --- Sharing ------------------------------------------------------------------------------------------------

@transaction.atomic
def counterparty_share(*, user, counterparty, with_user) -> CounterpartyShare:
    """Let a colleague view and change one counterparty and everything hanging off it (never delete it, never
    share it onward: see policy.SHARE_GRANTS). Only its owner's side shares it. VIP clients are not shared."""
    policy.require_share(user, counterparty)
    if counterparty.is_vip:
        raise ApplicationError(_("A VIP counterparty is not shared: only its manager, their heads and people "
                                 "allowed to see VIP clients see it."), code="access.share.vip")
    if not with_user.is_active or with_user.pk == counterparty.responsible_id:
        raise ApplicationError(_("Choose an active colleague other than the responsible manager."),
                               code="access.share.invalid")
    share, created = CounterpartyShare.objects.get_or_create(
        counterparty=counterparty, user=with_user, defaults={"granted_by": user if getattr(user, "pk", None) else None})
    if created:
        journal_record(obj=counterparty, operation=Operation.UPDATE,
                       changes={"shared_with": [None, str(with_user.pk)]}, user=user)
    return share


@transaction.atomic
def counterparty_unshare(*, user, counterparty, with_user) -> None:
    """Stop sharing a counterparty with a colleague (its owner's side only, as sharing it)."""
    policy.require_share(user, counterparty)
    deleted, _rows = CounterpartyShare.objects.filter(counterparty=counterparty, user=with_user).delete()
    if deleted:
        journal_record(obj=counterparty, operation=Operation.UPDATE,
                       changes={"shared_with": [str(with_user.pk), None]}, user=user)


def counterparty_shares(*, user, counterparty):
    """The colleagues a visible counterparty is shared with."""

    if not policy.visible(Counterparty.objects.filter(pk=counterparty.pk), user).exists():
        return CounterpartyShare.objects.none()
    return CounterpartyShare.objects.filter(counterparty=counterparty).select_related("user")


# --- A manager leaves: their clients go to someone else ---------------------------------------------------

@transaction.atomic
def clients_reassign(*, user, from_user, to_user) -> dict[str, int]:
    """Hand all of `from_user`'s counterparties, open deals and open tasks to `to_user`, journaled.

    Only people who may give records to both (administrators; heads within their departments) may do it.
    """

    if from_user.pk == to_user.pk:
        raise ApplicationError(_("Choose two different people."), code="access.reassign.same")
    if not to_user.is_active:
        raise ApplicationError(_("The new manager's account is not active."), code="access.reassign.inactive")
    if user is not None:
        reach = policy.assignable_users(user)
        if not reach.filter(pk=to_user.pk).exists() or not policy.may_take_clients_from(user, from_user):
            raise PermissionDenied(_("You may not hand over these people's clients."), code="access.reassign.denied")
    now = timezone.now()
    counts = {}
    work: list[tuple[Any, str, str]] = [
        (Counterparty.objects.filter(responsible=from_user), "responsible", "counterparties"),
        (Deal.objects.filter(manager=from_user, stage__kind=StageKind.OPEN), "manager", "deals"),
        (Task.objects.filter(assignee=from_user, status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS],
                             counterparty__isnull=False), "assignee", "tasks"),
    ]
    for qs, field, label in work:
        rows = list(qs.select_for_update())
        change = {field: [str(from_user.pk), str(to_user.pk)]}
        journal_bulk(entries=[(row, Operation.UPDATE, change) for row in rows], user=user)
        qs.model.objects.filter(pk__in=[r.pk for r in rows]).update(**{field: to_user}, updated_at=now)
        counts[label] = len(rows)
    return counts


# --- Users ----------------------------------------------------------------------------------------------------

@transaction.atomic
def user_update(*, user, target, data: dict[str, Any]):
    """Change a user's profile; roles, department and flags only by an administrator, never on oneself."""
    privileged = [k for k in data if k in PRIVILEGED_USER_FIELDS]
    if user is not None:
        if target.pk != user.pk and not policy.is_admin(user):
            raise PermissionDenied(_("You may change only your own profile."), code="access.user.denied")
        if privileged and (target.pk == user.pk or not policy.is_admin(user)):
            raise PermissionDenied(_("You may not change your own role, department or permissions."),
                                   code="access.user.own_role")
    before = {k: str(getattr(target, f"{k}_id", getattr(target, k, None))) for k in data if k not in
              ("groups", "user_permissions")}
    for key, value in data.items():
        setattr(target, key, value)
    target.full_clean(exclude=["password"])
    target.save()
    changes = {k: [v, str(getattr(target, f"{k}_id", getattr(target, k, None)))] for k, v in before.items()}
    changes = {k: v for k, v in changes.items() if v[0] != v[1]}
    if changes:
        journal_record(obj=target, operation=Operation.UPDATE, changes=changes, user=user)
    return target


@transaction.atomic
def user_password_set(*, user, target, password: str):
    """Give `target` a new password (their own, or an administrator's reset of someone's); journaled without it.

    The password validators of the settings apply; the old password is checked by the form that asks for it.
    """
    if not policy.may_set_password(user, target):
        raise PermissionDenied(_("You may change only your own password."), code="access.password.denied")
    password_validation.validate_password(password, target)
    target.set_password(password)
    target.save(update_fields=["password"])
    by = "self" if target.pk == user.pk else "administrator"
    journal_record(obj=target, operation=Operation.UPDATE, changes={"password": ["", f"set by {by}"]}, user=user)
    return target


# --- Settings: users, departments and custom roles (administrators; access.policy.may_configure) ------------

USER_CREATE_FIELDS = ("username", "first_name", "last_name", "email", "phone", "language", "role", "custom_role",
                      "department", "is_active", "password")
# What the users page changes; a password changes only through user_password_set, which validates it.
USER_SETTINGS_FIELDS = ("first_name", "last_name", "email", "phone", "language", "role", "custom_role", "department",
                        "is_active")
DEPARTMENT_FIELDS = ("name", "parent")
CUSTOM_ROLE_FIELDS = ("name", "scope", "permissions", "view_vip")


@transaction.atomic
def user_create(*, user, data: dict[str, Any], password: str):
    """A new colleague with a first password (validated by the settings' password validators), journaled.

    Only administrators add people (the user model has no access rule: policy.require refuses everyone else).
    The journal names the password field but never holds its hash (core.journal masks secrets).
    """
    data = {k: v for k, v in data.items() if k != "password"}
    password_validation.validate_password(password, get_user_model()(**data))
    return record_create(get_user_model(), user=user, data={**data, "password": make_password(password)},
                         fields=USER_CREATE_FIELDS)


def user_settings_update(*, user, target, data: dict[str, Any]):
    """Change a colleague's name, contacts, language, role, department or whether they may sign in.

    Goes through user_update, so nobody changes their own role or deactivates themselves.
    """
    check_fields(get_user_model(), data, USER_SETTINGS_FIELDS)
    if user is not None and not policy.may_configure(user):
        raise PermissionDenied(_("Only administrators manage users."), code="access.user.denied")
    # The page sends every field: an unchanged role is not a change of role (an administrator may still
    # correct their own name there), a changed one on oneself is refused by user_update.
    data = {k: v for k, v in data.items() if k not in PRIVILEGED_USER_FIELDS or v != getattr(target, k)}
    return user_update(user=user, target=target, data=data)


def department_create(*, user, data: dict[str, Any]) -> Department:
    """Add a department to the company's tree (administrators only)."""
    return record_create(Department, user=user, data=data, fields=DEPARTMENT_FIELDS)


def department_update(*, user, department: Department, data: dict[str, Any]) -> Department:
    """Rename a department or move it in the tree (never below itself: Department.clean)."""
    return record_update(department, user=user, data=data, fields=DEPARTMENT_FIELDS)


def custom_role_create(*, user, data: dict[str, Any]) -> CustomRole:
    """Compose a role of actions per object type, a scope and the VIP grant (administrators only)."""
    return record_create(CustomRole, user=user, data=data, fields=CUSTOM_ROLE_FIELDS)


def custom_role_update(*, user, role: CustomRole, data: dict[str, Any]) -> CustomRole:
    """Change a custom role; its holders get the new permissions on their next request."""
    return record_update(role, user=user, data=data, fields=CUSTOM_ROLE_FIELDS)


# --- API tokens -----------------------------------------------------------------------------------------------

@transaction.atomic
def api_token_create(*, user, name: str, scope: str = TokenScope.READ,
                     expires_in_days: int | None = 90) -> tuple[ApiToken, str]:
    """A new personal token for `user`; the plain token is returned once and only its hash is kept."""
    if scope not in TokenScope.values:
        raise ApplicationError(_("Unknown token scope."), code="access.token.scope")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(user=user, name=(name or "").strip() or _("API token"), prefix=plain[:12],
                     key_hash=hash_token(plain), scope=scope, expires_at=expires_at)
    token.full_clean()
    token.save()
    return token, plain


def api_token_list(*, user):
    """The user's own tokens, newest first."""
    return ApiToken.objects.filter(user=user) if getattr(user, "pk", None) else ApiToken.objects.none()


@transaction.atomic
def api_token_revoke(*, user, token: ApiToken) -> ApiToken:
    """Revoke a token (its owner or an administrator)."""
    if token.user_id != user.pk and not policy.is_admin(user):
        raise PermissionDenied(_("This is not your token."), code="access.token.denied")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(plain: str) -> ApiToken | None:
    """The active token with this value (and its user), or None. Marks when it was last used."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(plain)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
