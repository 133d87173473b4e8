"""Seeding entry points of the demo app (the package's `__init__` stays empty of imports: Django loads
it while the app registry is still being populated, before any model may be imported).

    seed_demo(seed=..)            ~40 counterparties and two months of work, through the services (journaled)
    seed_bulk(n=.., seed=..)      n counterparties with related rows, bulk-inserted (not journaled)

Both first make sure the reference data exists (staff, own companies, catalog, price types, warehouses,
funnels, tags) and create only what is missing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from raccordo.core.context import change_context
from raccordo.core.models import Origin
from raccordo.core.planner import refresh_statistics

from .bulk import ScaleResult, seed_scale
from .company import DemoCompany
from .reference import Reference, ensure_reference
from .words import demo_language


@dataclass
class DemoResult:
    """The reference data the demo was built on (with new users' passwords) and its invoices per status."""

    reference: Reference
    invoices: dict[str, int] = field(default_factory=dict)


def seed_demo(*, seed: int = 2026, password: str | None = None, language: str | None = None,
              log: Callable[[str], None] | None = None) -> DemoResult:
    """Create the demo company through the services, in one transaction (all or nothing).

    password=None (the default): each demo user gets a random password, in `result.reference.passwords`.
    language=None: RACCORDO_DEMO_LANGUAGE, else LANGUAGE_CODE (words.demo_language).
    """
    log = log or (lambda msg: None)
    rnd = random.Random(seed)
    with change_context(origin=Origin.CLI), transaction.atomic():
        log("  staff, own companies, catalog, funnels...")
        ref = ensure_reference(rnd=rnd, password=password, language=demo_language(language))
        invoices = DemoCompany(ref=ref, rnd=rnd, log=log).run()
    return DemoResult(reference=ref, invoices=invoices)


def seed_bulk(*, n: int, seed: int = 2026, password: str | None = None, batch: int = 5000,
              language: str | None = None,
              log: Callable[[str], None] | None = None) -> tuple[Reference, ScaleResult]:
    """Reference data if missing, then `n` bulk counterparties with their related rows."""
    log = log or (lambda msg: None)  # seed_scale has the same default; without it the last step failed
    rnd = random.Random(seed)
    with change_context(origin=Origin.CLI):
        with transaction.atomic():
            ref = ensure_reference(rnd=rnd, password=password, language=demo_language(language))
        result = seed_scale(n=n, ref=ref, rnd=rnd, batch=batch, log=log)
    # The planner picks the list indexes by the tables' sizes: tell it about the new rows.
    log("  planner statistics...")
    refresh_statistics()
    return ref, result


__all__ = ["DemoResult", "seed_bulk", "seed_demo"]
