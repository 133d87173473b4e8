"""Make the shipped templates: `python -m raccordo.documents.shipped.build` writes `<kind>.<language>.docx` here.

Each tag is written as one run (docxtpl needs a tag inside one Word run); the lines are a table whose loop rows
are `{%tr for l in lines %}` and `{%tr endfor %}`; the stamp and signature are `{{ stamp }}`/`{{ signature }}`
in runs of their own, so docxtpl puts the pictures there.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from .texts import KINDS, LABELS

HERE = Path(__file__).resolve().parent
WIDTHS = [Cm(0.8), Cm(6.4), Cm(1.5), Cm(1.2), Cm(2.7), Cm(1.5), Cm(3.0)]
COLUMNS = [("n", "{{ l.n }}"), ("item", "{{ l.description }}"), ("qty", "{{ l.quantity }}"),
           ("unit", "{{ l.unit }}"), ("price", "{{ l.price }}"), ("vat_rate", "{{ l.vat_rate }}"),
           ("amount", "{{ l.amount }}")]


def _parties(doc, t: dict) -> None:
    for who, var, bank in (("supplier", "company", "bank"), ("buyer", "client", "client_bank")):
        p = doc.add_paragraph()
        p.add_run(f"{t[who]}: ").bold = True
        p.add_run(f"{{{{ {var}.full_name }}}}, " + t["ids"].replace("X.", f"{var}.")
                  + f", {t['address']}: {{{{ {var}.address }}}}")
        p = doc.add_paragraph()
        p.add_run(t["bank_line"].replace("B.", f"{bank}.")).font.size = Pt(9)


def _lines(doc, t: dict) -> None:
    table = doc.add_table(rows=4, cols=len(COLUMNS))
    table.style = "Table Grid"
    for cell, (label, _tag) in zip(table.rows[0].cells, COLUMNS, strict=True):
        cell.text = t[label]
        cell.paragraphs[0].runs[0].bold = True
    table.rows[1].cells[0].text = "{%tr for l in lines %}"
    for cell, (_label, tag) in zip(table.rows[2].cells, COLUMNS, strict=True):
        cell.text = tag
    table.rows[3].cells[0].text = "{%tr endfor %}"
    table.autofit = False
    # Both the grid (what LibreOffice reads) and every cell (what Word reads) carry the widths.
    for column, width in zip(table.columns, WIDTHS, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, WIDTHS, strict=True):
            cell.width = width
    for label, tag in (("net", "{{ totals.net }}"), ("vat", "{{ totals.vat }}"), ("total", "{{ totals.total }}")):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.add_run(f"{t[label]} ").bold = True
        p.add_run(tag)
    doc.add_paragraph(t["in_words"])
    p = doc.add_paragraph()
    p.add_run("{{ amount_in_words }}").bold = True


def _signatures(doc, t: dict) -> None:
    p = doc.add_paragraph()
    p.add_run(f"{t['director']} ______________ {{{{ company.director }}}}  ")
    p.add_run("{{ signature }}")
    p = doc.add_paragraph()
    p.add_run(f"{t['accountant']} ______________ {{{{ company.chief_accountant }}}}")
    p = doc.add_paragraph()
    p.add_run(f"{t['stamp']} ")
    p.add_run("{{ stamp }}")


def build_one(kind: str, language: str) -> Path:
    """Write one shipped template and return its path."""
    title, before, after = KINDS[kind][language]
    t = LABELS[language]
    doc = Document()
    doc.styles["Normal"].font.name = "DejaVu Sans"
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(title, level=1)
    _parties(doc, t)
    for text in before:
        doc.add_paragraph(text)
    _lines(doc, t)
    for text in after:
        doc.add_paragraph(text)
    _signatures(doc, t)
    path = HERE / f"{kind}.{language}.docx"
    doc.save(path)
    return path


def main() -> None:
    for kind, languages in KINDS.items():
        for language in languages:
            print(build_one(kind, language))


if __name__ == "__main__":
    main()
