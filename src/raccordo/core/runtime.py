"""Process-level tuning of a serving process, applied where the WSGI application is built.

Python's cyclic garbage collector walks every tracked object of the heap on a full (generation 2)
collection. A Django process holds a few hundred thousand long-lived objects after start-up (modules,
URL patterns, templates, translations), and a page that builds many short-lived objects with reference
cycles (an API page of 100 serialized rows makes about 7,000) sets off full collections often enough that
one request in ten or twenty pays for walking the whole heap: measured on the API page of 100 at 100k
counterparties, p50 118 ms but p95 379-406 ms.

`gc.freeze()` moves what start-up built into a permanent generation the collector no longer walks, and
larger thresholds let short-lived cycles die in the young generations before they are promoted. The
same page then measured p95 121-126 ms at the same p50. Garbage is still collected: only less often,
and full collections no longer walk the start-up heap.
"""

from __future__ import annotations

import gc

# (young, middle, old): collect the young generation every 10,000 net allocations instead of 700, and the
# old one every 20 x 100 young collections instead of 10 x 10.
SERVING_THRESHOLDS = (10_000, 20, 100)


def tune_gc_for_serving() -> None:
    """Freeze the start-up heap and raise the collector's thresholds (call once the application is loaded)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)
