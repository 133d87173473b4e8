"""Counterparties and contact persons: lists, cards, create and edit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from raccordo.access import services as access_services
from raccordo.access.history import record_history
from raccordo.access.policy import allows, can, can_merge, can_share, is_admin, visible
from raccordo.activities.feed import feed_page, next_steps
from raccordo.activities.selectors import interaction_list, task_list
from raccordo.core.errors import ApplicationError
from raccordo.core.ids import parse_uuid
from raccordo.exchange.enterprisedata.selectors import accounting_card
from raccordo.parties.duplicates import DuplicateCounterparty, duplicates_blocked, tax_id_matches
from raccordo.parties.models import CounterpartyKind
from raccordo.parties.selectors import (
    contact_get,
    contact_list,
    counterparty_export,
    counterparty_get,
    counterparty_list,
)
from raccordo.parties.services import (
    access_request,
    contact_create,
    contact_update,
    counterparty_save,
    email_add,
    phone_add,
)
from raccordo.sales.selectors import deal_list, invoice_list, overdue_total, receivable_total

from .. import exports, reference
from ..forms import ContactForm, CounterpartyForm, InteractionForm
from .base import ListPage, apply_errors, error_text, get_or_404
from .team import may_hand_over

SERVICE_ERRORS = (ValidationError, ApplicationError)
# phone_add / email_add report on their own model's field names.
POINT_FIELDS = {"number": "phone", "address": "email", "tags": "tag_names"}


def _responsible_choices(user):
    """The people the list's "responsible" filter offers, or None when the user can only choose themselves."""
    users = reference.assignable_users(user)
    return users if users.exclude(pk=user.pk).exists() else None


def _counterparty_filters(request, people):
    """The list's query string, starting a head on her team's clients unless the address says otherwise."""
    filters = request.GET.copy()
    if reference.opens_on_team(request.user, people):
        filters.setdefault("team", "1")
    return filters


@login_required
def counterparty_list_view(request):
    page = ListPage(request, default_sort="name", sorts={
        "name": "name", "kind": "kind", "inn": "inn", "responsible": ("responsible__last_name", "responsible__username"),
        "created": "created_at", "vip": "is_vip"})
    users = _responsible_choices(request.user)
    people = reference.team_choices(request.user)
    filters = _counterparty_filters(request, people)
    qs = counterparty_list(user=request.user, search=page.q, filters=filters).prefetch_related(
        "phones", "emails", "tags")
    return page.render(qs, template="web/counterparties/list.html", partial="web/counterparties/_table.html",
                       context={"kinds": CounterpartyKind.choices, "users": users,
                                "team_chip": people is not None, "team": filters.get("team") == "1",
                                "can_reassign_clients": users is not None
                                and may_hand_over(request.user, "counterparties"),
                                "can_export": allows(request.user, "export", "counterparties")})


@login_required
def counterparty_export_view(request):
    """The list as filtered on screen, as CSV (default) or XLSX (`?format=xlsx`): only exportable rows."""
    page = ListPage(request, default_sort="name", sorts={"name": "name"})
    filters = _counterparty_filters(request, reference.team_choices(request.user))
    qs = counterparty_export(user=request.user, search=page.q, filters=filters).order_by("name", "pk")
    return exports.counterparties_response(qs, fmt=request.GET.get("format", "csv"))


def _save_counterparty(form, user, instance=None):
    """Create or change a counterparty with its tags and new phone/e-mail, all or nothing."""
    phones = [form.cleaned_data["phone"]] if form.cleaned_data.get("phone") else []
    emails = [form.cleaned_data["email"]] if form.cleaned_data.get("email") else []
    return counterparty_save(user=user, data=form.service_data(), tag_names=form.tag_list(), phones=phones,
                             emails=emails, counterparty=instance,
                             duplicate_confirmed=form.cleaned_data.get("duplicate_confirmed", False))


def _duplicate_context(exc: Exception) -> dict:
    """The duplicate box of the form: the matches the check found (what the user may be told of them)."""
    if not isinstance(exc, DuplicateCounterparty):
        return {}
    return {"duplicate": {"matches": exc.extra["matches"], "blocked": exc.extra["blocked"]}}


@login_required
def counterparty_create_view(request):
    # "Create a lead" from a call's pop-up opens the form with the caller's number (?phone=+7...).
    initial = {"phone": request.GET.get("phone", "")[:40]} if request.method == "GET" else None
    form = CounterpartyForm(request.POST or None, user=request.user, initial=initial)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            counterparty = _save_counterparty(form, request.user)
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc, POINT_FIELDS)
            context.update(_duplicate_context(exc))
        else:
            messages.success(request, _("Counterparty “%(name)s” created.") % {"name": counterparty.name})
            return redirect("web:counterparty_detail", pk=counterparty.pk)
    return render(request, "web/counterparties/form.html", context)


@login_required
def counterparty_duplicates_view(request):
    """The duplicate box for the INN and KPP being typed (htmx, on leaving the field): what the save would say."""
    inn, kpp = request.GET.get("inn", "").strip()[:12], request.GET.get("kpp", "").strip()[:9]
    exclude = None
    if parse_uuid(request.GET.get("exclude", "")):
        exclude = counterparty_list(user=request.user).filter(pk=request.GET["exclude"]).first()
    # Only for those who may write counterparties, as the save itself (parties.services._check_duplicate).
    asks = inn.isdigit() and (allows(request.user, "add", "counterparties")
                              or allows(request.user, "change", "counterparties"))
    matches = tax_id_matches(user=request.user, inn=inn, kpp=kpp, exclude=exclude) if asks else []
    return render(request, "web/counterparties/_duplicates.html", {"duplicate": {
        "matches": [m.as_dict() for m in matches], "blocked": duplicates_blocked(), "live": True}})


@login_required
@require_POST
def counterparty_access_request_view(request):
    """Ask the responsible managers of a counterparty the user cannot see (found by its INN) to share it."""
    inn, kpp = request.POST.get("inn", "").strip()[:12], request.POST.get("kpp", "").strip()[:9]
    tasks = access_request(user=request.user, inn=inn, kpp=kpp) if inn.isdigit() else []
    if tasks:
        names = ", ".join(sorted({str(t.assignee) for t in tasks}))
        messages.success(request, _("Your request was sent to %(names)s.") % {"names": names})
    else:
        messages.info(request, _("There is nobody to ask: no counterparty you cannot see has this INN."))
    return redirect("web:counterparty_list")


@login_required
def counterparty_edit_view(request, pk):
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    form = CounterpartyForm(request.POST or None, instance=counterparty, user=request.user)
    context: dict = {"form": form, "object": counterparty}
    if request.method == "POST" and form.is_valid():
        try:
            _save_counterparty(form, request.user, instance=counterparty)
        except SERVICE_ERRORS as exc:
            counterparty.refresh_from_db()
            apply_errors(form, exc, POINT_FIELDS)
            context.update(_duplicate_context(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:counterparty_detail", pk=counterparty.pk)
    return render(request, "web/counterparties/form.html", context)


def _counterparty_card(request, counterparty, *, tab="activity", contact_form=None, log_form=None):
    user = request.user
    # The feed is the card's first tab; "timeline" is its old name, still in bookmarks and redirects.
    tab = "activity" if tab == "timeline" else tab
    interactions = interaction_list(user=user, counterparty=counterparty)
    last = interactions.first()
    context = {
        "object": counterparty,
        "tab": tab,
        "phones": counterparty.phones.select_related("contact"),
        "emails": counterparty.emails.select_related("contact"),
        "addresses": counterparty.addresses.all(),
        "bank_accounts": counterparty.bank_accounts.all(),
        "can_change": can(user, "change", counterparty),
        "contacts": contact_list(user=user, counterparty=counterparty).prefetch_related("phones", "emails"),
        "deals": deal_list(user=user).filter(counterparty=counterparty).order_by("-created_at")[:50],
        "invoices": invoice_list(user=user).filter(counterparty=counterparty).order_by("-date", "-number")[:50],
        "receivable": receivable_total(user=user, counterparty=counterparty),
        "overdue": overdue_total(user=user, counterparty=counterparty),
        "feed": feed_page(user=user, counterparty=counterparty),
        "next_steps": next_steps(user=user, counterparty=counterparty),
        "can_hand_over": may_hand_over(user, "counterparties") and can(user, "change", counterparty),
        "last_contact": last.occurred_at if last else None,
        "tasks": task_list(user=user, open_only=True).filter(counterparty=counterparty).order_by("due_at"),
        "contact_form": contact_form or ContactForm(user=user, fixed_counterparty=counterparty),
        "log_form": log_form or InteractionForm(),
        "history": record_history(user=user, obj=counterparty),
        "shares": access_services.counterparty_shares(user=user, counterparty=counterparty),
        "can_share": can_share(user, counterparty) and not counterparty.is_vip,
        "can_merge": can_merge(user),
        "accounting": accounting_card(user=user, counterparty=counterparty),
        "accounting_setup_url": reverse("onec:node_create") + "?kind=enterprisedata" if is_admin(user) else "",
    }
    if context["can_share"]:
        shared = [s.user_id for s in context["shares"]]
        context["share_candidates"] = (reference.colleagues(user).exclude(pk__in=shared)
                                       .exclude(pk=counterparty.responsible_id))
    return render(request, "web/counterparties/detail.html", context)


@login_required
def counterparty_detail_view(request, pk):
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    tab = request.GET.get("tab", "activity")
    return _counterparty_card(request, counterparty, tab=tab)


@login_required
@require_POST
def counterparty_contact_add_view(request, pk):
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    form = ContactForm(request.POST, user=request.user, fixed_counterparty=counterparty)
    if form.is_valid():
        try:
            contact = _create_contact(form, request.user, counterparty)
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc, POINT_FIELDS)
        else:
            messages.success(request, _("Contact “%(name)s” added.") % {"name": contact})
            return redirect(reverse("web:counterparty_detail", args=[counterparty.pk]) + "?tab=contacts")
    return _counterparty_card(request, counterparty, tab="contacts", contact_form=form)


def _share_target(request):
    user_id = request.POST.get("user", "")
    return reference.colleagues(request.user).filter(pk=user_id).first() if parse_uuid(user_id) else None


@login_required
@require_POST
def counterparty_share_view(request, pk):
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    colleague = _share_target(request)
    if colleague is None:
        messages.error(request, _("Choose a colleague."))
    else:
        try:
            access_services.counterparty_share(user=request.user, counterparty=counterparty, with_user=colleague)
        except SERVICE_ERRORS as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Shared with %(name)s.") % {"name": colleague})
    return redirect(reverse("web:counterparty_detail", args=[counterparty.pk]) + "?tab=overview#sharing")


@login_required
@require_POST
def counterparty_unshare_view(request, pk):
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    colleague = _share_target(request)
    if colleague is not None:
        try:
            access_services.counterparty_unshare(user=request.user, counterparty=counterparty, with_user=colleague)
        except SERVICE_ERRORS as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("No longer shared with %(name)s.") % {"name": colleague})
    return redirect(reverse("web:counterparty_detail", args=[counterparty.pk]) + "?tab=overview#sharing")


# --- Contact persons ------------------------------------------------------------------------------------------

def _create_contact(form, user, counterparty):
    data = form.service_data(exclude=("counterparty",))
    phones = [form.cleaned_data["phone"]] if form.cleaned_data.get("phone") else []
    emails = [form.cleaned_data["email"]] if form.cleaned_data.get("email") else []
    return contact_create(user=user, counterparty=counterparty, data=data, phones=phones, emails=emails)


@login_required
def contact_list_view(request):
    page = ListPage(request, default_sort="name", sorts=CONTACT_SORTS)
    qs = contact_list(user=request.user, search=page.q).prefetch_related("phones", "emails")
    return page.render(qs, template="web/contacts/list.html", partial="web/contacts/_table.html",
                       context={"can_export": allows(request.user, "export", "counterparties")})


CONTACT_SORTS = {"name": ("last_name", "first_name"), "position": "position", "counterparty": "counterparty__name",
                 "created": "created_at"}


@login_required
def contact_export_view(request):
    """The contact list as searched and sorted on screen, as CSV or XLSX: only the rows the user may export."""
    page = ListPage(request, default_sort="name", sorts=CONTACT_SORTS)
    qs = visible(contact_list(user=request.user, search=page.q), request.user, "export")
    qs = page.order(qs).prefetch_related("phones", "emails")
    return exports.table_response(qs.iterator(chunk_size=1000), exports.contact_columns(), basename="contacts",
                                  fmt=exports.export_format(request))


@login_required
def contact_create_view(request):
    initial = {}
    if request.GET.get("counterparty"):
        initial["counterparty"] = request.GET["counterparty"]
    form = ContactForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            contact = _create_contact(form, request.user, form.cleaned_data["counterparty"])
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc, POINT_FIELDS)
        else:
            messages.success(request, _("Contact “%(name)s” added.") % {"name": contact})
            return redirect("web:contact_detail", pk=contact.pk)
    return render(request, "web/contacts/form.html", {"form": form})


@login_required
def contact_detail_view(request, pk):
    contact = get_or_404(contact_get, user=request.user, pk=pk)
    return render(request, "web/contacts/detail.html", {
        "object": contact, "phones": contact.phones.all(), "emails": contact.emails.all(),
        "interactions": interaction_list(user=request.user).filter(contact=contact)[:30],
        "deals": deal_list(user=request.user).filter(contact=contact),
        "history": record_history(user=request.user, obj=contact)})


@login_required
def contact_edit_view(request, pk):
    contact = get_or_404(contact_get, user=request.user, pk=pk)
    form = ContactForm(request.POST or None, instance=contact, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                contact_update(user=request.user, contact=contact, data=form.service_data())
                if form.cleaned_data.get("phone"):
                    phone_add(user=request.user, counterparty=contact.counterparty, contact=contact,
                              number=form.cleaned_data["phone"])
                if form.cleaned_data.get("email"):
                    email_add(user=request.user, counterparty=contact.counterparty, contact=contact,
                              address=form.cleaned_data["email"])
        except SERVICE_ERRORS as exc:
            contact.refresh_from_db()
            apply_errors(form, exc, POINT_FIELDS)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:contact_detail", pk=contact.pk)
    return render(request, "web/contacts/form.html", {"form": form, "object": contact})
