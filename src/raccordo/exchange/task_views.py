"""Exchange tasks in the web interface: the form of a node's task (administrators), the list of tasks a person may
run and "Run now" / "Dry run" (administrators, and the people or roles a task names). Thin: `scheduling` decides."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from raccordo.access.models import CustomRole, Role, User
from raccordo.access.policy import allows, is_admin, visible
from raccordo.core import errors as app_errors

from . import scheduling, selectors
from .models import ExchangeNode, ExchangeTask, RecordPolicy, Run, StepPolicy

PREVIEW_COUNT = 3


def _admin_only(request) -> None:
    if not is_admin(request.user):
        raise Http404


class TaskForm(forms.Form):
    """A task's own fields; its steps come as parallel lists (step_kind, step_policy_record, step_policy_step)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=64,
                           help_text=gettext_lazy("Latin letters, digits, - and _, e.g. nightly-catalog; "
                                                  "`raccordo exchange run NODE/NAME` runs it too."))
    cron = forms.CharField(label=gettext_lazy("Schedule (cron)"), max_length=100, required=False,
                           help_text=gettext_lazy("minute hour day month weekday: “0 2 * * *” nightly at 02:00, "
                                                  "“0 * * * 1-5” hourly on workdays; empty: by hand only."))
    is_active = forms.BooleanField(label=gettext_lazy("Active (off: not started on schedule)"), required=False)
    allowed_users = forms.ModelMultipleChoiceField(
        label=gettext_lazy("People who may run it"), required=False, queryset=User.objects.none(),
        help_text=gettext_lazy("Listed: the people whose role may run exchange tasks."),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    allowed_roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles who may run it"), required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        choices=[(value, label) for value, label in Role.choices if value != Role.ADMIN])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offered: the people a name on the task gives something to (administrators run every task anyway,
        # and a role without the exchange's "run" cannot run one at all).
        people = [u.pk for u in User.objects.filter(is_active=True).select_related("custom_role")
                  if not is_admin(u) and allows(u, "run", ExchangeTask)]
        users = cast(forms.ModelMultipleChoiceField, self.fields["allowed_users"])  # declared so above
        users.queryset = User.objects.filter(pk__in=people).order_by("last_name", "username")
        users.label_from_instance = lambda u: f"{u} ({u.custom_role or u.get_role_display()})"  # type: ignore[assignment]  # an instance attribute, read as a method
        # Custom roles are named as the built-in ones are (policy.holds_role matches a custom role by name).
        cast(forms.MultipleChoiceField, self.fields["allowed_roles"]).choices = [
            (value, label) for value, label in Role.choices if value != Role.ADMIN
        ] + [(name, name) for name in CustomRole.objects.order_by("name").values_list("name", flat=True)]


def _posted_steps(post) -> list[dict]:
    kinds, records, steps = (post.getlist("step_kind"), post.getlist("step_policy_record"),
                             post.getlist("step_policy_step"))
    return [{"kind": kind, "policy_record": records[i] if i < len(records) else RecordPolicy.SKIP,
             "policy_step": steps[i] if i < len(steps) else StepPolicy.GO_ON} for i, kind in enumerate(kinds)]


def _new_step(node: ExchangeNode) -> dict:
    """The step a new row starts as: the first the node's kind may run."""
    return {"kind": scheduling.step_kinds_for(node)[0][0], "policy_record": RecordPolicy.SKIP,
            "policy_step": StepPolicy.GO_ON}


def _step_action(steps: list[dict], action: str, node: ExchangeNode) -> list[dict]:
    """Add / remove / move a step of the form being edited (nothing is saved until the form is)."""
    verb, _sep, index = action.partition("-")
    if verb == "add":
        return [*steps, _new_step(node)]
    try:
        i = int(index)
    except ValueError:
        return steps
    if not 0 <= i < len(steps):
        return steps
    steps = list(steps)
    if verb == "remove":
        del steps[i]
    elif verb == "up" and i > 0:
        steps[i - 1], steps[i] = steps[i], steps[i - 1]
    elif verb == "down" and i < len(steps) - 1:
        steps[i + 1], steps[i] = steps[i], steps[i + 1]
    return steps


def _step_rows(steps: list[dict], errors: dict[str, list[str]]) -> list[dict]:
    return [{"index": i, "step": s, "errors": [m for key in (f"steps[{i}]", f"steps[{i}].kind",
                                                             f"steps[{i}].policy_record", f"steps[{i}].policy_step")
                                               for m in errors.get(key, [])],
             "invalid": {k for k in ("kind", "policy_record", "policy_step") if f"steps[{i}].{k}" in errors}}
            for i, s in enumerate(steps)]


def cron_preview(cron: str) -> dict:
    """The next start times of a schedule, or why it cannot be read."""
    cron = (cron or "").strip()
    if not cron:
        return {"cron": "", "times": [], "error": ""}
    try:
        times = scheduling.cron_next(cron, after=timezone.now(), count=PREVIEW_COUNT)
    except ValueError as exc:
        return {"cron": cron, "times": [], "error": str(exc)}
    return {"cron": cron, "times": times, "error": "", "never": not times}


def _task_form_page(request, node: ExchangeNode, task: ExchangeTask | None):
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST)
        steps = _posted_steps(request.POST)
        action = request.POST.get("step_action", "")
        if action:
            steps = _step_action(steps, action, node)
        else:
            valid = form.is_valid()
            data = {**{k: v for k, v in (form.cleaned_data if valid else {}).items()}, "steps": steps}
            if valid:
                try:
                    if task is None:
                        saved = scheduling.task_create(user=request.user, node=node, data=data)
                    else:
                        saved = scheduling.task_update(user=request.user, task=task, data=data)
                except scheduling.TaskInvalid as exc:
                    errors = exc.extra["errors"]
                else:
                    messages.success(request, _("The task %(task)s is saved.") % {"task": saved.name})
                    return redirect(reverse("onec:node_detail", args=[node.pk]) + "#tasks")
            else:
                # The form's own errors, and the steps' problems shown with them in one go.
                errors = scheduling.steps_check(steps)
            for field, msgs in errors.items():
                if field in form.fields:
                    for msg in msgs:
                        form.add_error(field, msg)
                elif field != "steps" and not field.startswith("steps["):
                    for msg in msgs:
                        form.add_error(None, f"{field}: {msg}")
            status = 422
    else:
        if task is None:
            form = TaskForm(initial={"is_active": True})
            steps = [_new_step(node)]
        else:
            form = TaskForm(initial={"name": task.name, "cron": task.cron, "is_active": task.is_active,
                                     "allowed_users": list(task.allowed_users.all()),
                                     "allowed_roles": task.allowed_roles})
            steps = list(task.steps)
    cron_value = form["cron"].value() or ""
    context = {"node": node, "task": task, "form": form, "step_rows": _step_rows(steps, errors),
               "checklists": [form["allowed_users"], form["allowed_roles"]],
               "steps_errors": errors.get("steps", []), "step_kinds": scheduling.step_kinds_for(node),
               "record_policies": RecordPolicy.choices, "step_policies": StepPolicy.choices,
               "preview": cron_preview(cron_value), "timezone_name": timezone.get_default_timezone_name()}
    return render(request, "exchange/task_form.html", context, status=status)


@login_required
def task_create(request, node_pk):
    """A new task of the node: name, ordered steps with their policies, schedule, who may run it."""
    _admin_only(request)
    node = get_object_or_404(visible(ExchangeNode.objects.all(), request.user), pk=node_pk)
    return _task_form_page(request, node, None)


@login_required
def task_edit(request, pk):
    _admin_only(request)
    task = get_object_or_404(visible(ExchangeTask.objects.select_related("node"), request.user), pk=pk)
    return _task_form_page(request, task.node, task)


@login_required
@require_POST
def task_delete(request, pk):
    _admin_only(request)
    task = get_object_or_404(visible(ExchangeTask.objects.select_related("node"), request.user), pk=pk)
    node = task.node
    try:
        scheduling.task_delete(user=request.user, task=task)
    except scheduling.NodeBusy as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The task %(task)s is deleted.") % {"task": task.name})
    return redirect(reverse("onec:node_detail", args=[node.pk]) + "#tasks")


@login_required
def task_cron_preview(request):
    """The next start times of the schedule being typed (the task form asks as you type)."""
    _admin_only(request)
    return render(request, "exchange/_cron_preview.html", {
        "preview": cron_preview(request.GET.get("cron", "")[:100]),
        "timezone_name": timezone.get_default_timezone_name()})


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
@require_POST
def task_run(request, pk):
    """Run now (or dry-run) a task in the background worker, as the person who clicked."""
    if not allows(request.user, "run", ExchangeTask):
        raise Http404
    task = get_object_or_404(visible(ExchangeTask.objects.select_related("node"), request.user), pk=pk)
    dry_run = request.POST.get("dry_run") == "1"
    clicked = timezone.now()
    try:
        scheduling.task_start(user=request.user, task=task, dry_run=dry_run)
    except scheduling.NodeBusy as exc:
        messages.error(request, exc.message)
        return redirect(_back(request, reverse("exchange:task_list")))
    except app_errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    # A worker in immediate mode (one process) has run it already: show its run; otherwise the node's runs,
    # where the worker's runs appear as it takes the task.
    runs = list(Run.objects.filter(task=task, user=request.user, started_at__gte=clicked).order_by("started_at"))
    if len(runs) == 1:
        return redirect("exchange:run_detail", pk=runs[0].pk)
    if not runs:
        messages.success(request, (_("The dry run of %(task)s is queued: its runs appear below as the worker takes it.")
                                   if dry_run else
                                   _("The task %(task)s is queued: its runs appear below as the worker takes it."))
                         % {"task": task.name})
    return redirect(reverse("exchange:run_list") + f"?node={task.node.code}")


@login_required
def task_list(request):
    """The exchange tasks this person may run, with Run now and Dry run (an accountant's way in)."""
    if not allows(request.user, "run", ExchangeTask):
        raise Http404
    now = timezone.now()
    busy = set(selectors.busy_nodes())
    rows = []
    for task in selectors.task_list_runnable(user=request.user):
        try:
            upcoming = scheduling.cron_next(task.cron, after=now, count=1) if task.cron else []
        except ValueError:
            upcoming = []
        rows.append({"task": task, "next": upcoming[0] if upcoming else None, "busy": task.node_id in busy,
                     "steps": scheduling.step_labels(task.steps),
                     "last": task.runs.order_by("-started_at").first()})
    return render(request, "exchange/task_list.html", {"rows": rows, "admin": is_admin(request.user)})
