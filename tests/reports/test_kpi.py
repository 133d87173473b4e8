"""The KPI report's figures against a hand-made year, and who sees which figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from raccordo.access.models import CustomRole
from raccordo.reports.selectors import ReportYearError, kpi_report, scope_key
from raccordo.sales.models import InvoiceStatus
from tests import factories

from .conftest import ALL, ANNA, MARCO, at, invoice

pytestmark = pytest.mark.django_db
D = Decimal


def _figures(row: dict) -> dict:
    return {key: row[key] for key in ANNA}


def _row(report, username):
    rows = {r["name"]: r for r in report["managers"]}
    names = {"anna": "Anna Ivanova", "marco": "Marco Rossi"}
    return rows[names[username]]


def test_admin_sees_the_whole_year_per_month_per_manager_and_in_total(company):
    report = kpi_report(user=company.users["root"], year=company.year)
    assert _figures(report["totals"]) == ALL
    assert _figures(_row(report, "anna")) == ANNA
    assert _figures(_row(report, "marco")) == MARCO
    assert [r["name"] for r in report["managers"]] == ["Anna Ivanova", "Marco Rossi"]
    assert report["currencies"] == ["EUR", "RUB"]
    assert report["as_of"] == dt.date(company.year, 12, 31).isoformat()

    months = {m["month"]: m for m in report["months"]}
    assert len(months) == 12
    assert (months[3]["invoices"], months[3]["invoiced"], months[3]["received"]) == (2, {"RUB": D("1500")},
                                                                                      {"RUB": D("1000")})
    assert (months[3]["won"], months[3]["won_amount"], months[3]["interactions"]) == (2, {"RUB": D("4000")}, 2)
    assert months[2]["new_counterparties"] == 1 and months[7]["new_counterparties"] == 1
    assert months[4]["tasks_done"] == 1 and months[5]["lost"] == 1 and months[6]["received"] == {"RUB": D("50")}
    assert (months[7]["invoiced"], months[7]["won_amount"]) == ({"EUR": D("300")}, {"EUR": D("200")})
    assert (months[8]["invoices"], months[8]["invoiced"]) == (1, {"RUB": D("2000")})
    # The deal lost at 23:30 on 31 December (local time) is December's; the one won at 00:30 on 1 January is not
    # this year's at all.
    assert (months[12]["lost"], months[12]["won"], months[12]["invoices"]) == (1, 0, 1)
    assert sum(m["won"] for m in report["months"]) == 3
    # Every month and person adds up to the year.
    for key in ("invoices", "won", "lost", "new_counterparties", "interactions", "tasks_done"):
        assert sum(m[key] for m in report["months"]) == report["totals"][key] == sum(
            r[key] for r in report["managers"]), key


def test_amounts_in_different_currencies_are_never_added(company):
    report = kpi_report(user=company.users["root"], year=company.year)
    for row in [report["totals"], *report["months"], *report["managers"]]:
        for key in ("invoiced", "received", "won_amount", "average_deal", "receivable", "overdue"):
            assert isinstance(row[key], dict), key
            assert set(row[key]) <= {"RUB", "EUR"}, key


def test_a_manager_sees_only_their_own_figures(company):
    anna = kpi_report(user=company.users["anna"], year=company.year)
    assert _figures(anna["totals"]) == ANNA
    assert [r["name"] for r in anna["managers"]] == ["Anna Ivanova"]
    marco = kpi_report(user=company.users["marco"], year=company.year)
    assert _figures(marco["totals"]) == MARCO
    assert [r["name"] for r in marco["managers"]] == ["Marco Rossi"]


def test_a_head_sees_their_department(company):
    report = kpi_report(user=company.users["hana"], year=company.year)
    assert _figures(report["totals"]) == ANNA
    assert [r["name"] for r in report["managers"]] == ["Anna Ivanova"]


def test_a_shared_client_counts_for_the_colleague_it_is_shared_with(company):
    from raccordo.access.models import CounterpartyShare

    CounterpartyShare.objects.create(counterparty=company.clients["m"], user=company.users["anna"])
    report = kpi_report(user=company.users["anna"], year=company.year)
    assert report["totals"]["invoiced"] == ALL["invoiced"]
    assert _figures(_row(report, "marco")) == MARCO


def test_vip_clients_stay_out_of_the_figures_of_those_who_may_not_see_them(company):
    company.clients["a"].is_vip = True
    company.clients["a"].save()
    hana = kpi_report(user=company.users["hana"], year=company.year)   # head of Anna's department: sees VIP
    assert hana["totals"]["invoiced"] == ANNA["invoiced"]
    accountant = factories.UserFactory(username="boris", role="accountant")
    report = kpi_report(user=accountant, year=company.year)             # every client but VIP ones
    assert report["totals"]["invoiced"] == MARCO["invoiced"]


def test_parts_a_role_may_not_see_are_left_out(company):
    accountant = factories.UserFactory(username="boris", role="accountant")
    report = kpi_report(user=accountant, year=company.year)
    assert report["sections"] == {"invoices": True, "payments": True, "deals": True, "counterparties": True,
                                  "activities": False}
    assert report["totals"]["interactions"] == 0 and report["totals"]["tasks_done"] == 0
    auditor = CustomRole.objects.create(name="Auditor", scope="all", view_vip=True,
                                        permissions={"counterparties": ["view"], "invoices": ["view"]})
    vera = factories.UserFactory(username="vera", custom_role=auditor)
    report = kpi_report(user=vera, year=company.year)
    assert report["totals"]["invoiced"] == ALL["invoiced"] and report["totals"]["receivable"] == ALL["receivable"]
    assert report["totals"]["received"] == {} and report["totals"]["won"] == 0


def test_the_current_year_counts_receivables_as_of_today(company):
    today = timezone.localdate()
    cp = company.clients["a"]
    invoice(company.ref, cp, today, "100", status=InvoiceStatus.PARTLY_PAID, paid="40",
            due=today - dt.timedelta(days=1))
    report = kpi_report(user=company.users["anna"], year=today.year)
    assert report["as_of"] == today.isoformat()
    # Today, by the invoices' paid amounts: a2 (300 of 500 still owed, due last April), a5 (400, due 10 January),
    # a6 (8000, due 20 January) and the new one (60 owed, due yesterday).
    assert report["totals"]["receivable"] == {"RUB": D("8760")}
    overdue = D("300") + D("60") + (D("400") if today > dt.date(today.year, 1, 10) else 0) + (
        D("8000") if today > dt.date(today.year, 1, 20) else 0)
    assert report["totals"]["overdue"] == {"RUB": overdue}


def test_a_year_with_nothing_is_empty_not_an_error(company):
    report = kpi_report(user=company.users["root"], year=company.year - 5)
    assert report["managers"] == [] and report["totals"]["invoices"] == 0 and report["totals"]["conversion"] is None
    assert report["currencies"] == []


@pytest.mark.parametrize("year", [1999, 3000])
def test_years_outside_the_range_are_refused(company, year):
    with pytest.raises(ReportYearError, match="year must be between"):
        kpi_report(user=company.users["root"], year=timezone.localdate().year + 1 if year == 3000 else year)


def test_anonymous_and_inactive_people_get_no_figures(company):
    from django.contrib.auth.models import AnonymousUser

    assert kpi_report(user=AnonymousUser(), year=company.year)["totals"]["invoices"] == 0
    anna = company.users["anna"]
    anna.is_active = False
    assert kpi_report(user=anna, year=company.year)["managers"] == []


def test_scope_keys_are_shared_only_by_people_who_see_the_same_records(company):
    users = company.users
    other_admin = factories.UserFactory(username="root2", role="admin")
    assert scope_key(users["root"]) == scope_key(other_admin) == "admin"
    keys = {scope_key(users[name]) for name in ("anna", "marco", "hana")}
    assert len(keys) == 3
    # Accountants reach every client except VIP ones they are not responsible for: not the same for two of them.
    boris, bella = (factories.UserFactory(username=n, role="accountant") for n in ("boris", "bella"))
    assert scope_key(boris) != scope_key(bella)
    # A role reaching everything, VIP clients included, shares its figures.
    auditor = CustomRole.objects.create(name="Auditor", scope="all", view_vip=True,
                                        permissions={"counterparties": ["view"], "invoices": ["view"]})
    v1, v2 = (factories.UserFactory(username=n, custom_role=auditor) for n in ("vera", "vlad"))
    assert scope_key(v1) == scope_key(v2) and scope_key(v1).startswith("all:")
    # ...until the role changes: figures computed under the old permissions are not served.
    before = scope_key(v1)
    auditor.permissions = {"counterparties": ["view"], "invoices": ["view"], "deals": ["view"]}
    auditor.save()
    v1 = type(v1).objects.get(pk=v1.pk)
    assert scope_key(v1) != before
    # Moving to another department changes a person's reach, and so their key.
    anna = users["anna"]
    before = scope_key(anna)
    anna.department = users["marco"].department
    assert scope_key(anna) != before


def test_timezone_month_boundaries_are_local(company):
    # 00:30 local on 1 March is still 28/29 February in UTC: it is March's.
    from raccordo.activities.models import Interaction

    Interaction.objects.create(counterparty=company.clients["a"], subject="Early", author=company.users["anna"],
                               occurred_at=at(company.year, 3, 1, 0, 30))
    report = kpi_report(user=company.users["anna"], year=company.year)
    months = {m["month"]: m for m in report["months"]}
    assert months[3]["interactions"] == 3 and months[2]["interactions"] == 0
