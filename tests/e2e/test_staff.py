"""Staff from 1C:ZUP in a real browser (issue #22): ZUP posts HR-XML documents over HTTP; the administrator sees
the staff page with a dismissed manager's clients to hand over, hands them over; the card of a client whose
responsible is on holiday says so; the calendar shows who is away; the HR node's connection page.

Screenshots: tests/e2e/screenshots/220-staff-handover.png, 221-staff-card-away.png, 222-staff-calendar-away.png,
223-staff-node-connect.png.
"""

from __future__ import annotations

import base64
import datetime as dt
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.exchange.nodes import node_create
from raccordo.parties.services import counterparty_create
from raccordo.staff.models import Employee
from tests.e2e.conftest import login
from tests.factories import UserFactory, inn10, reference_data
from tests.staff import messages as m

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
UNITS = (("c1", "ООО Ромашка"), ("d1", "Отдел продаж"))


def _post(base: str, body: bytes) -> bytes:
    token = base64.b64encode(b"zup:zup-pass-123").decode()
    request = urllib.request.Request(f"{base}/bitrix/admin/1c_intranet_hr.php", data=body, method="POST",
                                     headers={"Authorization": f"Basic {token}", "Content-Type": "text/xml"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


@pytest.fixture
def staff(transactional_db, live_server):
    reference_data()
    admin = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager")
    node_create(user=None, code="zup", name="ZUP", kind="zup-hr", login="zup", password="zup-pass-123")
    base = live_server.url
    for person_id, first, last in (("p1", "Анна", "Иванова"), ("p2", "Олег", "Петров")):
        assert b"BODSuccessMessage" in _post(base, m.bod("SyncIndicativeData", m.person(
            person_id, employee_id=f"e-{person_id}", first=first, last=last, title="Менеджер", units=UNITS)))
    for employee in Employee.objects.select_related("user"):
        employee.user.is_active = True
        employee.user.save()
    anna, oleg = (Employee.objects.get(person_id=p).user for p in ("p1", "p2"))
    made = [counterparty_create(user=admin, data={"kind": "legal", "name": n, "inn": inn10(700 + i),
                                                  "responsible": anna if i < 2 else oleg})
            for i, n in enumerate(["Romashka", "Vasilek", "Landysh"])]
    today = timezone.localdate()
    _post(base, m.bod("SyncTimeCard", m.time_card("p2", [(
        "VACATION", "Отпуск ежегодный", (today - dt.timedelta(days=1)).isoformat(),
        (today + dt.timedelta(days=9)).isoformat())])))
    _post(base, m.bod("SyncIndicativeData", m.person(
        "p1", employee_id="e-p1", first="Анна", last="Иванова", title="Менеджер", units=UNITS,
        last_worked=(today - dt.timedelta(days=1)).isoformat())))
    _post(base, m.bod("SyncPositionOpening", m.position("V-1", "Менеджер по продажам", today.isoformat())))
    return {"admin": admin, "clients": made}


def test_the_administrator_hands_over_and_sees_who_is_away(page, staff, shot):
    login(page, "root", "pass-12345")
    page.goto(f"{page.base_url}/staff/")
    expect(page.get_by_text("Иванова").first).to_be_visible()
    shot(page, "220-staff-handover", full_page=True)
    page.locator("select[name=to_user]").select_option(label="Marco Rossi")
    page.get_by_role("button", name="Hand over").click()
    expect(page.locator("body")).to_contain_text("Handed over: 2 counterparties")
    page.goto(f"{page.base_url}/counterparties/{staff['clients'][2].pk}/")
    expect(page.locator("[data-testid=away]").first).to_be_visible()
    shot(page, "221-staff-card-away")
    page.goto(f"{page.base_url}/calendar/?view=week&all=1")
    expect(page.locator("[data-testid=cal-away]").first).to_be_visible()
    shot(page, "222-staff-calendar-away")
    page.goto(f"{page.base_url}/exchange/nodes/new/?kind=zup-hr")
    page.fill("input[name=name]", "ЗУП Москва")
    page.locator("[data-testid=node-create]").click()
    expect(page.locator("[data-testid=hr-urls]")).to_contain_text("1c_intranet_hr.php")
    shot(page, "223-staff-node-connect")
