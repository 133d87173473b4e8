"""Pages of business processes: templates and rules (administrators), a process's page, start and stop."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from raccordo.access.history import record_history
from raccordo.access.policy import may_edit_processes, may_edit_rules, visible
from raccordo.core.errors import ApplicationError, NotFound
from raccordo.web.views.base import apply_errors, safe_next

from . import conditions, selectors, services
from .forms import ActionFormSet, HolidaysForm, RuleForm, StepFormSet, TemplateForm, rows_of
from .models import Holiday, ProcessTemplate
from .selectors import TARGET_FIELDS
from .texts import shown

STEP_KEYS = ("title", "assignee_kind", "assignee_role", "assignee_user", "days", "closes_on", "close_stage")
ACTION_KEYS = ("kind", "text", "assignee_kind", "assignee_role", "assignee_user", "days", "process_template",
               "message_template", "field", "value")


def _only(allowed: bool) -> None:
    if not allowed:
        raise Http404


def _or_404(get, **kwargs):
    try:
        return get(**kwargs)
    except NotFound:
        raise Http404 from None


@login_required
def template_list_view(request):
    _only(may_edit_processes(request.user))
    return render(request, "processes/template_list.html", {
        "templates": selectors.template_list(user=request.user),
        "holidays": Holiday.objects.filter(date__gte=timezone.localdate()).order_by("date")[:5]})


def _formset_errors(formset) -> bool:
    return any(f.errors for f in formset.forms) or bool(formset.non_form_errors())


@login_required
def template_edit_view(request, pk=None):
    """Create or change a process template and its steps in one form."""
    _only(may_edit_processes(request.user))
    template = _or_404(selectors.template_get, user=request.user, pk=pk) if pk else None
    # Shipped names are shown in the reader's language; saved unchanged, the stored (English) text stays.
    initial = {k: shown(v) if k in ("name", "description") else v for k, v in (
        (k, getattr(template, k)) for k in ("name", "code", "subject", "description", "is_active"))} \
        if template else None
    stored = list(template.steps.order_by("order")) if template else []
    steps = [{"id": s.pk, **{k: getattr(s, k) for k in STEP_KEYS}, "title": shown(s.title)} for s in stored]
    form = TemplateForm(request.POST or None, initial=initial)
    formset = StepFormSet(request.POST or None, initial=steps, prefix="steps")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = services.template_save(user=request.user, template=template,
                                           data=_kept(form.cleaned_data, template),
                                           steps=[_kept(row, next((s for s in stored if s.pk == row.get("id")), None))
                                                  for row in rows_of(formset)])
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": saved})
            return redirect("processes:template_list")
    return render(request, "processes/template_form.html", {"object": template, "form": form, "formset": formset})


def _kept(data: dict, original) -> dict:
    """`data` with each text left as stored when it comes back as shown (a shipped name, translated)."""
    if original is None:
        return data
    return {k: getattr(original, k) if k in ("name", "description", "title") and isinstance(v, str)
            and v == shown(getattr(original, k)) else v for k, v in data.items()}


@login_required
def holidays_view(request):
    _only(may_edit_processes(request.user))
    current = "\n".join(f"{h.date.isoformat()} {h.name}".strip() for h in Holiday.objects.order_by("date"))
    form = HolidaysForm(request.POST or None, initial={"text": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.holidays_set(user=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_error("text", exc.messages)
        else:
            messages.success(request, _("Holidays saved."))
            return redirect("processes:template_list")
    return render(request, "processes/holidays.html", {"form": form})


@login_required
def rule_list_view(request):
    _only(may_edit_rules(request.user))
    return render(request, "processes/rule_list.html", {"rules": selectors.rule_list(user=request.user)})


@login_required
def rule_edit_view(request, pk=None):
    """Create or change an automation rule: when, if (lines of conditions), then (a table of actions)."""
    _only(may_edit_rules(request.user))
    rule = _or_404(selectors.rule_get, user=request.user, pk=pk) if pk else None
    initial = {"name": rule.name, "is_active": rule.is_active, "trigger": rule.trigger,
               "trigger_stage": rule.trigger_stage, "conditions": conditions.as_text(rule.conditions)} \
        if rule else None
    actions = [{"id": a.pk, **{k: getattr(a, k) for k in ACTION_KEYS}} for a in rule.actions.order_by("order")] \
        if rule else []
    form = RuleForm(request.POST or None, initial=initial)
    formset = ActionFormSet(request.POST or None, initial=actions, prefix="actions")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "conditions"}
        try:
            saved = services.rule_save(user=request.user, rule=rule, data=data, actions=rows_of(formset),
                                       conditions_text=form.cleaned_data["conditions"])
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": saved})
            return redirect("processes:rule_list")
    firings = selectors.firings_of(user=request.user, rule=rule) if rule else []
    return render(request, "processes/rule_form.html", {"object": rule, "form": form, "formset": formset,
                                                         "firings": firings})


@login_required
@require_POST
def rule_switch_view(request, pk):
    _only(may_edit_rules(request.user))
    rule = _or_404(selectors.rule_get, user=request.user, pk=pk)
    rule = services.rule_switch(user=request.user, rule=rule, active=request.POST.get("active") == "1")
    messages.success(request, (_("“%(name)s” is on.") if rule.is_active else _("“%(name)s” is off.")) % {
        "name": rule})
    return redirect("processes:rule_list")


@login_required
def instance_detail_view(request, pk):
    instance = _or_404(selectors.instance_get, user=request.user, pk=pk)
    return render(request, "processes/instance_detail.html", {
        "object": instance, "steps": selectors.steps_of(instance), "now": timezone.now(),
        "history": record_history(user=request.user, obj=instance)})


def _target(request, kind: str, pk):
    """The record a process is started on, as `request.user` sees it (404 otherwise)."""
    label = {"deal": "sales.deal", "invoice": "sales.invoice", "complaint": "activities.complaint",
             "counterparty": "parties.counterparty"}.get(kind)
    if label not in TARGET_FIELDS:
        raise Http404
    target = visible(apps.get_model(label).objects.all(), request.user).filter(pk=pk).first()
    if target is None:
        raise Http404
    return target


@login_required
@require_POST
def process_start_view(request, kind: str, pk):
    """Start the chosen process on a deal, invoice, complaint or counterparty (the button on its card)."""
    target = _target(request, kind, pk)
    template = visible(ProcessTemplate.objects.filter(is_active=True), request.user).filter(
        pk=request.POST.get("template") or None).first()
    back = safe_next(request, request.META.get("HTTP_REFERER", "") or reverse("web:dashboard"))
    if template is None:
        messages.error(request, _("Choose a process to start."))
        return redirect(back)
    try:
        instance = services.process_start(user=request.user, template=template, target=target)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))
    else:
        messages.success(request, _("Process “%(name)s” started.") % {"name": instance.template})
    return redirect(back)


@login_required
@require_POST
def process_cancel_view(request, pk):
    instance = _or_404(selectors.instance_get, user=request.user, pk=pk)
    try:
        services.process_cancel(user=request.user, instance=instance)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The process is stopped."))
    return redirect("processes:instance_detail", pk=instance.pk)
