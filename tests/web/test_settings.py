"""The Settings section: administrators keep users, roles, funnels, companies and reference data in the app;
everyone keeps their own profile and language; nobody else reaches the administrators' pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from raccordo.access import services as access_services
from raccordo.access.models import CustomRole, Department
from raccordo.access.policy import may_configure
from raccordo.catalog.models import PriceType, Warehouse
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import MASK
from raccordo.core.models import ChangeJournal
from raccordo.parties.models import BankAccount, OwnCompany
from raccordo.sales.models import Funnel, Stage
from raccordo.sales.services import funnel_create, stage_create, stage_update
from raccordo.web.settings_sections import SECTIONS
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Quiet-river-2026"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _journal(obj):
    return ChangeJournal.objects.filter(object_id=obj.pk).order_by("seq")


# --- who reaches the pages -----------------------------------------------------------------------------------

def test_only_administrators_may_configure(admin_user, manager):
    head = factories.UserFactory(username="elena", role="head")
    assert may_configure(admin_user)
    assert not any(may_configure(u) for u in (manager, head, None))


@pytest.mark.parametrize("name", ["web:settings", "web:settings_email",
                                  *[f"web:settings_{k}" for k in SECTIONS], *[f"web:settings_{k}_new" for k in SECTIONS]])
def test_settings_pages_are_404_for_a_manager_and_open_for_the_administrator(client, admin_user, manager, name,
                                                                             reference_data):
    client.force_login(manager)
    assert client.get(reverse(name)).status_code == 404
    client.force_login(admin_user)
    assert client.get(reverse(name)).status_code == 200


def test_an_edit_page_is_404_for_a_manager(client, manager, reference_data):
    client.force_login(manager)
    for key, obj in (("funnels", reference_data["funnel"]), ("users", manager),
                     ("companies", reference_data["own_company"])):
        assert client.get(reverse(f"web:settings_{key}_edit", args=[obj.pk])).status_code == 404


def test_the_sidebar_shows_settings_to_administrators_only(client, admin_user, manager):
    client.force_login(admin_user)
    link = f'href="{reverse("web:settings")}"'
    assert link in client.get(reverse("web:dashboard")).content.decode()
    client.force_login(manager)
    assert link not in client.get(reverse("web:dashboard")).content.decode()


def test_a_manager_cannot_create_a_user_through_the_service(manager):
    with pytest.raises(PermissionDenied):
        access_services.user_create(user=manager, data={"username": "eve"}, password=PASSWORD)
    assert not User.objects.filter(username="eve").exists()


# --- users -----------------------------------------------------------------------------------------------------

def test_the_administrator_creates_a_user_with_a_password_journaled_without_it(admin_client, admin_user):
    sales = Department.objects.create(name="Sales Moscow")
    response = admin_client.post(reverse("web:settings_users_new"), {
        "username": "olga", "first_name": "Olga", "last_name": "Petrova", "email": "olga@example.com",
        "language": "ru", "role": "head", "department": sales.pk, "is_active": "on",
        "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    olga = User.objects.get(username="olga")
    assert (olga.role, olga.department, olga.language, olga.is_active) == ("head", sales, "ru", True)
    assert olga.check_password(PASSWORD)
    entry = _journal(olga).get()
    assert entry.user == admin_user and entry.changes["password"][1] == MASK
    assert olga.password not in str(entry.changes)


def test_a_user_form_shows_errors_next_to_the_fields(admin_client, manager):
    response = admin_client.post(reverse("web:settings_users_new"), {
        "username": "anna", "role": "manager", "password1": PASSWORD, "password2": PASSWORD + "x"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "password2" in form.errors
    response = admin_client.post(reverse("web:settings_users_new"), {
        "username": "anna", "role": "manager", "password1": PASSWORD, "password2": PASSWORD})
    assert "username" in response.context["form"].errors          # taken: the model's own check, by the service
    response = admin_client.post(reverse("web:settings_users_new"), {
        "username": "zoe", "role": "manager", "password1": "123", "password2": "123"})
    assert response.status_code == 200 and not User.objects.filter(username="zoe").exists()


def test_the_administrator_changes_a_role_and_deactivates_a_user(admin_client, manager):
    response = admin_client.post(reverse("web:settings_users_edit", args=[manager.pk]), {
        "first_name": "Anna", "last_name": "Ivanova", "role": "head", "language": "it"})
    assert response.status_code == 302
    manager.refresh_from_db()
    assert (manager.role, manager.is_active, manager.language) == ("head", False, "it")
    assert _journal(manager).last().changes["is_active"] == ["True", "False"]


def test_nobody_deactivates_themselves(admin_client, admin_user):
    response = admin_client.post(reverse("web:settings_users_edit", args=[admin_user.pk]), {
        "first_name": "A", "last_name": "B", "role": "admin"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_the_user_page_links_to_setting_a_password(admin_client, manager):
    page = admin_client.get(reverse("web:settings_users_edit", args=[manager.pk])).content.decode()
    link = f"{reverse('web:user_password')}?target={manager.pk}"
    assert link in page
    assert admin_client.get(link).context["form"].initial["target"] == str(manager.pk)


# --- departments and roles --------------------------------------------------------------------------------------

def test_departments_and_custom_roles(admin_client):
    admin_client.post(reverse("web:settings_departments_new"), {"name": "Sales"})
    sales = Department.objects.get(name="Sales")
    admin_client.post(reverse("web:settings_departments_new"), {"name": "Sales Rome", "parent": sales.pk})
    rome = Department.objects.get(name="Sales Rome")
    response = admin_client.post(reverse("web:settings_departments_edit", args=[sales.pk]),
                                 {"name": "Sales", "parent": rome.pk})
    assert "parent" in response.context["form"].errors or response.context["form"].non_field_errors()
    response = admin_client.post(reverse("web:settings_roles_new"), {
        "name": "Auditor", "scope": "all", "perm_invoices": ["view", "export"], "perm_audit": ["view"]})
    assert response.status_code == 302
    role = CustomRole.objects.get(name="Auditor")
    assert role.permissions == {"audit": ["view"], "invoices": ["export", "view"]}
    page = admin_client.get(reverse("web:settings_roles_edit", args=[role.pk])).content.decode()
    assert 'value="export"' in page and "checked" in page


# --- funnels and stages -----------------------------------------------------------------------------------------

def test_funnels_and_stages_through_the_pages(admin_client, reference_data):
    response = admin_client.post(reverse("web:settings_funnels_new"), {"name": "Projects", "order": 2,
                                                                     "is_default": "on"})
    assert response.status_code == 302
    projects = Funnel.objects.get(name="Projects")
    assert Funnel.objects.filter(is_default=True).get() == projects           # one default funnel
    edit = reverse("web:settings_funnels_edit", args=[projects.pk])
    response = admin_client.post(reverse("web:settings_stages_new") + f"?funnel={projects.pk}", {
        "funnel": projects.pk, "name": "Signed", "order": 9, "kind": "won", "probability": 100, "next": edit})
    assert response.status_code == 302 and response["Location"] == edit
    assert Stage.objects.get(funnel=projects, name="Signed").kind == "won"
    assert "Signed" in admin_client.get(edit).content.decode()
    response = admin_client.post(reverse("web:settings_stages_new"), {
        "funnel": projects.pk, "name": "Signed", "order": 1, "kind": "open", "probability": 120})
    assert {"probability"} <= set(response.context["form"].errors) or response.context["form"].errors


def test_a_stage_with_deals_keeps_its_kind(admin_user, reference_data):
    stage = reference_data["stages"]["New"]
    cp = factories.CounterpartyFactory()
    factories.deal_for(cp, reference_data)
    with pytest.raises(ApplicationError) as refused:
        stage_update(user=admin_user, stage=stage, data={"kind": "won"})
    assert refused.value.code == "sales.stage.kind_locked"
    stage = stage_update(user=admin_user, stage=stage, data={"name": "Offer sent", "order": 5})
    assert (stage.name, stage.kind) == ("Offer sent", "open")


def test_a_manager_may_not_add_a_funnel_or_a_stage(manager, reference_data):
    with pytest.raises(PermissionDenied):
        funnel_create(user=manager, data={"name": "Mine"})
    with pytest.raises(PermissionDenied):
        stage_create(user=manager, data={"funnel": reference_data["funnel"], "name": "Extra"})


# --- companies, price types, warehouses -------------------------------------------------------------------------

def test_own_company_with_a_bank_account(admin_client, reference_data):
    company = reference_data["own_company"]
    edit = reverse("web:settings_companies_edit", args=[company.pk])
    page = admin_client.get(edit).content.decode()
    assert reverse("web:settings_company_account_new", args=[company.pk]) in page
    response = admin_client.post(reverse("web:settings_company_account_new", args=[company.pk]), {
        "bank_name": "Sberbank", "bic": "123", "account_number": "40702810938000012345", "currency": "RUB"})
    assert "bic" in response.context["form"].errors                            # the model's check, by the service
    response = admin_client.post(reverse("web:settings_company_account_new", args=[company.pk]), {
        "bank_name": "Sberbank", "bic": "044525225", "account_number": "40702810938000012345", "currency": "RUB",
        "is_primary": "on"})
    assert response.status_code == 302
    account = BankAccount.objects.get(own_company=company)
    assert "Sberbank" in admin_client.get(edit).content.decode()
    admin_client.post(reverse("web:settings_company_account_delete", args=[company.pk, account.pk]))
    assert not BankAccount.objects.filter(pk=account.pk).exists()
    assert _journal(account).last().operation == "delete"
    response = admin_client.post(edit, {"name": company.name, "country": "RU", "inn": "1234567890",
                                        "currency": "RUB"})
    assert "inn" in response.context["form"].errors
    response = admin_client.post(edit, {"name": company.name, "country": "RU", "inn": company.inn, "kpp": company.kpp,
                                        "currency": "RUB", "address": "Moscow, Tverskaya 1", "invoice_prefix": "RT"})
    assert response.status_code == 302
    assert OwnCompany.objects.get(pk=company.pk).address == "Moscow, Tverskaya 1"


def test_price_types_and_warehouses(admin_client, reference_data):
    assert admin_client.post(reverse("web:settings_price_types_new"), {
        "name": "Retail", "currency": "eur", "vat_included": "on"}).status_code == 302
    assert PriceType.objects.get(name="Retail").currency == "EUR"
    response = admin_client.post(reverse("web:settings_price_types_new"), {"name": "Retail", "currency": "EUR"})
    assert "name" in response.context["form"].errors
    warehouse = reference_data["warehouse"]
    assert admin_client.post(reverse("web:settings_warehouses_edit", args=[warehouse.pk]), {
        "name": "Main warehouse", "address": "Podolsk"}).status_code == 302
    warehouse = Warehouse.objects.get(pk=warehouse.pk)
    assert (warehouse.address, warehouse.is_active) == ("Podolsk", False)
    assert set(_journal(warehouse).last().changes) == {"address", "is_active"}


def test_every_section_lists_its_records(admin_client, reference_data):
    for key in SECTIONS:
        response = admin_client.get(reverse(f"web:settings_{key}"))
        assert response.status_code == 200
        assert len(response.context["rows"]) == SECTIONS[key].queryset(response.wsgi_request.user).count()


def test_service_validation_reaches_a_department_cycle(admin_user):
    root = access_services.department_create(user=admin_user, data={"name": "Root"})
    child = access_services.department_create(user=admin_user, data={"name": "Child", "parent": root})
    with pytest.raises(ValidationError):
        access_services.department_update(user=admin_user, department=root, data={"parent": child})


def test_a_manager_is_refused_by_every_settings_service(manager, reference_data):
    from raccordo.catalog import services as catalog
    from raccordo.parties import services as parties

    ref = reference_data
    calls = [
        lambda: access_services.department_create(user=manager, data={"name": "Mine"}),
        lambda: access_services.custom_role_create(user=manager, data={"name": "Mine", "scope": "all"}),
        lambda: access_services.user_settings_update(user=manager, target=manager, data={"role": "admin"}),
        lambda: catalog.warehouse_update(user=manager, warehouse=ref["warehouse"], data={"name": "Mine"}),
        lambda: catalog.price_type_update(user=manager, price_type=ref["price_type"], data={"name": "Mine"}),
        lambda: parties.own_company_update(user=manager, company=ref["own_company"], data={"name": "Mine"}),
        lambda: parties.bank_account_add(user=manager, data={"own_company": ref["own_company"], "bank_name": "B",
                                                             "account_number": "40702810938000012345"}),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert not Department.objects.exists() and not CustomRole.objects.exists()
    manager.refresh_from_db()
    assert manager.role == "manager"
