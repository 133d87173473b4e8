"""Every model with a responsible person is assignment-checked by its own create and update services.

A manager may hand a record only to people in their reach (`policy.assignable_users`): themselves. The
check lives in the services, so it holds for the web, the API, the exchange and any caller to come; these
tests call the services directly, for each model in `policy.ASSIGNMENT_FIELDS`.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from raccordo.access.policy import ASSIGNMENT_FIELDS
from raccordo.activities.services import (
    complaint_register,
    complaint_update,
    reminder_create,
    reminder_update,
    task_create,
    task_update,
)
from raccordo.core.errors import PermissionDenied
from raccordo.parties.services import counterparty_create, counterparty_update
from raccordo.sales.services import LineInput, deal_create, deal_update, invoice_create, invoice_update
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


def _line():
    return [LineInput(description="Service", quantity=Decimal("1"), price=Decimal("100.00"))]


# For each model: how its service creates one for `owner` (field value `person`), and how it hands it over.
CASES = {
    "parties.counterparty": (
        lambda user, cp, ref, person: counterparty_create(user=user, data={"name": "Gift", "responsible": person}),
        lambda user, obj, person: counterparty_update(user=user, counterparty=obj, data={"responsible": person})),
    "sales.deal": (
        lambda user, cp, ref, person: deal_create(user=user, data={"title": "Deal", "counterparty": cp,
                                                                   "manager": person}),
        lambda user, obj, person: deal_update(user=user, deal=obj, data={"manager": person})),
    "sales.invoice": (
        lambda user, cp, ref, person: invoice_create(user=user, data={
            "own_company": ref["own_company"], "counterparty": cp, "responsible": person}, lines=_line()),
        lambda user, obj, person: invoice_update(user=user, invoice=obj, data={"responsible": person})),
    "activities.complaint": (
        lambda user, cp, ref, person: complaint_register(user=user, data={"counterparty": cp, "subject": "Late",
                                                                         "responsible": person}),
        lambda user, obj, person: complaint_update(user=user, complaint=obj, data={"responsible": person})),
    "activities.reminder": (
        lambda user, cp, ref, person: reminder_create(user=user, data={"subject": "Call back", "counterparty": cp,
                                                                      "start_at": timezone.now(), "user": person}),
        lambda user, obj, person: reminder_update(user=user, reminder=obj, data={"user": person})),
    "activities.task": (
        lambda user, cp, ref, person: task_create(user=user, data={"title": "Call", "counterparty": cp,
                                                                  "assignee": person}),
        lambda user, obj, person: task_update(user=user, task=obj, data={"assignee": person})),
}


# Records a manager may not create at all (only heads and administrators): the person they name is checked by
# their own services, tested where those are.
OWN_CHECKS = {
    "reports.salesplan": "tests/reports/test_schedule_parts.py::test_who_sets_plans_and_reports",
    "reports.scheduledreport": "tests/reports/test_scheduled.py::test_who_may_set_up_a_report_and_as_whom",
}


def test_every_model_with_an_assignment_field_has_a_case():
    assert set(CASES) | set(OWN_CHECKS) == set(ASSIGNMENT_FIELDS)
    assert not set(CASES) & set(OWN_CHECKS)


def _field(label: str) -> str:
    return ASSIGNMENT_FIELDS[label][0]


@pytest.mark.parametrize("label", sorted(CASES))
def test_create_refuses_handing_the_record_to_someone_out_of_reach(label, manager, other_manager, reference_data):
    create, _update = CASES[label]
    cp = CounterpartyFactory(responsible=manager)
    with pytest.raises(PermissionDenied):
        create(manager, cp, reference_data, other_manager)
    # Within reach (themselves) the same call succeeds: the refusal is about the person, not the record.
    obj = create(manager, cp, reference_data, manager)
    assert getattr(obj, _field(label)) == manager


@pytest.mark.parametrize("label", sorted(CASES))
def test_update_refuses_handing_the_record_to_someone_out_of_reach(label, manager, other_manager, reference_data):
    create, update = CASES[label]
    cp = CounterpartyFactory(responsible=manager)
    obj = create(manager, cp, reference_data, manager)
    with pytest.raises(PermissionDenied) as refused:
        update(manager, obj, other_manager)
    # A counterparty handed to another manager leaves the manager's own reach: the access rule, re-checked
    # after the change, refuses it before the assignment check does. Every other record stays reachable
    # through the manager's counterparty, so only the assignment check stands in the way.
    expected = {"access.denied", "access.assign_denied"} if label == "parties.counterparty" else {
        "access.assign_denied"}
    assert refused.value.code in expected
    obj.refresh_from_db()
    assert getattr(obj, _field(label)) == manager


@pytest.mark.parametrize("label", ["sales.deal", "sales.invoice", "activities.complaint", "activities.task",
                                   "activities.reminder"])
def test_the_refusal_on_create_is_the_assignment_check(label, manager, other_manager, reference_data):
    """On a record reached through the manager's own counterparty the access rule lets the manager add it:
    what refuses the other manager is the assignment check (invoice_create once skipped it)."""
    create, _update = CASES[label]
    cp = CounterpartyFactory(responsible=manager)
    with pytest.raises(PermissionDenied) as refused:
        create(manager, cp, reference_data, other_manager)
    assert refused.value.code == "access.assign_denied"


@pytest.mark.parametrize("label", sorted(CASES))
def test_an_administrator_hands_records_to_anyone(label, admin_user, manager, other_manager, reference_data):
    create, update = CASES[label]
    cp = CounterpartyFactory(responsible=manager)
    obj = create(admin_user, cp, reference_data, manager)
    obj = update(admin_user, obj, other_manager)
    assert getattr(obj, _field(label)) == other_manager
