"""The pages of the sales plans and scheduled reports, as a head, a manager and another department's head."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from raccordo.access.models import Department
from raccordo.core.models import ChangeJournal
from raccordo.reports.models import SalesPlan, ScheduledReport, ScheduledReportSend, SendStatus
from tests import factories

pytestmark = pytest.mark.django_db
D = Decimal


def _client(client, user):
    client.force_login(user)
    return client


def _fresh(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def giulia(world):
    return factories.UserFactory(username="giulia", first_name="Giulia", last_name="Bianchi", role="head",
                                 department=Department.objects.get(name="Italy"))


def _form(world, **changes):
    data = {"name": "Anna's day", "run_as": str(world.users["anna"].pk), "sections": ["deals", "overdue_tasks"],
            "frequency": "weekdays", "time_of_day": "08:00", "weekday": "0", "day_of_month": "1", "cron": "",
            "period": "yesterday", "only_if_data": "on", "recipient_addresses": "boss@example.com", "language": "",
            "is_active": "on"}
    data.update(changes)
    return data


def test_a_head_sets_up_previews_and_sends_a_report_and_reads_its_log(client, world, smtp_server):
    hana = _client(client, world.users["hana"])
    assert hana.get(reverse("reports:scheduled_list")).status_code == 200
    page = hana.get(reverse("reports:scheduled_new"))
    assert page.status_code == 200
    run_as = page.context["form"].fields["run_as"].queryset
    assert {u.username for u in run_as} == {"hana", "anna", "dmitry"}

    response = hana.post(reverse("reports:scheduled_new"), _form(world, only_if_data=""))
    report = ScheduledReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:scheduled_detail",
                                                                           args=[report.pk])
    assert (report.owner, report.run_as, report.sections) == (world.users["hana"], world.users["anna"],
                                                              ["deals", "overdue_tasks"])
    assert ChangeJournal.objects.filter(object_id=report.pk, operation="create").exists()

    preview = hana.get(reverse("reports:scheduled_preview", args=[report.pk]))
    assert preview.status_code == 200
    assert "Overdue tasks" in preview.content.decode() and "Call Alfa back" in preview.content.decode()
    assert "Milano" not in preview.content.decode()

    hana.post(reverse("reports:scheduled_send", args=[report.pk]))
    assert len(smtp_server.messages) == 1
    detail = hana.get(reverse("reports:scheduled_detail", args=[report.pk])).content.decode()
    assert 'data-testid="scheduled-log-row"' in detail and "boss@example.com" in detail
    send = ScheduledReportSend.objects.get()
    assert (send.status, send.by_hand, send.slot) == (SendStatus.SENT, world.users["hana"], None)


def test_bad_input_is_shown_next_to_the_fields_and_nothing_is_saved(client, world):
    hana = _client(client, world.users["hana"])
    response = hana.post(reverse("reports:scheduled_new"), _form(
        world, frequency="cron", cron="99 * * * *", sections=[], recipient_addresses="not-an-address"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"cron", "sections", "recipient_addresses"}
    assert "five fields" in str(errors["cron"]) or "cannot be read" in str(errors["cron"])
    assert ScheduledReport.objects.count() == 0
    # A person outside her team is not even offered.
    response = hana.post(reverse("reports:scheduled_new"), _form(world, run_as=str(world.users["marco"].pk)))
    assert "run_as" in response.context["form"].errors and ScheduledReport.objects.count() == 0


def test_a_report_is_absent_for_a_manager_and_another_department(client, world, giulia, smtp_server):
    hana = _client(client, world.users["hana"])
    hana.post(reverse("reports:scheduled_new"), _form(world))
    report = ScheduledReport.objects.get()
    for user in (world.users["anna"], giulia):
        other = _fresh(user)
        for name in ("scheduled_detail", "scheduled_edit", "scheduled_preview"):
            assert other.get(reverse(f"reports:{name}", args=[report.pk])).status_code == 404, (user, name)
        for name in ("scheduled_send", "scheduled_delete"):
            assert other.post(reverse(f"reports:{name}", args=[report.pk])).status_code == 404, (user, name)
    assert _fresh(world.users["anna"]).get(reverse("reports:scheduled_list")).status_code == 404
    assert smtp_server.messages == [] and ScheduledReport.objects.count() == 1
    assert "Anna" not in _fresh(giulia).get(reverse("reports:scheduled_list")).content.decode()


def test_edit_and_delete(client, world):
    hana = _client(client, world.users["hana"])
    hana.post(reverse("reports:scheduled_new"), _form(world))
    report = ScheduledReport.objects.get()
    hana.post(reverse("reports:scheduled_edit", args=[report.pk]), _form(world, frequency="weekly", weekday="4",
                                                                         time_of_day="17:30"))
    report.refresh_from_db()
    assert report.cron_expression() == "30 17 * * 5"
    hana.post(reverse("reports:scheduled_delete", args=[report.pk]))
    assert ScheduledReport.objects.count() == 0


def test_a_head_sets_her_team_plans_and_sees_plan_vs_actual(client, world):
    hana = _client(client, world.users["hana"])
    page = hana.get(reverse("reports:plans"), {"kind": "month", "period": "2026-03"})
    assert page.status_code == 200
    rows = {r["row"].manager.username: r for r in page.context["rows"]}
    assert set(rows) == {"anna", "dmitry"}          # not herself, not another department's Marco
    assert rows["anna"]["row"].actual == D("2000.00") and rows["anna"]["row"].percent == D("20.0")

    hana.post(reverse("reports:plan_set"), {"manager": world.users["dmitry"].pk, "kind": "month",
                                            "period": "2026-03", "amount": "5000", "currency": "rub", "deals": "3"})
    plan = SalesPlan.objects.get(manager=world.users["dmitry"])
    assert (plan.amount, plan.currency, plan.deals, plan.period_start) == (D("5000"), "RUB", 3, dt.date(2026, 3, 1))
    hana.post(reverse("reports:plan_set"), {"manager": world.users["dmitry"].pk, "kind": "month",
                                            "period": "2026-03", "amount": "6000", "currency": "RUB"})
    plan.refresh_from_db()
    assert (plan.amount, plan.deals) == (D("6000"), None)
    assert SalesPlan.objects.filter(manager=world.users["dmitry"]).count() == 1

    for who in ("marco", "hana"):   # another department's manager, and her own plan: refused
        response = hana.post(reverse("reports:plan_set"), {"manager": world.users[who].pk, "kind": "month",
                                                           "period": "2026-03", "amount": "1", "currency": "RUB"},
                             follow=True)
        assert "may not set" in response.content.decode()
    assert not SalesPlan.objects.filter(manager=world.users["hana"]).exists()
    assert SalesPlan.objects.get(manager=world.users["marco"]).amount == D("3000")

    response = hana.post(reverse("reports:plan_set"), {"manager": world.users["dmitry"].pk, "kind": "month",
                                                       "period": "2026-03", "amount": "lots", "currency": "XXQ"},
                         follow=True)
    text = response.content.decode()
    assert "The plan was not saved: Revenue plan: Enter a number." in text
    assert "Currency: “XXQ” is not an ISO 4217 currency code" in text
    plan.refresh_from_db()
    assert plan.amount == D("6000")

    hana.post(reverse("reports:plan_delete", args=[plan.pk]))
    assert not SalesPlan.objects.filter(manager=world.users["dmitry"]).exists()


def test_plans_page_is_for_heads_and_administrators(client, world):
    assert _client(client, world.users["anna"]).get(reverse("reports:plans")).status_code == 404
    root = _client(client, world.users["root"])
    page = root.get(reverse("reports:plans"), {"kind": "quarter", "period": "2026 Q1"})
    assert {r["row"].manager.username for r in page.context["rows"]} >= {"anna", "dmitry", "marco", "hana"}
    bad = root.get(reverse("reports:plans"), {"kind": "month", "period": "March"})
    assert bad.status_code == 400 and "2026-03" in bad.content.decode()
