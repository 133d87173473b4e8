"""Reference records the forms offer as choices (own companies, funnels, stages, tags, users).

Each is the app's own selector (through the access policy); this module only gives the forms one place to ask.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from raccordo.access import policy
from raccordo.parties.models import OwnCompany, Tag
from raccordo.parties.selectors import default_own_company as _default_own_company
from raccordo.parties.selectors import own_company_list, tag_list
from raccordo.sales.models import Funnel, Stage
from raccordo.sales.selectors import funnel_list, stage_list


def own_companies(user) -> QuerySet[OwnCompany]:
    """The own companies `user` may see, the default one first."""
    return own_company_list(user=user)


def default_own_company(user) -> OwnCompany | None:
    """The own company a new document is issued from (parties.selectors.default_own_company)."""
    return _default_own_company(user=user)


def funnels(user) -> QuerySet[Funnel]:
    """The funnels `user` may see."""
    return funnel_list(user=user)


def stages(user) -> QuerySet[Stage]:
    """The stages `user` may see, funnel by funnel."""
    return stage_list(user=user)


def tags(user) -> QuerySet[Tag]:
    """The counterparty tags `user` may see."""
    return tag_list(user=user)


def assignable_users(user):
    """People a record can be given to (the policy decides: everyone, the user's departments, or only them)."""
    return policy.assignable_users(user)


def team_choices(user):
    """The people a list's person filter offers (`policy.team_members`, by name), or None when that is only the
    user (a manager's lists have "Mine" for that)."""
    people = policy.team_members(user).order_by("last_name", "first_name", "username")
    return people if people.exclude(pk=user.pk).exists() else None


def opens_on_team(user, people) -> bool:
    """Does a list start on "My team" for `user` (`people` = `team_choices(user)`): a head who leads others sees
    few records of her own, so her lists open on her team's (issue #17); `team=0` in the address shows all."""
    return people is not None and policy.oversees_team(user)


def colleagues(user):
    """Active colleagues a counterparty can be shared with (names of colleagues are not client data)."""
    if user is None or not user.is_authenticated:
        return get_user_model().objects.none()
    return get_user_model().objects.filter(is_active=True).exclude(pk=user.pk).order_by("last_name", "first_name")
