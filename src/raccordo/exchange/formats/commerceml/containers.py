"""What the reader keeps about the open container and the open groups, and the records they become.

A container (Классификатор, Каталог, ПакетПредложений, a run of Документ) becomes one
:class:`PackageInfo`, which goes out before the first record of the container. The definitions a
PackageInfo lists (price types, warehouses, units) are held back until then (:meth:`OpenContainer.hold`).
A Группа becomes a :class:`Group` when its own fields are read: at its nested Группы or at its end.
"""

from __future__ import annotations

from .elements import parse_bool
from .records import ErrorRec, Group, PackageInfo, PriceTypeRec, Record, UnitRec, WarehouseRec

MAX_PENDING = 10_000  # definitions (price types, warehouses, units) held back until the PackageInfo

# Top-level element -> PackageInfo.kind.
CONTAINER_KINDS = {
    "Классификатор": "classifier",
    "Каталог": "catalog",
    "ПакетПредложений": "offers",
    "ИзмененияПакетаПредложений": "offers",
    "Документ": "documents",
    "Контейнер": "documents",
}
# A container's own fields (its children) that go into its PackageInfo.
HEADER_FIELDS = ("Ид", "Наименование", "ИдКлассификатора", "ИдКаталога", "СодержитТолькоИзменения")


class OpenContainer:
    """The container being read: where it started, its header fields and the definitions held back."""

    __slots__ = (
        "kind",
        "name",
        "depth",
        "line",
        "path",
        "only_changes",
        "header",
        "price_types",
        "warehouses",
        "emitted",
        "pending",
    )

    def __init__(self, kind: str, name: str, depth: int, line: int | None, path: str, only_changes: bool):
        self.kind = kind
        self.name = name
        self.depth = depth
        self.line = line
        self.path = path
        self.only_changes = only_changes
        self.header: dict[str, str] = {}
        self.price_types: list[PriceTypeRec] = []
        self.warehouses: list[WarehouseRec] = []
        self.emitted = False
        self.pending: list[Record] = []

    def hold(self, rec: Record) -> bool:
        """Keep a definition back until the PackageInfo (which lists price types and warehouses) has gone
        out; False when ``rec`` must go out now."""
        if (
            not isinstance(rec, (PriceTypeRec, WarehouseRec, UnitRec))
            or self.emitted
            or len(self.pending) >= MAX_PENDING
        ):
            return False
        if isinstance(rec, PriceTypeRec):
            self.price_types.append(rec)
        elif isinstance(rec, WarehouseRec):
            self.warehouses.append(rec)
        self.pending.append(rec)
        return True

    def package_info(self, version: str | None, generated_at: str | None, namespace: str | None) -> PackageInfo:
        """The container as a PackageInfo; ``version`` etc. come from the root element."""
        h = self.header
        kind = self.kind
        only = self.only_changes or bool(parse_bool(h.get("СодержитТолькоИзменения")))
        classifier_id = h.get("ИдКлассификатора") or (h.get("Ид") if kind == "classifier" else None)
        catalog_id = h.get("ИдКаталога") or (h.get("Ид") if kind == "catalog" else None)
        return PackageInfo(
            kind=kind,
            only_changes=only,
            version=version,
            generated_at=generated_at,
            id=h.get("Ид") if kind != "documents" else None,
            name=h.get("Наименование") if kind != "documents" else None,
            classifier_id=classifier_id,
            catalog_id=catalog_id,
            price_types=tuple(self.price_types),
            warehouses=tuple(self.warehouses),
            namespace=namespace,
            line=self.line,
            path=self.path,
        )


class OpenGroup:
    """A Группа being read (groups nest): its fields as they end, and whether it has gone out."""

    __slots__ = ("depth", "line", "path", "parent_id", "id", "name", "deleted", "emitted")

    def __init__(self, depth: int, line: int | None, path: str, parent_id: str | None):
        self.depth = depth
        self.line = line
        self.path = path
        self.parent_id = parent_id
        self.id: str | None = None
        self.name: str | None = None
        self.deleted = False
        self.emitted = False

    def record(self) -> Group | ErrorRec:
        """The group as a Group record, or an ErrorRec when it has no Ид."""
        if not self.id:
            return ErrorRec("exchange.cml.missing_id", "group without Ид", self.line, self.path, None, "Группа")
        return Group(id=self.id, name=self.name, parent_id=self.parent_id, deleted=self.deleted,
                     line=self.line, path=self.path)
