"""The demo company (`raccordo demo`), bulk data for benchmarks (`raccordo demo --scale N`) and first-run
setup (`raccordo bootstrap`).

It stands above every domain app, as it writes their records (through their services, or in bulk), so
it is an app of its own rather than part of `core`, the ground floor those apps build on.

    seeding.py      seed_demo, seed_bulk: the entry points the commands call
    reference.py    staff, own companies, catalog, funnels, tags: created only when missing
    company.py      the small demo, through the services
    bulk.py         n counterparties with their related rows, bulk-inserted
    generators.py   valid tax ids, bank details, phones (also used by the tests' factories)
    data.py         the word lists it is all made of
"""
