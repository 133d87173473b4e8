"""Reference records the forms offer as choices (own companies, funnels, stages, tags, users).

They have no selector of their own yet; each query still goes through the access policy.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from raccordo.access import policy
from raccordo.access.policy import visible
from raccordo.parties.models import OwnCompany, Tag
from raccordo.sales.models import Funnel, Stage


def own_companies(user) -> QuerySet[OwnCompany]:
    return visible(OwnCompany.objects.all(), user).order_by("-is_default", "name")


def default_own_company(user) -> OwnCompany | None:
    return own_companies(user).first()


def funnels(user) -> QuerySet[Funnel]:
    return visible(Funnel.objects.all(), user)


def stages(user) -> QuerySet[Stage]:
    return visible(Stage.objects.select_related("funnel"), user).order_by("funnel__order", "funnel__name", "order")


def tags(user) -> QuerySet[Tag]:
    return visible(Tag.objects.all(), user)


def assignable_users(user):
    """People a record can be given to (the policy decides: everyone, the user's departments, or only them)."""
    return policy.assignable_users(user)


def colleagues(user):
    """Active colleagues a counterparty can be shared with (names of colleagues are not client data)."""
    if user is None or not user.is_authenticated:
        return get_user_model().objects.none()
    return get_user_model().objects.filter(is_active=True).exclude(pk=user.pk).order_by("last_name", "first_name")
