"""Tax identifiers validated with python-stdnum: RU INN/KPP/OGRN, IT partita IVA and codice fiscale, EU VAT."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import iban as std_iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import codicefiscale, iva
from stdnum.ru import inn as ru_inn
from stdnum.ru import ogrn as ru_ogrn

# KPP: 4 digits of the tax office, 2 of the reason (digits or capital Latin letters since 2013), 3 digits.
_KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")


def _reason(exc: StdnumError) -> str:
    """python-stdnum's reason, in the user's language."""
    if isinstance(exc, InvalidChecksum):
        return str(_("the check digit is wrong"))
    if isinstance(exc, InvalidLength):
        return str(_("it has the wrong number of characters"))
    if isinstance(exc, InvalidFormat):
        return str(_("it contains characters that do not belong there"))
    if isinstance(exc, InvalidComponent):
        return str(_("a part of it (region or office code) does not exist"))
    return str(_("it is not a valid number"))


def _run(validator, value: str, message, code: str) -> str:
    try:
        return validator.validate(value)
    except StdnumError as exc:
        raise ValidationError(message, code=code, params={"value": value, "reason": _reason(exc)}) from exc


def validate_inn(value: str) -> str:
    """Russian INN: 10 digits (organisation) or 12 (person), with check digits."""
    return _run(ru_inn, value, _("INN “%(value)s” is not valid: %(reason)s."), "taxid.inn")


def validate_kpp(value: str) -> str:
    value = value.strip().upper()
    if not _KPP.match(value):
        raise ValidationError(_("KPP “%(value)s” must be 9 characters: 4 digits, 2 digits or letters, 3 digits."),
                              code="taxid.kpp", params={"value": value})
    return value


def validate_ogrn(value: str) -> str:
    """Russian OGRN (13 digits) or OGRNIP (15 digits), with check digit."""
    return _run(ru_ogrn, value, _("OGRN “%(value)s” is not valid: %(reason)s."), "taxid.ogrn")


def validate_partita_iva(value: str) -> str:
    return _run(iva, value, _("Partita IVA “%(value)s” is not valid: %(reason)s."), "taxid.piva")


def validate_codice_fiscale(value: str) -> str:
    """Italian codice fiscale: 16 characters for people, or 11 digits (a company's partita IVA)."""
    compact = value.strip().upper()
    if compact.isdigit() and len(compact) == 11:
        return validate_partita_iva(compact)
    return _run(codicefiscale, value, _("Codice fiscale “%(value)s” is not valid: %(reason)s."), "taxid.cf")


def validate_vat(value: str) -> str:
    """EU VAT number with country prefix (IT01234567890, DE123456789, ...)."""
    return _run(eu_vat, value, _("VAT number “%(value)s” is not valid: %(reason)s."), "taxid.vat")


def validate_iban(value: str) -> str:
    return _run(std_iban, value, _("IBAN “%(value)s” is not valid: %(reason)s."), "taxid.iban")
