"""Absences, vacancies and staff movements as HR sends them: idempotent by their ids, journaled.

Unlike Bitrix's receiver, a re-sent absence updates the one stored (same id) and a cancelled one is removed;
a vacancy HR closes gets its closing date instead of staying open for ever.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.core.journal import diff, journal_record, snapshot
from raccordo.core.models import Operation

from .models import Absence, AbsenceKind, Employee, StaffEvent, Vacancy
from .outcome import Outcome
from .records import AbsenceRecord, Movement, VacancyRecord
from .services import _write, unit_department

# Bitrix's built-in absence types (the codes its portal ships with) and words of 1C's own names for them.
CODES = {"VACATION": AbsenceKind.VACATION, "ASSIGNMENT": AbsenceKind.TRIP, "LEAVESICK": AbsenceKind.SICK,
         "LEAVEMATERINITY": AbsenceKind.MATERNITY, "LEAVEMATERNITY": AbsenceKind.MATERNITY,
         "LEAVEUNPAYED": AbsenceKind.UNPAID, "LEAVEUNPAID": AbsenceKind.UNPAID, "UNKNOWN": AbsenceKind.TRUANCY,
         "PERSONAL": AbsenceKind.PERSONAL, "OTHER": AbsenceKind.OTHER}
WORDS = (("ОТПУСК ПО УХОДУ", AbsenceKind.MATERNITY), ("ДЕКРЕТ", AbsenceKind.MATERNITY),
         ("БЕРЕМЕННОСТ", AbsenceKind.MATERNITY), ("БЕЗ СОХРАНЕНИЯ", AbsenceKind.UNPAID),
         ("ОТПУСК", AbsenceKind.VACATION), ("КОМАНДИРОВК", AbsenceKind.TRIP), ("БОЛЕЗН", AbsenceKind.SICK),
         ("БОЛЬНИЧН", AbsenceKind.SICK), ("НЕТРУДОСПОСОБН", AbsenceKind.SICK), ("ПРОГУЛ", AbsenceKind.TRUANCY),
         ("ОТГУЛ", AbsenceKind.UNPAID))


def absence_kind(code: str, name: str, outcome: Outcome) -> AbsenceKind:
    """The kind of an absence from its code or its name; anything else is "other" and logged as unknown."""
    if code.upper() in CODES:
        return CODES[code.upper()]
    words = f"{code} {name}".upper()
    for word, kind in WORDS:
        if word in words:
            return kind
    outcome.note_unknown(f"absence type {code or '-'} ({name or '-'})")
    return AbsenceKind.OTHER


def _employee(person_id: str) -> Employee | None:
    return Employee.objects.select_related("user").filter(person_id=person_id).first() if person_id else None


@transaction.atomic
def absence_sync(record: AbsenceRecord, outcome: Outcome) -> Absence | None:
    """Store (or update, by its id) an absence; a cancelled one is removed."""
    existing = Absence.objects.filter(external_id=record.external_id).first()
    if record.cancelled:
        if existing is not None:
            journal_record(obj=existing, operation=Operation.DELETE, changes=diff(snapshot(existing), {}))
            existing.delete()
            outcome.deactivated += 1
        else:
            outcome.count(False, changed=False)
        return None
    employee = _employee(record.person_id)
    if employee is None:
        outcome.skip(_("Absence %(id)s: no employee with the id %(person)s.")
                     % {"id": record.external_id, "person": record.person_id or "-"})
        return None
    if record.starts_on is None:
        outcome.skip(_("Absence %(id)s has no start date.") % {"id": record.external_id})
        return None
    absence = existing or Absence(external_id=record.external_id)
    before = snapshot(absence) if existing else None
    absence.user = employee.user
    absence.kind = absence_kind(record.code, record.code_name, outcome)
    absence.hr_code = (record.code or record.code_name)[:100]
    absence.starts_on = record.starts_on
    absence.ends_on = max(record.ends_on or record.starts_on, record.starts_on)
    absence.reason = record.reason[:500]
    _write(absence, before, outcome)
    return absence


@transaction.atomic
def vacancy_sync(record: VacancyRecord, outcome: Outcome) -> Vacancy | None:
    """Open (or update) a vacancy by HR's position id; a closed one keeps its row with the closing date."""
    if not record.position_id:
        outcome.skip(_("A vacancy without an id was skipped (%(title)s).") % {"title": record.title or "-"})
        return None
    existing = Vacancy.objects.filter(position_id=record.position_id).first()
    vacancy = existing or Vacancy(position_id=record.position_id)
    before = snapshot(vacancy) if existing else None
    vacancy.title = (record.title or vacancy.title or record.position_id)[:255]
    if record.description:
        vacancy.description = record.description
    if record.opened_on:
        vacancy.opened_on = record.opened_on
    if record.unit_id:
        vacancy.department = unit_department(record.unit_id) or vacancy.department
    vacancy.closed_on = record.closed_on
    _write(vacancy, before, outcome)
    return vacancy


@transaction.atomic
def movement_sync(record: Movement, outcome: Outcome) -> StaffEvent | None:
    """Keep a staff movement in the state history (by HR's id); it does not switch accounts on or off."""
    employee = _employee(record.person_id)
    if employee is None:
        outcome.skip(_("Staff movement %(id)s: no employee with the id %(person)s.")
                     % {"id": record.external_id or "-", "person": record.person_id or "-"})
        return None
    key = record.external_id or f"{record.person_id}|{record.state}|{record.on}"
    existing = StaffEvent.objects.filter(external_id=key).first()
    event = existing or StaffEvent(external_id=key)
    before = snapshot(event) if existing else None
    event.user, event.state, event.on = employee.user, record.state, record.on
    event.department = unit_department(record.unit_id)
    event.position = record.position[:255]
    _write(event, before, outcome)
    return event
