"""This node's bindings of 1C's GUIDs, looked up a chunk of the message at a time.

Reading one object used to ask the database for each binding it needed, some twice (a counterparty's own,
then again to find it; a sale's, then again for its shipment): about a third of the read's queries.
:class:`NodeBindings` loads the bindings of every GUID a chunk of objects names in one query (`preload`), then
answers from memory, and keeps what it holds right as bindings are written (`bind`, `mark_peer_deleted`).
A GUID outside the preloaded chunk is looked up in the database, as before. When an object's savepoint
rolls back, what it wrote here may be gone from the database: the importer calls `forget`, and the rest of
the chunk is looked up in the database again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import etree

from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.models import Binding, ExchangeNode

DELETIONS_CHUNK = 500


class NodeBindings:
    """One node's bindings by (object type, 1C's GUID), with the GUIDs of the current chunk preloaded."""

    def __init__(self, node: ExchangeNode):
        self.node = node
        self._refs: set[str] = set()                        # GUIDs whose bindings (of every type) are held
        self._held: dict[tuple[str, str], Binding] = {}     # (object type, GUID) -> binding, for those GUIDs

    def preload(self, refs: Iterable[str]) -> None:
        """Hold the bindings (of any object type) of these GUIDs, in place of what was held before."""
        self._refs = {ref for ref in refs if ref}
        self._held = {}
        for binding in Binding.objects.filter(node=self.node, external_id__in=list(self._refs)):
            self._held[(binding.object_type, binding.external_id)] = binding

    def forget(self) -> None:
        """Hold nothing: the next look-ups go to the database."""
        self._refs, self._held = set(), {}

    def get(self, object_type: str, ref: str) -> Binding | None:
        """The binding of ``ref`` for ``object_type``; None when there is none (or no ref)."""
        if not ref:
            return None
        if ref in self._refs:
            return self._held.get((object_type, ref))
        return Binding.objects.filter(node=self.node, object_type=object_type, external_id=ref).first()

    def bind(self, object_type: str, ref: str, obj, digest: str, *, deleted: bool = False) -> None:
        """Bind ``obj`` to ``ref`` (one GUID per object) with the content hash of what 1C sent."""
        if not ref:
            return
        dropped, _ = Binding.objects.filter(node=self.node, object_type=object_type, object_id=obj.pk).exclude(
            external_id=ref).delete()
        if dropped:
            self._held = {key: b for key, b in self._held.items()
                          if not (b.object_type == object_type and b.object_id == obj.pk and b.external_id != ref)}
        key = (object_type, ref)
        if ref not in self._refs:
            Binding.objects.update_or_create(node=self.node, object_type=object_type, external_id=ref,
                                             defaults={"object_id": obj.pk, "content_hash": digest,
                                                       "peer_deleted": deleted})
            return
        # Held: whether it exists is known, so it is written in one query (no look-up, no savepoint).
        binding = self._held.get(key)
        if binding is None:
            binding = Binding.objects.create(node=self.node, object_type=object_type, external_id=ref,
                                             object_id=obj.pk, content_hash=digest, peer_deleted=deleted)
        else:
            binding.object_id, binding.content_hash, binding.peer_deleted = obj.pk, digest, deleted
            binding.save(update_fields=["object_id", "content_hash", "peer_deleted", "updated_at"])
        self._held[key] = binding

    def mark_peer_deleted(self, binding: Binding) -> None:
        """1C deleted the object bound: its binding says so, and forgets the hash (a re-sent object is written)."""
        Binding.objects.filter(pk=binding.pk).update(peer_deleted=True, content_hash="")
        binding.peer_deleted, binding.content_hash = True, ""


def known_deletions(node: ExchangeNode, object_type: str, ids: Iterable, ref_type: str,
                    version: str) -> Iterator[etree._Element]:
    """The deletion elements (УдалениеОбъекта of ``ref_type``) of the records ``ids`` that 1C knows, i.e. that
    are bound for the node: SSL sends a deletion only with a public id. Looked up 500 ids at a time."""
    ids = list(ids)
    for start in range(0, len(ids), DELETIONS_CHUNK):
        part = ids[start:start + DELETIONS_CHUNK]
        known = dict(Binding.objects.filter(node=node, object_type=object_type, object_id__in=part)
                     .values_list("object_id", "external_id"))
        for object_id in part:
            if known.get(object_id):
                yield fmt.deletion_element(ref_type, known[object_id], version)
