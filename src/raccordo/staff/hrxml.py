"""HR-XML 3 business object documents as 1C:ZUP sends them to `/bitrix/admin/1c_intranet_hr.php`.

The paths are those Bitrix's receiver reads (see docs/1c.md, "Staff from 1C:ZUP"); no public sample of a real
ZUP message exists, so elements are matched by local name whatever their namespace or prefix, several nouns in
one document are all taken (Bitrix takes only the first), and every value not recognised is reported in
`Batch.unknown` so that the first real export shows what to add.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from .records import AbsenceRecord, Batch, Employment, Movement, Person, Unit, VacancyRecord
from .xmlread import attr, date, find, findall, kids, local, text

NOUNS = ("OrganizationChart", "IndicativeData", "StaffingAssignment", "TimeCard", "PositionOpening")
VERBS = {"Sync", "Process", "Notify", "Cancel", "Show", "Acknowledge", "Get", "Change"}
DEFAULT_PERSON_SCHEME = "ФизическоеЛицо"
MOVEMENT_STATES = {"new": "hired", "modified": "moved", "closed": "dismissed"}
CLOSED_VACANCY = {"closed", "filled", "cancelled", "canceled", "inactive"}


@dataclass
class Envelope:
    """The request's ApplicationArea (echoed in the ConfirmBOD), the verb and whether it asks to delete."""

    sender: dict[str, str] = field(default_factory=dict)
    creation: str = ""
    bod_id: str = ""
    verb: str = ""
    delete: bool = False


def envelope(root) -> Envelope:
    """What the ConfirmBOD echoes, and the verb (`Cancel`, or an action code `Delete`, removes what is listed)."""
    area = find(root, "ApplicationArea")
    env = Envelope(creation=text(area, "CreationDateTime"), bod_id=text(area, "BODID"))
    sender = find(area, "Sender")
    for name in ("LogicalID", "ComponentID", "TaskID", "ConfirmationCode"):
        if text(sender, name):
            env.sender[name] = text(sender, name)
    for el in kids(find(root, "DataArea")):
        if local(el.tag) in VERBS:
            env.verb = local(el.tag)
            codes = [attr(x, "actionCode").lower() for x in findall(el, "ActionCriteria", "ActionExpression")]
            env.delete = env.verb == "Cancel" or any(c in ("delete", "remove") for c in codes)
    return env


def _guid(elements, scheme_name: str = "") -> str:
    """The first id with schemeID="GUID" (and this schemeName when asked), else the first id at all."""
    elements = list(elements)
    for el in elements:
        if attr(el, "schemeID").upper() == "GUID" and (not scheme_name or attr(el, "schemeName") == scheme_name):
            return (el.text or "").strip()
    for el in elements:
        if attr(el, "schemeID").upper() == "GUID":
            return (el.text or "").strip()
    return (elements[0].text or "").strip() if elements else ""


def read(root, *, person_scheme: str = DEFAULT_PERSON_SCHEME) -> tuple[Envelope, Batch]:
    """The envelope and the records of every noun in the document's DataArea."""
    env = envelope(root)
    batch = Batch()
    data = find(root, "DataArea")
    readers = {"OrganizationChart": _org_chart, "IndicativeData": _indicative, "TimeCard": _time_card,
               "StaffingAssignment": _staffing, "PositionOpening": _position}
    for el in kids(data):
        name = local(el.tag)
        if name in readers:
            batch.nouns.append(name)
            readers[name](el, batch, person_scheme, env)
        elif name not in VERBS:
            batch.unknown.append(f"DataArea/{name}")
    return env, batch


def _org_chart(el, batch: Batch, _scheme: str, env: Envelope) -> None:
    for unit in findall(el, "OrganizationUnit"):
        parent = find(unit, "ParentOrganizationUnit")
        batch.units.append(Unit(unit_id=text(unit, "OrganizationUnitID"), name=text(unit, "OrganizationUnitName"),
                                parent_id=text(parent, "OrganizationUnitID"),
                                parent_name=text(parent, "OrganizationName") or text(parent, "OrganizationUnitName"),
                                removed=env.delete))


def _current_name(person_el):
    """The PersonName with the greatest validFrom; one without any validFrom counts too (Bitrix drops it)."""
    names = findall(person_el, "PersonName")
    dated = [n for n in names if attr(n, "validFrom")]
    if dated:
        return max(dated, key=lambda n: attr(n, "validFrom"))
    return names[0] if names else None


def _gender(code: str, batch: Batch) -> str:
    value = code.strip().lower()
    if not value:
        return ""
    if value in ("male", "m", "м", "мужской", "1"):
        return "M"
    if value in ("female", "f", "ж", "женский", "2"):
        return "F"
    batch.unknown.append(f"GenderCode={code}")
    return ""


def _indicative(el, batch: Batch, scheme: str, env: Envelope) -> None:
    dossier = find(el, "IndicativePersonDossier")
    if dossier is None:
        batch.unknown.append("IndicativeData without IndicativePersonDossier")
        return
    person_el = find(dossier, "IndicativePerson")
    person = Person(person_id=_guid(findall(person_el, "PersonID"), scheme), removed=env.delete)
    name = _current_name(person_el)
    person.first_name = text(name, "GivenName") or text(name, "LegalName")
    person.last_name, person.middle_name = text(name, "FamilyName"), text(name, "MiddleName")
    person.gender = _gender(text(person_el, "GenderCode"), batch)
    person.birth_date = date(text(person_el, "BirthDate"))
    for comm in findall(person_el, "Communication"):
        _communication(comm, person, batch)
    units = []
    for ident in findall(dossier, "IndicativeDeployment", "DeploymentOrganization", "OrganizationIdentifiers"):
        units.append(Unit(unit_id=_guid(findall(ident, "OrganizationID")), name=text(ident, "OrganizationName")))
    for i, unit in enumerate(units[1:], start=1):
        unit.parent_id, unit.parent_name = units[i - 1].unit_id, units[i - 1].name
    person.units = [u for u in units if u.unit_id]
    employee_id = _guid(findall(dossier, "IndicativeEmployee", "EmployeeID")) or person.person_id
    last = date(text(dossier, "IndicativeEmployment", "EmploymentLifecycle", "Termination", "LastWorkedDate"))
    person.employments.append(Employment(
        employee_id=employee_id, unit_id=person.units[-1].unit_id if person.units else "",
        position=text(dossier, "IndicativeDeployment", "Job", "JobTitle"), last_worked=last))
    batch.persons.append(person)


CHANNELS = {"email": "email", "telephone": "work_phone", "phone": "work_phone", "mobiletelephone": "mobile",
            "mobile": "mobile", "cellphone": "mobile", "internalphone": "inner_phone", "extension": "inner_phone"}


def _communication(comm, person: Person, batch: Batch) -> None:
    channel = text(comm, "ChannelCode")
    use = text(comm, "UseCode").lower()
    key = CHANNELS.get(channel.lower().replace(" ", ""))
    if key == "work_phone" and use in ("mobile", "personal"):
        key = "mobile"
    value = text(comm, "URI") or text(comm, "FormattedNumber") or text(comm, "DialNumber") or text(comm, "Address")
    if key is None:
        batch.unknown.append(f"ChannelCode={channel}")
    elif value:
        setattr(person, key, value)


def _time_card(el, batch: Batch, scheme: str, env: Envelope) -> None:
    person_id = _guid(findall(el, "ReportedResource", "SpecifiedPerson", "PersonID")
                      or findall(el, "ReportedResource", "Person", "PersonID"), scheme)
    card_id = text(el, "ID") or text(el, "TimeCardID")
    for i, item in enumerate(findall(el, "TimeCardReportedItem")):
        interval = find(item, "TimeInterval")
        code_el = find(interval, "TimeIntervalTypeCode")
        code = text(code_el)
        period = find(interval, "FreeFormEffectivePeriod")
        start = date(text(period, "StartDate", "FormattedDateTime") or text(period, "StartDate"))
        end = date(text(period, "EndDate", "FormattedDateTime") or text(period, "EndDate")) or start
        own = text(item, "ID") or text(interval, "ID") or (f"{card_id}#{i}" if card_id else "")
        key = own or f"{person_id}|{code}|{start}|{end}"
        batch.absences.append(AbsenceRecord(
            external_id=f"hrxml:{key}", person_id=person_id, code=code, code_name=attr(code_el, "name"),
            starts_on=start, ends_on=end, reason=text(interval, "Comment") or text(item, "Comment"),
            cancelled=env.delete or text(item, "ActionCode").lower() in ("delete", "cancelled", "canceled")))


def _staffing(el, batch: Batch, scheme: str, env: Envelope) -> None:
    person = find(el, "ResourcePerson")
    if person is None:
        batch.unknown.append("StaffingAssignment without ResourcePerson")
        return
    status = text(el, "StaffingAssignmentStatusCode")
    state = MOVEMENT_STATES.get(status.lower())
    if state is None:
        batch.unknown.append(f"StaffingAssignmentStatusCode={status}")
        return
    deployment = find(el, "ResourceDeployment")
    batch.movements.append(Movement(
        external_id=text(el, "StaffingReferenceIDs", "StaffingAssignmentID"),
        person_id=_guid(findall(person, "PersonID"), scheme), state=state,
        on=date(text(el, "AssignmentAvailability", "StartDate", "FormattedDateTime")
                or text(el, "AssignmentAvailability", "StartDate")),
        unit_id=_guid(findall(deployment, "DeploymentOrganization", "OrganizationIdentifiers", "OrganizationID")),
        position=text(deployment, "StaffingJob", "JobTitle")))


def _position(el, batch: Batch, _scheme: str, env: Envelope) -> None:
    profile = find(el, "PositionProfile")
    parts = []
    for desc in findall(profile, "PositionFormattedDescription"):
        parts.append("\n".join(p for p in (text(desc, "Name"), text(desc, "Content")) if p))
    status = text(el, "PositionOpeningStatusCode") or text(profile, "PositionOpeningStatusCode")
    if status and status.lower() not in CLOSED_VACANCY | {"active", "open", "new"}:
        batch.unknown.append(f"PositionOpeningStatusCode={status}")
    end = date(text(profile, "PositionPeriod", "EndDate", "FormattedDateTime"))
    closed = env.delete or status.lower() in CLOSED_VACANCY
    batch.vacancies.append(VacancyRecord(
        position_id=text(profile, "PositionID") or text(el, "DocumentID"), title=text(profile, "PositionTitle"),
        unit_id=_guid(findall(profile, "PositionOrganization", "OrganizationIdentifiers", "OrganizationID")),
        opened_on=date(text(profile, "PositionPeriod", "StartDate", "FormattedDateTime")),
        closed_on=(end or timezone.localdate()) if closed else None, description="\n\n".join(p for p in parts if p)))
