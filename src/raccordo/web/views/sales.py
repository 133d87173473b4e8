"""Deals and invoices: lists, cards, create and edit, stage moves, issuing, payments."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from raccordo.access.history import record_history
from raccordo.access.policy import allows, visible
from raccordo.activities.selectors import interaction_list, task_list
from raccordo.catalog.selectors import chosen_price_type, price_types
from raccordo.core.errors import ApplicationError, Conflict
from raccordo.core.ids import parse_uuid
from raccordo.parties.selectors import counterparty_list
from raccordo.sales.filters import DealFilter
from raccordo.sales.models import InvoiceLine, InvoiceStatus
from raccordo.sales.selectors import deal_get, deal_list, invoice_get, invoice_list, invoice_stock_shortages
from raccordo.sales.services import (
    deal_create,
    deal_move,
    deal_update,
    invoice_create,
    invoice_from_deal,
    invoice_issue,
    invoice_payment_record,
    invoice_update,
    payment_unallocated,
    suggested_source,
)

from .. import exports, reference
from ..forms import DealForm, DealMoveForm, InvoiceForm, PaymentForm, invoice_line_formset, line_inputs
from ..templatetags.raccordo_ui import money
from .base import ListPage, apply_errors, error_text, get_or_404, with_defaults
from .team import may_hand_over
from .undo import invoice_issue_question

SERVICE_ERRORS = (ValidationError, ApplicationError)


# --- Deals ----------------------------------------------------------------------------------------------------

DEAL_SORTS = {"title": "title", "counterparty": "counterparty__name", "stage": ("funnel__order", "stage__order"),
              "amount": "amount", "expected_close": "expected_close", "created": "created_at"}


# What a list shows before the user chooses: the open deals; a head's, her team's.
DEAL_DEFAULTS = {"state": "open"}
TEAM_DEAL_DEFAULTS = {**DEAL_DEFAULTS, "team": "1"}


def _deal_filters(request, people) -> dict:
    defaults = TEAM_DEAL_DEFAULTS if reference.opens_on_team(request.user, people) else DEAL_DEFAULTS
    return with_defaults(request.GET, defaults)


@login_required
def deal_list_view(request):
    page = ListPage(request, default_sort="-created", sorts=DEAL_SORTS)
    people = reference.team_choices(request.user)
    filters = _deal_filters(request, people)
    qs = deal_list(user=request.user, search=page.q, filters=filters)
    return page.render(qs, template="web/deals/list.html", partial="web/deals/_table.html", context={
        "stages": reference.stages(request.user), "funnels": reference.funnels(request.user),
        "state": filters["state"], "states": DealFilter.STATES, "people": people,
        "team": filters.get("team") == "1",
        "can_reassign_deals": people is not None and may_hand_over(request.user, "deals"),
        "can_export": allows(request.user, "export", "deals")})


@login_required
def deal_export_view(request):
    """The deal list as filtered and sorted on screen, as CSV or XLSX: only the rows the user may export."""
    page = ListPage(request, default_sort="-created", sorts=DEAL_SORTS)
    qs = deal_list(user=request.user, search=page.q,
                   filters=_deal_filters(request, reference.team_choices(request.user)))
    qs = page.order(visible(qs, request.user, "export"))
    return exports.table_response(qs.iterator(chunk_size=1000), exports.deal_columns(), basename="deals",
                                  fmt=exports.export_format(request))


@login_required
def deal_create_view(request):
    initial = {"currency": settings.DEFAULT_CURRENCY}
    if request.GET.get("counterparty"):
        initial["counterparty"] = request.GET["counterparty"]
        # The client's last campaign touch is offered as the source; the manager may change or empty it.
        client = counterparty_list(user=request.user).filter(pk=parse_uuid(request.GET["counterparty"])).first()
        if client is not None:
            initial["source_campaign"] = suggested_source(client)
    form = DealForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            deal = deal_create(user=request.user, data=form.service_data())
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Deal “%(title)s” created.") % {"title": deal.title})
            return redirect("web:deal_detail", pk=deal.pk)
    return render(request, "web/deals/form.html", {"form": form})


@login_required
def deal_edit_view(request, pk):
    deal = get_or_404(deal_get, user=request.user, pk=pk)
    form = DealForm(request.POST or None, instance=deal, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            deal_update(user=request.user, deal=deal, data=form.service_data())
        except SERVICE_ERRORS as exc:
            deal.refresh_from_db()
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:deal_detail", pk=deal.pk)
    return render(request, "web/deals/form.html", {"form": form, "object": deal})


@login_required
def deal_detail_view(request, pk):
    deal = get_or_404(deal_get, user=request.user, pk=pk)
    return render(request, "web/deals/detail.html", {
        "object": deal,
        "lines": deal.lines.select_related("product", "unit"),
        "stages": reference.stages(request.user).filter(funnel=deal.funnel),
        "invoices": invoice_list(user=request.user).filter(deal=deal),
        "interactions": interaction_list(user=request.user).filter(deal=deal)[:30],
        "tasks": task_list(user=request.user, open_only=True).filter(deal=deal).order_by("due_at"),
        "own_company": reference.default_own_company(request.user),
        "history": record_history(user=request.user, obj=deal),
    })


@login_required
@require_POST
def deal_move_view(request, pk):
    deal = get_or_404(deal_get, user=request.user, pk=pk)
    form = DealMoveForm(request.POST)
    stage = None
    if form.is_valid():
        stage = reference.stages(request.user).filter(pk=form.cleaned_data["stage"]).first()
    if stage is None:
        messages.error(request, _("Choose a stage."))
        return redirect("web:deal_detail", pk=deal.pk)
    try:
        deal_move(user=request.user, deal=deal, stage=stage, lost_reason=form.cleaned_data.get("lost_reason", ""))
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The deal moved to “%(stage)s”.") % {"stage": stage.name})
    return redirect("web:deal_detail", pk=deal.pk)


@login_required
@require_POST
def deal_invoice_view(request, pk):
    deal = get_or_404(deal_get, user=request.user, pk=pk)
    own_company = reference.default_own_company(request.user)
    if own_company is None:
        messages.error(request, _("No own company is set up yet: an administrator adds one first."))
        return redirect("web:deal_detail", pk=deal.pk)
    try:
        invoice = invoice_from_deal(user=request.user, deal=deal, own_company=own_company)
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
        return redirect("web:deal_detail", pk=deal.pk)
    messages.success(request, _("Draft invoice created from the deal."))
    return redirect("web:invoice_detail", pk=invoice.pk)


# --- Invoices -------------------------------------------------------------------------------------------------

INVOICE_SORTS = {"number": "number", "date": ("date", "number"), "due_date": "due_date",
                 "counterparty": "counterparty__name", "total": "total", "status": "status"}


@login_required
def invoice_list_view(request):
    page = ListPage(request, default_sort="-date", sorts=INVOICE_SORTS)
    qs = invoice_list(user=request.user, search=page.q, filters=request.GET)
    status = request.GET.get("status", "")
    return page.render(qs, template="web/invoices/list.html", partial="web/invoices/_table.html",
                       context={"statuses": InvoiceStatus.choices,
                                "status": status if status in InvoiceStatus.values else "",
                                "can_export": allows(request.user, "export", "invoices")})


@login_required
def invoice_export_view(request):
    """The invoice list as filtered and sorted on screen, as CSV or XLSX: only the rows the user may export."""
    page = ListPage(request, default_sort="-date", sorts=INVOICE_SORTS)
    qs = invoice_list(user=request.user, search=page.q, filters=request.GET)
    qs = page.order(visible(qs, request.user, "export")).select_related("responsible")
    return exports.table_response(qs.iterator(chunk_size=1000), exports.invoice_columns(), basename="invoices",
                                  fmt=exports.export_format(request))


def _invoice_form_page(request, form, formset, invoice=None):
    counterparty_id = str(invoice.counterparty_id) if invoice else request.GET.get("counterparty", "")
    return render(request, "web/invoices/form.html", {
        "form": form, "formset": formset, "object": invoice, "price_types": price_types(user=request.user),
        "chosen_price_type": chosen_price_type(request.user, price_type_id=request.POST.get("line_price_type", ""),
                                               counterparty_id=counterparty_id)})


@login_required
def invoice_create_view(request):
    user = request.user
    own = reference.default_own_company(user)
    today = timezone.localdate()
    initial = {"own_company": own, "currency": own.currency if own else settings.DEFAULT_CURRENCY, "date": today,
               "due_date": today + dt.timedelta(days=5), "vat_included": True}
    counterparty_id = request.GET.get("counterparty")
    if counterparty_id:
        initial["counterparty"] = counterparty_id
    form = InvoiceForm(request.POST or None, initial=initial, user=user)
    formset = invoice_line_formset(extra=1)(request.POST or None, queryset=InvoiceLine.objects.none(),
                                            prefix="lines", form_kwargs={"user": user, "default_vat": own and own.vat_rate})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            invoice = invoice_create(user=user, data=form.service_data(),
                                     lines=line_inputs(formset, form.cleaned_data["counterparty"]))
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Draft invoice created."))
            return redirect("web:invoice_detail", pk=invoice.pk)
    return _invoice_form_page(request, form, formset)


@login_required
def invoice_edit_view(request, pk):
    user = request.user
    invoice = get_or_404(invoice_get, user=user, pk=pk)
    form = InvoiceForm(request.POST or None, instance=invoice, user=user)
    is_draft = invoice.status == InvoiceStatus.DRAFT
    formset = None
    if is_draft:
        formset = invoice_line_formset(extra=0)(request.POST or None, queryset=invoice.lines.all(), prefix="lines",
                                                form_kwargs={"user": user, "default_vat": invoice.own_company.vat_rate})
    if request.method == "POST" and form.is_valid() and (formset is None or formset.is_valid()):
        lines = line_inputs(formset, invoice.counterparty) if formset is not None else None
        try:
            invoice_update(user=user, invoice=invoice, data=form.service_data(), lines=lines)
        except SERVICE_ERRORS as exc:
            invoice.refresh_from_db()
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:invoice_detail", pk=invoice.pk)
    return _invoice_form_page(request, form, formset, invoice)


@login_required
def invoice_detail_view(request, pk):
    invoice = get_or_404(invoice_get, user=request.user, pk=pk)
    return _invoice_card(request, invoice)


def _invoice_card(request, invoice, payment_form=None, overpayment=None):
    allocations = visible(invoice.allocations.select_related("payment"), request.user).order_by("payment__date")
    return render(request, "web/invoices/detail.html", {
        "object": invoice, "lines": invoice.lines.all(), "allocations": allocations,
        "history": record_history(user=request.user, obj=invoice),
        "payment_form": payment_form or PaymentForm(initial={"amount": invoice.outstanding or None,
                                                             "date": timezone.localdate()}),
        "can_pay": invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID),
        "overpayment_question": overpayment,
    })


@login_required
@require_http_methods(["GET", "POST"])
def invoice_issue_view(request, pk):
    """GET asks first (the client, the total, what issuing means); POST issues."""
    invoice = get_or_404(invoice_get, user=request.user, pk=pk)
    if request.method == "GET":
        return invoice_issue_question(request, invoice)
    try:
        invoice = invoice_issue(user=request.user, invoice=invoice)
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Invoice issued with number %(number)s.") % {"number": invoice.number})
        _warn_stock(request, invoice)
    return redirect("web:invoice_detail", pk=pk)


def _warn_stock(request, invoice) -> None:
    """settings.STOCK_CHECK = "warn": the invoice is issued, and the manager is told which lines lack stock."""
    if settings.STOCK_CHECK != "warn":
        return
    for s in invoice_stock_shortages(invoice=invoice):
        messages.warning(request, _("Not enough stock of %(product)s: %(wanted)s wanted, %(available)s available.")
                         % {"product": s["product"], "wanted": s["wanted"].normalize(),
                            "available": s["available"].normalize()})


@login_required
@require_POST
def invoice_payment_view(request, pk):
    """Record a payment; more than the invoice is owed comes back with a question first (the form again, with
    "Record with the overpayment"), so a typo is not taken as money received."""
    invoice = get_or_404(invoice_get, user=request.user, pk=pk)
    form = PaymentForm(request.POST)
    overpayment = None
    if form.is_valid():
        try:
            payment = invoice_payment_record(user=request.user, invoice=invoice, **form.cleaned_data,
                                             overpayment=request.POST.get("overpayment") == "1")
        except Conflict as exc:
            if exc.code != "sales.payment.overpayment":
                raise
            # The service's words, with the amounts in the reader's format.
            overpayment = _("The invoice is owed %(owed)s; %(over)s more would stay as an overpayment.") % {
                "owed": money(exc.extra["outstanding"], invoice.currency),
                "over": money(exc.extra["overpayment"], invoice.currency)}
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            if payment_unallocated(payment) > 0:
                messages.warning(request, _("Payment recorded; the part above the amount due stays as an overpayment."))
            else:
                messages.success(request, _("Payment recorded."))
            return redirect("web:invoice_detail", pk=pk)
    return _invoice_card(request, invoice, payment_form=form, overpayment=overpayment)
