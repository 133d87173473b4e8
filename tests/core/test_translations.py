"""The Italian and Russian catalogs are complete, keep their placeholders, and are what Django serves."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
LANGUAGES = ["it", "ru"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%|\{\w*\}")


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: one dict per entry with msgctxt, msgid, msgid_plural, msgstr (list) and flags."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if line.startswith("#~"):           # obsolete entries are not served
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            keyword, index, text = match.groups()
            value = ast.literal_eval(text)
            if keyword.startswith("msgstr"):
                field = ("msgstr", int(index or 0))
                entry["msgstr"][field[1]] = value
            else:
                field = (keyword, None)
                entry[keyword] = value
        elif line.startswith('"') and field is not None:
            value = ast.literal_eval(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += value
            else:
                entry[field[0]] += value
    finish()
    return entries


def catalog(lang: str) -> tuple[dict, list[dict]]:
    entries = parse_po(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po")
    header = next(e for e in entries if e["msgid"] == "" and "msgctxt" not in e)
    return header, [e for e in entries if e is not header]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    header, entries = catalog(lang)
    assert "fuzzy" not in header["flags"]
    assert len(entries) > 400
    untranslated = [e["msgid"] for e in entries if not e["msgstr"] or not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_russian_has_three_plural_forms():
    header, entries = catalog("ru")
    assert "nplurals=3;" in header["msgstr"][0]
    for e in entries:
        if "msgid_plural" in e:
            assert sorted(e["msgstr"]) == [0, 1, 2], e["msgid"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_kept(lang):
    _, entries = catalog(lang)
    for e in entries:
        if "msgid_plural" in e:
            # A plural form may leave the number out (“одна задача”) but must not invent a placeholder.
            allowed = set(PLACEHOLDER.findall(e["msgid_plural"]))
            for text in e["msgstr"].values():
                assert set(PLACEHOLDER.findall(text)) <= allowed, (lang, e["msgid"], text)
        else:
            assert sorted(PLACEHOLDER.findall(e["msgstr"][0])) == sorted(PLACEHOLDER.findall(e["msgid"])), \
                (lang, e["msgid"], e["msgstr"][0])


@pytest.mark.parametrize("lang, expected", [
    ("it", {"Counterparties": "Clienti", "Invoice": "Fattura", "Dashboard": "Bacheca", "Save": "Salva",
            "Deals": "Trattative", "Warehouse": "Magazzino", "Responsible": "Responsabile"}),
    ("ru", {"Counterparties": "Контрагенты", "Invoice": "Счёт", "Dashboard": "Рабочий стол", "Save": "Сохранить",
            "Deals": "Сделки", "Warehouse": "Склад", "Responsible": "Ответственный", "INN": "ИНН"}),
])
def test_key_words_are_served(lang, expected):
    with translation.override(lang):
        assert {msgid: translation.gettext(msgid) for msgid in expected} == expected
        assert translation.gettext("Good day, %(name)s") % {"name": "Anna"} != "Good day, Anna"


def test_same_english_word_takes_the_right_form_by_context():
    from raccordo.activities.models import TaskStatus
    from raccordo.sales.models import InvoiceStatus

    with translation.override("ru"):
        assert str(InvoiceStatus.CANCELLED.label) == "Отменён"
        assert str(TaskStatus.CANCELLED.label) == "Отменена"
        assert translation.pgettext("amount", "Paid") == "Оплачено"
        assert str(InvoiceStatus.PAID.label) == "Оплачен"
    with translation.override("it"):
        assert translation.pgettext("amount", "Paid") == "Pagato"
        assert str(InvoiceStatus.PAID.label) == "Pagata"
