"""Template helpers of the sales day: the product name of an editor line, money facts of a counterparty or deal."""

from __future__ import annotations

from django import template

from raccordo.catalog.selectors import product_list

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
    from raccordo.sales.selectors import overpayment_total

    user = context["request"].user
    return {"overpayment": overpayment_total(user=user, counterparty=counterparty)}


@register.inclusion_tag("web/includes/deal_money.html", takes_context=True)
def deal_money(context, deal):
    """What the deal's invoices still owe, and how much of it is overdue."""
    from django.db.models import F, Sum
    from django.utils import timezone

    from raccordo.sales.selectors import OPEN_INVOICE_STATUSES, invoice_list

    user = context["request"].user
    qs = invoice_list(user=user).filter(deal=deal, status__in=OPEN_INVOICE_STATUSES)

    def per_currency(rows):
        return {r["currency"]: r["owed"] for r in rows.values("currency").annotate(
            owed=Sum(F("total") - F("paid_amount"))).order_by("currency") if r["owed"]}

    return {"owed": per_currency(qs), "overdue": per_currency(qs.filter(due_date__lt=timezone.localdate()))}


@register.inclusion_tag("web/includes/complaints_panel.html", takes_context=True)
def counterparty_complaints(context, counterparty):
    """The counterparty's complaints that are not closed, with a link to register one."""
    from raccordo.activities.models import ComplaintStatus
    from raccordo.activities.selectors import complaint_list

    user = context["request"].user
    rows = (complaint_list(user=user).filter(counterparty=counterparty)
            .filter(status__in=[ComplaintStatus.NEW, ComplaintStatus.IN_PROGRESS]).order_by("deadline"))
    return {"complaints": list(rows[:10]), "counterparty": counterparty}


@register.inclusion_tag("web/includes/reminders_panel.html", takes_context=True)
def target_reminders(context, obj):
    """Reminders attached to a record (an invoice, a deal...), open ones first, with a form to add one."""
    from raccordo.activities.selectors import reminders_for

    request = context["request"]
    reminders = list(reminders_for(user=request.user, target=obj)[:20])
    label = obj._meta.model_name
    return {"reminders": reminders, "target": f"{label}:{obj.pk}", "next": request.get_full_path(),
            "request": request}


@register.inclusion_tag("web/invoices/_send.html", takes_context=True)
def invoice_send_panel(context, invoice):
    """The "send by e-mail" form of an invoice, addressed to the counterparty's e-mails by default."""
    from raccordo.parties.models import Email

    request = context["request"]
    from raccordo.access.policy import visible

    addresses = list(visible(Email.objects.filter(counterparty=invoice.counterparty), request.user)
                     .order_by("-is_primary", "address").values_list("address", flat=True)[:3])
    return {"invoice": invoice, "to": ", ".join(dict.fromkeys(addresses)), "request": request,
            "sendable": invoice.status not in ("draft", "cancelled"),
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("web/includes/head_complaints.html", takes_context=True)
def head_overdue_complaints(context):
    """Overdue complaints, on the dashboard of a head of sales or an administrator only."""
    from raccordo.access.policy import oversees_team
    from raccordo.activities.selectors import complaints_overdue

    user = context["request"].user
    # The policy says who leads a team (a custom role of a department's lead too), not the built-in name.
    show = oversees_team(user)
    return {"show": show, "complaints": list(complaints_overdue(user=user)[:10]) if show else []}


@register.simple_tag
def reminder_target_link(reminder) -> str:
    """' · Invoice 2026-00012' linking to the record a reminder is about (invoices and deals)."""
    from django.urls import reverse
    from django.utils.html import format_html

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
