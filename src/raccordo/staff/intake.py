"""One HR document in: its records stored in dependency order, one exchange run reporting the outcome."""

from __future__ import annotations

from django.utils import timezone

from raccordo.core.context import change_context
from raccordo.core.models import Origin
from raccordo.exchange.models import Run, RunStatus

from . import absences, services
from .outcome import Outcome
from .records import IMPORTS, Batch


def _wanted(node) -> set[str]:
    chosen = set(getattr(node, "object_types", None) or [])
    return chosen & set(IMPORTS) or set(IMPORTS)


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
                store(record, outcome)
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
