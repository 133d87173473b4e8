"""Tasks, interactions, complaints and reminders through the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from raccordo.activities.models import Complaint, Interaction, Reminder, Task
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests import factories

from .conftest import ids

pytestmark = pytest.mark.django_db


def test_task_defaults_to_the_caller_and_is_filtered(api, manager, other_manager):
    counterparty = factories.CounterpartyFactory(responsible=manager)
    response = api.post("/api/v1/tasks/", {"title": "Send offer", "counterparty": str(counterparty.pk)},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assignee"] == str(manager.pk) and body["author"] == str(manager.pk)
    assert ids(api.get("/api/v1/tasks/", {"assignee": str(manager.pk), "status": "open"})) == {body["id"]}
    assert ids(api.get("/api/v1/tasks/", {"status": "done"})) == set()

    done = api.patch(f"/api/v1/tasks/{body['id']}/", {"status": "done"}, format="json")
    assert done.status_code == 200 and done.json()["completed_at"]


def test_task_a_head_gives_to_her_manager_is_seen_by_both(api, manager):
    from raccordo.access.models import Department

    from .conftest import client_for

    sales = Department.objects.create(name="Sales")
    manager.department = sales
    manager.save()
    head = factories.UserFactory(username="elena", role="head", department=sales)
    head_api = client_for(head)
    response = head_api.post("/api/v1/tasks/", {"title": "Help me", "assignee": str(manager.pk)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["id"] in ids(head_api.get("/api/v1/tasks/"))
    assert response.json()["id"] in ids(api.get("/api/v1/tasks/"))


def test_a_manager_gives_no_task_to_a_colleague(api, other_manager):
    # The people the web form offers (policy.assignable_users): a manager's tasks are their own.
    response = api.post("/api/v1/tasks/", {"title": "Help me", "assignee": str(other_manager.pk)}, format="json")
    assert response.status_code == 403, response.content
    assert not Task.objects.exists()


def test_task_on_another_managers_counterparty_or_deal_is_refused(api, other_manager, reference_data):
    theirs = factories.CounterpartyFactory(responsible=other_manager)
    deal = factories.deal_for(theirs, reference_data)
    assert api.post("/api/v1/tasks/", {"title": "X", "counterparty": str(theirs.pk)},
                    format="json").status_code == 400
    assert api.post("/api/v1/tasks/", {"title": "X", "deal": str(deal.pk)}, format="json").status_code == 400
    assert not Task.objects.exists()


def test_interaction_about_a_deal_takes_its_counterparty(api, manager, reference_data):
    counterparty = factories.CounterpartyFactory(responsible=manager)
    deal = factories.deal_for(counterparty, reference_data)
    response = api.post("/api/v1/interactions/", {"subject": "Called", "deal": str(deal.pk), "kind": "call"},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["counterparty"] == str(counterparty.pk) and body["author"] == str(manager.pk)
    updated = api.patch(f"/api/v1/interactions/{body['id']}/", {"outcome": "Will order"}, format="json")
    assert updated.status_code == 200
    assert Interaction.objects.get(pk=body["id"]).outcome == "Will order"


def test_interaction_contact_must_match_counterparty(api, manager):
    a = factories.CounterpartyFactory(responsible=manager)
    b = factories.CounterpartyFactory(responsible=manager)
    contact = factories.ContactPersonFactory(counterparty=b)
    response = api.post("/api/v1/interactions/", {"subject": "Mixed", "counterparty": str(a.pk),
                                                  "contact": str(contact.pk)}, format="json")
    assert response.status_code == 400
    assert not Interaction.objects.exists()


def test_complaint_responsible_is_the_caller(api, manager, other_manager):
    counterparty = factories.CounterpartyFactory(responsible=manager)
    response = api.post("/api/v1/complaints/", {"subject": "Late delivery", "counterparty": str(counterparty.pk),
                                                "responsible": str(other_manager.pk)}, format="json")
    assert response.status_code == 201, response.content
    assert Complaint.objects.get(pk=response.json()["id"]).responsible == manager
    resolved = api.patch(f"/api/v1/complaints/{response.json()['id']}/",
                         {"status": "resolved", "resolution": "Discount"}, format="json")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"


def test_reminder_is_for_the_caller_and_can_be_done(api, other_api, manager, other_manager):
    response = api.post("/api/v1/reminders/", {"subject": "Chase payment", "start_at": "2026-12-01T10:00:00Z",
                                               "user": str(other_manager.pk)}, format="json")
    assert response.status_code == 201, response.content
    reminder = Reminder.objects.get(pk=response.json()["id"])
    assert reminder.user == manager
    assert other_api.get(f"/api/v1/reminders/{reminder.pk}/").status_code == 404
    done = api.post(f"/api/v1/reminders/{reminder.pk}/done/")
    assert done.status_code == 200 and done.json()["is_done"] is True
    assert other_api.post(f"/api/v1/reminders/{reminder.pk}/done/").status_code == 404


def test_reminder_importance_is_validated(api):
    response = api.post("/api/v1/reminders/", {"subject": "X", "start_at": "2026-12-01T10:00:00Z",
                                               "importance": "urgent"}, format="json")
    assert response.status_code == 400 and "importance" in response.json()["extra"]


def test_an_italian_api_user_reads_an_automatic_reminder_in_italian(api, manager, reference_data, settings):
    settings.INVOICE_REMINDER_DAYS = [-2]
    with translation.override("en"):
        invoice = invoice_issue(user=manager, invoice=invoice_create(user=manager, data={
            "own_company": reference_data["own_company"], "counterparty": factories.CounterpartyFactory(
                responsible=manager), "currency": "RUB", "date": timezone.localdate(),
            "due_date": timezone.localdate() + dt.timedelta(days=5)},
            lines=[LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("10"))]))
    reminder = Reminder.objects.get(target_id=invoice.pk)
    url = f"/api/v1/reminders/{reminder.pk}/"
    manager.language = "it"
    manager.save()
    with translation.override("en"):      # the request's activation is undone after the test
        body = api.get(url).json()
    assert body["text"] == f"La fattura {invoice.number} scade tra 2 giorni"
    assert body["subject"] == f"Invoice {invoice.number} is due in 2 days"      # stored as written
    # Without a choice in the profile, the request's language (Accept-Language) decides.
    manager.language = ""
    manager.save()
    with translation.override("en"):
        body = api.get(url, HTTP_ACCEPT_LANGUAGE="it").json()
        assert body["text"] == f"La fattura {invoice.number} scade tra 2 giorni"
        assert api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["text"] == body["subject"]
