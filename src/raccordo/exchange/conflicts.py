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

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from raccordo.access.policy import allows, can
from raccordo.access.records import record_update
from raccordo.core.context import change_context
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import _plain, snapshot
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
            for object_id, changes, started in items:
                history = out[object_id]
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
                changes={c.name: [_plain(c.crm), _plain(c.accounting)]}, resolution=c.winner,
                resolved_at=now if c.winner else None,
                file=(source.file or "")[:255] if source else "", line=source.line if source else None,
                path=((source.path or "") if source else "")[:500]))
        return keep


# --- the run page: conflicts and their resolution ------------------------------------------------------------------


def conflict_list(*, user, run: Run):
    """The conflicts of a run `user` may see (those who may view the exchange), in the order they arose:
    only of records they may see, since a conflict shows the CRM's value (M1)."""
    from .selectors import run_items

    if not allows(user, "view", "exchange"):
        return RunItem.objects.none()
    return run_items(user=user, run=run, qs=run.items.filter(outcome=CONFLICT)).select_related(
        "resolved_by").order_by("id")


def _value_for(model: type[models.Model], name: str, value):
    """A journal-form value (text for decimals and ids) back to what the model's field holds: (attname, value)."""
    f = model._meta.get_field(name)
    if f.is_relation:
        target = f.target_field
        return f.attname, (target.to_python(value) if value is not None else None)
    return f.attname, f.to_python(value) if value is not None else (None if f.null else f.get_default())


@transaction.atomic
def conflict_resolve(*, user, item: RunItem, choice: str) -> RunItem:
    """Settle a conflict left for someone to decide: take accounting's value or keep the CRM's.

    Whoever may view the exchange (administrators, accountants) may settle it. Accounting's value is
    written through record_update, journaled with no exchange node (a local change), under the
    request id "conflict-<item id>" that ties the journal entry to this item; who chose and when is kept
    on the item. Only an open question may be settled, and only while the record still holds the CRM
    value it was asked about.
    """
    if not allows(user, "view", "exchange"):
        raise PermissionDenied(_("You may not settle exchange conflicts."), code="access.denied")
    item = RunItem.objects.select_for_update().get(pk=item.pk)
    if item.outcome != CONFLICT or item.resolution or not item.changes:
        raise ApplicationError(_("This conflict is already settled."), code="exchange.conflict.settled")
    if choice not in (ACCOUNTING, CRM):
        raise ApplicationError(_("Choose accounting's value or the CRM's."), code="exchange.conflict.choice")
    model = apps.get_model(item.object_type)
    obj = model._default_manager.select_for_update().filter(pk=item.object_id).first()
    if obj is None:
        raise ApplicationError(_("The record no longer exists."), code="exchange.conflict.gone")
    # The write below is the exchange's (user=None), so the settler's sight of the record is checked here:
    # nobody settles, or learns through the error messages, the values of a record they do not see.
    if user is not None and not can(user, "view", obj):
        raise PermissionDenied(_("You may not settle exchange conflicts."), code="access.denied")
    now = snapshot(obj)
    data = {}
    for name, (crm, accounting) in item.changes.items():
        if now.get(name) != crm:
            raise ApplicationError(
                _("%(field)s changed since the conflict was recorded (now “%(now)s”); settle it on the record.")
                % {"field": name, "now": now.get(name)}, code="exchange.conflict.stale")
        attname, value = _value_for(model, name, accounting)
        data[attname] = value
    if choice == ACCOUNTING:
        with change_context(node="", request_id=f"conflict-{item.pk}"):
            # The exchange's right, not the catalog's: an accountant settles it for the exchange (user=None
            # skips the record's own access check); who did it is on the item.
            if item.object_type == "sales.invoice" and set(item.changes) == {"status"}:
                # A status is a transition the sales services rule on (a paid invoice is not cancelled
                # before its payment is taken back): through them, never written over.
                from .importers.documents import invoice_status_apply

                node = item.run.node
                invoice_status_apply(invoice=obj, status=item.changes["status"][1], node_code=node.code if node else "")
            else:
                record_update(obj, user=None, data=data)
    item.resolution, item.resolved_at, item.resolved_by = choice, timezone.now(), user
    item.save(update_fields=["resolution", "resolved_at", "resolved_by"])
    return item


@dataclass
class ConflictRow:
    """A conflict as the run page shows it: the field's label and both values in words."""

    item: RunItem
    field: str
    label: str
    crm: Any
    accounting: Any
    waiting: bool
    superseded: bool
    policy: str = ""        # the policy's name ("Ask", "Newer wins" ...)
    record: str = ""        # the record's name, when it still exists


def conflict_rows(items) -> list[ConflictRow]:
    """The run page's view of conflict items: values of relations (a group, a unit) by their names."""
    items = list(items)
    wanted: dict[type, set] = {}
    meta_of: dict[str, Any] = {}
    for item in items:
        try:
            meta_of[item.object_type] = apps.get_model(item.object_type)._meta
        except (LookupError, ValueError):
            continue
        for name, pair in (item.changes or {}).items():
            f = _field(meta_of[item.object_type], name)
            if f is not None and f.is_relation and f.related_model is not None:
                wanted.setdefault(f.related_model, set()).update(v for v in pair if v)
    names: dict[tuple, str] = {}
    records: dict[tuple, str] = {}
    by_type: dict[str, set] = {}
    for item in items:
        if item.object_type in meta_of and item.object_id:
            by_type.setdefault(item.object_type, set()).add(item.object_id)
    for object_type, pks in by_type.items():
        model = apps.get_model(object_type)
        records.update({(object_type, o.pk): str(o) for o in model._default_manager.filter(pk__in=pks)})
    policies = dict(ConflictPolicy.choices)
    for model, pks in wanted.items():
        valid = [pk for pk in pks if _pk_ok(model, pk)]
        names.update({(model, str(o.pk)): str(o) for o in model._default_manager.filter(pk__in=valid)})
    rows = []
    for item in items:
        meta = meta_of.get(item.object_type)
        for name, pair in (item.changes or {}).items():
            f = _field(meta, name) if meta else None
            crm, accounting = (pair + [None, None])[:2] if isinstance(pair, list) else (None, None)
            if f is not None and f.is_relation and f.related_model is not None:
                crm = names.get((f.related_model, str(crm)), crm)
                accounting = names.get((f.related_model, str(accounting)), accounting)
            elif f is not None and f.choices:
                # A status reads "Paid" / "Cancelled", not its stored code.
                labels = {str(k): v for k, v in f.flatchoices}
                crm, accounting = labels.get(str(crm), crm), labels.get(str(accounting), accounting)
            rows.append(ConflictRow(item=item, field=name, label=str(f.verbose_name) if f is not None else name,
                                    crm=crm, accounting=accounting, waiting=not item.resolution,
                                    superseded=item.resolution == SUPERSEDED,
                                    policy=str(policies.get(item.code.rsplit(".", 1)[-1], "")),
                                    record=records.get((item.object_type, item.object_id), "")))
    return rows


def _field(meta, name: str):
    try:
        return meta.get_field(name)
    except FieldDoesNotExist:   # a field removed since the run is shown by its name
        return None


def _pk_ok(model: type[models.Model], value) -> bool:
    try:
        model._meta.pk.to_python(value)
    except (ValidationError, ValueError, TypeError):   # a value that cannot be a key names nothing
        return False
    return True
