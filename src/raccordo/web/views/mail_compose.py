"""Writing e-mail from the CRM: "Write" on the card, the deal and the invoice; "Reply" and "Reply all" on a message.

Thin: the composer's choices come from mail.compose, the send is mail.sending.send_mail_message (the same service
the REST API and comms' e-mail channel use). A template picked in the composer fills subject and text through
htmx, editable afterwards.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from raccordo.access.policy import visible
from raccordo.comms.models import MessageTemplate
from raccordo.core.errors import ApplicationError, NotFound
from raccordo.core.ids import parse_uuid
from raccordo.mail import compose
from raccordo.mail.models import MailMessage
from raccordo.mail.sending import contact_for, send_mail_message
from raccordo.parties.selectors import contact_get, counterparty_get
from raccordo.sales.selectors import deal_get, invoice_get, invoice_sendable

from ..forms_mail import ComposeForm
from .base import apply_errors, safe_next

SELECTORS = {"counterparty": counterparty_get, "contact": contact_get, "deal": deal_get, "invoice": invoice_get}


def _records(request) -> dict:
    """The records the message is about, from ?counterparty=&deal=&invoice=&contact= (404 when not visible)."""
    found: dict = dict.fromkeys(SELECTORS)
    for name, selector in SELECTORS.items():
        value = request.POST.get(name) or request.GET.get(name)
        if value:
            try:
                found[name] = selector(user=request.user, pk=value)
            except (NotFound, ValidationError, ValueError) as exc:
                raise Http404(str(exc)) from exc
    invoice, deal = found["invoice"], found["deal"]
    found["deal"] = deal or (invoice.deal if invoice is not None and invoice.deal_id else None)
    found["counterparty"] = found["counterparty"] or getattr(invoice, "counterparty", None) or \
        getattr(found["deal"], "counterparty", None) or getattr(found["contact"], "counterparty", None)
    return found


def _default_next(records: dict, replied=None) -> str:
    if records.get("invoice") is not None:
        return reverse("web:invoice_detail", args=[records["invoice"].pk])
    if records.get("deal") is not None:
        return reverse("web:deal_detail", args=[records["deal"].pk])
    if records.get("counterparty") is not None:
        return reverse("web:counterparty_detail", args=[records["counterparty"].pk]) + "?tab=activity"
    return reverse("web:dashboard")


def _send(request, form: ComposeForm, records: dict, replied=None):
    """Send what the form holds; the page to go to on success, None when the form now shows the error."""
    mailbox = form.mailboxes[form.cleaned_data["mailbox"]]
    try:
        sent = send_mail_message(
            user=request.user, mailbox=mailbox, to=form.recipients(), cc=form.cleaned_data.get("cc") or "",
            subject=form.cleaned_data["subject"], body=form.cleaned_data.get("body") or "",
            attachments=form.attachments(), in_reply_to=replied, counterparty=records.get("counterparty"),
            contact=records.get("contact"), deal=records.get("deal"), invoice=records.get("invoice"),
            attach_invoice=bool(form.cleaned_data.get("attach_invoice")),
            confirm_unknown=bool(form.cleaned_data.get("confirm_unknown")))
    except (ValidationError, ApplicationError) as exc:
        if getattr(exc, "code", "") == "mail.send.unknown_recipients":
            # Asked next to the addresses, with the box that confirms them: not an error on top as well.
            form.unknown = exc.extra.get("addresses", [])  # type: ignore[union-attr]
        else:
            apply_errors(form, exc, {"attachments": "files"})
        return None
    to = ", ".join(a["address"] for a in sent.message.to_addresses + sent.message.cc_addresses)
    if sent.warning:
        messages.warning(request, _("Sent to %(to)s.") % {"to": to} + " " + sent.warning)
    else:
        messages.success(request, _("Sent to %(to)s. A copy is in the folder %(folder)s of %(mailbox)s.") % {
            "to": to, "folder": sent.sent_folder, "mailbox": mailbox.address})
    return safe_next(request, _default_next(records, replied))


def _initial(request, records: dict, card) -> dict:
    initial: dict = {"to_card": [a.address for a in card if a.is_primary][:1] or [a.address for a in card][:1]}
    invoice = records.get("invoice")
    if invoice is not None:
        initial["attach_invoice"] = invoice_sendable(invoice)
    contact = records.get("contact")
    if contact is not None:
        own = [a.address for a in card if a.owner == str(contact)]
        initial["to_card"] = own[:1] or initial["to_card"]
    return initial


@login_required
def mail_compose_view(request):
    records = _records(request)
    card = compose.card_addresses(request.user, records["counterparty"])
    mailboxes = compose.sender_mailboxes(request.user)
    form = ComposeForm(request.POST or None, request.FILES or None, mailboxes=mailboxes, card=card,
                       invoice=records["invoice"], initial=_initial(request, records, card))
    if request.method == "POST" and mailboxes and form.is_valid():
        target = _send(request, form, records)
        if target:
            return redirect(target)
    return render(request, "web/mail/compose.html", {
        "form": form, "records": records, "mailboxes": mailboxes, "replied": None,
        "next": safe_next(request, _default_next(records)), "unknown": getattr(form, "unknown", [])})


def _replied(request, pk) -> MailMessage:
    found = visible(MailMessage.objects.select_related("mailbox", "thread", "counterparty"), request.user) \
        .filter(pk=parse_uuid(str(pk))).first()
    if found is None:
        raise Http404("Message not found.")
    return found


@login_required
def mail_reply_view(request, pk):
    replied = _replied(request, pk)
    mailbox = compose.reply_mailbox(request.user, replied)
    mailboxes = [mailbox] if mailbox is not None else []
    reply_all = (request.POST.get("all") or request.GET.get("all")) == "1"
    records = {"counterparty": replied.counterparty, "contact": None, "deal": None, "invoice": None}
    initial = {}
    if mailbox is not None:
        draft = compose.reply_draft(replied, mailbox=mailbox, reply_all=reply_all)
        initial = {"to": ", ".join(draft.to), "cc": ", ".join(draft.cc), "subject": draft.subject,
                   "body": draft.body}
    form = ComposeForm(request.POST or None, request.FILES or None, mailboxes=mailboxes, reply=True,
                       initial=initial)
    if request.method == "POST" and mailboxes and form.is_valid():
        target = _send(request, form, {"counterparty": None}, replied=replied)
        if target:
            return redirect(target)
    return render(request, "web/mail/compose.html", {
        "form": form, "records": records, "mailboxes": mailboxes, "replied": replied, "reply_all": reply_all,
        "next": safe_next(request, _default_next(records)), "unknown": getattr(form, "unknown", [])})


@login_required
def mail_compose_template_view(request):
    """htmx: the subject and text of the picked template, filled for the records of the composer."""
    records = _records(request)
    template = MessageTemplate.objects.filter(pk=parse_uuid(request.GET.get("template", "")),
                                              channel="email", is_active=True).first()
    data = {"subject": request.GET.get("subject", ""), "body": request.GET.get("body", "")}
    if template is not None:
        # Written to a contact's address: "Dear {{ contact.first_name }}" is that contact.
        typed = request.GET.get("to", "").replace(";", ",").split(",")
        contact = records["contact"] or contact_for(records["counterparty"], request.GET.getlist("to_card") + typed)
        draft = compose.template_draft(template, user=request.user, counterparty=records["counterparty"],
                                       contact=contact, deal=records["deal"], invoice=records["invoice"])
        data = {"subject": draft.subject, "body": draft.body}
    form = ComposeForm(initial=data, mailboxes=[], card=[], invoice=None)
    return render(request, "web/mail/_compose_text.html", {"form": form})
