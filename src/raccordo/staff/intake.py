"""One HR document in: its records stored in dependency order, one exchange run reporting the outcome."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.core.context import change_context
from raccordo.core.errors import ApplicationError
from raccordo.core.models import Origin
from raccordo.exchange.models import Run, RunStatus

from . import absences, services
from .outcome import Outcome
from .records import IMPORTS, Batch


def _wanted(node) -> set[str]:
    chosen = set(getattr(node, "object_types", None) or [])
    return chosen & set(IMPORTS) or set(IMPORTS)


def _store(store, record, outcome: Outcome, name: str) -> None:
    """Store one record; one that a rule refuses is reported (what and which id) and the others go on."""
    try:
        store(record, outcome)
    except (ValidationError, ApplicationError, IntegrityError, ValueError) as exc:
        key = getattr(record, "unit_id", "") or getattr(record, "person_id", "") or getattr(record, "external_id", "") \
            or getattr(record, "position_id", "")
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        outcome.failed += 1
        outcome.warnings.append(_("%(what)s %(id)s was not stored: %(reason)s")
                                % {"what": name, "id": key or "-", "reason": message})


def batch_apply(batch: Batch, *, node=None, label: str = "") -> tuple[Outcome, Run]:
    """Store everything in `batch` (departments, people, heads, movements, absences, vacancies) and report it.

    Order matters across records the way it does across Bitrix's requests: units before the people in them,
    people before their absences. Each record is its own transaction, so one bad record costs only itself.
    """
    outcome = Outcome()
    for value in batch.unknown:
        outcome.note_unknown(value)
    run = Run.objects.create(node=node, kind="hr-import", files=[label] if label else [])
    wanted = _wanted(node)
    if "departments" not in wanted:
        for person in batch.persons:
            person.units = []   # an employee's department path would create departments otherwise
    steps = (("departments", batch.units, services.unit_sync), ("employees", batch.persons, services.person_sync),
             ("movements", batch.movements, absences.movement_sync),
             ("absences", batch.absences, absences.absence_sync),
             ("vacancies", batch.vacancies, absences.vacancy_sync))
    with change_context(origin=Origin.EXCHANGE, node=getattr(node, "code", None), request_id=f"run-{run.pk}"):
        for name, records, store in steps:
            if name not in wanted:
                outcome.skipped += len(records)
                continue
            for record in records:
                _store(store, record, outcome, name)
            if name == "employees" and "departments" in wanted:
                services.heads_sync(batch.units, outcome)
    for field, value in outcome.counters().items():
        setattr(run, field, value)
    run.status = RunStatus.PARTIAL if outcome.warnings else RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.message = "\n".join([", ".join(dict.fromkeys(batch.nouns))] + outcome.warnings
                            + [f"unknown: {u}" for u in outcome.unknown])[:5000]
    run.save()
    return outcome, run
