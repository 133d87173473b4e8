"""Undoing mistakes: cancel an invoice, delete a draft, reverse a payment, delete (or archive) a counterparty,
a contact person or a deal, and confirm an invoice's issue.

Each action is a GET that asks (a confirmation saying what follows, with counts of what is affected) and a
POST that does it through the service. htmx asks for the question as a modal (`web/includes/confirm_modal.html`
in base.html's dialog); without JavaScript the same question is a page. Who may is the policy's: the page is
404 for a record the user does not see and 403 for one they see but may not change this way, and the service
checks again when it writes.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, npgettext
from django.views.decorators.http import require_http_methods

from raccordo.access import policy
from raccordo.core.errors import ApplicationError
from raccordo.parties.selectors import contact_get, contact_removal, counterparty_get, counterparty_removal
from raccordo.parties.services import contact_delete, counterparty_delete
from raccordo.sales.models import InvoiceStatus
from raccordo.sales.selectors import deal_get, deal_removal, invoice_get, payment_get
from raccordo.sales.services import (
    deal_delete,
    invoice_cancel,
    invoice_delete,
    payment_reverse,
    payment_unallocated,
)

from ..templatetags.raccordo_ui import money
from .base import error_text, get_or_404, is_htmx, safe_next

SERVICE_ERRORS = (ValidationError, ApplicationError)
REASON_MAX = 255


def _counted(name: str, n: int) -> str:
    """"3 contact persons": a count of affected records in words, in the reader's language."""
    words = {
        "contacts": lambda: ngettext("%(n)s contact person", "%(n)s contact persons", n),
        "phones": lambda: ngettext("%(n)s phone number", "%(n)s phone numbers", n),
        "emails": lambda: ngettext("%(n)s e-mail address", "%(n)s e-mail addresses", n),
        "addresses": lambda: ngettext("%(n)s address", "%(n)s addresses", n),
        "bank_accounts": lambda: ngettext("%(n)s bank account", "%(n)s bank accounts", n),
        "interactions": lambda: ngettext("%(n)s call, e-mail or note", "%(n)s calls, e-mails and notes", n),
        "tasks": lambda: ngettext("%(n)s task", "%(n)s tasks", n),
        "reminders": lambda: ngettext("%(n)s reminder", "%(n)s reminders", n),
        "complaints": lambda: ngettext("%(n)s complaint", "%(n)s complaints", n),
        "deals": lambda: ngettext("%(n)s deal", "%(n)s deals", n),
        "contracts": lambda: ngettext("%(n)s contract", "%(n)s contracts", n),
        "invoices": lambda: ngettext("%(n)s invoice", "%(n)s invoices", n),
        "payments": lambda: ngettext("%(n)s payment", "%(n)s payments", n),
        "accounting_shipments": lambda: ngettext("%(n)s shipment from accounting",
                                                 "%(n)s shipments from accounting", n),
        "lines": lambda: npgettext("what is deleted", "%(n)s line", "%(n)s lines", n),
    }
    return words[name]() % {"n": n}


def _listed(counts: dict) -> str:
    return ", ".join(_counted(name, n) for name, n in counts.items())


def _confirm(request, *, title: str, question: str, follows: list[str], action: str, button: str,
             back: str, reason_label: str = "", refusal: str = "", danger: bool = True, error: str = ""):
    """The question before a destructive action: what follows, an optional reason, and the button."""
    template = "web/includes/confirm_modal.html" if is_htmx(request) else "web/confirm.html"
    return render(request, template, {
        "title": title, "question": question, "follows": follows, "action": action, "button": button,
        "back": back, "reason_label": reason_label, "reason": request.POST.get("reason", ""),
        "reason_max": REASON_MAX, "refusal": refusal, "danger": danger, "error": error})


def _on_post(request, act, done):
    """A confirmed question (POST): the service call `act()`; its refusal is the error shown in the question
    again, its success a message and the redirect `done(result)` names as (message, url). (None, "") on GET."""
    if request.method != "POST":
        return None, ""
    try:
        result = act()
    except SERVICE_ERRORS as exc:
        return None, error_text(exc)
    message, where = done(result)
    messages.success(request, message)
    return redirect(where), ""


def _require(user, action: str, obj) -> None:
    """403 for a record the user sees but may not `action` (the policy decides; the service checks again)."""
    if not policy.can(user, action, obj):
        raise PermissionDenied


# --- invoices ------------------------------------------------------------------------------------------------

def invoice_issue_question(request, invoice):
    """Issuing numbers the invoice and locks it: asked first, with the client and the total."""
    return _confirm(
        request, title=_("Issue the invoice?"),
        question=_("Issue the invoice to %(client)s for %(total)s?") % {
            "client": invoice.counterparty, "total": money(invoice.total, invoice.currency)},
        follows=[_("It gets the next number of %(company)s's series; the number cannot be taken back.")
                 % {"company": invoice.own_company},
                 _("Its lines and amounts can no longer be changed (only the due date and the comment)."),
                 _("Reminders to chase the payment are set.")],
        action=reverse("web:invoice_issue", args=[invoice.pk]), button=_("Issue"), danger=False,
        refusal="" if invoice.status == InvoiceStatus.DRAFT else _("Only a draft invoice can be issued."),
        back=reverse("web:invoice_detail", args=[invoice.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def invoice_cancel_view(request, pk):
    invoice = get_or_404(invoice_get, user=request.user, pk=pk)
    _require(request.user, "change", invoice)
    back = reverse("web:invoice_detail", args=[pk])
    reason = request.POST.get("reason", "")[:REASON_MAX]
    done, error = _on_post(request, lambda: invoice_cancel(user=request.user, invoice=invoice, reason=reason),
                           lambda _result: (_("Invoice %(number)s cancelled.") % {"number": invoice.number or "—"},
                                            back))
    if done is not None:
        return done
    refusal = ""
    if invoice.status == InvoiceStatus.CANCELLED:
        refusal = _("This invoice is already cancelled.")
    elif invoice.allocations.exists():
        refusal = _("This invoice has payments against it. Reverse the payments first, then cancel it.")
    return _confirm(
        request, title=_("Cancel the invoice?"),
        question=_("Cancel invoice %(number)s to %(client)s?") % {"number": invoice.number or "—",
                                                                  "client": invoice.counterparty},
        follows=[_("The invoice stays on record as cancelled with its number, and is no longer owed."),
                 _("The reason is kept with it and in its history.")],
        action=reverse("web:invoice_cancel", args=[pk]), button=_("Cancel the invoice"), back=back,
        reason_label=_("Why is it cancelled?"), refusal=refusal, error=error)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_delete_view(request, pk):
    invoice = get_or_404(invoice_get, user=request.user, pk=pk)
    _require(request.user, "delete", invoice)
    back = reverse("web:invoice_detail", args=[pk])
    done, error = _on_post(request, lambda: invoice_delete(user=request.user, invoice=invoice),
                           lambda _result: (_("Draft invoice deleted."),
                                            reverse("web:counterparty_detail", args=[invoice.counterparty_id])))
    if done is not None:
        return done
    refusal = "" if invoice.status == InvoiceStatus.DRAFT else \
        _("Only a draft invoice can be deleted; cancel an issued one instead.")
    return _confirm(
        request, title=_("Delete the draft?"),
        question=_("Delete this draft invoice to %(client)s?") % {"client": invoice.counterparty},
        follows=[_("Deleted with it: %(what)s.") % {"what": _counted("lines", invoice.lines.count())},
                 _("A draft has no number yet, so no number is lost.")],
        action=reverse("web:invoice_delete", args=[pk]), button=_("Delete the draft"), back=back,
        refusal=refusal, error=error)


# --- payments ------------------------------------------------------------------------------------------------

def _reversal_follows(payment) -> list[str]:
    follows = []
    for allocation in payment.allocations.select_related("invoice"):
        follows.append(_("Invoice %(number)s is owed %(amount)s again.") % {
            "number": allocation.invoice.number, "amount": money(allocation.amount, payment.currency)})
    over = payment_unallocated(payment)
    if over > 0:
        follows.append(_("The overpayment of %(amount)s is removed.") % {"amount": money(over, payment.currency)})
    follows.append(_("The payment stays on record as reversed, with the reason, and counts in no sum."))
    return follows


@login_required
@require_http_methods(["GET", "POST"])
def payment_reverse_view(request, pk):
    payment = get_or_404(payment_get, user=request.user, pk=pk)
    _require(request.user, "delete", payment)
    first = payment.allocations.select_related("invoice").first()
    back = safe_next(request, reverse("web:invoice_detail", args=[first.invoice_id]) if first
                     else reverse("web:counterparty_detail", args=[payment.counterparty_id]))
    reason = request.POST.get("reason", "")[:REASON_MAX]
    done, error = _on_post(request, lambda: payment_reverse(user=request.user, payment=payment, reason=reason),
                           lambda _result: (_("Payment reversed."), back))
    if done is not None:
        return done
    return _confirm(
        request, title=_("Reverse the payment?"),
        question=_("Reverse the payment of %(amount)s from %(client)s of %(date)s?") % {
            "amount": money(payment.amount, payment.currency), "client": payment.counterparty,
            "date": date_format(payment.date, "SHORT_DATE_FORMAT")},
        follows=_reversal_follows(payment), action=reverse("web:payment_reverse", args=[pk]) + "?" + urlencode({"next": back}),
        button=_("Reverse the payment"), back=back, reason_label=_("Why is it reversed?"),
        refusal=_("This payment is already reversed.") if payment.reversed_at else "", error=error)


# --- counterparties, contact persons, deals ---------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def counterparty_delete_view(request, pk):
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    _require(request.user, "delete", counterparty)
    back = reverse("web:counterparty_detail", args=[pk])
    done, error = _on_post(request, lambda: counterparty_delete(user=request.user, counterparty=counterparty),
                           lambda outcome: ((_("%(name)s archived.") if outcome == "archived" else _("%(name)s deleted."))
                                            % {"name": counterparty.name}, reverse("web:counterparty_list")))
    if done is not None:
        return done
    removal = counterparty_removal(counterparty=counterparty)
    if removal["archive"]:
        follows = [_("It has %(what)s, which stay on record, so it is archived instead of deleted.")
                   % {"what": _listed(removal["documents"])},
                   _("It is marked inactive; its documents and history stay, and it can be made active again.")]
        title, button = _("Archive the counterparty?"), _("Archive")
        refusal = "" if counterparty.is_active else _("This counterparty is already archived.")
    else:
        follows = [_("Deleted with it: %(what)s.") % {"what": _listed(removal["dependants"])}
                   if removal["dependants"] else _("Nothing else is deleted with it.")]
        title, button, refusal = _("Delete the counterparty?"), _("Delete"), ""
    return _confirm(request, title=title, question=_("%(name)s: are you sure?") % {"name": counterparty.name},
                    follows=follows, action=reverse("web:counterparty_delete", args=[pk]), button=button,
                    back=back, refusal=refusal, error=error)


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete_view(request, pk):
    contact = get_or_404(contact_get, user=request.user, pk=pk)
    _require(request.user, "delete", contact)
    done, error = _on_post(request, lambda: contact_delete(user=request.user, contact=contact),
                           lambda _result: (_("Contact “%(name)s” deleted.") % {"name": contact},
                                            reverse("web:counterparty_detail", args=[contact.counterparty_id])
                                            + "?tab=contacts"))
    if done is not None:
        return done
    counts = contact_removal(contact=contact)
    gone = {k: v for k, v in counts.items() if k in ("phones", "emails")}
    kept = {k: v for k, v in counts.items() if k not in gone}
    follows = [_("Deleted with them: %(what)s.") % {"what": _listed(gone)} if gone
               else _("They have no phone or e-mail of their own.")]
    if kept:
        follows.append(_("%(what)s stay, without their name.") % {"what": _listed(kept)})
    return _confirm(request, title=_("Delete the contact person?"),
                    question=_("Delete %(name)s of %(client)s?") % {"name": contact, "client": contact.counterparty},
                    follows=follows, action=reverse("web:contact_delete", args=[pk]), button=_("Delete"),
                    back=reverse("web:contact_detail", args=[pk]), error=error)


@login_required
@require_http_methods(["GET", "POST"])
def deal_delete_view(request, pk):
    deal = get_or_404(deal_get, user=request.user, pk=pk)
    _require(request.user, "delete", deal)
    done, error = _on_post(request, lambda: deal_delete(user=request.user, deal=deal),
                           lambda _result: (_("Deal “%(title)s” deleted.") % {"title": deal.title},
                                            reverse("web:counterparty_detail", args=[deal.counterparty_id])))
    if done is not None:
        return done
    counts = deal_removal(deal=deal)
    follows = []
    if counts.get("lines"):
        follows.append(_("Deleted with it: %(what)s.") % {"what": _counted("lines", counts["lines"])})
    kept = {k: v for k, v in counts.items() if k in ("tasks", "interactions")}
    if kept:
        follows.append(_("%(what)s stay, without the link to the deal.") % {"what": _listed(kept)})
    refusal = _("This deal has invoices, so it is not deleted: close it as lost instead.") \
        if counts.get("invoices") else ""
    return _confirm(request, title=_("Delete the deal?"),
                    question=_("Delete the deal “%(title)s” with %(client)s?") % {
                        "title": deal.title, "client": deal.counterparty},
                    follows=follows or [_("Nothing else is deleted with it.")],
                    action=reverse("web:deal_delete", args=[pk]), button=_("Delete"),
                    back=reverse("web:deal_detail", args=[pk]), refusal=refusal, error=error)
