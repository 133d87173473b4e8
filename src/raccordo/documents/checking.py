"""The check an uploaded template passes before it is stored: a hostile file is refused, and so is a template
that would fail when a manager uses it, with the tag that failed named.

In order: the size; the zip's entries, unpacked size, compression ratio and paths (a DOCX is a zip, so a zip
bomb or a path like ../../etc is refused before anything is unpacked); the parts Word needs; Jinja's syntax
(with the text around the error); every variable the template names, against the variables documents have
(`unknown variable client.innn at {{ client.innn }}`); and last a real render with the sample context.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from django.utils.translation import gettext as _
from docxtpl import DocxTemplate
from jinja2 import TemplateError, TemplateSyntaxError, nodes

from raccordo.core.errors import ApplicationError

from .rendering import jinja_environment, render_docx

MAX_SIZE = 5 * 1024 * 1024             # a letterhead with a logo is a few hundred kB
MAX_ENTRIES = 500
MAX_UNPACKED = 50 * 1024 * 1024
MAX_RATIO = 100                         # XML compresses about 10:1; a bomb a thousand times more
RATIO_FLOOR = 1024 * 1024
REQUIRED_PARTS = ("[Content_Types].xml", "word/document.xml")
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


class TemplateRefused(ApplicationError):
    """An uploaded template failed its check; the message names what and where."""

    code = "documents.template.refused"


def check_archive(data: bytes) -> None:
    """Refuse a file that is too big, not a zip, a zip bomb, or holds a path outside the archive."""
    if len(data) > MAX_SIZE:
        raise TemplateRefused(_("The file is %(size)s bytes, more than the %(limit)s a template may have.")
                              % {"size": len(data), "limit": MAX_SIZE}, code="documents.template.too_big")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TemplateRefused(_("This is not a DOCX file (a DOCX is a zip archive, and this one cannot be opened)."),
                              code="documents.template.not_docx") from exc
    if len(infos) > MAX_ENTRIES:
        raise TemplateRefused(_("The file holds %(n)s parts, more than %(limit)s.") % {"n": len(infos),
                              "limit": MAX_ENTRIES}, code="documents.template.zip_bomb")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED or (total > RATIO_FLOOR and total / max(len(data), 1) > MAX_RATIO):
        raise TemplateRefused(_("The file unpacks to %(total)s bytes from %(size)s: refused as a zip bomb.")
                              % {"total": total, "size": len(data)}, code="documents.template.zip_bomb")
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or ":" in name:
            raise TemplateRefused(_("The file holds a part with a path outside the document: %(name)s")
                                  % {"name": name}, code="documents.template.bad_path")
    names = {i.filename for i in infos}
    missing = [p for p in REQUIRED_PARTS if p not in names]
    if missing:
        raise TemplateRefused(_("This is not a Word document: it has no %(part)s.") % {"part": missing[0]},
                              code="documents.template.not_docx")


def _sources(data: bytes) -> list[str]:
    """The Jinja sources of the body, headers and footers, as docxtpl prepares them (tags joined across runs)."""
    tpl = DocxTemplate(io.BytesIO(data))
    tpl.init_docx()
    parts = [tpl.patch_xml(tpl.get_xml())]
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for _rel, part in tpl.get_headers_footers(uri):
            parts.append(tpl.patch_xml(tpl.get_part_xml(part)))
    return parts


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()


def _tag_naming(sources: list[str], path: str) -> str:
    """The tag (as written in the document) that names `path`, for the message."""
    pattern = re.compile(r"\b" + r"\s*\.\s*".join(map(re.escape, path.split("."))) + r"\b")
    for source in sources:
        for tag in TAG.findall(source):
            plain = _plain(tag)
            if pattern.search(plain):
                return plain
    return path


def _syntax_error(exc: TemplateSyntaxError, source: str) -> TemplateRefused:
    lines = source.splitlines()
    around = _plain(lines[exc.lineno - 1]) if exc.lineno and exc.lineno <= len(lines) else ""
    return TemplateRefused(_("Syntax error in the template: %(error)s, in “%(text)s”.")
                           % {"error": exc.message, "text": around[:200]}, code="documents.template.syntax")


class _Any:
    """A value whose shape the check does not know (a `set` variable, `loop`): anything may follow it."""


ANY = _Any()


def _chain(node) -> tuple[nodes.Name, list[str]] | None:
    """`client.bank.name` (or client["bank"]) as (Name client, ["bank", "name"]); None for anything else."""
    parts: list[str] = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
        else:
            return None
        node = node.node
    return (node, parts[::-1]) if isinstance(node, nodes.Name) else None


def _resolve(name: str, parts: list[str], scope: dict[str, Any]) -> tuple[Any, str | None]:
    """The sample value a chain names, and the dotted path of the first part that does not exist (or None)."""
    if name not in scope:
        return None, name
    value, path = scope[name], name
    for part in parts:
        path = f"{path}.{part}"
        if isinstance(value, dict):
            if part not in value:
                return None, path
            value = value[part]
        else:
            return ANY, None
    return value, None


def _element(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else ANY


def _walk(node, scope: dict[str, Any]) -> str | None:
    """The first unknown variable under `node` (a dotted path), or None."""
    if isinstance(node, nodes.For):
        problem = _walk(node.iter, scope)
        if problem:
            return problem
        chain = _chain(node.iter) if not isinstance(node.iter, nodes.Name) else (node.iter, [])
        item = _element(_resolve(chain[0].name, chain[1], scope)[0]) if chain else ANY
        inner = {**scope, "loop": ANY}
        for target in node.target.find_all(nodes.Name) if not isinstance(node.target, nodes.Name) else [node.target]:
            inner[target.name] = item if isinstance(node.target, nodes.Name) else ANY
        for child in [*(node.body or []), *([node.test] if node.test else [])]:
            problem = _walk(child, inner)
            if problem:
                return problem
        return _walk_all(node.else_, scope)
    if isinstance(node, nodes.Assign | nodes.AssignBlock):
        for target in node.target.find_all(nodes.Name) if not isinstance(node.target, nodes.Name) else [node.target]:
            scope[target.name] = ANY
    if isinstance(node, nodes.Macro | nodes.CallBlock):
        return None                     # macros bind their own names: the sample render below checks them
    chain = _chain(node) if isinstance(node, nodes.Getattr | nodes.Getitem) else None
    if chain is not None:
        return _resolve(chain[0].name, chain[1], scope)[1]
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return None if node.name in scope else node.name
    return _walk_all(list(node.iter_child_nodes()), scope)


def _walk_all(children, scope: dict[str, Any]) -> str | None:
    for child in children or []:
        problem = _walk(child, scope)
        if problem:
            return problem
    return None


def check_template(data: bytes, context: dict[str, Any]) -> None:
    """Refuse `data` unless it is a DOCX template that renders with `context`; the message names the tag."""
    check_archive(data)
    try:
        sources = _sources(data)
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on a broken document
        raise TemplateRefused(_("Word cannot read this document: %(error)s") % {"error": exc},
                              code="documents.template.not_docx") from exc
    env = jinja_environment()
    scope = {**env.globals, **context}
    for source in sources:
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as exc:
            raise _syntax_error(exc, source) from exc
        unknown = _walk(tree, dict(scope))
        if unknown:
            raise TemplateRefused(_("Unknown variable “%(name)s” at %(tag)s.")
                                  % {"name": unknown, "tag": _tag_naming(sources, unknown)},
                                  code="documents.template.unknown_variable", extra={"variable": unknown})
    try:
        render_docx(data, context)
    except TemplateError as exc:
        raise TemplateRefused(_("The template fails when filled in: %(error)s") % {"error": exc},
                              code="documents.template.render") from exc
    except Exception as exc:  # noqa: BLE001 - docxtpl's own errors (a broken table loop...) are of any kind
        raise TemplateRefused(_("The template fails when filled in: %(error)s") % {"error": exc},
                              code="documents.template.render") from exc
