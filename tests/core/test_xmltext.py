"""xml_text: whatever a person typed, the result is text lxml and openpyxl both accept, and nothing else changes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from openpyxl import Workbook

from raccordo.core.xmltext import xml_text


@given(st.text())
def test_any_text_becomes_xml_and_xlsx_compatible(value):
    clean = xml_text(value)
    etree.Element("x").text = clean          # raises ValueError on an XML-incompatible string
    Workbook().active.append([clean])        # raises IllegalCharacterError on a control character
    tree = etree.fromstring(etree.tostring(etree.Element("x", a=clean)))
    assert tree.get("a") == clean            # and it reads back as it was written


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff")
               .filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20)))
def test_valid_text_is_left_alone(value):
    assert xml_text(value) == value


def test_controls_are_dropped_and_vertical_tab_and_form_feed_separate_words():
    assert xml_text("Ctrl\x0bChar\x01Client\x0cLtd\x1f\ud800\uffff") == "Ctrl CharClient Ltd"
