"""Merging two counterparties (administrators): pick the duplicate, see what moves, confirm."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from raccordo.access.policy import can_merge
from raccordo.core.errors import ApplicationError
from raccordo.core.ids import parse_uuid
from raccordo.core.inputs import search_term
from raccordo.parties.duplicates import tax_id_matches
from raccordo.parties.merge import FILLED_FIELDS, counterparty_merge, kind_name, merge_preview
from raccordo.parties.models import Counterparty
from raccordo.parties.selectors import counterparty_get, counterparty_list

from .base import get_or_404

# The fields shown side by side.
SHOWN_FIELDS = tuple(dict.fromkeys(("name", "full_name", "inn", "kpp", "kind", "responsible", "is_vip", "is_active",
                                    *FILLED_FIELDS)))


def _candidates(user, survivor: Counterparty, q: str) -> list[Counterparty]:
    """Who to merge into `survivor`: the records with its INN (+KPP) first, then those the search finds."""
    found = [m.counterparty for m in tax_id_matches(user=user, inn=survivor.inn, kpp=survivor.kpp,
                                                      exclude=survivor)]
    if q:
        found += list(counterparty_list(user=user, search=q).exclude(pk=survivor.pk)
                      .exclude(pk__in=[cp.pk for cp in found])[:20])
    return found


def _field_name(name: str) -> str:
    return str(getattr(Counterparty._meta.get_field(name), "verbose_name", name))


def _shown(cp: Counterparty, name: str) -> str:
    display = getattr(cp, f"get_{name}_display", None)
    value = display() if display else getattr(cp, name)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return "" if value is None else str(value)


def _side_by_side(survivor: Counterparty, duplicate: Counterparty) -> list[tuple[str, str, str]]:
    return [(_field_name(name), _shown(survivor, name), _shown(duplicate, name)) for name in SHOWN_FIELDS]


@login_required
def counterparty_merge_view(request, pk):
    """The card's "Merge a duplicate into this one": `pk` is the record that stays."""
    survivor = get_or_404(counterparty_get, user=request.user, pk=pk)
    if not can_merge(request.user):
        raise PermissionDenied
    duplicate_id = parse_uuid(request.POST.get("duplicate") or request.GET.get("duplicate") or "")
    duplicate = None
    if duplicate_id and duplicate_id != survivor.pk:
        duplicate = counterparty_list(user=request.user).filter(pk=duplicate_id).first()
    if request.method == "POST" and duplicate is not None:
        try:
            plan = counterparty_merge(user=request.user, survivor=survivor, duplicate=duplicate)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("“%(name)s” was merged into this counterparty: %(count)s records moved.") % {
                "name": duplicate.name, "count": plan.total})
            return redirect("web:counterparty_detail", pk=survivor.pk)
    q = search_term(request.GET.get("q", ""))
    context: dict = {"object": survivor, "q": q, "duplicate": duplicate,
                     "candidates": [] if duplicate else _candidates(request.user, survivor, q)}
    if duplicate is not None:
        plan = merge_preview(survivor=survivor, duplicate=duplicate)
        context.update(plan=plan, moves=sorted((kind_name(k), n) for k, n in plan.moves.items()),
                       fills=[_field_name(n) for n in plan.fills],
                       fields=_side_by_side(survivor, duplicate))
    return render(request, "web/counterparties/merge.html", context)
