"""The tally of one HR document: what was created, changed, skipped, and what Raccordo did not recognise."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger("raccordo.staff")


@dataclass
class Outcome:
    """Counters as an exchange run keeps them, warnings for the ConfirmBOD, and the unknown values logged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    deactivated: int = 0
    failed: int = 0
    warnings: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def count(self, created: bool, changed: bool = True) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def skip(self, message: str) -> None:
        self.skipped += 1
        self.warnings.append(message)

    def note_unknown(self, value: str) -> None:
        """A value Raccordo has no meaning for: kept once per document and written to the log."""
        if value not in self.unknown:
            self.unknown.append(value)
            log.warning("HR exchange: unknown value %s", value)

    def counters(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "skipped": self.skipped, "deactivated": self.deactivated, "failed": self.failed}
