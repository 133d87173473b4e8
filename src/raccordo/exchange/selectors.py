"""Read queries of the exchange: nodes, runs and their errors, through the access policy."""

from __future__ import annotations

from django.db.models import QuerySet

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound

from .models import ExchangeNode, Run, RunItem


def _scope(qs: QuerySet, user) -> QuerySet:
    # user=None is the system itself (command line run by the operator of the machine).
    return qs if user is None else visible(qs, user)


def run_list(*, user, node: ExchangeNode | None = None) -> QuerySet[Run]:
    """Runs `user` may see, newest first."""
    qs = _scope(Run.objects.select_related("node"), user)
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


def run_outcomes(*, run: Run) -> QuerySet[RunItem]:
    """The records of a run other than failures worth listing: duplicates, and what a dry run would write."""
    return run.items.exclude(outcome="failed").order_by("id")


def run_errors(*, run: Run) -> QuerySet[RunItem]:
    """The failed records of a run, in the order they happened."""
    return run.items.filter(outcome="failed").order_by("id")


def node_list(*, user) -> QuerySet[ExchangeNode]:
    """Exchange nodes `user` may see."""
    return _scope(ExchangeNode.objects.all(), user)
