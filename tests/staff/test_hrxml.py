"""HR-XML documents over HTTP at Bitrix's address: each noun, both namespace layouts, both encodings, re-sends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from raccordo.access.models import Department
from raccordo.exchange.models import Run
from raccordo.exchange.onec.models import OneCRequest
from raccordo.staff.models import Absence, AbsenceKind, DepartmentLink, Employee, StaffEvent, Vacancy

from . import messages as m

pytestmark = pytest.mark.django_db
COMPANY, SALES, MOSCOW = "c0000000-0000-0000-0000-000000000001", "d0000000-0000-0000-0000-000000000002", \
    "d0000000-0000-0000-0000-000000000003"
ANNA, ANNA_JOB = "a0000000-0000-0000-0000-0000000000a1", "e0000000-0000-0000-0000-0000000000e1"
UNITS = ((COMPANY, "ООО Ромашка"), (SALES, "Отдел продаж"))


def _org(**kw) -> bytes:
    charts = m.org_unit(COMPANY, "ООО Ромашка") + m.org_unit(SALES, "Отдел продаж", COMPANY, "ООО Ромашка") \
        + m.org_unit(MOSCOW, "Москва", SALES)
    return m.bod("SyncOrganizationChart", charts, **kw)


def _anna(**kw) -> bytes:
    return m.bod("SyncIndicativeData", m.person(
        ANNA, employee_id=ANNA_JOB, first="Анна", last="Иванова", middle="Петровна", email="anna@example.com",
        phone="+7 900 000-00-01", title="Менеджер", units=UNITS), **kw)


@pytest.mark.parametrize("prefixed", [False, True])
@pytest.mark.parametrize("encoding", ["UTF-8", "windows-1251"])
def test_organization_chart_builds_the_tree_and_a_resend_changes_nothing(zup, prefixed, encoding):
    first = zup.send(_org(prefixed=prefixed, encoding=encoding, bod_id="ORG-1"))
    assert first["ok"] and first["bodid"] == "ORG-1"
    dt.datetime.fromisoformat(first["created"])   # a real ISO 8601 date-time, not Bitrix's broken one
    moscow = DepartmentLink.objects.get(unit_id=MOSCOW).department
    assert moscow.name == "Москва" and moscow.parent.name == "Отдел продаж"
    assert moscow.parent.parent.name == "ООО Ромашка" and moscow.parent.parent.parent is None
    assert zup.send(_org(prefixed=prefixed, encoding=encoding))["ok"]
    assert Department.objects.count() == 3 and DepartmentLink.objects.count() == 3
    run = Run.objects.filter(kind="hr-import").order_by("started_at").last()
    assert (run.created, run.updated, run.unchanged) == (0, 0, 3)


def test_a_unit_moves_and_a_repeated_name_stays_apart(zup):
    zup.send(_org())
    moved = m.org_unit(MOSCOW, "Москва", COMPANY) + m.org_unit("d9", "Отдел продаж", MOSCOW)
    assert zup.send(m.bod("SyncOrganizationChart", moved))["ok"]
    moscow = DepartmentLink.objects.get(unit_id=MOSCOW).department
    assert moscow.parent.name == "ООО Ромашка"
    twin = DepartmentLink.objects.get(unit_id="d9").department
    assert twin.name == "Отдел продаж (Москва)" and twin.parent == moscow
    assert Department.objects.filter(name="Отдел продаж").count() == 1   # the first one kept, nothing deleted


@pytest.mark.parametrize("prefixed", [False, True])
@pytest.mark.parametrize("encoding", ["UTF-8", "windows-1251"])
def test_indicative_data_creates_an_inactive_user_linked_by_the_person_guid(zup, prefixed, encoding):
    assert zup.send(_anna(prefixed=prefixed, encoding=encoding))["ok"]
    employee = Employee.objects.select_related("user").get(person_id=ANNA)
    user = employee.user
    assert (user.first_name, user.last_name, user.email) == ("Анна", "Иванова", "anna@example.com")
    assert not user.is_active and not user.has_usable_password()
    assert user.department == DepartmentLink.objects.get(unit_id=SALES).department
    assert employee.position == "Менеджер" and employee.mobile == "+7 900 000-00-01"
    assert employee.birth_date == dt.date(1980, 5, 17) and employee.gender == "M"
    zup.send(_anna(prefixed=prefixed, encoding=encoding))
    assert get_user_model().objects.filter(hr_employee__person_id=ANNA).count() == 1


def test_position_and_email_follow_hr(zup):
    zup.send(_anna())
    changed = m.person(ANNA, employee_id=ANNA_JOB, first="Анна", last="Смирнова", email="anna.s@example.com",
                       title="Руководитель группы", units=UNITS)
    assert zup.send(m.bod("SyncIndicativeData", changed))["ok"]
    employee = Employee.objects.select_related("user").get(person_id=ANNA)
    assert employee.user.last_name == "Смирнова" and employee.user.email == "anna.s@example.com"
    assert employee.position == "Руководитель группы"


@pytest.mark.parametrize("prefixed", [False, True])
def test_time_card_absences_are_idempotent_and_unknown_codes_logged(zup, prefixed, caplog):
    zup.send(_anna())
    card = m.time_card(ANNA, [("VACATION", "Отпуск ежегодный", "2026-12-10", "2026-12-20"),
                              ("X42", "Командировка", "2027-01-10", "2027-01-12"),
                              ("ZZ", "Непонятное", "2027-02-01", "2027-02-01")])
    answer = zup.send(m.bod("SyncTimeCard", card, prefixed=prefixed, encoding="windows-1251"))
    assert answer["ok"] and any("ZZ" in w for w in answer["warnings"])
    assert "unknown value absence type ZZ" in caplog.text
    kinds = sorted(Absence.objects.values_list("kind", flat=True))
    assert kinds == sorted([AbsenceKind.VACATION, AbsenceKind.TRIP, AbsenceKind.OTHER])
    zup.send(m.bod("SyncTimeCard", card, prefixed=prefixed))
    assert Absence.objects.count() == 3


def test_a_cancelled_absence_is_removed(zup):
    zup.send(_anna())
    card = m.time_card(ANNA, [("VACATION", "Отпуск", "2026-12-10", "2026-12-20")])
    zup.send(m.bod("SyncTimeCard", card))
    assert Absence.objects.count() == 1
    cancel = '<Sync><ActionCriteria><ActionExpression actionCode="Delete"/></ActionCriteria></Sync>'
    assert zup.send(m.bod("SyncTimeCard", card, verb=cancel))["ok"]
    assert Absence.objects.count() == 0
    assert zup.send(m.bod("CancelTimeCard", card, verb="<Cancel/>"))["ok"]   # again: nothing left, no error


def test_time_card_for_an_unknown_person_is_a_warning(zup):
    answer = zup.send(m.bod("SyncTimeCard", m.time_card("nobody", [("VACATION", "", "2026-12-10", "2026-12-11")])))
    assert answer["ok"] and any("nobody" in w for w in answer["warnings"]) and not Absence.objects.exists()


def test_staffing_assignment_keeps_the_history_once(zup):
    zup.send(_anna())
    doc = m.bod("SyncStaffingAssignment", m.staffing("SA-1", ANNA, "New", SALES, "Менеджер", "2026-01-15"))
    assert zup.send(doc)["ok"] and zup.send(doc)["ok"]
    event = StaffEvent.objects.get()
    assert (event.state, event.on, event.position) == ("hired", dt.date(2026, 1, 15), "Менеджер")
    assert event.department == DepartmentLink.objects.get(unit_id=SALES).department
    odd = zup.send(m.bod("SyncStaffingAssignment", m.staffing("SA-2", ANNA, "Weird", SALES, "", "2026-02-01")))
    assert any("StaffingAssignmentStatusCode=Weird" in w for w in odd["warnings"])


def test_position_opening_opens_and_closes_a_vacancy(zup):
    assert zup.send(m.bod("SyncPositionOpening", m.position("V-1", "Менеджер по продажам", "2026-12-01")))["ok"]
    zup.send(m.bod("SyncPositionOpening", m.position("V-1", "Менеджер по продажам", "2026-12-01")))
    vacancy = Vacancy.objects.get()
    assert vacancy.is_open and vacancy.opened_on == dt.date(2026, 12, 1) and "Sell" in vacancy.description
    zup.send(m.bod("SyncPositionOpening", m.position("V-1", "Менеджер по продажам", "2026-12-01", "Closed")))
    vacancy.refresh_from_db()
    assert not vacancy.is_open and Vacancy.objects.count() == 1


def test_raccordo_address_and_request_log(zup, client, hr_node):
    other = type(zup)(client, path="/exchange/hr/hrxml/")
    assert other.send(_org())["ok"]
    entry = OneCRequest.objects.get(type="hrxml")
    assert entry.node == hr_node and entry.filename == "OrganizationChart" and entry.answer == "success"


def test_bad_documents_get_a_failure_bod(zup):
    assert zup.send(b"")["errors"] and zup.send(b"<not xml")["errors"]
    answer = zup.send(m.bod("SyncSomething", "<Something/>"))
    assert answer["errors"] and not answer["ok"]


def test_wrong_password_and_wrong_node_kind_answer_plain_failure(client, hr_node, db):
    import base64
    bad = base64.b64encode(b"zup:nope").decode()
    response = client.generic("POST", "/bitrix/admin/1c_intranet_hr.php", _org(), content_type="text/xml",
                              HTTP_AUTHORIZATION=f"Basic {bad}")
    assert response.content.decode().startswith("failure\n")
    hr_node.kind = "onec-http"
    hr_node.save()
    good = base64.b64encode(b"zup:zup-s3cret-pass").decode()
    response = client.generic("POST", "/bitrix/admin/1c_intranet_hr.php", _org(), content_type="text/xml",
                              HTTP_AUTHORIZATION=f"Basic {good}")
    assert response.content.decode().startswith("failure\n") and not Department.objects.exists()


def test_get_login_then_post_with_the_cookie(client, hr_node):
    login = client.get("/bitrix/admin/1c_intranet_hr.php",
                       {"AUTH_FORM": "Y", "TYPE": "AUTH", "USER_LOGIN": "zup", "USER_PASSWORD": "zup-s3cret-pass"})
    assert b"BODFailureMessage" in login.content   # empty body, as Bitrix answers it
    response = client.generic("POST", "/bitrix/admin/1c_intranet_hr.php", _org(), content_type="text/xml")
    assert b"BODSuccessMessage" in response.content and Department.objects.count() == 3


def test_a_unit_moved_below_itself_is_refused_and_the_rest_lands(zup):
    zup.send(_org())
    loop = m.org_unit(COMPANY, "ООО Ромашка", MOSCOW) + m.org_unit("d7", "Склад", COMPANY)
    answer = zup.send(m.bod("SyncOrganizationChart", loop))
    assert answer["ok"] and any(COMPANY in w for w in answer["warnings"])
    assert DepartmentLink.objects.get(unit_id=COMPANY).department.parent is None
    assert DepartmentLink.objects.filter(unit_id="d7").exists()
    assert Run.objects.filter(kind="hr-import").order_by("started_at").last().failed == 1
