"""A head's work with her team: hand selected clients or deals to another of her people, and the dependent
choices of the deal and task forms (a counterparty's contacts, a counterparty's deals)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from raccordo.access.policy import allows
from raccordo.access.reassign import counterparties_reassign, deals_reassign
from raccordo.core.errors import ApplicationError
from raccordo.core.ids import parse_uuid
from raccordo.parties.selectors import contact_list, counterparty_list
from raccordo.sales.selectors import deal_list

from .. import reference
from ..forms_team import SELECTION_LIMIT, ReassignForm
from .base import error_text, safe_next

SERVICE_ERRORS = (ValidationError, ApplicationError)


def may_hand_over(user, subject: str) -> bool:
    """Whether the lists offer `user` to give their records to someone else: a person who may change them and
    has anyone but themselves to give them to (`policy.assignable_users`: heads, administrators)."""
    return allows(user, "change", subject) and reference.assignable_users(user).exclude(pk=user.pk).exists()


def _selected(request, queryset):
    """The records the list's checkboxes named that the user sees (others are silently not there)."""
    params = request.POST if request.method == "POST" else request.GET
    ids = [pk for pk in (parse_uuid(v) for v in params.getlist("ids")[:SELECTION_LIMIT]) if pk]
    return list(queryset.filter(pk__in=ids))


def _reassign_page(request, *, clients: bool):
    user = request.user
    subject = "counterparties" if clients else "deals"
    # The page is for people who may hand work to someone else: heads and administrators.
    if not may_hand_over(user, subject):
        raise Http404
    base = counterparty_list(user=user) if clients else deal_list(user=user)
    selected = _selected(request, base.select_related("responsible" if clients else "manager"))
    back = safe_next(request, reverse("web:counterparty_list" if clients else "web:deal_list"))
    form = ReassignForm(request.POST or None, user=user, selected=selected, clients=clients,
                        initial={"ids": [str(r.pk) for r in selected]})
    if request.method == "POST" and selected and form.is_valid():
        to_user = form.cleaned_data["to_user"]
        try:
            if clients:
                counts = counterparties_reassign(user=user, counterparties=selected, to_user=to_user,
                                                 with_open_work=form.cleaned_data["with_open_work"])
                text = _("Given to %(person)s: %(counterparties)s counterparties, %(deals)s open deals, "
                         "%(tasks)s open tasks.") % {**counts, "person": to_user}
            else:
                text = _("Given to %(person)s: %(deals)s deals.") % {
                    "person": to_user, "deals": deals_reassign(user=user, deals=selected, to_user=to_user)}
        except SERVICE_ERRORS as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, text)
            return redirect(back)
    return render(request, "web/team/reassign.html", {"form": form, "selected": selected, "clients": clients,
                                                      "back": back})


@login_required
def counterparty_reassign_view(request):
    """Give the counterparties selected on the list to another person of the team (with their open work)."""
    return _reassign_page(request, clients=True)


@login_required
def deal_reassign_view(request):
    """Give the deals selected on the list to another person of the team."""
    return _reassign_page(request, clients=False)


@login_required
def deal_contact_options_view(request):
    """The contact persons of the chosen counterparty, as the deal form's <option>s (htmx)."""
    counterparty = parse_uuid(request.GET.get("counterparty", ""))
    contacts = contact_list(user=request.user).filter(counterparty_id=counterparty) if counterparty else []
    return render(request, "web/team/_options.html", {"options": contacts, "empty": _("No contact person")})


@login_required
def task_deal_options_view(request):
    """The deals of the chosen counterparty, newest first, as the task and invoice forms' <option>s (htmx): the
    same deals those forms accept for that counterparty."""
    counterparty = parse_uuid(request.GET.get("counterparty", ""))
    deals = deal_list(user=request.user)
    deals = deals.filter(counterparty_id=counterparty) if counterparty else deals.none()
    return render(request, "web/team/_options.html", {"options": deals.order_by("-created_at")[:200],
                                                      "empty": "---------"})
