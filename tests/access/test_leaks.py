"""Regression tests, one per known leak shape (NetBox's own bugs), plus VIP, sharing, hand-over and writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from raccordo.access import policy, services
from raccordo.access.models import CustomRole, Department
from raccordo.activities import selectors as activity_selectors
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.models import ChangeJournal
from raccordo.parties import selectors as party_selectors
from raccordo.parties.models import Counterparty
from raccordo.parties.services import counterparty_create, counterparty_update
from raccordo.sales import selectors as sales_selectors
from raccordo.sales.models import Deal, Invoice
from tests import factories

from .world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reference_data, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world(reference_data)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- 1. A permission check without the object ------------------------------------------------------------------

def test_holding_a_permission_is_not_holding_every_record(world):
    anna, marco_client = world.users["anna"], world.counterparties[6]
    assert policy.allows(anna, "change", Counterparty)          # she may change counterparties...
    assert not policy.can(anna, "change", marco_client)          # ...but not this one
    with pytest.raises(PermissionDenied):
        counterparty_update(user=anna, counterparty=marco_client, data={"notes": "mine now"})
    response = api_for(anna).patch(f"/api/v1/counterparties/{marco_client.pk}/", {"notes": "x"}, format="json")
    assert response.status_code == 404
    marco_client.refresh_from_db()
    assert marco_client.notes == ""


# --- 2. A queryset that skipped the policy -----------------------------------------------------------------------

SELECTORS = [
    (party_selectors.counterparty_list, {}), (party_selectors.contact_list, {}),
    (party_selectors.counterparty_export, {}), (sales_selectors.deal_list, {}), (sales_selectors.invoice_list, {}),
    (sales_selectors.payment_list, {}), (activity_selectors.interaction_list, {}), (activity_selectors.task_list, {}),
    (activity_selectors.complaint_list, {}), (activity_selectors.reminders_due, {}),
]


@pytest.mark.parametrize("selector,kwargs", SELECTORS, ids=lambda v: getattr(v, "__name__", ""))
def test_every_list_selector_is_narrowed_by_the_policy(selector, kwargs, world):
    for username, user in world.users.items():
        rows = list(selector(user=user, **kwargs))
        if rows:
            allowed = set(policy.visible(type(rows[0]).objects.all(), user).values_list("pk", flat=True))
            assert {r.pk for r in rows} <= allowed, (selector.__name__, username)
        assert list(selector(user=AnonymousUser(), **kwargs)) == []


def test_card_related_lists_follow_the_policy_not_the_counterparty(world, client):
    """The marketer sees the client but not its invoices or payments; the card must not list or count them."""
    cp = world.counterparties[1]
    client.force_login(world.users["mara"])
    response = client.get(f"/counterparties/{cp.pk}/")
    assert response.status_code == 200
    assert list(response.context["invoices"]) == [] and list(response.context["deals"]) == []
    assert response.context["receivable"] == {} and response.context["overdue"] == {}
    assert "XIN01X" not in response.content.decode() and "XDL01X" not in response.content.decode()
    # ...and the accountant sees invoices but not the client's tasks and calls.
    client.force_login(world.users["boris"])
    response = client.get(f"/counterparties/{cp.pk}/")
    # The card's activity feed holds the calls, notes and tasks: none of them for her.
    kinds = {item.kind for item in response.context["feed"].items}
    assert list(response.context["tasks"]) == [] and not kinds & {"call", "email", "meeting", "note", "task"}, kinds
    assert [i.number for i in response.context["invoices"]] == ["XIN01X"]


# --- 3. Counts and aggregates -------------------------------------------------------------------------------------

def test_totals_and_counters_count_only_visible_records(world, client):
    for username, keys in {"anna": {1, 2, 8}, "elena": {1, 2, 3, 4, 5}, "dmitry": {3}, "marco": {6, 7, 8},
                           "mara": set(), "boris": {1, 3, 4, 6, 8, 9}, "vera": set(range(1, 10))}.items():
        user = world.users[username]
        expected = {"RUB": Decimal(sum(2 ** k for k in keys))} if keys else {}
        assert sales_selectors.receivable_total(user=user) == expected, username
        assert sales_selectors.overdue_total(user=user) == expected, username
        client.force_login(user)
        dashboard = client.get("/")
        assert dashboard.context["receivable"] == expected, username
        listing = client.get("/counterparties/")
        assert listing.context["page"].paginator.count == Counterparty.objects.filter(
            pk__in=policy.visible(Counterparty.objects.all(), user)).count()
    # A VIP client's deals are not counted in the other department's totals.
    marco = world.users["marco"]
    assert policy.visible(Deal.objects.all(), world.users["elena"]).filter(counterparty__responsible=marco).count() == 0


# --- 4. Nested lookups through a related record --------------------------------------------------------------------

NESTED = [
    ("/api/v1/deals/", "counterparty__name"), ("/api/v1/deals/", "counterparty__is_vip"),
    ("/api/v1/invoices/", "counterparty__name"), ("/api/v1/tasks/", "counterparty__name"),
    ("/api/v1/counterparties/", "responsible__username"), ("/api/v1/contacts/", "counterparty__name__icontains"),
    ("/api/v1/payments/", "counterparty__responsible__username"),
]


@pytest.mark.parametrize("url,lookup", NESTED)
def test_filters_across_relations_reveal_nothing(url, lookup, world):
    api = api_for(world.users["anna"])
    baseline = api.get(url, {"page_size": 500}).json()["results"]
    for value in ("XCP07X", "XCP06X", "marco", "True", "does-not-exist"):
        response = api.get(url, {"page_size": 500, lookup: value})
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert response.json()["results"] == baseline or response.json()["results"] == []
    # An id of a hidden record and an unknown id answer alike.
    hidden = str(world.counterparties[7].pk)
    assert api.get(url, {"counterparty": hidden}).json() == api.get(
        url, {"counterparty": "00000000-0000-0000-0000-000000000000"}).json()
    assert api.get(url, {"search": "XCP07X"}).json()["results"] == []
    assert api.get(url, {"ordering": "counterparty__name"}).status_code in (200, 400)


# --- 5. Mass assignment of privileged fields -----------------------------------------------------------------------

def test_a_manager_cannot_hand_a_record_to_someone_else(world):
    anna, marco = world.users["anna"], world.users["marco"]
    api = api_for(anna)
    own = world.counterparties[1]
    response = api.patch(f"/api/v1/counterparties/{own.pk}/", {"responsible": str(marco.pk)}, format="json")
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.responsible == anna
    with pytest.raises(PermissionDenied):
        counterparty_create(user=anna, data={"name": "Gift", "responsible": marco})
    deal = Deal.objects.get(title="XDL01X")
    response = api.patch(f"/api/v1/deals/{deal.pk}/", {"manager": str(marco.pk)}, format="json")
    deal.refresh_from_db()
    assert deal.manager == anna
    invoice = Invoice.objects.get(number="XIN01X")
    api.patch(f"/api/v1/invoices/{invoice.pk}/", {"responsible": str(marco.pk)}, format="json")
    invoice.refresh_from_db()
    assert invoice.responsible == anna


def test_a_head_assigns_within_the_department_only(world):
    elena = world.users["elena"]
    api = api_for(elena)
    cp = world.counterparties[1]
    inside = api.patch(f"/api/v1/counterparties/{cp.pk}/", {"responsible": str(world.users["ivan"].pk)},
                       format="json")
    assert inside.status_code == 200, inside.content
    outside = api.patch(f"/api/v1/counterparties/{cp.pk}/", {"responsible": str(world.users["marco"].pk)},
                        format="json")
    assert outside.status_code == 400
    cp.refresh_from_db()
    assert cp.responsible == world.users["ivan"]
    with pytest.raises(PermissionDenied):
        counterparty_update(user=elena, counterparty=cp, data={"responsible": world.users["marco"]})


def test_the_web_form_ignores_a_smuggled_responsible(world, client):
    anna, cp = world.users["anna"], world.counterparties[1]
    client.force_login(anna)
    client.post(f"/counterparties/{cp.pk}/edit/", {"kind": "legal", "name": cp.name, "inn": cp.inn, "country": "RU",
                                                   "responsible": str(world.users["marco"].pk)})
    cp.refresh_from_db()
    assert cp.responsible == anna


def test_nobody_changes_their_own_role(world):
    anna, root = world.users["anna"], world.users["root"]
    for field, value in (("role", "admin"), ("is_superuser", True), ("department", None), ("custom_role", None)):
        with pytest.raises(PermissionDenied):
            services.user_update(user=anna, target=anna, data={field: value})
    with pytest.raises(PermissionDenied):
        services.user_update(user=root, target=root, data={"role": "manager"})
    with pytest.raises(PermissionDenied):
        services.user_update(user=anna, target=world.users["dmitry"], data={"phone": "1"})
    services.user_update(user=anna, target=anna, data={"phone": "+79990000000"})
    services.user_update(user=root, target=anna, data={"role": "head"})
    anna.refresh_from_db()
    assert anna.role == "head"


def test_the_admin_does_not_let_a_user_edit_their_own_role(world, rf):
    from django.contrib import admin

    from raccordo.access.models import User

    root = world.users["root"]
    model_admin = admin.site._registry[User]
    request = rf.get("/")
    request.user = root
    assert {"role", "custom_role", "department", "is_superuser"} <= set(model_admin.get_readonly_fields(request, root))
    assert "role" not in model_admin.get_readonly_fields(request, world.users["anna"])


# --- VIP -------------------------------------------------------------------------------------------------------------

def test_vip_clients_are_absent_for_everyone_but_their_manager_heads_and_vip_roles(world):
    vip = world.counterparties[5]            # Ivan's, in the Moscow office below Sales Russia
    seen_by = {name for name, user in world.users.items()
               if policy.visible(Counterparty.objects.filter(pk=vip.pk), user).exists()}
    assert seen_by == {"root", "ivan", "olga", "elena", "vera"}
    # Not "forbidden": simply absent, even from the counts of a search for its exact name.
    api = api_for(world.users["mara"])
    assert api.get("/api/v1/counterparties/", {"search": vip.name}).json()["results"] == []
    assert api.get(f"/api/v1/counterparties/{vip.pk}/").status_code == 404


# --- Sharing ---------------------------------------------------------------------------------------------------------

def test_sharing_a_client_with_a_colleague_and_taking_it_back(world):
    dmitry, anna = world.users["dmitry"], world.users["anna"]
    cp = world.counterparties[3]
    assert not policy.can(anna, "view", cp)
    services.counterparty_share(user=dmitry, counterparty=cp, with_user=anna)
    assert policy.can(anna, "view", cp) and policy.can(anna, "view", Deal.objects.get(counterparty=cp))
    assert ChangeJournal.objects.filter(object_id=cp.pk, changes__has_key="shared_with").exists()
    services.counterparty_unshare(user=dmitry, counterparty=cp, with_user=anna)
    assert not policy.can(anna, "view", cp)
    with pytest.raises(PermissionDenied):
        services.counterparty_share(user=anna, counterparty=cp, with_user=anna)
    with pytest.raises(ApplicationError):
        services.counterparty_share(user=world.users["anna"], counterparty=world.counterparties[2],
                                    with_user=dmitry)


def test_sharing_from_the_card(world, client):
    dmitry, anna = world.users["dmitry"], world.users["anna"]
    cp = world.counterparties[3]
    client.force_login(dmitry)
    client.post(f"/counterparties/{cp.pk}/share/", {"user": str(anna.pk)})
    assert policy.can(anna, "view", cp)
    assert "Anna" in client.get(f"/counterparties/{cp.pk}/").content.decode()
    client.post(f"/counterparties/{cp.pk}/unshare/", {"user": str(anna.pk)})
    assert not policy.can(anna, "view", cp)


# --- A manager leaves --------------------------------------------------------------------------------------------------

def test_handing_a_leavers_clients_over(world, client):
    anna, dmitry, elena = world.users["anna"], world.users["dmitry"], world.users["elena"]
    with pytest.raises(PermissionDenied):
        services.clients_reassign(user=dmitry, from_user=anna, to_user=dmitry)
    with pytest.raises(PermissionDenied):
        services.clients_reassign(user=elena, from_user=anna, to_user=world.users["marco"])
    client.force_login(elena)
    response = client.post("/team/reassign/", {"from_user": str(anna.pk), "to_user": str(dmitry.pk)})
    assert response.status_code == 302
    assert set(Counterparty.objects.filter(responsible=dmitry).values_list("name", flat=True)) == {
        "XCP01X", "XCP02X", "XCP03X"}
    assert not Deal.objects.filter(manager=anna).exists()
    entries = ChangeJournal.objects.filter(user=elena, changes__has_key="responsible")
    assert entries.count() == 2
    # The VIP client moved with the rest: now Dmitry's, still hidden from Marco and the marketer.
    vip = Counterparty.objects.get(pk=world.counterparties[2].pk)
    assert policy.can(dmitry, "view", vip) and not policy.can(world.users["mara"], "view", vip)


# --- Roles as permission sets -----------------------------------------------------------------------------------------

def test_custom_roles_are_validated_and_replace_the_builtin_role(world):
    with pytest.raises(ValidationError):
        CustomRole(name="Bad", permissions={"nuclear": ["launch"]}).full_clean()
    vera = world.users["vera"]
    assert policy.allows(vera, "view", "invoices") and not policy.allows(vera, "view", "deals")
    assert not policy.allows(vera, "change", "invoices")


def test_department_tree_cannot_loop(world):
    russia = Department.objects.get(name="Sales Russia")
    russia.parent = Department.objects.get(name="Moscow office")
    with pytest.raises(ValidationError):
        russia.full_clean()


def test_a_new_client_of_a_manager_is_theirs(world):
    cp = counterparty_create(user=world.users["dmitry"], data={"name": "Fresh", "inn": factories.inn10(77)})
    assert cp.responsible == world.users["dmitry"]
    assert policy.can(world.users["elena"], "view", cp) and not policy.can(world.users["olga"], "view", cp)
