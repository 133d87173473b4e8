"""The buyer of an order document: found by binding or by the mapping's keys, updated, or created.

Counterparties named in documents are taken as the node's counterparty mapping says: its filter (the
managers whose counterparties it takes), its matching keys, whether it may create, which fields the
CRM owns, and its conflict policy.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.models import User
from raccordo.core.errors import ApplicationError
from raccordo.core.journal import diff, snapshot
from raccordo.parties.models import AddressKind, Counterparty, CounterpartyKind
from raccordo.parties.services import (
    address_add,
    counterparty_create,
    counterparty_update,
    email_add,
    phone_add,
)

from ..conflicts import MergeRules
from ..engine import RunRecorder, Source, content_hash, validation_message
from ..formats.commerceml import records as cml
from ..mappings import ADDRESS, CONTACTS, OBJECT_TYPES, MappingPlan
from ..models import Binding, ExchangeNode, RunItem

COUNTERPARTY = "parties.counterparty"
_RELATED = {name for name, kind in OBJECT_TYPES[COUNTERPARTY]["targets"].items() if kind in (ADDRESS, CONTACTS)}


class DocumentSkipped(Exception):
    """A document the node's mappings do not take (its counterparty is outside the filter, or would have to
    be created by an update-only mapping); `reason` is kept as a "skipped" RunItem when given."""

    def __init__(self, reason: str = ""):
        super().__init__(reason)
        self.reason = reason


class Buyers:
    """DocumentImporter's part that finds, updates or creates the counterparty a document is for."""

    # Set by DocumentImporter.__init__ (and _source_now by its feed()).
    node: ExchangeNode
    recorder: RunRecorder
    cp_plan: MappingPlan
    cp_rules: MergeRules
    _source_now: Source

    def _counterparty(self, doc: cml.DocumentRec) -> Counterparty:
        """The buyer of a document: by binding, then by the mapping's matching keys (INN+KPP by default), then
        created (unless the mapping only updates). A bound or matched one takes accounting's changes of the
        fields accounting owns, conflicts settled by the mapping's policy; the filter may leave it out."""
        buyers = [c for c in doc.counterparties if (c.role or "").lower() in ("покупатель", "buyer", "")] \
            or list(doc.counterparties)
        if not buyers:
            raise ApplicationError(_("the document names no counterparty"), code="exchange.document.no_counterparty")
        cp = buyers[0]
        plan = self.cp_plan
        fields = plan.remap({
            "name": (cp.name or "").strip(), "full_name": (cp.full_name or "").strip(),
            "inn": (cp.inn or "").strip(), "kpp": (cp.kpp or "").strip(), "okpo": (cp.okpo or "").strip(),
            "last_name": (cp.last_name or "").strip(), "first_name": (cp.first_name or "").strip(),
            "middle_name": (cp.middle_name or "").strip(), "address": (cp.address or "").strip(),
            "contacts": [list(c) for c in cp.contacts], "deleted": not cp.deleted})
        own = {k: _fit(k, v) for k, v in fields.items() if k not in _RELATED}
        digest = content_hash(fields)
        binding = Binding.objects.filter(node=self.node, object_type=COUNTERPARTY, external_id=cp.id).first() \
            if cp.id else None
        found = Counterparty.objects.filter(pk=binding.object_id).first() if binding is not None else None
        bound = found is not None
        if found is None:
            found = self._match(own)
        if found is not None:
            self._take(found.responsible_id)
            if not bound or binding.content_hash != digest:  # type: ignore[union-attr]  # bound: the binding is there
                found = self._update(found, own, cp.id or "", bound=bound)
        else:
            if not plan.allow_create:
                keys = ", ".join(f"{k} “{own.get(k) or ''}”" for k in plan.match_keys)
                raise DocumentSkipped(_("Its counterparty %(name)s is bound to nothing and no counterparty has "
                                        "the same %(keys)s; the mapping only updates counterparties.") % {
                    "name": cp.name or cp.id or "", "keys": keys})
            responsible = self._responsible()
            self._take(responsible.pk if responsible else None)
            found = self._create_counterparty(cp, own, fields, responsible)
        if cp.id:
            if binding is None:
                Binding.objects.update_or_create(node=self.node, object_type=COUNTERPARTY, external_id=cp.id,
                                                 defaults={"object_id": found.pk, "content_hash": digest})
            elif binding.content_hash != digest or binding.object_id != found.pk:
                binding.content_hash, binding.object_id = digest, found.pk
                binding.save(update_fields=["content_hash", "object_id", "updated_at"])
        return found

    def _take(self, responsible_id) -> None:
        """The mapping's filter: only counterparties of the chosen managers (new ones: of their responsible)."""
        managers = self.cp_plan.filter_values
        if managers and str(responsible_id) not in {str(m) for m in managers}:
            raise DocumentSkipped()

    def _responsible(self):
        pk = self.cp_plan.responsible_id   # the mapping's, else the node's default
        return User.objects.filter(pk=pk, is_active=True).first() if pk else None

    def _match(self, own: dict[str, Any]) -> Counterparty | None:
        """The one counterparty with the mapping's keys; keys after the first may be empty (a person has no
        KPP), the first may not."""
        keys = self.cp_plan.match_keys
        if not keys or not own.get(keys[0]):
            return None
        lookup = {k: own[k] for k in keys if own.get(k) not in (None, "")}
        matches = list(Counterparty.objects.filter(**lookup)[:2])
        return matches[0] if len(matches) == 1 else None

    def _update(self, counterparty: Counterparty, own: dict[str, Any], external_id: str, *, bound: bool):
        """Accounting's changes of the fields it owns, through the service; a field changed on both sides
        since it was last received is a conflict for the mapping's policy."""
        data = {k: v for k, v in own.items() if k not in self.cp_rules.crm_owned}
        if not (own.get("name") or "").strip():
            data.pop("name", None)   # a document without a name does not blank ours
        probe = copy.copy(counterparty)
        before = snapshot(counterparty)
        for key, value in data.items():
            setattr(probe, key, value)
        after = snapshot(probe)
        changes = diff(before, after)
        if changes and bound:
            history = self.cp_rules.histories(Counterparty, [counterparty.pk]).get(counterparty.pk)
            decided = self.cp_rules.decide(history=history, before=before, after=after, changes=changes)
            keep = self.cp_rules.record(self.recorder, conflicts=decided, external_id=external_id,
                                        object_id=counterparty.pk, source=self._source_now) if decided else set()
            changes = {k: v for k, v in changes.items() if k not in keep}
        if not changes:
            return counterparty
        try:
            with transaction.atomic():
                return counterparty_update(user=None, counterparty=counterparty, data={k: data[k] for k in changes})
        except ValidationError as exc:
            # Accounting's version of the buyer does not validate here: the order still comes in, with ours.
            source = self._source_now
            self.recorder.add(RunItem(outcome="skipped", object_type=COUNTERPARTY, external_id=external_id[:255],
                                      object_id=counterparty.pk, code="exchange.record.invalid",
                                      message=validation_message(exc), file=source.file[:255], line=source.line,
                                      path=(source.path or "")[:500]))
            counterparty.refresh_from_db()
            return counterparty

    def _create_counterparty(self, cp: cml.Counterparty, own: dict[str, Any], fields: dict[str, Any],
                             responsible) -> Counterparty:
        # Bitrix writes a site user as "<id>#<login>#<full name>": the last part is the person's name.
        from_id = (cp.id or "").rsplit("#", 1)[-1].strip() if "#" in (cp.id or "") else ""
        name = (own.get("name") or cp.name or cp.full_name or " ".join(p for p in (cp.last_name, cp.first_name) if p)
                or from_id or cp.id or "")
        inn = (cp.inn or "").strip()
        kind = CounterpartyKind.LEGAL if len(inn) != 12 else CounterpartyKind.SOLE_TRADER
        if not inn and not cp.kpp and (cp.first_name or cp.last_name):
            kind = CounterpartyKind.INDIVIDUAL
        counterparty = counterparty_create(user=None, data={**own, "name": name[:255], "kind": kind,
                                                            "responsible": responsible})
        if fields.get("addresses"):
            self._related(lambda: address_add(user=None, counterparty=counterparty, data={
                "kind": AddressKind.LEGAL, "text": fields["addresses"][:500]}), cp.id or "")
        for kind_text, value in fields.get("contacts") or []:
            value, kind_text = (value or "").strip(), (kind_text or "").lower()
            if not value:
                continue
            if "mail" in kind_text or "почт" in kind_text or "@" in value:
                self._related(lambda v=value: email_add(user=None, counterparty=counterparty, address=v), cp.id or "")
            elif "тел" in kind_text or "phone" in kind_text:
                self._related(lambda v=value: phone_add(user=None, counterparty=counterparty, number=v), cp.id or "")
        return counterparty

    def _related(self, write, external_id: str) -> None:
        """An address, phone or e-mail of a new counterparty: one that does not validate is left out, and
        the run says which (the order itself is not lost for it)."""
        try:
            with transaction.atomic():
                write()
        except (ValidationError, ApplicationError) as exc:
            message = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
            source = self._source_now
            self.recorder.add(RunItem(outcome="skipped", object_type=COUNTERPARTY, external_id=external_id[:255],
                                      code="exchange.record.invalid", message=message, file=source.file[:255],
                                      line=source.line, path=(source.path or "")[:500]))


def _fit(name: str, value):
    """Text cut to the field's length, as accounting's longer names are (a name is not worth an error)."""
    if isinstance(value, str):
        try:
            limit = Counterparty._meta.get_field(name).max_length  # type: ignore[union-attr]  # get_field() of a concrete field, not a reverse relation
        except FieldDoesNotExist:
            return value
        return value[:limit] if limit else value
    return value
