"""Search for counterparties and contact persons by name, INN, phone (any format) and e-mail.

    counterparties_matching(queryset, term) -> the counterparties of `queryset` that match `term`
    contacts_matching(queryset, term)       -> the same for contact persons
    index_refresh(counterparty_ids=...)     -> rewrite the search documents of these counterparties
    index_rebuild()                         -> rewrite every document (`raccordo search rebuild`)

Each counterparty and each contact person has one `SearchDocument`: its names, tax ids, phones (the
digits of E.164) and e-mails, lower-cased, one per line. The database indexes that text:

- SQLite: two FTS5 tables over the documents (external content, kept in step by triggers): a trigram
  one for substrings of three characters or more, and a word one (with prefix indexes) for shorter terms;
- PostgreSQL: a pg_trgm GIN index (substrings, `LIKE '%...%'`) and a full-text GIN index over
  `to_tsvector('simple', text)` (word prefixes).

A term is split on spaces; every word must occur (AND). A word of three characters or more matches
anywhere in the document ("1002030" finds +7 916 100-20-30, "mashk" finds Romashka); one or two
characters match the start of a word ("ip" finds "IP Ivanov"). A term that is a phone number in any
format ("8 (916) 100-20-30", "+7 916 1002030") is matched by its digits and by its E.164 form.

The documents are kept in step by signals on the four models they are built from (so every service,
the admin and the factories in tests keep them right) and, for writers that bypass signals (bulk
inserts of the demo data and the exchange engine), by an explicit `index_refresh` / `index_written`.
Results are filters on a queryset the caller got from a selector, so the access policy applies to them
exactly as to the list they narrow.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_save

from raccordo.core.inputs import search_term
from raccordo.core.phones import phone_search_key
from raccordo.core.planner import refresh_statistics
from raccordo.core.signals import records_written

from .models import ContactPerson, Counterparty, Email, Phone, SearchDocument
from .search_text import document_text, normalize, phone_digits, word_alternatives

# Words shorter than this are matched as word prefixes, longer ones as substrings (trigram indexes
# cannot look up fewer than three characters).
MIN_SUBSTRING = 3
# At most this many words of a term are used; the rest would only narrow an already narrow result.
MAX_WORDS = 8
# A search that matches at most this many records hands their ids to the list as a literal list: the
# database then knows the result is small and sorts just those rows. Given a subquery instead, PostgreSQL
# guesses how many rows a LIKE on the trigram index returns, and when it guesses many it walks the list's
# sort index checking row after row ("Строй-Пром" at 100k counterparties: 105 matches, 21,157 rows
# checked, 381 ms). Above the limit the matches are dense, and walking the sort index is the right plan.
LITERAL_IDS = 2000

TABLE = SearchDocument._meta.db_table
FTS_TRIGRAM = "parties_search_trigram"
FTS_WORDS = "parties_search_words"

_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")


# --- Documents ----------------------------------------------------------------------------------------------

def _chunks(values: list, size: int = 2000) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def build_documents(counterparty_ids: Iterable, exclude_contacts: Iterable = ()) -> list[tuple]:
    """(counterparty id, contact id or None, text) of these counterparties and all their contact persons
    (but `exclude_contacts`, which are being deleted).

    A counterparty's document holds every phone and e-mail it has (its contact persons' ones too), as the
    card shows them; a contact person's holds its own and the counterparty's name.
    """
    ids = list(counterparty_ids)
    excluded = set(exclude_contacts)
    docs: list[tuple] = []
    for chunk in _chunks(ids):
        points: dict = {}
        for cp_id, contact_id, number in Phone.objects.filter(counterparty_id__in=chunk).values_list(
                "counterparty_id", "contact_id", "number").order_by():
            points.setdefault(cp_id, []).append((contact_id, phone_digits(number)))
        for cp_id, contact_id, address in Email.objects.filter(counterparty_id__in=chunk).values_list(
                "counterparty_id", "contact_id", "address").order_by():
            points.setdefault(cp_id, []).append((contact_id, address))
        names: dict = {}
        for row in Counterparty.objects.filter(pk__in=chunk).values_list(
                "pk", "name", "full_name", "inn", "ogrn", "vat_number", "tax_code").order_by():
            cp_id = row[0]
            names[cp_id] = row[1]
            docs.append((cp_id, None, document_text(*row[1:], *(v for _c, v in points.get(cp_id, ())),
                                                    names=row[1:3])))
        for contact_id, cp_id, last, first, middle, position in ContactPerson.objects.filter(
                counterparty_id__in=chunk).values_list(
                "pk", "counterparty_id", "last_name", "first_name", "middle_name", "position").order_by():
            if cp_id not in names or contact_id in excluded:
                continue
            own = (v for c, v in points.get(cp_id, ()) if c == contact_id)
            docs.append((cp_id, contact_id, document_text(last, first, middle, position, names[cp_id], *own,
                                                          names=[names[cp_id]])))
    return docs


def _insert(docs: list[tuple]) -> None:
    if not docs:
        return
    meta = SearchDocument._meta
    quote = connection.ops.quote_name
    cp, contact, text = (quote(meta.get_field(n).column) for n in ("counterparty", "contact", "text"))
    uuid_field = Counterparty._meta.pk

    def prep(value):
        return None if value is None else uuid_field.get_db_prep_value(value, connection)

    rows = [(prep(c), prep(p), t) for c, p, t in docs]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the bulk paths write hundreds of thousands of documents.
            with cursor.cursor.copy(f"COPY {quote(TABLE)} ({cp}, {contact}, {text}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            for chunk in _chunks(rows, 5000):
                cursor.executemany(f"INSERT INTO {quote(TABLE)} ({cp}, {contact}, {text}) VALUES (%s, %s, %s)",
                                   chunk)


# --- Keeping the index in step ------------------------------------------------------------------------------

class _Pending(threading.local):
    depth = 0
    ids: set
    exclude: set


_pending = _Pending()


@contextmanager
def deferred() -> Iterator[None]:
    """Collect refreshes and run them once at the end (a service adding a client, its phones and e-mails
    rewrites the client's documents once, not once per row)."""
    if _pending.depth == 0:
        _pending.ids, _pending.exclude = set(), set()
    _pending.depth += 1
    failed = False
    try:
        yield
    except BaseException:
        # The writes are being rolled back with the caller's transaction: nothing to index.
        failed = True
        raise
    finally:
        _pending.depth -= 1
        if _pending.depth == 0:
            ids, exclude, _pending.ids, _pending.exclude = _pending.ids, _pending.exclude, set(), set()
            if ids and not failed:
                _refresh_now(ids, exclude)


def index_refresh(*, counterparty_ids: Iterable = (), exclude_contacts: Iterable = ()) -> None:
    """Rewrite the documents of these counterparties and of their contact persons (gone ones are dropped,
    and so are `exclude_contacts`: contact persons in the middle of being deleted)."""
    ids = {pk for pk in counterparty_ids if pk is not None}
    if not ids:
        return
    if _pending.depth:
        _pending.ids |= ids
        _pending.exclude |= set(exclude_contacts)
        return
    _refresh_now(ids, set(exclude_contacts))


# From this many counterparties on, SQLite's FTS tables are updated in one statement each rather than row by
# row through the triggers: ten times faster for the bulk paths (a batch of the demo data, an import).
BULK_REFRESH = 200


def _refresh_now(ids: set, exclude: set = frozenset()) -> None:
    ids_list = list(ids)
    bulk = connection.vendor == "sqlite" and len(ids_list) >= BULK_REFRESH
    with transaction.atomic():
        if bulk:
            _sqlite_refresh_bulk(ids_list, exclude)
            return
        for chunk in _chunks(ids_list):
            SearchDocument.objects.filter(counterparty_id__in=chunk)._raw_delete(connection.alias)
        _insert(build_documents(ids_list, exclude))


def _sqlite_refresh_bulk(ids: list, exclude: set) -> None:
    """Rewrite many documents with the triggers set aside, then update the FTS tables set-wise.

    Dropping and re-creating the triggers happens inside the caller's transaction, which holds SQLite's
    single write lock: no other connection can write a document in between, so none escapes the index.
    """
    quote = connection.ops.quote_name
    pk = Counterparty._meta.pk
    with connection.cursor() as cursor:
        for fts in (FTS_TRIGRAM, FTS_WORDS):
            for suffix in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        for chunk in _chunks(ids):
            marks = ", ".join(["%s"] * len(chunk))
            params = [pk.get_db_prep_value(v, connection) for v in chunk]
            for fts in (FTS_TRIGRAM, FTS_WORDS):
                cursor.execute(f"INSERT INTO {fts}({fts}, rowid, text) SELECT 'delete', id, text FROM {quote(TABLE)} "
                               f"WHERE counterparty_id IN ({marks})", params)
            cursor.execute(f"DELETE FROM {quote(TABLE)} WHERE counterparty_id IN ({marks})", params)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(TABLE)}")
        last = cursor.fetchone()[0]
        _insert(build_documents(ids, exclude))
        # New rows get ids above every existing one (AUTOINCREMENT).
        for fts in (FTS_TRIGRAM, FTS_WORDS):
            cursor.execute(f"INSERT INTO {fts}(rowid, text) SELECT id, text FROM {quote(TABLE)} WHERE id > %s", [last])
        for sql in _sqlite_triggers():
            cursor.execute(sql)


def index_written(model: type[models.Model], pks: Iterable) -> None:
    """Records of `model` were written in bulk (no signals): refresh the documents they feed."""
    pks = [pk for pk in pks if pk is not None]
    if not pks:
        return
    if model is Counterparty:
        ids = set(pks)
    elif model in (ContactPerson, Phone, Email):
        ids = set()
        for chunk in _chunks(pks):
            ids |= set(model._default_manager.filter(pk__in=chunk).values_list("counterparty_id", flat=True))
    else:
        return
    index_refresh(counterparty_ids=ids)


# Deleting a counterparty or a contact person deletes their phones and e-mails with them (and contact
# persons with a counterparty), in an order Django leaves open. Each deleted row refreshes what it fed, so
# the last refresh comes after the last of them is gone; a refresh never writes a document for the
# record whose deletion is under way (`origin`), which would outlive it.

def _origin_model(origin):
    return getattr(origin, "model", None) or type(origin)


def _origin_contacts(origin) -> set:
    if _origin_model(origin) is not ContactPerson:
        return set()
    if isinstance(origin, models.Model):
        return {origin.pk}
    return set(origin.values_list("pk", flat=True))


def _on_counterparty_saved(sender, instance, **kwargs):
    index_refresh(counterparty_ids=[instance.pk])


def _on_child_saved(sender, instance, **kwargs):
    index_refresh(counterparty_ids=[instance.counterparty_id])


def _on_child_deleted(sender, instance, origin=None, **kwargs):
    if _origin_model(origin) is Counterparty:
        return   # the counterparty's documents go with it (foreign key, on delete cascade)
    index_refresh(counterparty_ids=[instance.counterparty_id], exclude_contacts=_origin_contacts(origin))


def _on_records_written(sender, pks, **kwargs):
    index_written(sender, pks)


def connect_signals() -> None:
    """Called from the app's ready(): every ORM write of the four source models refreshes the documents, and
    so does every batch a bulk write path reports (`core.signals.records_written`)."""
    records_written.connect(_on_records_written, dispatch_uid="search-records-written")
    post_save.connect(_on_counterparty_saved, sender=Counterparty, dispatch_uid="search-counterparty-saved")
    for model in (ContactPerson, Phone, Email):
        post_save.connect(_on_child_saved, sender=model, dispatch_uid=f"search-{model.__name__}-saved")
    for model in (ContactPerson, Phone, Email):
        post_delete.connect(_on_child_deleted, sender=model, dispatch_uid=f"search-{model.__name__}-deleted")


# --- The database side --------------------------------------------------------------------------------------

def _sqlite_triggers() -> list[str]:
    statements = []
    for fts in (FTS_TRIGRAM, FTS_WORDS):
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {TABLE} BEGIN "
            f"INSERT INTO {fts}(rowid, text) VALUES (new.id, new.text); END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {TABLE} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, text) VALUES ('delete', old.id, old.text); END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE ON {TABLE} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, text) VALUES ('delete', old.id, old.text); "
            f"INSERT INTO {fts}(rowid, text) VALUES (new.id, new.text); END",
        ]
    return statements


def index_install(conn) -> None:
    """Create the database's search index over the documents (from the migration; idempotent)."""
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TRIGRAM} USING fts5("
                           f"text, content='{TABLE}', content_rowid='id', tokenize='trigram')")
            # Only single words are looked up here (prefixes of one or two characters): no positions needed.
            cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_WORDS} USING fts5("
                           f"text, content='{TABLE}', content_rowid='id', tokenize='unicode61', prefix='1 2', "
                           f"detail='none')")
            for sql in _sqlite_triggers():
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {FTS_TRIGRAM}({FTS_TRIGRAM}) VALUES ('rebuild')")
            cursor.execute(f"INSERT INTO {FTS_WORDS}({FTS_WORDS}) VALUES ('rebuild')")
        elif conn.vendor == "postgresql":
            # Rows written earlier in the same transaction (a rebuild) leave deferred foreign-key checks
            # pending, and PostgreSQL builds no index over a table with pending checks: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS parties_search_trigram ON {TABLE} "
                           f"USING gin (text gin_trgm_ops)")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS parties_search_words ON {TABLE} "
                           f"USING gin (to_tsvector('simple', text))")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")   # back to Django's foreign keys' own setting


def index_uninstall(conn) -> None:
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            for fts in (FTS_TRIGRAM, FTS_WORDS):
                for suffix in ("ai", "ad", "au"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
                cursor.execute(f"DROP TABLE IF EXISTS {fts}")
        elif conn.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS parties_search_trigram")
            cursor.execute("DROP INDEX IF EXISTS parties_search_words")


@dataclass
class RebuildResult:
    counterparties: int = 0
    documents: int = 0


def index_rebuild(*, batch: int = 5000, log=None) -> RebuildResult:
    """Rewrite every document from the records, then rebuild the database's index in one pass.

    The index is dropped first and built again at the end: building it once over all documents is many
    times faster than keeping it in step row by row.
    """
    log = log or (lambda msg: None)
    result = RebuildResult()
    with transaction.atomic():
        index_uninstall(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(TABLE)}")
        last = None
        while True:
            qs = Counterparty.objects.order_by("pk")
            if last is not None:
                qs = qs.filter(pk__gt=last)
            ids = list(qs.values_list("pk", flat=True)[:batch])
            if not ids:
                break
            docs = build_documents(ids)
            _insert(docs)
            result.counterparties += len(ids)
            result.documents += len(docs)
            last = ids[-1]
            log(f"  {result.counterparties:>10,} counterparties, {result.documents:,} documents")
        log("  building the index...")
        index_install(connection)
    refresh_statistics()
    return result


# --- Matching -----------------------------------------------------------------------------------------------

def parse(term: str) -> list[tuple[str, ...]]:
    """The words of a term, each with its alternatives (a phone number: its digits and its E.164 digits)."""
    term = search_term(term)
    if not term:
        return []
    if _PHONE_LIKE.match(term) and any(ch.isdigit() for ch in term):
        digits = phone_digits(term)
        alternatives = [digits]
        e164 = phone_search_key(term)
        if e164 and phone_digits(e164) != digits:
            alternatives.append(phone_digits(e164))
        return [tuple(alternatives)]
    words = list(dict.fromkeys(normalize(term).split()))
    # Longer words first: they narrow the most, and only MAX_WORDS are used.
    words.sort(key=len, reverse=True)
    return [word_alternatives(w) for w in words[:MAX_WORDS]]


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _tsquery_prefix(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "':*"


def _short(group: tuple[str, ...]) -> bool:
    return any(len(alt) < MIN_SUBSTRING for alt in group)


def _word_prefix(text: str) -> str:
    # A prefix is looked up as one word: the characters that split words are left out.
    return "".join(ch for ch in text if ch.isalnum())


def matching_documents(term: str) -> models.QuerySet[SearchDocument] | None:
    """The documents matching `term`, or None when the term has nothing to search for."""
    groups = parse(term)
    if not groups:
        return None
    docs = SearchDocument.objects.all()
    long_groups = [g for g in groups if not _short(g)]
    short_groups = [alts for alts in (tuple(p for p in map(_word_prefix, g) if p) for g in groups if _short(g))
                    if alts]
    if not long_groups and not short_groups:
        return docs.none()   # only punctuation: nothing can match it
    if connection.vendor == "sqlite":
        if long_groups:
            expr = " AND ".join("(" + " OR ".join(_fts_phrase(a) for a in g) + ")" for g in long_groups)
            docs = docs.filter(id__in=RawSQL(f"SELECT rowid FROM {FTS_TRIGRAM} WHERE {FTS_TRIGRAM} MATCH %s",
                                             [expr]))
        if short_groups:
            expr = " AND ".join("(" + " OR ".join(_fts_phrase(a) + "*" for a in g) + ")" for g in short_groups)
            docs = docs.filter(id__in=RawSQL(f"SELECT rowid FROM {FTS_WORDS} WHERE {FTS_WORDS} MATCH %s", [expr]))
        return docs
    for group in long_groups:
        q = Q()
        for alt in group:
            q |= Q(text__contains=alt)
        docs = docs.filter(q)
    if short_groups:
        expr = " & ".join("(" + " | ".join(_tsquery_prefix(a) for a in g) + ")" for g in short_groups)
        # The GIN index answers the tsquery; the regular expression says the same for one row at a fraction
        # of the cost of computing its tsvector, so whichever way the planner goes (from the index, or along
        # the list's order checking rows) stays cheap.
        pattern = "|".join("(^|[^[:alnum:]])" + re.escape(a) for g in short_groups for a in g)
        if len(short_groups) > 1:
            pattern = ""   # several prefixes that must all occur: the tsquery alone says it
        sql = "to_tsvector('simple', text) @@ to_tsquery('simple', %s)"
        params = [expr]
        if pattern:
            sql = f"text ~ %s AND {sql}"
            params = [pattern, expr]
        docs = docs.filter(RawSQL(sql, params, output_field=models.BooleanField()))
    return docs


def _matching_ids(docs: models.QuerySet[SearchDocument], column: str):
    """The matching ids as a list when there are at most LITERAL_IDS of them, else as a subquery."""
    ids = docs.order_by().values_list(column, flat=True)
    found = list(ids[:LITERAL_IDS + 1])
    return found if len(found) <= LITERAL_IDS else ids


def counterparties_matching(queryset: models.QuerySet[Counterparty], term: str) -> models.QuerySet[Counterparty]:
    """The counterparties of `queryset` (already narrowed by the access policy) that match `term`."""
    docs = matching_documents(term)
    if docs is None:
        return queryset
    return queryset.filter(pk__in=_matching_ids(docs.filter(contact__isnull=True), "counterparty_id"))


def contacts_matching(queryset: models.QuerySet[ContactPerson], term: str) -> models.QuerySet[ContactPerson]:
    """The contact persons of `queryset` (already narrowed by the access policy) that match `term`."""
    docs = matching_documents(term)
    if docs is None:
        return queryset
    return queryset.filter(pk__in=_matching_ids(docs.filter(contact__isnull=False), "contact_id"))
