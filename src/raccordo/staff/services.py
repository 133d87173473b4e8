"""Departments and people as HR sends them, stored in the access tree and the users (issue #22).

Rules (decided in `access.policy.hr`): departments are created and moved, never deleted; users are created
inactive with no usable password (an administrator activates them); a dismissal switches the account off and,
when the person is responsible for clients, asks the administrator to hand them over; a rehire switches an
account HR had switched off on again. Every write is journaled.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.models import Department
from raccordo.access.policy import hr_dismissal_applies, hr_handover_needed, require_staff_manager
from raccordo.access.records import record_update
from raccordo.access.services import clients_reassign
from raccordo.core.journal import diff, journal_record, snapshot
from raccordo.core.models import Operation

from .models import DepartmentLink, Employee
from .outcome import Outcome
from .records import IMPORTS, Person, Unit


def _free_name(name: str, parent: Department | None, exclude=None) -> str:
    """Department names are unique in Raccordo; HR may repeat one in two branches ("Sales" in each office)."""
    base = (name or _("Department")).strip()[:100]
    candidates = [base] + ([f"{base} ({parent.name})"[:128]] if parent else [])
    candidates += [f"{base} ({n})" for n in range(2, 100)]
    taken = Department.objects.exclude(pk=exclude.pk) if exclude is not None else Department.objects.all()
    for candidate in candidates:
        if not taken.filter(name=candidate).exists():
            return candidate
    return f"{base} ({timezone.now():%H%M%S%f})"


def _write(obj, before: dict | None, outcome: Outcome | None = None) -> bool:
    """Save and journal `obj`; returns whether anything changed."""
    after = snapshot(obj)
    if before is not None:
        changes = diff(before, after)
        if not changes:
            if outcome:
                outcome.count(False, changed=False)
            return False
        obj.save()
        journal_record(obj=obj, operation=Operation.UPDATE, changes=changes)
    else:
        obj.save()
        journal_record(obj=obj, operation=Operation.CREATE, changes=diff({}, snapshot(obj)))
    if outcome:
        outcome.count(before is None)
    return True


def unit_department(unit_id: str) -> Department | None:
    """The department an HR unit landed in, if it did."""
    link = DepartmentLink.objects.select_related("department").filter(unit_id=unit_id).first() if unit_id else None
    return link.department if link else None


@transaction.atomic
def unit_sync(unit: Unit, outcome: Outcome) -> Department | None:
    """Create or update (name, parent) the department of an HR unit; a removed unit is only marked, never deleted."""
    if not unit.unit_id:
        outcome.skip(_("A department without an id was skipped (%(name)s).") % {"name": unit.name or "-"})
        return None
    parent = None
    if unit.parent_id:
        parent = unit_department(unit.parent_id) or unit_sync(
            Unit(unit_id=unit.parent_id, name=unit.parent_name or unit.parent_id), outcome)
    link = DepartmentLink.objects.select_related("department").filter(unit_id=unit.unit_id).first()
    if link is None:
        dept = Department(name=_free_name(unit.name, parent), parent=parent)
        _write(dept, None, outcome)
        DepartmentLink.objects.create(unit_id=unit.unit_id, department=dept, hr_name=unit.name,
                                      removed_in_hr=unit.removed)
        return dept
    dept, before = link.department, snapshot(link.department)
    if unit.name and unit.name != link.hr_name:
        dept.name = _free_name(unit.name, parent, exclude=dept)
    if unit.parent_id and parent is not None and dept.parent_id != parent.pk:
        dept.parent = parent
        dept.clean()   # HR moving a unit below itself is refused, not stored
    _write(dept, before, outcome)
    DepartmentLink.objects.filter(pk=link.pk).update(hr_name=unit.name or link.hr_name, removed_in_hr=unit.removed)
    return dept


def _new_username(person: Person) -> str:
    User = get_user_model()
    base = f"hr.{person.person_id.replace('-', '')[:12].lower() or 'person'}"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}.{n}"
    return name


def _user_for(person: Person, outcome: Outcome) -> tuple[Employee, dict | None]:
    """The person's link and user (created inactive, no usable password), and the user's state before."""
    employee = Employee.objects.select_related("user").filter(person_id=person.person_id).first()
    if employee is not None:
        return employee, snapshot(employee.user)
    user = get_user_model()(username=_new_username(person), is_active=False)
    user.set_unusable_password()   # no password travels from HR; an administrator activates the account
    employee = Employee(person_id=person.person_id, user=user)
    return employee, None


def _apply_fields(person: Person, employee: Employee) -> None:
    user = employee.user
    # Lengths of the user's fields (first and last name 150, e-mail 254, phone 32).
    for name, text, limit in (("first_name", person.first_name, 150), ("last_name", person.last_name, 150),
                              ("email", person.email, 254), ("phone", person.work_phone, 32)):
        if text:
            setattr(user, name, text[:limit])
    for name, text, limit in (("gender", person.gender, 1), ("mobile", person.mobile, 32),
                              ("inner_phone", person.inner_phone, 32), ("photo", person.photo, 500)):
        if text:
            setattr(employee, name, text[:limit])
    if person.birth_date:
        employee.birth_date = person.birth_date


def _merge_employments(person: Person, employee: Employee, today: dt.date) -> bool:
    """Fold the sent employments into the remembered ones; returns whether one was sent that is still running."""
    jobs = dict(employee.employments or {})
    running = False
    for job in person.employments:
        if hr_dismissal_applies(job.last_worked, today):
            jobs.pop(job.employee_id, None)
        else:
            jobs[job.employee_id] = {"department": job.unit_id, "position": job.position,
                                     "until": job.last_worked.isoformat() if job.last_worked else ""}
            running = True
    employee.employments = jobs
    return running


@transaction.atomic
def person_sync(person: Person, outcome: Outcome, *, today: dt.date | None = None) -> Employee | None:
    """Create or update the user of an HR person; dismiss when their last employment ended, rehire when back."""
    if not person.person_id:
        outcome.skip(_("A person without an id was skipped (%(name)s).") % {"name": person.last_name or "-"})
        return None
    today = today or timezone.localdate()
    for unit in person.units:
        unit_sync(unit, outcome)
    employee, before = _user_for(person, outcome)
    _apply_fields(person, employee)
    running = _merge_employments(person, employee, today)
    jobs = employee.employments
    titles = list(dict.fromkeys(j["position"] for j in jobs.values() if j.get("position")))
    employee.position = " / ".join(titles)[:255]
    dept = next((unit_department(j["department"]) for j in jobs.values() if j.get("department")), None)
    user = employee.user
    if dept is not None:
        user.department = dept
    if (not jobs and person.employments) or person.removed:
        _dismiss(employee, today, outcome)
    elif running and employee.dismissed_on is not None:
        _rehire(employee)
    _write(user, before, outcome)
    employee.user = user
    employee.save()
    return employee


def _dismiss(employee: Employee, today: dt.date, outcome: Outcome) -> None:
    if employee.dismissed_on is not None:
        return
    user = employee.user
    employee.dismissed_on = today
    employee.deactivated_by_hr = bool(user.pk and user.is_active)
    if user.is_active:
        user.is_active = False
        outcome.deactivated += 1
    employee.handover_pending = bool(user.pk) and hr_handover_needed(user)


def _rehire(employee: Employee) -> None:
    employee.dismissed_on = None
    employee.handover_pending = False
    if employee.deactivated_by_hr:
        employee.user.is_active = True
    employee.deactivated_by_hr = False


def heads_sync(units: list[Unit], outcome: Outcome) -> None:
    """The head HR names for each department (company.xml), once the people are in; an unknown head is reported."""
    for unit in units:
        if not unit.head_person:
            continue
        employee = Employee.objects.filter(person_id=unit.head_person).first()
        if employee is None:
            outcome.warnings.append(_("The head of %(name)s (%(id)s) is not a known employee.")
                                    % {"name": unit.name, "id": unit.head_person})
            continue
        DepartmentLink.objects.filter(unit_id=unit.unit_id).update(head=employee.user_id)


@transaction.atomic
def handover(*, user, employee: Employee, to_user) -> dict[str, int]:
    """Hand a dismissed employee's clients, open deals and open tasks to `to_user` (the existing reassignment
    service checks who may), and take the employee off the hand-over list."""
    require_staff_manager(user)
    counts = clients_reassign(user=user, from_user=employee.user, to_user=to_user)
    Employee.objects.filter(pk=employee.pk).update(handover_pending=False)
    return counts


def hr_imports_set(*, user, node, imports: list[str]) -> None:
    """Choose what an HR node's documents may change (departments, employees, ...); none chosen: everything."""
    require_staff_manager(user)
    chosen = [name for name in IMPORTS if name in imports]
    record_update(node, user=user, data={"object_types": [] if len(chosen) == len(IMPORTS) else chosen},
                  fields=("object_types",))
