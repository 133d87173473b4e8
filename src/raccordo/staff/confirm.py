"""The `ConfirmBOD` answer to an HR-XML document (OAGIS 9, releaseID 3.2), as Bitrix's receiver writes it,
with an ISO 8601 CreationDateTime (Bitrix writes a broken one)."""

from __future__ import annotations

from django.utils import timezone
from lxml import etree

from .hrxml import Envelope

OAGIS = "http://www.openapplications.org/oagis/9"


def _sub(parent, name: str, value: str | None = None):
    el = etree.SubElement(parent, f"{{{OAGIS}}}{name}")
    if value is not None:
        el.text = value
    return el


def confirm_bod(env: Envelope | None, *, errors: list[str], warnings: list[str]) -> bytes:
    """The ConfirmBOD document: success (with warnings) when `errors` is empty, failure otherwise."""
    root = etree.Element(f"{{{OAGIS}}}ConfirmBOD", nsmap={None: OAGIS}, releaseID="3.2",
                         systemEnvironmentCode="Production", languageCode="ru-RU")
    area = _sub(root, "ApplicationArea")
    _sub(area, "CreationDateTime", timezone.now().replace(microsecond=0).isoformat())
    data = _sub(root, "DataArea")
    original = _sub(_sub(data, "Confirm"), "OriginalApplicationArea")
    if env is not None:
        sender = _sub(original, "Sender")
        for name, value in env.sender.items():
            _sub(sender, name, value)
        if env.creation:
            _sub(original, "CreationDateTime", env.creation)
        if env.bod_id:
            _sub(original, "BODID", env.bod_id)
    bod = _sub(data, "BOD")
    message = _sub(bod, "BODFailureMessage" if errors else "BODSuccessMessage")
    for text in errors:
        _sub(_sub(message, "ErrorProcessMessage"), "Description", text)
    for text in warnings:
        _sub(_sub(message, "WarningProcessMessage"), "Description", text)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
