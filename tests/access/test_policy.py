"""The access policy: deny by default, a manager reaches only their clients and what hangs off them."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from raccordo.access import policy
from raccordo.access.models import CounterpartyShare, Department
from raccordo.activities.models import Interaction, Task
from raccordo.catalog.models import Product
from raccordo.parties.models import ContactPerson, Counterparty, Phone
from raccordo.sales.models import Deal, Invoice, InvoiceNumberSeries, Payment
from raccordo.sales.services import LineInput, invoice_create
from tests.factories import ContactPersonFactory, CounterpartyFactory, ProductFactory, UserFactory, deal_for

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ["parties", "catalog", "sales", "activities", "onec", "telephony"]
# Internal tables no person lists or opens: deliberately without a rule (so invisible to non-admins).
INTERNAL = {"sales.invoicenumberseries"}


def test_every_domain_model_declares_an_access_rule():
    missing = [m._meta.label_lower for app in DOMAIN_APPS for m in apps.get_app_config(app).get_models()
               if m._meta.label_lower not in policy.RULES and m._meta.label_lower not in INTERNAL]
    assert missing == [], f"models without an access rule in access/policy.py: {missing}"


def test_anonymous_and_inactive_users_see_nothing(manager):
    CounterpartyFactory(responsible=manager)
    assert policy.visible(Counterparty.objects.all(), AnonymousUser()).count() == 0
    assert policy.visible(Counterparty.objects.all(), None).count() == 0
    manager.is_active = False
    assert policy.visible(Counterparty.objects.all(), manager).count() == 0


def test_unregistered_model_is_denied_to_managers_but_not_admins(manager, admin_user, reference_data):
    InvoiceNumberSeries.objects.create(own_company=reference_data["own_company"], year=2026)
    assert policy.visible(InvoiceNumberSeries.objects.all(), manager).count() == 0
    assert policy.visible(InvoiceNumberSeries.objects.all(), admin_user).count() == 1


def test_manager_reaches_own_clients_and_everything_hanging_off_them(manager, other_manager, admin_user,
                                                                    reference_data):
    mine, theirs = CounterpartyFactory(responsible=manager), CounterpartyFactory(responsible=other_manager)
    for cp in (mine, theirs):
        ContactPersonFactory(counterparty=cp)
        Phone.objects.create(counterparty=cp, number="+74951234567")
        deal_for(cp, reference_data)
        invoice_create(user=None, data={"own_company": reference_data["own_company"], "counterparty": cp},
                       lines=[LineInput(description="x", quantity=Decimal(1), price=Decimal(1))])
        Interaction.objects.create(counterparty=cp, subject="call", occurred_at=timezone.now(),
                                   author=cp.responsible)
    for model in (Counterparty, ContactPerson, Phone, Invoice, Interaction):
        qs = policy.visible(model.objects.all(), manager)
        assert qs.count() == 1, model
        obj = qs.get()
        assert policy.can(manager, "view", obj) and policy.can(manager, "change", obj)
        other = policy.visible(model.objects.all(), other_manager).get()
        assert not policy.can(manager, "view", other)
        assert policy.visible(model.objects.all(), admin_user).count() == 2


def test_catalog_is_readable_by_all_writable_by_admins(manager, admin_user):
    product = ProductFactory()
    assert policy.visible(Product.objects.all(), manager).count() == 1
    assert policy.visible(Product.objects.all(), manager, "change").count() == 0
    assert policy.can(manager, "view", product) and not policy.can(manager, "change", product)
    assert policy.can(admin_user, "delete", product)


def test_task_owner_rule_applies_only_without_a_client(manager, other_manager):
    theirs = CounterpartyFactory(responsible=other_manager)
    personal = Task.objects.create(title="Call the bank", assignee=manager)
    about_their_client = Task.objects.create(title="Peek", assignee=manager, counterparty=theirs)
    visible = set(policy.visible(Task.objects.all(), manager))
    assert visible == {personal}
    assert policy.can(manager, "view", personal) and not policy.can(manager, "view", about_their_client)


def test_can_and_visible_agree(manager, other_manager, reference_data):
    """`can` (in Python) and `visible` (in SQL) must give the same answer for every object."""
    for owner in (manager, other_manager, None):
        cp = CounterpartyFactory(responsible=owner)
        deal_for(cp, reference_data)
        Task.objects.create(title="t", assignee=owner or manager, counterparty=cp if owner else None)
    for model in (Counterparty, Task):
        for user in (manager, other_manager):
            ids = set(policy.visible(model.objects.all(), user).values_list("pk", flat=True))
            assert ids == {o.pk for o in model.objects.all() if policy.can(user, "view", o)}


def test_unknown_action_is_an_error(manager):
    with pytest.raises(ValueError):
        policy.visible(Counterparty.objects.all(), manager, "export-everything")


def test_the_semijoin_form_reaches_the_same_rows(manager, other_manager, admin_user, reference_data):
    """visible(..., semijoin=True) (the analytics' form) gives exactly the rows of the default join form, for
    own, colleagues', unowned, shared and shared-VIP clients, every role scope and every action."""
    sales = Department.objects.create(name="Sales")
    other_manager.department = sales
    other_manager.save()
    head = UserFactory(username="elena", role="head", department=sales)
    for owner in (manager, other_manager, None):
        for vip in (False, True):
            cp = CounterpartyFactory(responsible=owner, is_vip=vip)
            deal_for(cp, reference_data)
            Payment.objects.create(counterparty=cp, date=timezone.localdate(), amount=Decimal("1"))
            if owner is not manager:
                CounterpartyShare.objects.create(counterparty=cp, user=manager)
    for model in (Payment, Deal, ContactPerson, Counterparty):
        for user in (manager, other_manager, head, admin_user):
            for action in ("view", "change", "delete"):
                joined = set(policy.visible(model.objects.all(), user, action).values_list("pk", flat=True))
                semi = set(policy.visible(model.objects.all(), user, action, semijoin=True)
                           .values_list("pk", flat=True))
                assert semi == joined, (model, user.username, action)
    assert policy.visible(Payment.objects.all(), manager, semijoin=True).count() == 4
