"""What a dynamic segment's filters mean, as database queries over the counterparties a user sees.

The filters are a JSON object (Segment.filters) of these keys, every one optional:

    tags: [tag id, ...]              has any of these tags
    kind: "legal" | ...              the counterparty's kind
    country: "RU"                    the counterparty's country (ISO code)
    city: "Moscow"                   a city of any of its addresses (the region)
    responsible: [user id, ...]      its responsible manager is one of these
    paid_from, paid_to: "YYYY-MM-DD" the period of `paid_min`
    paid_min: "1000"                 paid at least this much in the period (sales.Payment amounts)
    bought_after, bought_before      its last purchase (last payment or invoice, drafts and cancelled aside)
    product_groups: [group id, ...]  an invoice line's product is in one of these groups
    open_deal: "yes" | "no"          has a deal in an open stage
    consent: "email" | "sms"         has an address on the channel that did not opt out
    abc_class: ["A", "B", "C"]       its ABC class by paid revenue, as the reader's ABC/XYZ page classes it
    xyz_class: ["X", "Y", "Z"]       its XYZ class (regularity of monthly payments), the same way

Each key narrows the set (AND); an unknown key is an error (segments.services checks filters before saving).
ABC and XYZ are those of reports.analytics.abc over the twelve complete months before today, computed over the
clients the reader sees: the segment "my A clients" of a manager is the A row of that manager's matrix.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.comms.models import Channel, OptOut
from raccordo.parties.models import Address, Email, Phone, PhoneKind
from raccordo.reports.analytics.abc import classed_items_sql
from raccordo.sales.models import Deal, Invoice, InvoiceLine, InvoiceStatus, Payment, StageKind

LIST_KEYS = ("tags", "responsible", "product_groups", "abc_class", "xyz_class")
CLASSES = {"abc_class": ("A", "B", "C"), "xyz_class": ("X", "Y", "Z")}
TEXT_KEYS = ("kind", "country", "city", "open_deal", "consent")
DATE_KEYS = ("paid_from", "paid_to", "bought_after", "bought_before")
KEYS = LIST_KEYS + TEXT_KEYS + DATE_KEYS + ("paid_min",)
NOT_PURCHASES = (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED)
FAR_PAST = dt.date(1900, 1, 1)


def clean_filters(raw: dict) -> dict:
    """The filters with empty values dropped and each value checked; ValidationError names the bad key."""
    cleaned: dict = {}
    for key, value in (raw or {}).items():
        if key not in KEYS:
            raise ValidationError({"filters": _("Unknown filter “%(key)s”.") % {"key": key}})
        if value in (None, "", []):
            continue
        if key in LIST_KEYS:
            cleaned[key] = [str(v) for v in (value if isinstance(value, list) else [value]) if v]
            wrong = [v for v in cleaned[key] if key in CLASSES and v not in CLASSES[key]]
            if wrong:
                raise ValidationError({key: _("Unknown class “%(value)s”.") % {"value": wrong[0]}})
        elif key in DATE_KEYS:
            cleaned[key] = _date(key, value).isoformat()
        elif key == "paid_min":
            cleaned[key] = str(_amount(value))
        else:
            cleaned[key] = str(value).strip()
    if cleaned.get("open_deal") not in (None, "yes", "no"):
        raise ValidationError({"open_deal": _("Choose yes or no.")})
    if cleaned.get("consent") not in (None, "email", "sms"):
        raise ValidationError({"consent": _("Choose e-mail or SMS.")})
    return cleaned


def _date(key: str, value) -> dt.date:
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError({key: _("Enter a date as YYYY-MM-DD.")}) from exc


def _amount(value) -> Decimal:
    try:
        return Decimal(str(value).replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:
        raise ValidationError({"paid_min": _("Enter an amount, e.g. 10000.")}) from exc


def apply(queryset: QuerySet, filters: dict, *, user=None) -> QuerySet:
    """Narrow a counterparty queryset (already through the access policy) by a segment's filters; `user` is the
    reader the ABC/XYZ classes are computed for (needed only with those filters)."""
    f = clean_filters(filters)
    if f.get("tags"):
        queryset = queryset.filter(Exists(queryset.model.tags.through.objects.filter(
            counterparty_id=OuterRef("pk"), tag_id__in=f["tags"])))
    if f.get("kind"):
        queryset = queryset.filter(kind=f["kind"])
    if f.get("country"):
        queryset = queryset.filter(country=f["country"].upper())
    if f.get("city"):
        queryset = queryset.filter(Exists(Address.objects.filter(counterparty=OuterRef("pk"),
                                                                 city__iexact=f["city"])))
    if f.get("responsible"):
        queryset = queryset.filter(responsible__in=f["responsible"])
    queryset = _money(queryset, f)
    if f.get("product_groups"):
        queryset = queryset.filter(Exists(InvoiceLine.objects.filter(
            invoice__counterparty=OuterRef("pk"), product__group__in=f["product_groups"]).exclude(
            invoice__status__in=NOT_PURCHASES)))
    if f.get("open_deal"):
        open_deal = Exists(Deal.objects.filter(counterparty=OuterRef("pk"), stage__kind=StageKind.OPEN))
        queryset = queryset.filter(open_deal if f["open_deal"] == "yes" else ~open_deal)
    if f.get("consent"):
        queryset = queryset.filter(Exists(reachable(f["consent"]).filter(counterparty=OuterRef("pk"))))
    if f.get("abc_class") or f.get("xyz_class"):
        sql, params = classed_items_sql(user=user, subject="clients", as_of=timezone.localdate(),
                                        abc=f.get("abc_class"), xyz=f.get("xyz_class"))
        queryset = queryset.filter(pk__in=RawSQL(sql, params))
    return queryset


def _money(queryset: QuerySet, f: dict) -> QuerySet:
    """Paid in a period, and the last purchase: subqueries per counterparty (no join multiplies rows)."""
    if f.get("paid_min"):
        payments = Payment.objects.filter(counterparty=OuterRef("pk"), reversed_at__isnull=True)
        if f.get("paid_from"):
            payments = payments.filter(date__gte=f["paid_from"])
        if f.get("paid_to"):
            payments = payments.filter(date__lte=f["paid_to"])
        paid = payments.order_by().values("counterparty").annotate(s=Sum("amount")).values("s")
        queryset = queryset.annotate(seg_paid=Coalesce(Subquery(paid), Decimal("0"))).filter(
            seg_paid__gte=Decimal(f["paid_min"]))
    if f.get("bought_after") or f.get("bought_before"):
        last_payment = (Payment.objects.filter(counterparty=OuterRef("pk"), reversed_at__isnull=True).order_by()
                        .values("counterparty").annotate(d=Max("date")).values("d"))
        last_invoice = (Invoice.objects.filter(counterparty=OuterRef("pk")).exclude(status__in=NOT_PURCHASES)
                        .order_by().values("counterparty").annotate(d=Max("date")).values("d"))
        queryset = queryset.annotate(seg_last=Greatest(Coalesce(Subquery(last_payment), FAR_PAST),
                                                       Coalesce(Subquery(last_invoice), FAR_PAST)))
        queryset = queryset.exclude(seg_last=FAR_PAST)
        if f.get("bought_after"):
            queryset = queryset.filter(seg_last__gte=f["bought_after"])
        if f.get("bought_before"):
            queryset = queryset.filter(seg_last__lte=f["bought_before"])
    return queryset


def reachable(channel: str) -> QuerySet:
    """The e-mails (or mobile numbers) on a channel whose address did not opt out."""
    refused = OptOut.objects.filter(channel=channel)
    if channel == Channel.EMAIL:
        return Email.objects.exclude(Exists(refused.filter(address=OuterRef("address"))))
    return Phone.objects.filter(kind=PhoneKind.MOBILE).exclude(Exists(refused.filter(address=OuterRef("number"))))


def contacts_apply(queryset: QuerySet, filters: dict) -> tuple[QuerySet, dict]:
    """Narrow a contact-person queryset by consent (the contact's own address); the other filters, returned, are
    its counterparty's."""
    f = clean_filters(filters)
    consent = f.pop("consent", None)
    if consent:
        queryset = queryset.filter(Exists(reachable(consent).filter(contact=OuterRef("pk"))))
    return queryset, f


