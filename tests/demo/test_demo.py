"""The demo company, bulk demo data and first-run bootstrap."""

from __future__ import annotations

import hashlib
import io
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import phonenumbers
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from stdnum.it import codicefiscale, iva
from stdnum.ru import inn, ogrn

from raccordo.access.models import Role, User
from raccordo.activities.models import Complaint, Interaction, Reminder, Task
from raccordo.catalog.models import Price, PriceType, Product, StockLevel, Warehouse
from raccordo.core.models import ChangeJournal, Origin
from raccordo.demo.generators import (
    italian_iban,
    ru_account,
    ru_account_is_valid,
    ru_correspondent_is_valid,
)
from raccordo.demo.seeding import seed_demo
from raccordo.parties.models import BankAccount, ContactPerson, Counterparty, Email, OwnCompany, Phone
from raccordo.sales.models import Deal, DealStageVisit, Funnel, Invoice, InvoiceStatus, Payment, StageKind

pytestmark = pytest.mark.django_db(transaction=False)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def assert_tax_ids_valid(qs) -> None:
    for cp in qs:
        assert not cp.inn or inn.is_valid(cp.inn), cp.inn
        assert not cp.ogrn or ogrn.is_valid(cp.ogrn), cp.ogrn
        assert not cp.vat_number or iva.is_valid(cp.vat_number), cp.vat_number
        assert not cp.tax_code or codicefiscale.is_valid(cp.tax_code) or iva.is_valid(cp.tax_code), cp.tax_code
        assert not cp.kpp or (len(cp.kpp) == 9 and cp.kpp[:4] == cp.inn[:4]), cp.kpp


def test_demo_company_is_complete_and_valid():
    out = run("demo")
    today = timezone.localdate()

    # Staff: a head of sales and managers with Russian and Italian names, logins printed once.
    assert User.objects.filter(role=Role.HEAD).count() == 1
    managers = User.objects.filter(role=Role.MANAGER)
    assert 3 <= managers.count() <= 4
    assert {m.language for m in managers} == {"ru", "it"}
    anna = re.search(r"anna .*password: (\S+)", out).group(1)
    assert User.objects.get(username="anna").check_password(anna)

    # Own companies: a Russian LLC and an Italian S.r.l., with valid bank details.
    own_ru, own_it = OwnCompany.objects.get(country="RU"), OwnCompany.objects.get(country="IT")
    assert inn.is_valid(own_ru.inn) and ogrn.is_valid(own_ru.ogrn) and own_ru.kpp
    assert iva.is_valid(own_it.vat_number)
    ru_bank = own_ru.bank_accounts.get()
    assert ru_account_is_valid(ru_bank.account_number, ru_bank.bic)
    assert ru_correspondent_is_valid(ru_bank.correspondent_account, ru_bank.bic)
    assert own_it.bank_accounts.get().iban.startswith("IT")

    # Counterparties: ~40, Russian and Italian, every tax id valid, every record passes full_clean.
    counterparties = Counterparty.objects.all()
    assert 35 <= counterparties.count() <= 45
    assert counterparties.filter(country="RU").count() >= 15
    assert counterparties.filter(country="IT").count() >= 10
    assert_tax_ids_valid(counterparties)
    for model in (Counterparty, ContactPerson, Phone, Email, BankAccount):
        for obj in model.objects.all():
            obj.full_clean()
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(n)) for n in Phone.objects.values_list("number", flat=True))
    assert Phone.objects.filter(number__startswith="+79").exists() and Phone.objects.filter(number__startswith="+393").exists()
    assert ContactPerson.objects.count() >= 40
    assert set(Counterparty.objects.values_list("responsible__role", flat=True)) == {Role.MANAGER}

    # Catalog: ~60 products in all units and VAT rates, a price in every price type, stock in warehouses.
    products = Product.objects.count()
    assert 55 <= products <= 65
    assert set(Product.objects.values_list("unit__name", flat=True)) == {"pcs", "kg", "m", "service"}
    assert {Decimal("20"), Decimal("22"), Decimal("10"), Decimal("0")} <= set(
        Product.objects.exclude(vat_rate=None).values_list("vat_rate", flat=True))
    price_types = PriceType.objects.all()
    assert set(price_types.values_list("currency", flat=True)) == {"RUB", "EUR"}
    assert price_types.filter(is_default=True, currency="RUB").count() == 1
    assert Price.objects.count() == products * price_types.count()
    assert Warehouse.objects.count() >= 2 and StockLevel.objects.filter(quantity__gt=0).exists()

    # Funnels: the default "Sales" with its six stages, a second funnel, deals in every stage.
    sales = Funnel.objects.get(is_default=True)
    assert sales.name == "Sales"
    assert list(sales.stages.order_by("order").values_list("name", flat=True)) == [
        "New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
    assert Funnel.objects.count() == 2
    for stage in sales.stages.all():
        assert stage.deals.exists(), stage.name
    assert Deal.objects.filter(stage__kind=StageKind.LOST).exclude(lost_reason="").exists()
    assert Deal.objects.filter(lines__isnull=False).distinct().count() == Deal.objects.count()
    _assert_stage_visits_lead_to_each_deals_stage()

    # Invoices in every state; totals agree with the payments allocated to them.
    by_status = dict(Invoice.objects.values_list("status").annotate(n=Count("id")))
    for status in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID):
        assert by_status.get(status, 0) >= 3, by_status
    overdue = Invoice.objects.filter(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID], due_date__lt=today)
    assert overdue.count() >= 3
    for invoice in Invoice.objects.exclude(status=InvoiceStatus.DRAFT):
        assert invoice.number
        allocated = invoice.allocations.aggregate(s=Sum("amount"))["s"] or Decimal("0")
        assert allocated == invoice.paid_amount
    assert Invoice.objects.filter(status=InvoiceStatus.PAID, paid_amount=F("total")).count() == by_status["paid"]
    assert Payment.objects.count() >= 12

    # Activities: overdue tasks and tasks due today, interactions spread over the last 60 days.
    now = timezone.now()
    open_tasks = Task.objects.filter(status__in=["open", "in_progress"])
    assert open_tasks.filter(due_at__lt=now).exists()
    assert Task.objects.filter(due_at__date=today).exists()
    occurred = list(Interaction.objects.values_list("occurred_at", flat=True))
    assert len(occurred) >= 80
    assert min(occurred) >= now - timezone.timedelta(days=61) and max(occurred) <= now
    assert (max(occurred) - min(occurred)).days >= 40
    assert Reminder.objects.count() >= 5 and Complaint.objects.count() >= 2
    assert Counterparty.objects.filter(tags__isnull=False).exists()

    # The journal: every service write is in it, marked as coming from the command line.
    journal = ChangeJournal.objects.all()
    assert journal.count() > 500
    assert set(journal.values_list("origin", flat=True)) == {Origin.CLI}
    for model in (Counterparty, ContactPerson, Deal, Invoice, Payment, Task, Interaction):
        assert journal.filter(content_type=ContentType.objects.get_for_model(model)).exists(), model
    assert journal.filter(user__role=Role.MANAGER).exists()


def _digest() -> str:
    rows = [
        *Counterparty.objects.order_by("inn", "vat_number", "tax_code").values_list("name", "inn", "vat_number",
                                                                                   "responsible__username"),
        *ContactPerson.objects.order_by("last_name", "first_name", "counterparty__name").values_list(
            "last_name", "first_name", "counterparty__name"),
        *Invoice.objects.order_by("number", "total").values_list("number", "status", "total"),
        *Interaction.objects.order_by("subject", "counterparty__name").values_list("subject", "counterparty__name"),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_demo_is_deterministic_for_a_seed():
    digests = []
    for seed in (7, 7, 8):
        with transaction.atomic():
            seed_demo(seed=seed)
            digests.append(_digest())
            transaction.set_rollback(True)
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_demo_refuses_a_database_with_counterparties():
    from django.core.management.base import CommandError

    from tests.factories import CounterpartyFactory

    CounterpartyFactory()

    with pytest.raises(CommandError):
        run("demo")


def test_scale_creates_n_counterparties_with_related_rows():
    out = run("demo", "--scale", "2000", "--batch", "700")
    assert "2,000 / 2,000 counterparties" in out
    assert Counterparty.objects.count() == 2000
    assert ContactPerson.objects.count() == 2000
    assert Phone.objects.count() == 2000 and Email.objects.count() == 2000
    assert Deal.objects.count() == 1000
    assert Invoice.objects.count() == 1000
    assert Interaction.objects.count() == 2000
    _assert_stage_visits_lead_to_each_deals_stage()
    assert_tax_ids_valid(Counterparty.objects.all())
    assert Counterparty.objects.exclude(inn="").values("inn").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    # Spread evenly over the managers.
    per_manager = dict(Counterparty.objects.values_list("responsible__username").annotate(n=Count("id")))
    managers = User.objects.filter(role=Role.MANAGER).count()
    assert len(per_manager) == managers
    assert max(per_manager.values()) - min(per_manager.values()) <= 1
    # Rows are valid as the services would have made them.
    for obj in [*Counterparty.objects.all()[:200], *Phone.objects.all()[:200], *Email.objects.all()[:200]]:
        obj.full_clean()
    for invoice in Invoice.objects.prefetch_related("lines", "allocations")[:300]:
        assert invoice.total == sum(line.amount for line in invoice.lines.all()) + (
            Decimal("0") if invoice.vat_included else sum(line.vat_amount for line in invoice.lines.all()))
        assert invoice.paid_amount == sum((a.amount for a in invoice.allocations.all()), Decimal("0"))
    numbers = [n for n in Invoice.objects.values_list("number", flat=True) if n]
    assert len(numbers) == len(set(numbers))
    # Bulk rows are not journaled; the reference data is.
    assert not ChangeJournal.objects.filter(content_type=ContentType.objects.get_for_model(Counterparty)).exists()
    assert ChangeJournal.objects.filter(content_type=ContentType.objects.get_for_model(Product)).exists()
    # A second run adds to the first, continuing the numbering.
    run("demo", "--scale", "100")
    assert Counterparty.objects.count() == 2100
    assert Counterparty.objects.exclude(inn="").values("inn").annotate(n=Count("id")).filter(n__gt=1).count() == 0


def _assert_stage_visits_lead_to_each_deals_stage() -> None:
    """Every deal's stays on its stages begin when it was created, follow one another and end on its stage, in the
    past (the funnel page has something to count on the demo)."""
    visits = defaultdict(list)
    for visit in DealStageVisit.objects.order_by("entered_at", "id"):
        visits[visit.deal_id].append(visit)
    now = timezone.now()
    for deal in Deal.objects.all():
        mine = visits[deal.pk]
        assert mine and mine[0].entered_at == deal.created_at, deal
        assert [v.left_at for v in mine[:-1]] == [v.entered_at for v in mine[1:]] and mine[-1].left_at is None
        assert mine[-1].stage_id == deal.stage_id and mine[-1].entered_at <= now
        assert deal.closed_at is None or deal.closed_at == mine[-1].entered_at


def _state() -> dict:
    from django.apps import apps

    counts = {m._meta.label: m.objects.count() for m in apps.get_models()
              if m._meta.app_label in {"access", "core", "parties", "catalog", "sales", "activities"}}
    counts["journal_max_seq"] = ChangeJournal.objects.order_by("-seq").values_list("seq", flat=True).first()
    counts["passwords"] = sorted(User.objects.values_list("password", flat=True))
    return counts


def test_bootstrap_is_idempotent(monkeypatch):
    monkeypatch.delenv("RACCORDO_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("RACCORDO_DEMO", raising=False)
    first = run("bootstrap")
    password = re.search(r"password: (\S+)", first).group(1)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role == Role.ADMIN
    assert admin.check_password(password)
    assert first.count(password) == 1
    assert Counterparty.objects.count() >= 35
    before = _state()
    second = run("bootstrap")
    assert "already set up" in second
    assert password not in second
    assert _state() == before


def test_bootstrap_uses_given_passwords_and_can_skip_the_demo(monkeypatch):
    monkeypatch.setenv("RACCORDO_ADMIN_PASSWORD", "admin-secret-1")
    out = run("bootstrap", "--no-demo")
    assert "admin-secret-1" not in out
    assert User.objects.get(username="admin").check_password("admin-secret-1")
    assert not Counterparty.objects.exists()
    # Demo later, on the still-empty database: its users' passwords are printed, never the administrator's.
    out = run("bootstrap")
    assert Counterparty.objects.exists()
    assert User.objects.get(username="marco").check_password(re.search(r"marco .*password: (\S+)", out).group(1))
    assert "admin-secret-1" not in out


def test_H1_demo_users_get_random_passwords_printed_once(monkeypatch):
    monkeypatch.delenv("RACCORDO_DEMO", raising=False)
    out = run("bootstrap")
    demo = User.objects.filter(is_superuser=False).order_by("username")
    assert demo.count() >= 4
    printed = {u.username: re.search(rf"{u.username} .*password: (\S+)", out).group(1) for u in demo}
    assert len(set(printed.values())) == len(printed)          # each their own
    for user in demo:
        assert user.is_active and user.check_password(printed[user.username])
        assert out.count(printed[user.username]) == 1
        assert not user.check_password("demo-pass-2026")


def test_H1_the_fixed_demo_password_is_gone_from_code_and_docs():
    root = Path(__file__).resolve().parents[2]
    places = [root / "README.md", *sorted((root / "docs").rglob("*.md")), *sorted((root / "src").rglob("*.py"))]
    assert [str(p) for p in places if "demo-pass-2026" in p.read_text(encoding="utf-8")] == []
    assert [str(p) for p in places if "RACCORDO_DEMO_PASSWORD" in p.read_text(encoding="utf-8")] == []


def test_generated_bank_details_check():
    from stdnum import iban

    assert iban.is_valid(italian_iban(abi="03069", cab="09606", account="100000063518"))
    assert italian_iban(abi="05428", cab="11101", account="000000123456") == "IT60X0542811101000000123456"
    assert ru_correspondent_is_valid("30101810400000000225", "044525225")  # Sberbank, Moscow
    assert all(ru_account_is_valid(ru_account(bic="044525225", serial=s), "044525225") for s in range(500))


def test_admin_lists_every_model_and_journals_admin_edits(client):
    run("demo")
    admin = User.objects.create_superuser(username="root", password="root-pass-123", role=Role.ADMIN)
    client.force_login(admin)
    from django.contrib import admin as django_admin

    for model in django_admin.site._registry:
        if model._meta.app_label not in {"access", "core", "parties", "catalog", "sales", "activities"}:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        response = client.get(f"/admin/{info[0]}/{info[1]}/")
        assert response.status_code == 200, info
        response = client.get(f"/admin/{info[0]}/{info[1]}/?q=a")
        assert response.status_code == 200, info
        obj = model.objects.first()
        if obj is not None:
            assert client.get(f"/admin/{info[0]}/{info[1]}/{obj.pk}/change/").status_code == 200, info
    # The journal is read-only in the admin.
    entry = ChangeJournal.objects.first()
    assert client.get("/admin/core/changejournal/add/").status_code == 403
    assert client.post(f"/admin/core/changejournal/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    # An edit in the admin is journaled with its user and origin.
    warehouse = Warehouse.objects.order_by("name").first()
    response = client.post(f"/admin/catalog/warehouse/{warehouse.pk}/change/",
                           {"name": warehouse.name + " (renamed)", "address": warehouse.address, "is_active": "on"})
    assert response.status_code == 302
    last = ChangeJournal.objects.order_by("-seq").first()
    assert last.object_id == warehouse.pk and last.user == admin and last.origin == Origin.UI
    assert last.changes["name"] == [warehouse.name, warehouse.name + " (renamed)"]
