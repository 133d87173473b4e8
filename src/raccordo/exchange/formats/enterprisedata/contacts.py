"""Contact persons (Справочник.КонтактныеЛица): in EnterpriseData from 1.17 only.

The 1.17 package (`EnterpriseData_1_17_3`) gives the object КлючевыеСвойства (КлючевыеСвойстваКонтактныеЛица:
Ссылка, ФИО, Субъект with either a ФизическоеЛицо or a Контрагент), КонтактнаяИнформация (the counterparty's
row type) and ОписаниеДолжности. Raccordo's contact persons belong to a counterparty, so we write Субъект/
Контрагент with the counterparty's keys, and read only contact persons of a counterparty (one of a private
person, ФизическоеЛицо, has no counterparty here and is refused with its line).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .counterparties import (
    _EMAIL_KI,
    _PHONE_BY_KI,
    EMAIL_KIND,
    PHONE_KINDS,
    CounterpartyRec,
    ObjectInvalid,
    _Builder,
    _child,
    _keys,
    _local,
    _t,
    contact_info,
)

CONTACT = "Справочник.КонтактныеЛица"
CONTACT_REF = "КонтактныеЛицаСсылка"
CONTACT_VERSIONS = ("1.17",)     # the type is not in 1.10 nor 1.16


@dataclass
class ContactRec:
    """A contact person as the format carries it: `ref` is the GUID, `name` the ФИО as one line."""

    ref: str
    name: str
    counterparty: CounterpartyRec | None = None
    position: str = ""                                               # ОписаниеДолжности
    phones: list[tuple[str, str]] = field(default_factory=list)     # (kind, number)
    emails: list[str] = field(default_factory=list)
    line: int | None = None


def carries_contacts(version: str) -> bool:
    """Whether `version` has Справочник.КонтактныеЛица at all."""
    return version in CONTACT_VERSIONS


def contact_element(rec: ContactRec, owner: CounterpartyRec, version: str) -> etree._Element:
    """Справочник.КонтактныеЛица of `version` (1.17), its properties in the package's order."""
    if not carries_contacts(version):
        raise ValueError(f"EnterpriseData {version} has no {CONTACT} (only {', '.join(CONTACT_VERSIONS)})")
    b = _Builder(version)
    root = b.el(CONTACT)
    k = b.el("КлючевыеСвойства", root)
    b.el("Ссылка", k, rec.ref)
    b.el("ФИО", k, rec.name)
    b.keys(b.el("Субъект", k), "Контрагент", owner)
    rows = ([(PHONE_KINDS.get(kind, PHONE_KINDS["other"]), number) for kind, number in rec.phones]
            + [(EMAIL_KIND, e) for e in rec.emails])
    if rows:
        ci = b.el("КонтактнаяИнформация", root)
        for kind, value in rows:
            row = b.el("Строка", ci)
            b.el("ВидКонтактнойИнформации", row, kind)
            b.el("ЗначенияПолей", row, value)
    b.opt(root, "ОписаниеДолжности", rec.position)
    return root


def read_contact(el: etree._Element, version: str) -> ContactRec | None:
    """Справочник.КонтактныеЛица as a record; None for any other object (or a version without the type)."""
    if _local(el.tag) != CONTACT or not carries_contacts(version):
        return None
    keys = _child(el, "КлючевыеСвойства")
    if keys is None:
        raise ObjectInvalid("the contact person has no КлючевыеСвойства", line=el.sourceline)
    ref, name = _t(keys, "Ссылка"), " ".join(_t(keys, "ФИО").split())
    if not name:
        raise ObjectInvalid("the contact person has no ФИО", line=keys.sourceline, ref=ref)
    owner = _child(_child(keys, "Субъект"), "Контрагент")
    if owner is None:
        raise ObjectInvalid("the contact person's Субъект is no Контрагент (a private person's contact "
                            "has no counterparty in Raccordo)", line=keys.sourceline, ref=ref)
    rec = ContactRec(ref=ref, name=name, counterparty=_keys(owner, version),
                     position=_t(el, "ОписаниеДолжности"), line=el.sourceline)
    for kind, value in contact_info(el):
        if kind in _PHONE_BY_KI:
            rec.phones.append((_PHONE_BY_KI[kind], value))
        elif kind in _EMAIL_KI:
            rec.emails.append(value)
    return rec
