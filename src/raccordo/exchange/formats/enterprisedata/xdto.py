"""1C's XDTO packages (`Package.bin` of EnterpriseData_1_x and ExchangeMessage) as XML Schema.

1C defines EnterpriseData not in XSD but in XDTO packages: plain XML in the namespace
``http://v8.1c.ru/8.1/xdto`` with ``valueType`` (simple types), ``objectType`` (complex types) and
``property`` (their elements), inline ``typeDef`` for anonymous types. lxml validates only XSD, so
:func:`package_to_xsd` translates one package into one schema document, rule by rule:

* ``valueType`` -> ``xs:simpleType``: ``base`` and its facets (length, minLength, maxLength, totalDigits,
  fractionDigits, whiteSpace, pattern, enumeration); ``variety="Union"`` -> ``xs:union`` of its
  ``memberTypes`` (written by 1C in ``{namespace}name`` notation).
* ``objectType`` -> ``xs:complexType``: properties in order (``xs:sequence``); ``ordered="false"`` ->
  ``xs:all`` (or a repeated ``xs:choice`` when a property repeats or the type has a base); ``base`` ->
  ``xs:complexContent/xs:extension``; ``abstract`` is kept. ``lowerBound``/``upperBound`` (default 1,
  -1 = unbounded) -> minOccurs/maxOccurs; ``nillable`` is kept.
* ``open="true"`` (the type accepts properties it does not declare: 1C's format extensions live in
  their own namespaces) -> an optional repeated ``xs:any namespace="##other" processContents="lax"``
  after the declared elements. ``##other`` keeps the content model deterministic; a type derived from
  ``msg:Object`` whose own properties are all optional stays closed (see `_complex_type`).
* Properties are elements in the package's namespace (``elementFormDefault="qualified"``), as 1C's
  XDTO serializer writes them.

XDTO has no global elements; 1C writes an object as an element named after its type
(``ФабрикаXDTO.ЗаписатьXML`` without a name). So each package gets a global element per object type
that can stand alone: a type derived from ``msg:Object`` (catalogs, documents, registers) or one no
property refers to (``УдалениеОбъекта``). The ExchangeMessage package gets ``Header``. The ``Body``
element and the unqualified ``Message`` root are not in any package; SSL's writer builds them by hand
(``ОткрытьФайлВыгрузки``), and :func:`message_xsd` declares them.

Anything the translation does not know (a new XDTO construct) raises :class:`XdtoUnsupported`,
naming the package and the element; nothing is dropped silently.

Pure module: no Django. :func:`compiled_schema` writes the XSDs into a cache directory and returns
an ``lxml.etree.XMLSchema`` for a whole message of one format version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

XDTO_NS = "http://v8.1c.ru/8.1/xdto"
XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
MESSAGE_NS = "http://www.1c.ru/SSL/Exchange/Message"
ED_BASE = "http://v8.1c.ru/edi/edi_stnd/EnterpriseData"

_X = f"{{{XDTO_NS}}}"
_XS = f"{{{XS_NS}}}"

# Facets of a valueType / ValueType typeDef, in the order XML Schema wants them (xs:restriction's content:
# pattern and enumeration are elements of the package, the others attributes).
_FACET_ATTRS = ("length", "minLength", "maxLength", "totalDigits", "fractionDigits", "whiteSpace",
                "minInclusive", "maxInclusive", "minExclusive", "maxExclusive")
_KNOWN_VALUE_ATTRS = {"name", "base", "variety", "memberTypes", XSI_TYPE, *_FACET_ATTRS}
_KNOWN_OBJECT_ATTRS = {"name", "base", "open", "ordered", "sequenced", "abstract", "mixed", XSI_TYPE}
_KNOWN_PROPERTY_ATTRS = {"name", "type", "lowerBound", "upperBound", "nillable"}


class XdtoUnsupported(ValueError):
    """A package uses an XDTO construct this translation does not know; says which and where."""

    def __init__(self, message: str, *, package: str = "", line: int | None = None):
        where = ":".join(str(x) for x in (package, line) if x)
        super().__init__(f"{where}: {message}" if where else message)
        self.package, self.line = package, line


@dataclass(frozen=True)
class Package:
    """One parsed XDTO package: its namespace, the namespaces it imports and its root element."""

    namespace: str
    imports: tuple[str, ...]
    root: etree._Element
    name: str

    @property
    def version(self) -> str | None:
        """"1.17" for an EnterpriseData package, None for the envelope."""
        prefix = ED_BASE + "/"
        return self.namespace[len(prefix):] if self.namespace.startswith(prefix) else None


def read_package(path: str | Path) -> Package:
    """Parse a Package.bin (UTF-8 with a BOM) safely: no entities, no network, no DTD."""
    path = Path(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    root = etree.parse(str(path), parser).getroot()
    if root.tag != _X + "package":
        raise XdtoUnsupported(f"the root element is {root.tag}, not an XDTO package", package=str(path))
    namespace = root.get("targetNamespace") or ""
    imports = tuple(el.get("namespace") or "" for el in root.findall(_X + "import"))
    return Package(namespace=namespace, imports=imports, root=root, name=str(path))


class _Names:
    """QName translation from the package's prefixes (or {ns}name) to the XSD's own prefixes."""

    def __init__(self, target: str):
        self.prefixes: dict[str, str] = {XS_NS: "xs", target: "tns"}
        if target != MESSAGE_NS:
            self.prefixes[MESSAGE_NS] = "msg"

    def prefix(self, namespace: str) -> str:
        if namespace not in self.prefixes:
            self.prefixes[namespace] = f"ns{len(self.prefixes)}"
        return self.prefixes[namespace]

    def qname(self, value: str, el: etree._Element, package: Package) -> str:
        if value.startswith("{"):
            namespace, _sep, local = value[1:].partition("}")
        else:
            pfx, _sep, local = value.rpartition(":")
            namespace = el.nsmap.get(pfx or None)
            if namespace is None:
                raise XdtoUnsupported(f"the prefix of {value!r} is not declared", package=package.name,
                                      line=el.sourceline)
        return f"{self.prefix(namespace)}:{local}"


def _xs(tag: str, parent: etree._Element | None = None, **attrs: str) -> etree._Element:
    el = etree.Element(_XS + tag) if parent is None else etree.SubElement(parent, _XS + tag)
    for key, value in attrs.items():
        el.set(key, value)
    return el


def _check_attrs(el: etree._Element, known: set[str], package: Package) -> None:
    unknown = sorted(set(el.attrib) - known)
    if unknown:
        raise XdtoUnsupported(f"{etree.QName(el).localname} {el.get('name') or ''} has attributes this translation "
                              f"does not know: {', '.join(unknown)}", package=package.name, line=el.sourceline)


def _simple_type(el: etree._Element, names: _Names, package: Package, *, name: str | None = None) -> etree._Element:
    _check_attrs(el, _KNOWN_VALUE_ATTRS, package)
    st = _xs("simpleType")
    if name:
        st.set("name", name)
    variety = el.get("variety") or "Atomic"
    if variety == "Union":
        members = " ".join(names.qname(m, el, package) for m in (el.get("memberTypes") or "").split())
        _xs("union", st, memberTypes=members)
        return st
    if variety != "Atomic":
        raise XdtoUnsupported(f"valueType variety {variety!r}", package=package.name, line=el.sourceline)
    base = el.get("base")
    if not base:
        raise XdtoUnsupported("a valueType without a base", package=package.name, line=el.sourceline)
    restriction = _xs("restriction", st, base=names.qname(base, el, package))
    for child in el:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local == "enumeration":
            _xs("enumeration", restriction, value=child.text or "")
        elif local == "pattern":
            _xs("pattern", restriction, value=child.text or "")
        else:
            raise XdtoUnsupported(f"valueType child {local!r}", package=package.name, line=child.sourceline)
    for facet in _FACET_ATTRS:
        if el.get(facet) is not None:
            _xs(facet, restriction, value=el.get(facet))
    return st


def _element_for(prop: etree._Element, names: _Names, package: Package) -> etree._Element:
    _check_attrs(prop, _KNOWN_PROPERTY_ATTRS, package)
    name = prop.get("name")
    if not name:
        raise XdtoUnsupported("a property without a name", package=package.name, line=prop.sourceline)
    el = _xs("element", name=name)
    lower = prop.get("lowerBound", "1")
    upper = prop.get("upperBound", "1")
    if lower != "1":
        el.set("minOccurs", lower)
    if upper == "-1":
        el.set("maxOccurs", "unbounded")
    elif upper != "1":
        el.set("maxOccurs", upper)
    if prop.get("nillable") == "true":
        el.set("nillable", "true")
    typedef = prop.find(_X + "typeDef")
    if prop.get("type"):
        if typedef is not None:
            raise XdtoUnsupported(f"property {name} has both a type and a typeDef", package=package.name,
                                  line=prop.sourceline)
        el.set("type", names.qname(prop.get("type"), prop, package))
    elif typedef is not None:
        kind = typedef.get(XSI_TYPE, "")
        if kind.endswith("ValueType"):
            el.append(_simple_type(typedef, names, package))
        elif kind.endswith("ObjectType"):
            el.append(_complex_type(typedef, names, package))
        else:
            raise XdtoUnsupported(f"typeDef of kind {kind!r}", package=package.name, line=typedef.sourceline)
    else:
        el.set("type", "xs:anyType")
    return el


def _complex_type(el: etree._Element, names: _Names, package: Package, *, name: str | None = None
                  ) -> etree._Element:
    _check_attrs(el, _KNOWN_OBJECT_ATTRS, package)
    ct = _xs("complexType")
    if name:
        ct.set("name", name)
    if el.get("abstract") == "true":
        ct.set("abstract", "true")
    props = [p for p in el if isinstance(p.tag, str)]
    for p in props:
        if p.tag != _X + "property":
            raise XdtoUnsupported(f"objectType child {etree.QName(p).localname!r}", package=package.name,
                                  line=p.sourceline)
    elements = [_element_for(p, names, package) for p in props]
    base = el.get("base")
    holder = ct
    if base:
        content = _xs("complexContent", ct)
        holder = _xs("extension", content, base=names.qname(base, el, package))
    is_open = el.get("open") == "true"
    if el.get("ordered", "true") == "false":
        repeats = any(e.get("maxOccurs") not in (None, "1") for e in elements)
        if repeats or base or is_open:
            group = _xs("choice", holder, minOccurs="0", maxOccurs="unbounded")
            for e in elements:
                # Inside a repeated choice the occurrences are the choice's; an element's own bounds go.
                e.attrib.pop("minOccurs", None)
                e.attrib.pop("maxOccurs", None)
                group.append(e)
            if is_open:
                _xs("any", group, namespace="##other", processContents="lax")
            return ct
        group = _xs("all", holder)
        for e in elements:
            group.append(e)
        return ct
    group = _xs("sequence", holder)
    for e in elements:
        group.append(e)
    # A derived type's wildcard would compete with the base's optional msg:AdditionalInfo (##other takes the
    # msg namespace too) when nothing required stands between them; XML Schema 1.0 cannot exclude a second
    # namespace, so such a type is closed here.
    ambiguous = bool(base) and all(e.get("minOccurs") == "0" for e in elements)
    if is_open and not ambiguous:
        _xs("any", group, namespace="##other", processContents="lax", minOccurs="0", maxOccurs="unbounded")
    return ct


def _standalone_types(package: Package) -> list[str]:
    """Object types 1C writes as an element of their own: derived from msg:Object, or referenced by nothing."""
    referenced: set[str] = set()
    for prop in package.root.iter(_X + "property"):
        value = prop.get("type")
        if value:
            pfx, _sep, local = value.rpartition(":")
            if prop.nsmap.get(pfx or None) == package.namespace:
                referenced.add(local)
    out = []
    for ot in package.root.findall(_X + "objectType"):
        base = ot.get("base") or ""
        pfx, _sep, local = base.rpartition(":")
        derived = base and ot.nsmap.get(pfx or None) == MESSAGE_NS and local == "Object"
        if ot.get("abstract") == "true":
            continue
        if derived or ot.get("name") not in referenced:
            out.append(ot.get("name"))
    return out


def package_to_xsd(package: Package, *, locations: dict[str, str] | None = None) -> etree._ElementTree:
    """One XDTO package as one XML Schema document; `locations` maps imported namespaces to schema files."""
    names = _Names(package.namespace)
    body: list[etree._Element] = []
    for child in package.root:
        if not isinstance(child.tag, str) or child.tag == _X + "import":
            continue
        local = etree.QName(child).localname
        if local == "valueType":
            body.append(_simple_type(child, names, package, name=child.get("name")))
        elif local == "objectType":
            body.append(_complex_type(child, names, package, name=child.get("name")))
        elif local == "property":
            body.append(_element_for(child, names, package))
        else:
            raise XdtoUnsupported(f"package child {local!r}", package=package.name, line=child.sourceline)
    standalone = _standalone_types(package)
    for name in standalone:
        body.append(_xs("element", name=name, type=f"tns:{name}"))
    if package.namespace == MESSAGE_NS:
        # The envelope's Header is written by 1C as an element named after its type, like any object.
        if "Header" not in standalone:
            body.append(_xs("element", name="Header", type="tns:Header"))
    elif package.version is not None:
        # Body is written by hand in SSL (ОткрытьФайлВыгрузки) in the format's namespace; its children are the
        # standalone objects declared above, validated strictly.
        body_type = _xs("complexType")
        seq = _xs("sequence", body_type)
        _xs("any", seq, namespace="##targetNamespace", processContents="strict", minOccurs="0",
            maxOccurs="unbounded")
        # Format extensions (the `ext` namespace of Format's second URI) may add objects of their own.
        _xs("any", seq, namespace="##other", processContents="lax", minOccurs="0", maxOccurs="unbounded")
        body_el = _xs("element", name="Body")
        body_el.append(body_type)
        body.append(body_el)
    nsmap = {prefix: ns for ns, prefix in names.prefixes.items()}
    schema = etree.Element(_XS + "schema", nsmap=nsmap, targetNamespace=package.namespace,
                           elementFormDefault="qualified", attributeFormDefault="unqualified")
    for ns in sorted(set(package.imports) | (set(names.prefixes) - {XS_NS, package.namespace})):
        imp = _xs("import", schema, namespace=ns)
        if locations and ns in locations:
            imp.set("schemaLocation", locations[ns])
    for el in body:
        schema.append(el)
    return etree.ElementTree(schema)


def message_xsd(*, envelope_location: str, body_namespace: str | None, body_location: str | None
                ) -> etree._ElementTree:
    """The unqualified ``Message`` root: msg:Header, then (for a data message) the format's Body."""
    nsmap = {"xs": XS_NS, "msg": MESSAGE_NS}
    if body_namespace:
        nsmap["ed"] = body_namespace
    schema = etree.Element(_XS + "schema", nsmap=nsmap, elementFormDefault="qualified")
    _xs("import", schema, namespace=MESSAGE_NS, schemaLocation=envelope_location)
    if body_namespace:
        _xs("import", schema, namespace=body_namespace, schemaLocation=body_location or "")
    root = _xs("element", schema, name="Message")
    seq = _xs("sequence", _xs("complexType", root))
    _xs("element", seq, ref="msg:Header")
    if body_namespace:
        _xs("element", seq, ref="ed:Body", minOccurs="0")
    return etree.ElementTree(schema)


def _write(tree: etree._ElementTree, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tree.write(str(tmp), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    tmp.replace(path)


def _digest(*paths: Path) -> str:
    h = hashlib.sha1()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def write_schemas(*, envelope_package: str | Path, format_package: str | Path | None, directory: str | Path
                  ) -> Path:
    """Translate the envelope package (and a format version's package) into `directory`; return the
    Message schema's path. Files are named by version and by a digest of their sources, so a changed
    package is translated again and an unchanged one is reused."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sources = [Path(envelope_package)] + ([Path(format_package)] if format_package else [])
    tag = _digest(*sources)
    envelope = read_package(envelope_package)
    envelope_file = directory / f"ExchangeMessage-{_digest(sources[0])}.xsd"
    if not envelope_file.exists():
        _write(package_to_xsd(envelope), envelope_file)
    body_ns = body_file = None
    version = "envelope"
    if format_package:
        fmt = read_package(format_package)
        version = (fmt.version or "x").replace(".", "_")
        body_ns = fmt.namespace
        body_path = directory / f"EnterpriseData_{version}-{_digest(sources[1])}.xsd"
        if not body_path.exists():
            _write(package_to_xsd(fmt, locations={MESSAGE_NS: envelope_file.name}), body_path)
        body_file = body_path.name
    message_file = directory / f"Message_{version}-{tag}.xsd"
    if not message_file.exists():
        _write(message_xsd(envelope_location=envelope_file.name, body_namespace=body_ns, body_location=body_file),
               message_file)
    return message_file


_COMPILED: dict[Path, etree.XMLSchema] = {}


def compiled_schema(*, envelope_package: str | Path, format_package: str | Path | None,
                    directory: str | Path) -> etree.XMLSchema:
    """An lxml schema for a whole message of one version (compiled once per process)."""
    path = write_schemas(envelope_package=envelope_package, format_package=format_package, directory=directory)
    schema = _COMPILED.get(path)
    if schema is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        schema = _COMPILED[path] = etree.XMLSchema(etree.parse(str(path), parser))
    return schema


def package_paths(ssl_root: str | Path) -> dict[str, Path]:
    """Version -> Package.bin of the EnterpriseData packages under an SSL source tree (`src/cf/XDTOPackages`),
    plus "envelope" -> ExchangeMessage's. Package folders carry a build suffix (EnterpriseData_1_17_3)."""
    root = Path(ssl_root)
    out: dict[str, Path] = {}
    for folder in sorted(root.glob("EnterpriseData_1_*")):
        package = folder / "Ext" / "Package.bin"
        if not folder.is_dir() or not package.is_file():
            continue
        parts = folder.name.split("_")[1:]   # ["1", "17", "3"]: major, minor, package build
        out[f"{parts[0]}.{parts[1]}"] = package
    envelope = root / "ExchangeMessage" / "Ext" / "Package.bin"
    if envelope.is_file():
        out["envelope"] = envelope
    return out
