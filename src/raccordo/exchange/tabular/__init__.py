"""Import of counterparties, contact persons and products from CSV / XLSX files with a column mapping.

Rows are read streaming (`reading`: csv with its encoding and delimiter detected; openpyxl in
read-only mode, formulas read as their values), mapped to fields (`columns`, `rows`), checked for
duplicates against the existing data and within the file before anything is written (`duplicates`),
and written through the domain services (`counterparty_create`, `contact_create`, `product_create`
...), one transaction per batch and one savepoint per row, so a row is written whole or not at all
(`importer`). The outcome is an exchange run with the same counters and per-row items (file, line,
column) as any other import. Uploads waiting for the mapping step are `uploads`.

This package gathers the names its callers (the pages, the command, runs) and the tests use.
"""

from __future__ import annotations

from .columns import (
    BATCH_SIZE,
    CONTACTS,
    COUNTERPARTIES,
    FIELDS,
    KIND_LABELS,
    KINDS,
    MULTI,
    PREVIEW_ROWS,
    PRODUCTS,
    REQUIRED,
    OnDuplicate,
    TabularError,
    check_mapping,
    choices_check,
    guess_mapping,
    max_file_size,
)
from .importer import TabularImport, tabular_import
from .reading import Row, Sheet, count_rows, open_sheet, preview
from .rows import Parsed, RowError, parse_row
from .uploads import UPLOAD_SUFFIXES, may_import, upload_get, upload_store

__all__ = [
    "BATCH_SIZE", "CONTACTS", "COUNTERPARTIES", "FIELDS", "KINDS", "KIND_LABELS", "MULTI", "PREVIEW_ROWS", "PRODUCTS",
    "REQUIRED", "UPLOAD_SUFFIXES", "OnDuplicate", "Parsed", "Row", "RowError", "Sheet", "TabularError",
    "TabularImport", "check_mapping", "choices_check", "count_rows", "guess_mapping", "max_file_size", "may_import",
    "open_sheet", "parse_row", "preview", "tabular_import", "upload_get", "upload_store",
]
