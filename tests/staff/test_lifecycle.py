"""End to end over HTTP: hire, activation, dismissal, hand-over of the clients, rehire; an absence cancelled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from raccordo.parties.models import Counterparty
from raccordo.staff.models import Absence, Employee
from tests import factories

from . import messages as m
from .test_hrxml import ANNA, ANNA_JOB, UNITS

pytestmark = pytest.mark.django_db


def _anna(**kw) -> bytes:
    return m.bod("SyncIndicativeData", m.person(ANNA, employee_id=ANNA_JOB, first="Анна", last="Иванова",
                                                title="Менеджер", units=UNITS, **kw))


def test_dismissal_handover_and_rehire(zup, client, admin_user, other_manager):
    assert zup.send(_anna())["ok"]
    anna = Employee.objects.get(person_id=ANNA).user
    anna.is_active = True   # the administrator activates the account HR created
    anna.save()
    clients = [factories.CounterpartyFactory(responsible=anna) for _ in range(2)]

    # Dismissal dated today does not apply yet (as in Bitrix); dated yesterday it does.
    today = timezone.localdate()
    zup.send(_anna(last_worked=today.isoformat()))
    anna.refresh_from_db()
    assert anna.is_active
    zup.send(_anna(last_worked=(today - dt.timedelta(days=1)).isoformat()))
    anna.refresh_from_db()
    employee = Employee.objects.get(person_id=ANNA)
    assert not anna.is_active and employee.dismissed_on == today and employee.handover_pending

    client.force_login(admin_user)
    page = client.get("/staff/")
    assert "Иванова" in page.content.decode()
    response = client.post(f"/staff/handover/{employee.pk}/", {"to_user": other_manager.pk})
    assert response.status_code == 302
    assert set(Counterparty.objects.filter(pk__in=[c.pk for c in clients]).values_list("responsible", flat=True)) \
        == {other_manager.pk}
    employee.refresh_from_db()
    assert not employee.handover_pending

    # Rehired: a new employment, not terminated; the account HR switched off is on again.
    rehire = m.person(ANNA, employee_id="e-new", first="Анна", last="Иванова", title="Старший менеджер",
                      units=UNITS)
    assert zup.send(m.bod("SyncIndicativeData", rehire))["ok"]
    anna.refresh_from_db()
    employee.refresh_from_db()
    assert anna.is_active and employee.dismissed_on is None and employee.position == "Старший менеджер"


def test_a_never_activated_account_stays_inactive_on_rehire(zup):
    zup.send(_anna())
    zup.send(_anna(last_worked="2020-01-01"))
    zup.send(m.bod("SyncIndicativeData", m.person(ANNA, employee_id="e-2", first="Анна", last="Иванова",
                                                  units=UNITS)))
    employee = Employee.objects.select_related("user").get(person_id=ANNA)
    assert employee.dismissed_on is None and not employee.user.is_active


def test_handover_page_is_for_administrators(client, manager):
    client.force_login(manager)
    assert client.get("/staff/").status_code == 404


def test_an_absence_later_cancelled(zup):
    zup.send(_anna())
    card = m.time_card(ANNA, [("VACATION", "Отпуск", "2026-12-10", "2026-12-20"),
                              ("ASSIGNMENT", "Командировка", "2027-01-10", "2027-01-12")])
    zup.send(m.bod("SyncTimeCard", card))
    assert Absence.objects.count() == 2
    cancelled = m.time_card(ANNA, [("ASSIGNMENT", "Командировка", "2027-01-10", "2027-01-12")])
    zup.send(m.bod("CancelTimeCard", cancelled, verb="<Cancel/>"))
    assert list(Absence.objects.values_list("kind", flat=True)) == ["vacation"]


def test_hr_node_setup_and_what_it_may_import(client, admin_user, zup, hr_node):
    client.force_login(admin_user)
    created = client.post("/exchange/nodes/new/", {"kind": "zup-hr", "name": "ЗУП Москва", "code": "zup-msk"})
    assert created.status_code == 302
    connect = client.get(created["Location"])
    assert b"/bitrix/admin/1c_intranet_hr.php" in connect.content and b"/bitrix/admin/1c_intranet.php" in connect.content
    assert b"onec-password" in connect.content   # the generated password, shown once
    assert client.post(f"/staff/nodes/{hr_node.pk}/imports/", {"imports": ["absences"]}).status_code == 302
    hr_node.refresh_from_db()
    assert hr_node.object_types == ["absences"]
    zup.send(_anna())
    assert not Employee.objects.exists()   # employees are not this node's to change now
    assert "absences" in client.get("/staff/").content.decode()
