"""Read queries of the exchange: nodes, runs and their errors, through the access policy."""

from __future__ import annotations

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from raccordo.access.policy import allows, is_admin, visible, visible_references
from raccordo.core.errors import NotFound
from raccordo.core.models import ChangeJournal

from .models import ExchangeNode, ExchangeTask, NodeLock, Run, RunItem
from .scheduling import STALE_LOCK, may_run


def _scope(qs: QuerySet, user, action: str = "view") -> QuerySet:
    # user=None is the system itself (command line run by the operator of the machine).
    return qs if user is None else visible(qs, user, action)


def run_list(*, user, node: ExchangeNode | None = None, action: str = "view") -> QuerySet[Run]:
    """Runs `user` may see (or `action`, e.g. export), newest first."""
    qs = _scope(Run.objects.select_related("node"), user, action)
    if node is not None:
        qs = qs.filter(node=node)
    return qs.order_by("-started_at")


def run_get(*, user, pk) -> Run:
    """One run, or NotFound."""
    run = run_list(user=user).filter(pk=pk).first()
    if run is None:
        raise NotFound("Run not found.")
    return run


def run_get_own(*, user, pk) -> Run:
    """A run `user` started themselves (a file they imported), or NotFound."""
    run = Run.objects.select_related("node").filter(pk=pk, user=user).first() if getattr(user, "pk", None) else None
    if run is None:
        raise NotFound("Run not found.")
    return run


# The records rows of a tabular import became.
TABULAR_RECORDS = {"tabular.counterparties": "parties.counterparty", "tabular.contacts": "parties.contactperson",
                   "tabular.products": "catalog.product"}


def item_model(object_type: str):
    """The model of the records a run item's type names ("tabular.contacts", "sales.invoice"), or None
    (a file, a reader's own element): rows of such a type that name a record are for administrators only."""
    label = TABULAR_RECORDS.get(object_type, object_type)
    if label.count(".") != 1:
        return None
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def run_items(*, user, run: Run, qs: QuerySet[RunItem] | None = None) -> QuerySet[RunItem]:
    """The items of `run` (or of `qs`, a part of them) that name no record `user` may not see.

    A run is the exchange's (anyone with "exchange: view" opens it), but what it wrote belongs to clients:
    an item naming a record the reader does not see (a VIP client's contact, another manager's invoice)
    is left out, as everywhere else (report M1). Items that name no record (a file that could not be read,
    a row that failed before it became a record) stay, and so do a dry run's planned new records: they
    exist nowhere but in the file. user=None is the system (command line): every item.
    """
    qs = run.items.all() if qs is None else qs
    if user is None:
        return qs
    types = set(qs.exclude(object_id__isnull=True).order_by().values_list("object_type", flat=True).distinct())
    keep = Q(outcome="created") if run.kind == "dry-run" else None
    return visible_references(qs, user, type_field="object_type", models_by_type={t: item_model(t) for t in types},
                              keep=keep)


def run_journal(*, user, run: Run) -> QuerySet[ChangeJournal]:
    """The change-journal entries `run` wrote, of the records `user` may see (user=None: all), oldest first."""
    qs = ChangeJournal.objects.filter(request_id=f"run-{run.pk}")
    if user is not None:
        types = set(qs.order_by().values_list("content_type_id", flat=True).distinct())
        qs = visible_references(qs, user, type_field="content_type_id",
                                models_by_type={ct: ContentType.objects.get_for_id(ct).model_class() for ct in types})
    return qs.select_related("content_type").order_by("seq")


def run_outcomes(*, run: Run) -> QuerySet[RunItem]:
    """The records of a run other than failures worth listing: duplicates, and what a dry run would write."""
    return run.items.exclude(outcome="failed").order_by("id")


def run_errors(*, run: Run) -> QuerySet[RunItem]:
    """The failed records of a run, in the order they happened."""
    return run.items.filter(outcome="failed").order_by("id")


def node_refused_documents(*, user, node: ExchangeNode, limit: int = 50) -> list[RunItem]:
    """The latest documents the node sent that were refused whole (about invoices outside its scope), newest
    first, for its page: someone sending documents about others' invoices should be seen."""
    runs = run_list(user=user, node=node)
    return list(RunItem.objects.filter(run__in=runs, outcome="refused").select_related("run")
                .order_by("-id")[:limit])


def node_list(*, user) -> QuerySet[ExchangeNode]:
    """Exchange nodes `user` may see."""
    return _scope(ExchangeNode.objects.all(), user)


def task_list_runnable(*, user) -> list[ExchangeTask]:
    """The exchange tasks `user` may start by hand: every task for an administrator; for anyone else the
    active ones whose rights name them (or their role), or that name nobody (see `scheduling.may_run`)."""
    if not allows(user, "run", ExchangeTask):
        return []
    qs = _scope(ExchangeTask.objects.select_related("node").prefetch_related("allowed_users"), user)
    if not is_admin(user):
        qs = qs.filter(is_active=True, node__is_active=True)
    return [task for task in qs.order_by("node__code", "name") if may_run(user, task)]


def busy_nodes() -> list:
    """Ids of the nodes that run a task right now (a lock left by a crashed worker does not count)."""

    return list(NodeLock.objects.filter(acquired_at__gte=timezone.now() - STALE_LOCK).values_list("node_id", flat=True))
