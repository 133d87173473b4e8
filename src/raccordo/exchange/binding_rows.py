"""Bindings as plain rows: what an upsert needs of an existing binding, and new ones inserted with executemany.

An import touches a binding per record; most only show that the record is unchanged. Reading them as
`BoundRow`s and writing them as plain rows (core.rows) spares a model instance per binding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from raccordo.core.rows import RowWriter

from .models import Binding, ExchangeNode

BINDING_STATE = ["content_hash", "scope", "peer_deleted"]


class BoundRow:
    """What an upsert needs of an existing binding (see BindingUpsert.bindings with rows=True)."""

    __slots__ = ("pk", "object_id", "content_hash", "scope", "peer_deleted")

    def __init__(self, pk: int, object_id: Any, content_hash: str, scope: str = "", peer_deleted: bool = False):
        self.pk, self.object_id, self.content_hash = pk, object_id, content_hash
        self.scope, self.peer_deleted = scope, peer_deleted


class NewBinding:
    """A binding to insert (see write_bindings): the fields of a Binding, without a model instance."""

    __slots__ = ("node_id", "object_type", "external_id", "object_id", "content_hash", "scope", "peer_deleted")

    def __init__(self, *, node: ExchangeNode, object_type: str, external_id: str, object_id: Any, content_hash: str,
                 scope: str | None = None, deleted: bool | None = None):
        self.node_id = node.pk
        self.object_type = object_type
        self.external_id = external_id
        self.object_id = object_id
        self.content_hash = content_hash
        self.scope = scope or ""
        self.peer_deleted = bool(deleted)


def write_bindings(bindings: Sequence[Binding | NewBinding]) -> None:
    """Insert new bindings as plain rows (see core.rows.RowWriter); the id is the database's."""
    now = timezone.now()
    RowWriter(Binding, [f.attname for f in Binding._meta.concrete_fields if f.attname != "id"]).insert(
        [{"node_id": b.node_id, "object_type": b.object_type, "external_id": b.external_id,
          "object_id": b.object_id, "content_hash": b.content_hash, "scope": b.scope, "peer_deleted": b.peer_deleted,
          "updated_at": now} for b in bindings])


def update_bindings(attnames: list[str], rows: list[tuple]) -> None:
    """Change these columns of existing bindings; rows: (pk, value for each of attnames)."""
    RowWriter(Binding).update(attnames, rows)


def bindings_merge(sender, *, survivor, duplicate, dry_run: bool, **kwargs) -> dict[str, int]:
    """`parties.merge.counterparty_merged`: the duplicate's bindings to the peers' records now name the survivor.

    A node binds one of our records to one of its own at most (binding_unique_object), so where the survivor
    is bound to the same node already, its binding stays and the duplicate's is dropped: the peer's second
    record is then found again by the mapping's matching keys (INN+KPP) the next time it comes, and bound to
    the survivor if the mapping allows it. Returns {"exchange.binding": bindings moved or dropped}.
    """
    object_type = sender._meta.label_lower
    theirs = Binding.objects.filter(object_type=object_type, object_id=duplicate.pk)
    taken = Binding.objects.filter(object_type=object_type, object_id=survivor.pk).values("node_id")
    if dry_run:
        count = theirs.count()
    else:
        theirs.filter(node_id__in=taken).delete()
        count = theirs.update(object_id=survivor.pk, updated_at=timezone.now())
    return {Binding._meta.label_lower: count} if count else {}
