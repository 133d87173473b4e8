"""Streaming, hostile-input-safe CommerceML 2.x / 3.1 reader.

``read(source)`` walks the file once with :func:`lxml.etree.iterparse` and yields
plain records (see :mod:`.records`) in document order. Memory stays flat however
many products or offers the file holds: every element is cleared as soon as it has
been turned into a record, and earlier siblings are dropped.

Safety:

* a DOCTYPE anywhere in the prolog is refused before lxml sees the file (no
  entities, no external DTD: XXE and "billion laughs" are impossible), and lxml runs
  with ``resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False``;
* any text node or attribute longer than ``max_text`` characters (1 MB by default)
  ends the read; libxml2's own 10 MB limit (no ``huge_tree``) backs this up;
* a record with more than ``max_record_nodes`` elements is skipped (an
  :class:`ErrorRec`) without being kept in memory.

Fatal problems raise :class:`CommerceMLError`; a single bad record (a price that is
not a number, an element without Ид) yields an :class:`ErrorRec` and the stream
continues.

Routing is by content, never by file name: Классификатор, Каталог,
ПакетПредложений (also the 2.08+ split ``offers/prices/rests`` files and
ИзмененияПакетаПредложений) and Документ (also CML 3.1 ``Контейнер/Документ``).
Namespaces are ignored (none in 2.03-2.05, ``urn:1C.ru:commerceml_2`` in 2.07+,
``urn:1C.ru:commerceml_3`` in 3.1).

The work is split by seam: :mod:`.safety` (the source, the prolog and DOCTYPE check, the default
namespace, libxml2's errors), :mod:`.precheck` (the byte-level pre-check behind :func:`check`),
:mod:`.stream` (the iterparse state machine), :mod:`.elements` (child lookups and values) and
:mod:`.catalog_builders` / :mod:`.document_builders` (one record per element).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO

from .precheck import scan_bytes
from .records import Record
from .safety import Replayed, check_prolog, opened, strip_default_namespace
from .stream import RecordStream

__all__ = ["read", "check", "MAX_TEXT", "MAX_RECORD_NODES"]

MAX_TEXT = 1_000_000  # characters in one text node or attribute value
MAX_RECORD_NODES = 250_000  # elements inside one record


def read(
    source: str | os.PathLike[str] | bytes | IO[bytes],
    *,
    max_text: int = MAX_TEXT,
    max_record_nodes: int = MAX_RECORD_NODES,
) -> Iterator[Record]:
    """Yield the records of a CommerceML file, in document order.

    ``source`` is a path, a binary file object, or the file content as ``bytes``.
    Raises :class:`CommerceMLError` on a fatal problem (not XML, DOCTYPE, text too
    long, not a КоммерческаяИнформация); bad single records come out as
    :class:`ErrorRec`.
    """
    with opened(source) as (raw, file):
        prefix, namespace = strip_default_namespace(check_prolog(raw, file), raw)
        reader = RecordStream(Replayed(prefix, raw), file, max_text, max_record_nodes)
        reader.namespace = namespace
        yield from reader.run()


def check(source: str | os.PathLike[str] | bytes | IO[bytes], *, max_text: int = MAX_TEXT) -> None:
    """Raise the :class:`CommerceMLError` a full :func:`read` of ``source`` would raise for a broken or
    hostile file (DOCTYPE, not well-formed, text or attribute over ``max_text``), at a fraction of its cost.

    Used before writing anything of a file, so a file broken at its end writes nothing. The same
    prolog check and hardened parser options as :func:`read`; libxml2 parses into a tree that is pruned as
    it grows (only the root gets a Python object, no record is built). The text cap is checked on the raw bytes: in an
    ASCII-compatible encoding a text node or attribute value cannot hold a literal "<" (CDATA aside)
    and no character is shorter than a byte, so no run of more than ``max_text`` bytes without "<"
    means no over-long text. Anything this cheap test cannot rule out (such a run, a CDATA section,
    another encoding) is settled by a full :func:`read`.
    """
    with opened(source) as (raw, file):
        prefix = check_prolog(raw, file)
        if not scan_bytes(prefix, raw, file, max_text):
            raw.seek(0)
            for _rec in read(raw, max_text=max_text):
                pass
