"""How far an outbound export may advance its cursor in the change journal without ever skipping a change.

The journal's `seq` is handed out when a row is written, not when its transaction commits. On
PostgreSQL a transaction that wrote seq 10 may commit after another one wrote and committed seq 11:
an export that then took `Max(seq)` = 11 as its new cursor never sends change 10. The cursor may only
advance up to the highest position below which nothing can still appear.

Why this design (and not the others):

* a column with the writer's transaction id (compared with `pg_snapshot_xmin`) would be exact, but the
  journal is the core app's table, written by every service, and the cursor would have to become a
  transaction id; a per-node outbox would duplicate the journal, which DESIGN.md makes the one source
  of outbound exchange; re-sending late entries below the cursor would make "acknowledged" mean less.
* Here the cursor stays a journal position and nothing is added to the writers' path. An export looks
  for missing positions (gaps) between its cursor and the newest visible entry. A missing position
  belongs to a transaction that is still open, or to one that rolled back. Every writer of the journal
  holds a RowExclusiveLock on it until it ends, so the open ones are exactly the transactions that
  PostgreSQL's `pg_locks` lists with that lock. A gap is remembered (`JournalGap`) with the writers open
  just after it was seen; once none of them is open any more, a position still missing never will be
  written, and exports pass over it. The horizon is the position before the lowest gap not yet settled.

  Order matters: the writers checked to settle a gap are read *before* the scan that finds it still
  missing (a writer that committed in between would be visible to the scan), and those recorded with a
  new gap are read *after* the scan that found it (a writer holding it is then still listed, or has
  ended). Virtual transaction ids are used because a writer may hold a position before it has a
  transaction id. The exporter's own connection is left out (its rows are visible to it), and so are
  other databases of the same server.

  Cost: one window query over the journal above the cursor, two reads of `pg_locks`; a second scan only
  when a gap is not settled on the first. A long transaction that writes the journal holds the horizon
  back while it runs: changes after it wait (they are sent with the next export after it ends); none
  is lost. This relies on READ COMMITTED (Django's default on PostgreSQL): each statement sees what is
  committed when it starts.

SQLite has one writer at a time, and a writer takes `Max(seq) + 1` of the committed table: a position
still in flight is always above every committed one, so the newest visible entry is the horizon.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Max, Min

from raccordo.core.models import ChangeJournal

from ..models import ExchangeNode, JournalGap

_WRITERS = """
    SELECT DISTINCT virtualtransaction FROM pg_locks
    WHERE locktype = 'relation' AND mode = 'RowExclusiveLock' AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND relation = %s::regclass AND pid IS DISTINCT FROM pg_backend_pid()
"""

# One statement, so the gaps and the newest position come from the same snapshot. A row comes back for
# each gap (first, last missing position) and for the newest entry (whose "gap" is empty unless there is one).
_GAPS = """
    SELECT prev + 1, seq - 1, top FROM (
        SELECT seq, lag(seq, 1, %s::bigint) OVER (ORDER BY seq) AS prev, max(seq) OVER () AS top
        FROM {table} WHERE seq > %s
    ) s WHERE seq > prev + 1 OR seq = top ORDER BY seq
"""


def journal_horizon(after: int) -> int:
    """The highest journal position (>= `after`) below which no entry can still appear: an export that
    has sent everything up to it may acknowledge it."""
    if connection.vendor != "postgresql":
        return max(ChangeJournal.objects.aggregate(m=Max("seq"))["m"] or after, after)
    table = ChangeJournal._meta.db_table
    with connection.cursor() as cursor:
        writers = _writers(cursor, table)
        top, horizon = _pass(cursor, table, after, writers)
        if horizon < top:
            # A gap seen just now by a scan after which no writer was open is settled by a second look.
            writers = _writers(cursor, table)
            top, horizon = _pass(cursor, table, after, writers)
    _prune()
    return horizon


def _writers(cursor, table: str) -> set[str]:
    cursor.execute(_WRITERS, [connection.ops.quote_name(table)])
    return {row[0] for row in cursor.fetchall()}


def _pass(cursor, table: str, after: int, writers_before: set[str]) -> tuple[int, int]:
    """One scan: (newest position, horizon). Gaps seen for the first time are recorded with the writers
    open after the scan; a recorded gap is settled when none of its writers was open before the scan."""
    cursor.execute(_GAPS.format(table=connection.ops.quote_name(table)), [after, after])
    rows = cursor.fetchall()
    if not rows:
        return after, after
    top = rows[-1][2]
    gaps = [(first, last) for first, last, _top in rows if first <= last]
    if not gaps:
        return top, top
    known = list(JournalGap.objects.filter(last_seq__gte=gaps[0][0], first_seq__lte=gaps[-1][1])
                 .values_list("first_seq", "last_seq", "holders"))
    horizon = top
    new = []
    for first, last in gaps:
        covering = [set(holders or ()) for lo, hi, holders in known if lo <= first and last <= hi]
        if any(not (holders & writers_before) for holders in covering):
            continue   # every writer that could hold it has ended since, and it is still missing: gone
        horizon = min(horizon, first - 1)
        if not covering:
            new.append((first, last))
    if new:
        writers_after = sorted(_writers(cursor, table))
        JournalGap.objects.bulk_create([JournalGap(first_seq=first, last_seq=last, holders=writers_after)
                                        for first, last in new])
    return top, horizon


def _prune() -> None:
    """Gaps below every node's acknowledged position are never looked at again."""
    lowest = ExchangeNode.objects.aggregate(m=Min("export_cursor"))["m"]
    if lowest:
        JournalGap.objects.filter(last_seq__lte=lowest).delete()
