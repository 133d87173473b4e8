"""Template helpers of the sales day: the product name of an editor line, money facts of a counterparty or deal.

The tags only ask: every figure comes from a selector, every rule (who sees the head's panel, which invoice can
be sent) from the access policy or the sales selectors, so a page and the service it leads to agree.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from raccordo.access.policy import oversees_team
from raccordo.activities.selectors import complaint_list, complaints_overdue, reminders_for
from raccordo.catalog.selectors import product_list
from raccordo.comms.reminders import OWED as REMINDER_OWED
from raccordo.parties.selectors import counterparty_email_addresses
from raccordo.sales.selectors import invoice_sendable, overdue_total, overpayment_total, receivable_total

register = template.Library()


@register.simple_tag(takes_context=True)
def line_product_name(context, lf) -> str:
    """The name of the product a line form holds (from its instance, or the id posted back after an error)."""
    instance = getattr(lf, "instance", None)
    value = lf["product"].value() if "product" in lf.fields else None
    if instance is not None and instance.product_id and str(instance.product_id) == str(value or ""):
        return instance.product.name
    if not value:
        return ""
    request = context.get("request")
    product = product_list(user=getattr(request, "user", None)).filter(pk=value).first() if request else None
    return product.name if product else ""


@register.inclusion_tag("web/includes/money_facts.html", takes_context=True)
def counterparty_money_facts(context, counterparty):
    """Overpayment (money received but not allocated to any invoice) of a counterparty, for its card."""
    user = context["request"].user
    return {"overpayment": overpayment_total(user=user, counterparty=counterparty)}


@register.inclusion_tag("web/includes/deal_money.html", takes_context=True)
def deal_money(context, deal):
    """What the deal's invoices still owe, and how much of it is overdue."""
    user = context["request"].user
    return {"owed": receivable_total(user=user, deal=deal), "overdue": overdue_total(user=user, deal=deal)}


@register.inclusion_tag("web/includes/complaints_panel.html", takes_context=True)
def counterparty_complaints(context, counterparty):
    """The counterparty's complaints that are not closed, with a link to register one."""
    user = context["request"].user
    rows = complaint_list(user=user, filters={"state": "open"}).filter(counterparty=counterparty).order_by("deadline")
    return {"complaints": list(rows[:10]), "counterparty": counterparty}


@register.inclusion_tag("web/includes/reminders_panel.html", takes_context=True)
def target_reminders(context, obj):
    """Reminders attached to a record (an invoice, a deal...), open ones first, with a form to add one."""
    request = context["request"]
    reminders = list(reminders_for(user=request.user, target=obj)[:20])
    label = obj._meta.model_name
    return {"reminders": reminders, "target": f"{label}:{obj.pk}", "next": request.get_full_path(),
            "request": request}


@register.inclusion_tag("web/invoices/_send.html", takes_context=True)
def invoice_send_panel(context, invoice):
    """The "send by e-mail" form of an invoice, addressed to the counterparty's e-mails by default."""
    request = context["request"]
    addresses = counterparty_email_addresses(user=request.user, counterparty=invoice.counterparty)
    return {"invoice": invoice, "to": ", ".join(addresses), "request": request,
            "sendable": invoice_sendable(invoice), "csrf_token": context.get("csrf_token"),
            "remindable": invoice.status in REMINDER_OWED and bool(invoice.outstanding)}


@register.inclusion_tag("web/includes/head_complaints.html", takes_context=True)
def head_overdue_complaints(context):
    """Overdue complaints, on the dashboard of a head of sales or an administrator only."""
    user = context["request"].user
    # The policy says who leads a team (a custom role of a department's lead too), not the built-in name.
    show = oversees_team(user)
    return {"show": show, "complaints": list(complaints_overdue(user=user)[:10]) if show else []}


@register.simple_tag
def reminder_target_link(reminder) -> str:
    """' · Invoice 2026-00012' linking to the record a reminder is about (invoices and deals)."""
    if not reminder.target_id or reminder.target_type_id is None:
        return ""
    model = reminder.target_type.model
    names = {"invoice": "web:invoice_detail", "deal": "web:deal_detail"}
    if model not in names:
        return ""
    target = reminder.target
    if target is None:
        return ""
    return format_html(' · <a href="{}">{}</a>', reverse(names[model], args=[reminder.target_id]), target)
