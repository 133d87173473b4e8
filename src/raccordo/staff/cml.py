"""The "company.xml" format (CommerceML-2 style, Russian tags) that 1C:ZUP sends to `/bitrix/admin/1c_intranet.php`.

Paths as Bitrix's `CUserCMLImport` reads them (docs/1c.md, "Staff from 1C:ZUP"): departments under
`Классификатор/Подразделения` (nested through their own `Подразделения`, head in `Руководитель`), employees under
`ОрганизационнаяСтруктура/Работники`, absences under `ГрафикОтсутствий/ЗаписиГрафика`, each keyed by its `Ид`.
The names of list items (`Работник`, `Контакт`, ...) are not checked, as Bitrix does not check them.
"""

from __future__ import annotations

from .records import AbsenceRecord, Batch, Employment, Person, Unit
from .xmlread import date, find, kids, local, text

DELETED = "удален"
CONTACTS = {"ТелефонРабочий": "work_phone", "ТелефонМобильный": "mobile", "ТелефонВнутренний": "inner_phone",
            "Почта": "email", "ЭлектроннаяПочта": "email"}
# Contact kinds Bitrix stores in fields Raccordo has no place for: known, so not reported as unknown.
IGNORED_CONTACTS = {"ТелефонДомашний", "Пейджер", "Факс", "ICQ", "ВебСайт"}
STATES = {"принят", "переведен", "уволен"}


def read(root) -> Batch:
    """Departments, employees and absences of one company.xml."""
    batch = Batch()
    classifier = find(root, "Классификатор")
    if classifier is not None:
        batch.nouns.append("Классификатор")
        _units(find(classifier, "Подразделения"), "", "", batch)
    workers = find(root, "ОрганизационнаяСтруктура", "Работники")
    if workers is not None:
        batch.nouns.append("Работники")
        for worker in kids(workers):
            _worker(worker, batch)
    schedule = find(root, "ГрафикОтсутствий", "ЗаписиГрафика")
    if schedule is not None:
        batch.nouns.append("ГрафикОтсутствий")
        for record in kids(schedule):
            _absence(record, batch)
    return batch


def _units(container, parent_id: str, parent_name: str, batch: Batch) -> None:
    for el in kids(container):
        unit = Unit(unit_id=text(el, "Ид"), name=text(el, "Наименование"), parent_id=parent_id,
                    parent_name=parent_name, head_person=text(el, "Руководитель"),
                    removed=text(el, "Статус").lower() == DELETED)
        batch.units.append(unit)
        _units(find(el, "Подразделения"), unit.unit_id, unit.name, batch)


def _worker(el, batch: Batch) -> None:
    person = Person(person_id=text(el, "Ид"), first_name=text(el, "Имя"), last_name=text(el, "Фамилия"),
                    middle_name=text(el, "Отчество"), birth_date=date(text(el, "ДатаРождения")),
                    gender="F" if text(el, "Пол").upper().startswith("Ж") else ("M" if text(el, "Пол") else ""),
                    photo=text(el, "Картинка"))
    for contact in kids(find(el, "Контакты")):
        kind, value = text(contact, "Тип"), text(contact, "Значение")
        if kind in CONTACTS and value:
            setattr(person, CONTACTS[kind], value)
        elif kind not in IGNORED_CONTACTS:
            batch.unknown.append(f"Контакт/Тип={kind}")
    position = text(el, "Должность")
    units = [text(u) for u in kids(find(el, "Подразделения")) if text(u)]
    history = _latest_state(el, batch)
    dismissed = text(el, "Статус").lower() == DELETED or (history is not None and history[0] == "уволен")
    if history is not None and history[1]:
        units = units or [history[1]]
        position = position or history[2]
    person.removed = dismissed
    if not dismissed:
        person.employments = [Employment(employee_id=f"cml:{unit}", unit_id=unit, position=position)
                              for unit in units] or [Employment(employee_id="cml:", position=position)]
    batch.persons.append(person)


def _latest_state(el, batch: Batch) -> tuple[str, str, str] | None:
    """(state, department, position) of the latest entry of the state history, by its date."""
    entries = []
    for entry in kids(find(el, "ИсторияСостояний")):
        state = text(entry, "Значение").lower()
        if state not in STATES:
            batch.unknown.append(f"ИсторияСостояний/Значение={text(entry, 'Значение')}")
            continue
        entries.append((text(entry, "ДатаИзменения"), state, text(entry, "Подразделение"), text(entry, "Должность")))
    if not entries:
        return None
    latest = max(entries, key=lambda e: str(date(e[0]) or ""))
    return latest[1], latest[2], latest[3]


def _absence(el, batch: Batch) -> None:
    state, reason = text(el, "Состояние"), text(el, "ПричинаОтсутствия")
    start = date(text(el, "ДатаНачала"))
    batch.absences.append(AbsenceRecord(
        external_id=f"cml:{text(el, 'Ид') or local(el.tag)}", person_id=text(el, "Работник"), code=state,
        code_name=reason, starts_on=start, ends_on=date(text(el, "ДатаОкончания")) or start,
        reason=" ".join(p for p in (reason, text(el, "Документ")) if p),
        # "Работает" (at work) is not an absence: ZUP lists it, an absence turned into it is gone.
        cancelled=text(el, "Статус").lower() == DELETED or state.lower() == "работает"))
