"""Conflicts between accounting and the CRM: found from the change journal, settled by the mapping's policy.

No copy of each record is stored. For a bound record whose incoming content changed, the value last
received from this node is the newest of

* the latest journal entry of the record written by this node (origin = exchange, `node` = its code) that
  set the field (a create sets them all), and
* the accounting side of an earlier conflict on the field (a RunItem of this node), because a value that
  the policy did not let in was still received.

Per field, with incoming (accounting now), current (the CRM now) and base (last received):

    incoming == base                 only the CRM changed it: ours is kept, nothing is overwritten
    current == base                  only accounting changed it: accounting's value is taken
    both differ from base            a conflict: the mapping's policy decides, and a RunItem records it
    no base known                    accounting's value is taken (nothing says the CRM changed it)

"Newer wins" compares the time of the CRM's last change of the field (the newest journal entry of the
record that set it and did not come from this node) with the time of accounting's data: the exchange
file's ДатаФормирования when it has one, else the start of the run. Ties go to accounting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from raccordo.core.journal import plain
from raccordo.core.models import ChangeJournal

from .models import ConflictPolicy, ExchangeNode, Run, RunItem

CONFLICT = "conflict"
ACCOUNTING, CRM, SUPERSEDED = "accounting", "crm", "superseded"


@dataclass
class RecordHistory:
    """What the journal says of one record: per field, the value last received from the node and when,
    and when the CRM side last changed it."""

    base: dict[str, Any] = field(default_factory=dict)
    base_at: dict[str, dt.datetime] = field(default_factory=dict)
    local_at: dict[str, dt.datetime] = field(default_factory=dict)

    def changed_locally(self, name: str) -> bool:
        local = self.local_at.get(name)
        return local is not None and (name not in self.base_at or local > self.base_at[name])


@dataclass
class Conflict:
    name: str
    crm: Any
    accounting: Any
    winner: str            # accounting | crm | "" (ask: waiting)
    note: str = ""


def parse_exchange_time(text: str | None) -> dt.datetime | None:
    """ДатаФормирования ("2017-08-02T18:36:44", or a date alone) as an aware time, in the site's zone."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = parse_datetime(text) or (dt.datetime.fromisoformat(text[:10]) if len(text) >= 10 else None)
    except ValueError:
        return None
    if value is None:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class MergeRules:
    """Ownership and conflict handling of one node's records of one type, for an importer's updates."""

    def __init__(self, *, node: ExchangeNode, object_type: str, crm_owned=frozenset(),
                 policy: str = ConflictPolicy.ACCOUNTING_WINS, exchange_time: dt.datetime | None = None,
                 run: Run | None = None):
        self.node = node
        self.object_type = object_type
        self.crm_owned = frozenset(crm_owned)
        self.policy = policy
        self.exchange_time = exchange_time
        self.run = run

    def when(self) -> dt.datetime:
        """The time accounting's data stands for (see the module's docstring)."""
        if self.exchange_time is not None:
            return self.exchange_time
        return self.run.started_at if self.run is not None and self.run.started_at else timezone.now()

    def histories(self, model: type[models.Model], pks: list) -> dict[Any, RecordHistory]:
        """One journal query for a batch of records (only those whose incoming hash changed), plus one
        query of earlier conflicts for the few records the CRM changed since they were last received."""
        if not pks:
            return {}
        ct = ContentType.objects.get_for_model(model)
        out: dict[Any, RecordHistory] = {}
        code = self.node.code
        for object_id, node, changes, at in (ChangeJournal.objects.filter(content_type=ct, object_id__in=pks)
                                             .order_by("seq").values_list("object_id", "node", "changes", "at")):
            history = out.get(object_id)
            if history is None:
                history = out[object_id] = RecordHistory()
            if not isinstance(changes, dict):
                continue
            if node == code:
                for name, pair in changes.items():
                    if isinstance(pair, list) and len(pair) == 2:
                        history.base[name], history.base_at[name] = pair[1], at
            else:
                for name in changes:
                    history.local_at[name] = at
        touched = [pk for pk, h in out.items() if any(h.changed_locally(n) for n in h.local_at)]
        if touched:
            items = (RunItem.objects.filter(run__node=self.node, outcome=CONFLICT, object_type=self.object_type,
                                            object_id__in=touched).exclude(run__kind="dry-run")
                     .order_by("id").values_list("object_id", "changes", "run__started_at"))
            for item_id, changes, started in items:
                history = out[item_id]
                for name, pair in (changes or {}).items():
                    if isinstance(pair, list) and len(pair) == 2 and (
                            name not in history.base_at or started >= history.base_at[name]):
                        history.base[name], history.base_at[name] = pair[1], started
        return out

    def decide(self, *, history: RecordHistory | None, before: dict, after: dict, changes: dict) -> list[Conflict]:
        """For the fields an update would change: which keep the CRM's value (those returned with winner
        other than accounting, and those only the CRM changed, returned with an empty name list)."""
        decisions: list[Conflict] = []
        if history is None:
            return decisions
        for name in changes:
            if name not in history.base:
                continue   # never received: nothing says the CRM changed it
            base, current, incoming = history.base[name], before.get(name), after.get(name)
            if current == base:
                continue   # only accounting changed it
            if incoming == base:
                decisions.append(Conflict(name, current, incoming, CRM, note="only-crm"))
                continue
            decisions.append(self._policy(name, current, incoming, history))
        return decisions

    def settle(self, name: str, current, incoming, history: RecordHistory | None = None) -> Conflict:
        """The policy's word on one field both sides disagree on, whatever the history says of it (an
        importer whose write the CRM's own rules refused has a conflict without a base to compare)."""
        return self._policy(name, current, incoming, history or RecordHistory())

    def _policy(self, name: str, current, incoming, history: RecordHistory) -> Conflict:
        if self.policy == ConflictPolicy.ACCOUNTING_WINS:
            return Conflict(name, current, incoming, ACCOUNTING, _("Accounting wins: its value was taken."))
        if self.policy == ConflictPolicy.CRM_WINS:
            return Conflict(name, current, incoming, CRM, _("The CRM wins: its value was kept."))
        if self.policy == ConflictPolicy.NEWER_WINS:
            local, theirs = history.local_at.get(name), self.when()
            winner = CRM if local is not None and local > theirs else ACCOUNTING
            note = _("Newer wins: the CRM changed it at %(local)s, accounting's data is of %(theirs)s; "
                     "%(winner)s was kept.") % {
                "local": timezone.localtime(local).strftime("%Y-%m-%d %H:%M:%S") if local else "—",
                "theirs": timezone.localtime(theirs).strftime("%Y-%m-%d %H:%M:%S"),
                "winner": _("the CRM's value") if winner == CRM else _("accounting's value")}
            return Conflict(name, current, incoming, winner, note)
        return Conflict(name, current, incoming, "", _("Waiting for someone to choose; the CRM's value is kept "
                                                       "until then."))

    def record(self, recorder, *, conflicts: list[Conflict], external_id: str, object_id, source) -> set[str]:
        """Record the real conflicts as RunItems; return the fields whose CRM value stays."""
        keep: set[str] = set()
        now = timezone.now()
        for c in conflicts:
            if c.winner != ACCOUNTING:
                keep.add(c.name)
            if c.note == "only-crm":
                continue
            # A newer conflict on the same field makes an older open question moot.
            RunItem.objects.filter(run__node=self.node, outcome=CONFLICT, object_id=object_id, resolution="",
                                   changes__has_key=c.name).update(resolution=SUPERSEDED, resolved_at=now)
            recorder.add(RunItem(
                outcome=CONFLICT, object_type=self.object_type, external_id=(external_id or "")[:255],
                object_id=object_id, code=f"exchange.conflict.{self.policy}"[:64], message=c.note,
                changes={c.name: [plain(c.crm), plain(c.accounting)]}, resolution=c.winner,
                resolved_at=now if c.winner else None,
                file=(source.file or "")[:255] if source else "", line=source.line if source else None,
                path=((source.path or "") if source else "")[:500]))
        return keep
