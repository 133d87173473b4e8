"""The administrators' page of staff from HR: dismissed people whose clients wait for a hand-over, employees
HR sent (to activate in the users page), vacancies."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from raccordo.access.policy import assignable_users, may_manage_staff
from raccordo.core.errors import ApplicationError
from raccordo.exchange.models import ExchangeNode, NodeKind

from . import selectors, services
from .records import IMPORTS


def _targets(user):
    return assignable_users(user).filter(is_active=True).order_by("last_name", "first_name", "username")


@login_required
def overview(request):
    """Hand-overs waiting, employees from HR, vacancies."""
    if not may_manage_staff(request.user):
        raise Http404
    labels = {"departments": _("Departments"), "employees": _("Employees"), "movements": _("Staff movements"),
              "absences": _("Absences"), "vacancies": _("Vacancies")}
    nodes = [{"node": node, "imports": [(name, labels[name], name in (node.object_types or IMPORTS))
                                        for name in IMPORTS]}
             for node in ExchangeNode.objects.filter(kind=NodeKind.ZUP_HR).order_by("code")]
    return render(request, "staff/overview.html", {
        "nodes": nodes, "handovers": selectors.handovers_pending(request.user), "targets": _targets(request.user),
        "employees": selectors.employees(request.user)[:200], "vacancies": selectors.vacancies(request.user)})


@login_required
@require_POST
def handover(request, pk):
    """Give a dismissed employee's clients, open deals and open tasks to the colleague chosen."""
    if not may_manage_staff(request.user):
        raise Http404
    employee = get_object_or_404(selectors.handovers_pending(request.user), pk=pk)
    to_user = _targets(request.user).filter(pk=request.POST.get("to_user") or None).first()
    if to_user is None:
        messages.error(request, _("Choose who takes them over."))
        return redirect("staff:overview")
    try:
        counts = services.handover(user=request.user, employee=employee, to_user=to_user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Handed over: %(counterparties)s counterparties, %(deals)s open deals, "
                                    "%(tasks)s open tasks.") % counts)
    return redirect("staff:overview")


@login_required
@require_POST
def node_imports(request, pk):
    """What an HR node's documents may change."""
    if not may_manage_staff(request.user):
        raise Http404
    node = get_object_or_404(ExchangeNode, pk=pk, kind=NodeKind.ZUP_HR)
    services.hr_imports_set(user=request.user, node=node, imports=request.POST.getlist("imports"))
    messages.success(request, _("Saved."))
    return redirect("staff:overview")
