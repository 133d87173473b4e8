"""Reading the file 1C saves for "another program" («Настройки подключения.xml» / «.json»).

1C's command «Получить настройки синхронизации для другой программы»
(`CommonCommands/ПолучитьНастройкиСинхронизацииДляДругойПрограммы`) saves the node's connection settings in
two shapes, written by `ТранспортСообщенийОбмена` (SSL 3.1):

* JSON, format 2.0 (`НастройкиПодключенияВJSONОбщее`): ``MainExchangeParameters`` with ``NodeCode`` (1C's own
  node code: its From), ``CorrespondentNodeCode`` (the code 1C gives us: its To), ``SourceInfobasePrefix``
  (1C's prefix), ``DestinationInfobasePrefix`` (ours), ``ExchangeFormatVersions`` (the versions 1C's plan
  lists), ``ExchangePlanName``, ``TransportID``; ``TransportSettings`` by transport.
* XML, format 1.2 (`НастройкиПодключенияВXML_1_2`): root ``ПараметрыНастройки`` with ``ОсновныеПараметрыОбмена``:
  ``КодНовогоУзлаВторойБазы`` (1C's code), ``КодПредопределенногоУзла`` (the code of 1C's node for us: ours),
  ``ПрефиксИнформационнойБазыИсточника`` (the prefix 1C expects of us), ``ИмяПланаОбмена``,
  ``FILEКаталогОбменаИнформацией``; no versions (they are agreed by the first messages).

1C reads the JSON file back (`НастройкиПодключенияИзJSON`) by swapping the sides, which is what this module
does for us. The element values are written by 1C's ЗаписатьXML with an explicit xsi:type; only their text
is read here. What 1C's code does not show exactly (namespaces of the inner elements, an element missing
when its value is empty) is read leniently: elements by local name, a missing value is "not given".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from lxml import etree

from raccordo.core.errors import ApplicationError

MAX_SIZE = 1024 * 1024   # 1C's file is a few kilobytes; anything near this is not one
XML_ROOT = "ПараметрыНастройки"
XML_MAIN = "ОсновныеПараметрыОбмена"
_DTD_MARKS = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


class SettingsFileRefused(ApplicationError):
    """The uploaded file is not 1C's connection settings (or is hostile); nothing was changed."""

    code = "exchange.enterprisedata.settings_file"


@dataclass
class ConnectionSettings:
    """What 1C's file says of the two sides, from our side: our code, 1C's code, prefixes, versions."""

    our_code: str
    peer_code: str
    our_prefix: str = ""
    peer_prefix: str = ""
    versions: list[str] = field(default_factory=list)
    exchange_plan: str = ""
    transport: str = ""
    folder: str = ""


def _refuse(message: str, name: str, line: int | None = None) -> SettingsFileRefused:
    where = f"{name}, line {line}" if line else name
    return SettingsFileRefused(_("%(file)s: %(problem)s") % {"file": where, "problem": message})


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _from_json(data: bytes, name: str) -> ConnectionSettings:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _refuse(_("the file is not UTF-8 text."), name) from None
    except json.JSONDecodeError as exc:
        raise _refuse(_("not JSON: %(error)s.") % {"error": exc.msg}, name, exc.lineno) from None
    except RecursionError:   # "[[[[…" a megabyte deep: Python's parser gives up before memory does
        raise _refuse(_("not JSON: %(error)s.") % {"error": _("nested too deeply")}, name) from None
    main = doc.get("MainExchangeParameters") if isinstance(doc, dict) else None
    if not isinstance(main, dict):
        raise _refuse(_("there is no MainExchangeParameters block: this is not the file 1C saves with "
                        "«Получить настройки синхронизации для другой программы»."), name)
    versions = main.get("ExchangeFormatVersions") or []
    if not isinstance(versions, list):
        raise _refuse(_("ExchangeFormatVersions is not a list."), name)
    transport = doc.get("TransportSettings") if isinstance(doc.get("TransportSettings"), dict) else {}
    return ConnectionSettings(
        our_code=_text(main.get("CorrespondentNodeCode")), peer_code=_text(main.get("NodeCode")),
        our_prefix=_text(main.get("DestinationInfobasePrefix")), peer_prefix=_text(main.get("SourceInfobasePrefix")),
        versions=[_text(v) for v in versions if _text(v)], exchange_plan=_text(main.get("ExchangePlanName")),
        transport=_text(main.get("TransportID")),
        folder=_text(transport.get("DataExchangeDirectory") or transport.get("КаталогОбменаИнформацией")))


def _from_xml(data: bytes, name: str) -> ConnectionSettings:
    # No DTD at all: entities (billion laughs, external files) cannot even be declared.
    if any(mark in data for mark in _DTD_MARKS):
        raise _refuse(_("DOCTYPE and ENTITY declarations are not accepted."), name)
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _refuse(_("not well-formed XML: %(error)s.") % {"error": exc.msg}, name, exc.lineno) from None
    if etree.QName(root).localname != XML_ROOT:
        raise _refuse(_("the root element is %(root)s, not %(expected)s: this is not 1C's connection settings "
                        "file.") % {"root": etree.QName(root).localname, "expected": XML_ROOT}, name, root.sourceline)
    main = next((el for el in root if etree.QName(el).localname == XML_MAIN), None)
    if main is None:
        raise _refuse(_("there is no %(block)s block.") % {"block": XML_MAIN}, name, root.sourceline)
    values = {etree.QName(el).localname: _text(el.text) for el in main if isinstance(el.tag, str)}
    return ConnectionSettings(
        our_code=values.get("КодПредопределенногоУзла", ""),
        peer_code=values.get("КодНовогоУзлаВторойБазы") or values.get("КодНовогоУзла", ""),
        our_prefix=values.get("ПрефиксИнформационнойБазыИсточника", ""),
        exchange_plan=values.get("ИмяПланаОбмена", ""), transport=values.get("ВидТранспортаСообщенийОбмена", ""),
        folder=values.get("FILEКаталогОбменаИнформацией", ""))


def connection_settings_read(data: bytes, name: str = "settings") -> ConnectionSettings:
    """1C's connection settings file (XML 1.2 or JSON 2.0) read from our side; SettingsFileRefused says what is
    wrong (where: file and line) for a file too big, hostile, not 1C's, or without both node codes."""
    if len(data) > MAX_SIZE:
        raise _refuse(_("the file has %(size)d bytes; 1C's settings file is far below %(max)d.") % {
            "size": len(data), "max": MAX_SIZE}, name)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"{":
        settings = _from_json(data, name)
    elif head == b"<":
        settings = _from_xml(data, name)
    else:
        raise _refuse(_("neither XML nor JSON: upload «Настройки подключения.xml» or «.json» as 1C saved it."), name)
    missing = [label for label, value in ((_("our node code"), settings.our_code),
                                          (_("1C's node code"), settings.peer_code)) if not value]
    if missing:
        raise _refuse(_("the file does not give %(missing)s.") % {"missing": ", ".join(missing)}, name)
    for value in (settings.our_code, settings.peer_code):
        if len(value) > 64 or any(ch in value for ch in "/\\:*?\"<>|\x00"):
            raise _refuse(_("the node code %(code)r cannot be part of a file name.") % {"code": value[:80]}, name)
    return settings
