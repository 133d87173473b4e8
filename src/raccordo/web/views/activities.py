"""Tasks: list, card, create and edit, one-click done."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from raccordo.access.history import record_history
from raccordo.access.policy import allows, oversees_team, visible
from raccordo.activities.filters import TaskFilter
from raccordo.activities.models import Priority, TaskStatus
from raccordo.activities.selectors import task_get, task_list
from raccordo.activities.services import task_create, task_update
from raccordo.core.errors import ApplicationError

from .. import exports, reference
from ..forms import TaskForm
from .base import ListPage, apply_errors, error_text, get_or_404, safe_next, with_defaults

SERVICE_ERRORS = (ValidationError, ApplicationError)


TASK_SORTS = {"due": "due_at", "title": "title", "priority": "priority", "status": "status",
              "counterparty": "counterparty__name", "assignee": "assignee__last_name"}


# What the list shows before the user chooses: their own open and in-progress tasks; a head starts on her
# team's (she is assigned few herself: "Assigned to me" showed her 0 tasks, findings top 5).
TASK_DEFAULTS = {"status": "active", "mine": "1"}
TEAM_TASK_DEFAULTS = {"status": "active", "team": "1", "mine": "0"}


def _task_filters(request, people) -> dict:
    defaults = TEAM_TASK_DEFAULTS if people is not None and oversees_team(request.user) else TASK_DEFAULTS
    return with_defaults(request.GET, defaults)


@login_required
def task_list_view(request):
    page = ListPage(request, default_sort="due", sorts=TASK_SORTS)
    people = reference.team_choices(request.user)
    filters = _task_filters(request, people)
    qs = task_list(user=request.user, search=page.q, filters=filters)
    return page.render(qs, template="web/tasks/list.html", partial="web/tasks/_table.html", context={
        "statuses": TaskFilter.STATUSES, "status": filters["status"], "mine": filters["mine"] == "1",
        "team": filters.get("team") == "1", "people": people, "assignee": filters.get("assignee") or "",
        "priorities": Priority.choices, "now": timezone.now(),
        "can_export": allows(request.user, "export", "activities")})


@login_required
def task_export_view(request):
    """The task list as filtered and sorted on screen, as CSV or XLSX: only the rows the user may export."""
    page = ListPage(request, default_sort="due", sorts=TASK_SORTS)
    qs = task_list(user=request.user, search=page.q,
                   filters=_task_filters(request, reference.team_choices(request.user)))
    qs = page.order(visible(qs, request.user, "export")).select_related("author")
    return exports.table_response(qs.iterator(chunk_size=1000), exports.task_columns(), basename="tasks",
                                  fmt=exports.export_format(request))


@login_required
def task_create_view(request):
    initial = {k: request.GET[k] for k in ("counterparty", "deal") if request.GET.get(k)}
    form = TaskForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            task = task_create(user=request.user, data=form.service_data())
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Task “%(title)s” created.") % {"title": task.title})
            return redirect("web:task_detail", pk=task.pk)
    return render(request, "web/tasks/form.html", {"form": form})


@login_required
def task_detail_view(request, pk):
    task = get_or_404(task_get, user=request.user, pk=pk)
    return render(request, "web/tasks/detail.html", {"object": task, "statuses": TaskStatus.choices,
                                                     "history": record_history(user=request.user, obj=task)})


@login_required
def task_edit_view(request, pk):
    task = get_or_404(task_get, user=request.user, pk=pk)
    form = TaskForm(request.POST or None, instance=task, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            task_update(user=request.user, task=task, data=form.service_data())
        except SERVICE_ERRORS as exc:
            task.refresh_from_db()
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:task_detail", pk=task.pk)
    return render(request, "web/tasks/form.html", {"form": form, "object": task})


@login_required
@require_POST
def task_status_view(request, pk):
    task = get_or_404(task_get, user=request.user, pk=pk)
    status = request.POST.get("status", TaskStatus.DONE)
    if status not in TaskStatus.values:
        status = TaskStatus.DONE
    try:
        task_update(user=request.user, task=task, data={"status": status})
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Task “%(title)s”: %(status)s.") % {
            "title": task.title, "status": TaskStatus(status).label})
    return redirect(safe_next(request, reverse("web:task_detail", args=[task.pk])))
