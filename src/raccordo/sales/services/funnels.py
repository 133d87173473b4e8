"""Funnels and their stages, as administrators set them up on the settings pages."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.records import record_create, record_update
from raccordo.core.errors import ApplicationError

from ..models import Deal, Funnel, Stage

FUNNEL_FIELDS = ("name", "order", "is_default")
STAGE_FIELDS = ("funnel", "name", "order", "kind", "probability")


def _single_default(*, user, funnel: Funnel) -> None:
    """One default funnel: marking one unmarks the others (each change journaled)."""
    if funnel.is_default:
        for other in Funnel.objects.filter(is_default=True).exclude(pk=funnel.pk):
            record_update(other, user=user, data={"is_default": False}, fields=("is_default",))


@transaction.atomic
def funnel_create(*, user, data: dict[str, Any]) -> Funnel:
    """A new funnel (shared reference data: roles with `add` on reference, administrators)."""
    funnel = record_create(Funnel, user=user, data=data, fields=FUNNEL_FIELDS)
    _single_default(user=user, funnel=funnel)
    return funnel


@transaction.atomic
def funnel_update(*, user, funnel: Funnel, data: dict[str, Any]) -> Funnel:
    """Rename, reorder or mark a funnel as the one new deals go to."""
    funnel = record_update(funnel, user=user, data=data, fields=FUNNEL_FIELDS)
    _single_default(user=user, funnel=funnel)
    return funnel


def stage_create(*, user, data: dict[str, Any]) -> Stage:
    """A new stage of a funnel; `kind` says whether a deal there is open, won or lost."""
    return record_create(Stage, user=user, data=data, fields=STAGE_FIELDS)


@transaction.atomic
def stage_update(*, user, stage: Stage, data: dict[str, Any]) -> Stage:
    """Rename or reorder a stage, or change its kind while no deal stands on it.

    A stage's kind decides whether its deals are open, won or lost (and when they closed): changing it
    under deals would close or reopen them without a move, so it is refused then. A stage does not move
    to another funnel for the same reason.
    """
    deals_on_it = Deal.objects.filter(stage=stage).exists()
    if deals_on_it and "kind" in data and data["kind"] != stage.kind:
        raise ApplicationError(_("Deals stand on this stage: move them to another stage before changing its kind."),
                               code="sales.stage.kind_locked")
    if "funnel" in data and getattr(data["funnel"], "pk", data["funnel"]) != stage.funnel_id and deals_on_it:
        raise ApplicationError(_("Deals stand on this stage: it stays in its funnel."),
                               code="sales.stage.funnel_locked")
    return record_update(stage, user=user, data=data, fields=STAGE_FIELDS)
