"""One HR document in: its records stored in dependency order, one exchange run reporting the outcome."""

from __future__ import annotations

from django.utils import timezone

from raccordo.core.context import change_context
from raccordo.core.models import Origin
from raccordo.exchange.models import Run, RunStatus

from . import absences, services
from .outcome import Outcome
from .records import Batch


def batch_apply(batch: Batch, *, node=None, label: str = "") -> tuple[Outcome, Run]:
    """Store everything in `batch` (departments, people, heads, movements, absences, vacancies) and report it.

    Order matters across records the way it does across Bitrix's requests: units before the people in them,
    people before their absences. Each record is its own transaction, so one bad record costs only itself.
    """
    outcome = Outcome()
    for value in batch.unknown:
        outcome.note_unknown(value)
    run = Run.objects.create(node=node, kind="hr-import", files=[label] if label else [])
    with change_context(origin=Origin.EXCHANGE, node=getattr(node, "code", None), request_id=f"run-{run.pk}"):
        for unit in batch.units:
            services.unit_sync(unit, outcome)
        for person in batch.persons:
            services.person_sync(person, outcome)
        services.heads_sync(batch.units, outcome)
        for movement in batch.movements:
            absences.movement_sync(movement, outcome)
        for absence in batch.absences:
            absences.absence_sync(absence, outcome)
        for vacancy in batch.vacancies:
            absences.vacancy_sync(vacancy, outcome)
    for field, value in outcome.counters().items():
        setattr(run, field, value)
    run.status = RunStatus.PARTIAL if outcome.skipped else RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.message = "\n".join([", ".join(dict.fromkeys(batch.nouns))] + outcome.warnings
                            + [f"unknown: {u}" for u in outcome.unknown])[:5000]
    run.save()
    return outcome, run
