"""SOAP 1.1 envelopes of 1C's web service ``EnterpriseDataExchange_1_0_1_1``: the requests we send, the answers we read.

1C publishes the service (SSL's WebServices/EnterpriseDataExchange_1_0_1_1) as document/literal, wrapped: a request
is ``<Body><Operation>`` with one child per parameter, all in the service's namespace; the answer is
``<Body><OperationResponse>`` holding ``return`` and the operation's out parameters (``ErrorMessage``,
``OperationID``). PrepareDataActionResult's ``return`` is an XDTO object (``PrepareDataOperationResult``: ErrorMessage,
FileID, PartCount, Status) whose children are in the package's own namespace; they are read by local name.

An answer is parsed as hostile: no DTD, no entities, no network, bounded text nodes; an HTML page (1C's web server
answers some errors with one) or anything else that is not an envelope is a `SoapError`, a SOAP Fault a `SoapFault`.
No Django here: the transport (`exchange.enterprisedata.webservice`) words the errors for people.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

NS = "http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1"
RESULT_NS = "http://v8.1c.ru/SSL/Exchange/EnterpriseDataExchange"
SERVICE = "EnterpriseDataExchange_1_0_1_1"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CONTENT_TYPE = "text/xml; charset=utf-8"

# What a parameter may be: text, a number, a flag or bytes (xs:base64Binary).
Value = str | int | Decimal | bool | bytes


class SoapError(Exception):
    """The answer is not a SOAP envelope answering the operation (an HTML page, broken XML, another operation)."""


class SoapFault(Exception):
    """The service answered with a SOAP Fault: its code and its text (1C puts the exception's text there)."""

    def __init__(self, code: str, text: str):
        super().__init__(text or code)
        self.code, self.text = code, text


@dataclass(frozen=True)
class Answer:
    """One operation's answer: `values` by parameter name (``return``, ``ErrorMessage``...; None when nil or absent),
    `result` the children of an object ``return`` by local name."""

    operation: str
    values: dict[str, str | None] = field(default_factory=dict)
    result: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name) or ""


def soap_action(operation: str) -> str:
    """The SOAPAction 1C's WSDL gives the operation: ``<namespace>#<service>:<operation>``."""
    return f"{NS}#{SERVICE}:{operation}"


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def request(operation: str, params: Sequence[tuple[str, Value]] = ()) -> bytes:
    """The envelope calling `operation` with `params` in their order (as the WSDL lists them)."""
    envelope = etree.Element(f"{{{SOAP11}}}Envelope", nsmap={"soap": SOAP11, "m": NS})
    body = etree.SubElement(envelope, f"{{{SOAP11}}}Body")
    call = etree.SubElement(body, f"{{{NS}}}{operation}")
    for name, value in params:
        etree.SubElement(call, f"{{{NS}}}{name}").text = _text(value)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SoapError(f"the answer is not XML ({exc})") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise SoapError("the answer declares a DOCTYPE")
    return root


def _fault(fault: etree._Element) -> SoapFault:
    """A SOAP 1.1 (faultcode, faultstring) or 1.2 (Code/Value, Reason/Text) fault."""
    code = fault.findtext("faultcode") or fault.findtext(f"{{{SOAP12}}}Code/{{{SOAP12}}}Value") or ""
    text = fault.findtext("faultstring") or fault.findtext(f"{{{SOAP12}}}Reason/{{{SOAP12}}}Text") or ""
    return SoapFault(code.strip(), text.strip())


def fault_of(data: bytes) -> SoapFault | None:
    """The Fault an error answer (HTTP 500) carries, or None when it carries none (or is no envelope)."""
    try:
        root = _parse(data)
    except SoapError:
        return None
    for ns in (SOAP11, SOAP12):
        fault = root.find(f"{{{ns}}}Body/{{{ns}}}Fault")
        if fault is not None:
            return _fault(fault)
    return None


def _nil(el: etree._Element) -> bool:
    return el.get(f"{{{XSI}}}nil") in ("true", "1")


def parse_answer(data: bytes, operation: str) -> Answer:
    """Read the answer to `operation`; SoapFault for a Fault, SoapError for anything that is not its answer."""
    root = _parse(data)
    if root.tag not in (f"{{{SOAP11}}}Envelope", f"{{{SOAP12}}}Envelope"):
        raise SoapError(f"the answer is not a SOAP envelope but <{etree.QName(root).localname}>")
    ns = etree.QName(root).namespace
    body = root.find(f"{{{ns}}}Body")
    if body is None or len(body) == 0:
        raise SoapError("the SOAP envelope has no body")
    first = body[0]
    if first.tag == f"{{{ns}}}Fault":
        raise _fault(first)
    if etree.QName(first).localname != f"{operation}Response":
        raise SoapError(f"the answer is <{etree.QName(first).localname}>, not {operation}Response")
    values: dict[str, str | None] = {}
    result: dict[str, str] = {}
    for child in first:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        values[name] = None if _nil(child) else (child.text or "")
        if name == "return" and len(child):
            result = {etree.QName(c).localname: (c.text or "") for c in child if isinstance(c.tag, str)}
    return Answer(operation=operation, values=values, result=result)
