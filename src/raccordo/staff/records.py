"""What both HR formats (HR-XML and "company.xml") are read into, before the services store it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# What an HR node may be told to import (ExchangeNode.object_types; empty: everything).
IMPORTS = ("departments", "employees", "movements", "absences", "vacancies")


@dataclass
class Unit:
    """A department of HR: its id, name, parent (id and name, for a parent not sent yet), head (person id)."""

    unit_id: str
    name: str
    parent_id: str = ""
    parent_name: str = ""
    head_person: str = ""
    removed: bool = False


@dataclass
class Employment:
    """One employment of a person: where, as what, and the last day worked when it ended."""

    employee_id: str
    unit_id: str = ""
    position: str = ""
    last_worked: dt.date | None = None


@dataclass
class Person:
    """A person of HR with what Raccordo keeps of them; None/"" means "not sent", which changes nothing."""

    person_id: str
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    gender: str = ""
    birth_date: dt.date | None = None
    email: str = ""
    work_phone: str = ""
    mobile: str = ""
    inner_phone: str = ""
    photo: str = ""
    employments: list[Employment] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)    # the department path, top-down (HR-XML)
    removed: bool = False


@dataclass
class AbsenceRecord:
    """An absence: its own id (or one made of person, kind and dates), whose, what, when; `cancelled` removes it."""

    external_id: str
    person_id: str
    code: str
    code_name: str = ""
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    reason: str = ""
    cancelled: bool = False


@dataclass
class VacancyRecord:
    """A position HR is hiring for; `closed_on` set when HR closed it."""

    position_id: str
    title: str
    unit_id: str = ""
    opened_on: dt.date | None = None
    closed_on: dt.date | None = None
    description: str = ""


@dataclass
class Movement:
    """A staff movement: hired (new), moved (modified) or dismissed (closed)."""

    external_id: str
    person_id: str
    state: str
    on: dt.date | None = None
    unit_id: str = ""
    position: str = ""


@dataclass
class Batch:
    """Everything one document carried, and the values Raccordo did not recognise (logged, answered as warnings)."""

    units: list[Unit] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    absences: list[AbsenceRecord] = field(default_factory=list)
    vacancies: list[VacancyRecord] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    nouns: list[str] = field(default_factory=list)
