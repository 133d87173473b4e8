"""A bounded crawler for the site's own pages, with the checks a person would notice on each page.

It follows every same-site link (href, and htmx's hx-get) from a start page with the Django test client,
at most a few URLs per resolved URL name, and returns the offenders: an error status, a traceback or debug
page, a raw Python value in the visible text, and (for a translated language) a string of the project's own
catalog shown in English although the catalog translates it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlsplit

from django.urls import Resolver404, resolve

LOCALE = Path(__file__).resolve().parents[2] / "src" / "raccordo" / "locale"

# Never followed: they sign out, change the language or are machine endpoints (1C protocol, API schema).
SKIP_PREFIXES = ("/logout/", "/i18n/", "/static/", "/media/", "/api/", "/exchange/1c", "/bitrix/")
HTML_TYPES = ("text/html",)

# Raw Python values in the text a person reads: a list or dict repr, None shown as a value, reprs of objects.
RAW_VALUE = re.compile(
    r"\[\s*'|\{\s*'|(?<![\w-])None(?![\w-]|\s+[a-z])|datetime\.|Decimal\(|UUID\(|<built-in|object at 0x|<bound method"
    r"|<QuerySet|<django\.|__proxy__")
DEBUG_PAGE = ("Traceback (most recent call last)", "Exception Value:", "Request Method:", "Django Version:",
              "Internal Server Error", "TemplateSyntaxError", "VariableDoesNotExist")
PLACEHOLDER = re.compile(r"%\([^)]*\)[sdif]|%[sdif]|\{[^}]*\}")


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr list, fuzzy flag (gettext's own format)."""
    entries, entry, key, fuzzy = [], None, None, False

    def close():
        if entry is not None and entry.get("msgid"):
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#,"):
            fuzzy = "fuzzy" in line
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            value = _unquote(line)
            if key == "msgstr":
                entry["msgstr"][-1] += value
            else:
                entry[key] += value
            continue
        word, _, rest = line.partition(" ")
        if word in ("msgctxt", "msgid") and (entry is None or key == "msgstr"):   # a new entry begins
            close()
            entry, fuzzy = {"msgid": "", "msgid_plural": "", "msgstr": [], "fuzzy": fuzzy}, False
        if word.startswith("msgstr"):
            entry["msgstr"].append(_unquote(rest))
            key = "msgstr"
        else:
            entry[word] = _unquote(rest)
            key = word
    close()
    return entries


def _unquote(text: str) -> str:
    text = text.strip()[1:-1]
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


@dataclass
class CatalogCheck:
    """The catalog's English strings that a page in `language` must not show as they are."""

    language: str
    exact: set[str] = field(default_factory=set)
    patterns: list[tuple[str, re.Pattern]] = field(default_factory=list)

    @classmethod
    def load(cls, language: str, *, ignore: set[str]) -> CatalogCheck:
        check = cls(language)
        entries = parse_po(LOCALE / language / "LC_MESSAGES" / "django.po")
        # A msgid that is also a translation in this language ("Note" is Italian for "Notes") proves nothing.
        ignore = ignore | {" ".join(s.split()) for entry in entries for s in entry["msgstr"]}
        for entry in entries:
            translations = [s for s in entry["msgstr"] if s]
            for msgid in filter(None, (entry["msgid"], entry["msgid_plural"])):
                english = " ".join(msgid.split())
                if not entry["fuzzy"] and translations and all(english == " ".join(t.split())
                                                                for t in translations):
                    continue   # the same in both languages (a brand, a code): nothing to tell apart
                english = english.replace("%%", "%") if "%%" in english else english  # a template's percent
                literal = PLACEHOLDER.sub(" ", english)
                if len(re.sub(r"[^A-Za-z]", "", literal)) < 4 or english in ignore:
                    continue   # too short to be told apart from data
                if PLACEHOLDER.search(english):
                    parts = [re.escape(p).replace(r"\ ", r"\s") for p in PLACEHOLDER.split(english)]
                    # One literal word and a placeholder ("%(n)s contract") is any sentence ending in that
                    # word ("Prepare the contract", a task's title): too little to tell a catalog string by.
                    if (len(re.sub(r"[^A-Za-z]", "", literal)) >= 8 and len(max(parts, key=len)) >= 5
                            and len(literal.split()) >= 2):
                        check.patterns.append((english, re.compile(r"(?<!\w)" + r"\S.*?".join(parts) + r"(?!\w)")))
                else:
                    check.exact.add(english)
        return check

    def offenders(self, texts: list[str]) -> set[tuple[str, str]]:
        """(msgid, the text showing it) for every catalog string shown untranslated."""
        found = set()
        for text in texts:
            if text in self.exact:
                found.add((text, text))
                continue
            for msgid in self.exact:
                if len(msgid) >= 12 and " " in msgid and msgid in text and _bounded(text, msgid):
                    found.add((msgid, text))
            for msgid, pattern in self.patterns:
                if pattern.search(text):
                    found.add((msgid, text))
        return found


def _bounded(text: str, part: str) -> bool:
    i = text.find(part)
    before = text[i - 1] if i > 0 else " "
    after = text[i + len(part)] if i + len(part) < len(text) else " "
    return not before.isalnum() and not after.isalnum()


class PageParser(HTMLParser):
    """Visible text nodes (not scripts, styles or attributes) and the links of a page.

    Each text says whether it stands in code (<code>, <kbd>, .font-monospace): there the page shows an
    identifier on purpose (a field's code, a command), which is not a sentence to translate.
    """

    INVISIBLE = {"script", "style", "template", "noscript", "svg"}
    CODE_TAGS = {"code", "kbd", "samp", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[tuple[str, bool]] = []
        self.links: list[str] = []
        self._hidden = 0
        self._code: list[list] = []   # [tag, depth] of the code elements the parser is in

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.INVISIBLE:
            self._hidden += 1
        if self._code and self._code[-1][0] == tag:
            self._code[-1][1] += 1
        elif tag in self.CODE_TAGS or "font-monospace" in (attrs.get("class") or "").split():
            self._code.append([tag, 1])
        for name in ("href", "hx-get"):
            if attrs.get(name) and (tag != "link" or name != "href"):
                self.links.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in self.INVISIBLE and self._hidden:
            self._hidden -= 1
        if self._code and self._code[-1][0] == tag:
            self._code[-1][1] -= 1
            if not self._code[-1][1]:
                self._code.pop()

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._hidden:
            self.texts.append((text, bool(self._code)))


@dataclass
class Crawl:
    """One visitor's crawl: the pages seen and everything wrong with them."""

    client: object
    catalog: CatalogCheck | None
    per_name: int = 3
    per_shape: int = 2
    limit: int = 400
    seen: set[str] = field(default_factory=set)
    names: Counter = field(default_factory=Counter)
    shapes: Counter = field(default_factory=Counter)
    offenders: list[str] = field(default_factory=list)
    visited: int = 0
    types: Counter = field(default_factory=Counter)   # content types fetched: text/html, application/pdf...

    def run(self, start: str) -> Crawl:
        queue = [(start, "(start)")]
        while queue and self.visited < self.limit:
            url, referrer = queue.pop(0)
            for link in self.visit(url, referrer):
                queue.append((link, url))
        return self

    def admit(self, url: str) -> bool:
        """Bounded by pattern: a few URLs per URL name, fewer per name and set of query parameters."""
        if url in self.seen:
            return False
        parts = urlsplit(url)
        try:
            name = resolve(parts.path).view_name
        except Resolver404:
            name = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        name = (name, query.get("format", ""))   # each format of an export is a page of its own
        shape = (name, tuple(sorted(query)))
        if self.names[name] >= self.per_name or self.shapes[shape] >= self.per_shape:
            return False
        self.seen.add(url)
        self.names[name] += 1
        self.shapes[shape] += 1
        return True

    def visit(self, url: str, referrer: str) -> list[str]:
        self.visited += 1
        try:
            response = self.client.get(url)
        except Exception as exc:  # noqa: BLE001  (every failure is an offender to list, not a stop)
            self.offenders.append(f"{url} (from {referrer}): exception {type(exc).__name__}: {exc}")
            return []
        if response.status_code >= 400:
            self.offenders.append(f"{url} (from {referrer}): status {response.status_code}")
            return []
        if response.status_code in (301, 302, 303, 307, 308):
            target = response.headers.get("Location", "")
            return [target] if self.follow(target) else []
        content_type = response.headers.get("Content-Type", "").split(";")[0]
        self.types[content_type] += 1
        if not content_type.startswith(HTML_TYPES):
            return self.download(url, referrer, response)
        html = response.content.decode(response.charset or "utf-8", errors="replace")
        self.check_page(url, referrer, html)
        parser = PageParser()
        parser.feed(html)
        links = []
        for href in parser.links:
            target = self.same_site(href, url)
            if target and self.follow(target):
                links.append(target)
        self.check_texts(url, referrer, parser.texts)
        return links

    def download(self, url: str, referrer: str, response) -> list[str]:
        """A PDF, CSV or XLSX: read to its end (a streamed export can fail half-way) and not empty."""
        try:
            body = b"".join(response.streaming_content) if response.streaming else response.content
        except Exception as exc:  # noqa: BLE001
            self.offenders.append(f"{url} (from {referrer}): download failed: {type(exc).__name__}: {exc}")
            return []
        if not body:
            self.offenders.append(f"{url} (from {referrer}): empty download")
        return []

    def follow(self, target: str) -> bool:
        return bool(target) and not target.startswith(SKIP_PREFIXES) and self.admit(target)

    @staticmethod
    def same_site(href: str, base: str) -> str:
        href = urldefrag(href.strip())[0]
        if not href or href.startswith(("mailto:", "tel:", "javascript:", "data:")):
            return ""
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            return "" if parts.netloc not in ("testserver", "") else parts.path + (f"?{parts.query}" if parts.query
                                                                                  else "")
        if href.startswith("?"):
            return urlsplit(base).path + href
        if not href.startswith("/"):
            return urlsplit(base).path.rsplit("/", 1)[0] + "/" + href
        return href

    def check_page(self, url: str, referrer: str, html: str) -> None:
        for marker in DEBUG_PAGE:
            if marker in html:
                self.offenders.append(f"{url} (from {referrer}): debug/traceback text {marker!r}")

    def check_texts(self, url: str, referrer: str, texts: list[tuple[str, bool]]) -> None:
        for text, _code in texts:
            match = RAW_VALUE.search(text)
            if match:
                self.offenders.append(f"{url} (from {referrer}): raw value {match.group(0)!r} in {text[:120]!r}")
        if self.catalog:
            for msgid, text in sorted(self.catalog.offenders([t for t, code in texts if not code])):
                self.offenders.append(f"{url} (from {referrer}): untranslated ({self.catalog.language}) {msgid!r}"
                                      + (f" in {text[:120]!r}" if text != msgid else ""))
