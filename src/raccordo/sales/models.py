"""Funnels and deals, contracts, invoices with lines, payments and their allocation to invoices."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from raccordo.core.models import BaseModel
from raccordo.core.money import default_currency, validate_currency

ZERO = Decimal("0")


class Funnel(BaseModel):
    """A sales pipeline: an ordered list of stages a deal moves through."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("funnel")
        verbose_name_plural = _("funnels")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(BaseModel):
    """One step of a funnel; won and lost stages close the deal."""

    funnel = models.ForeignKey(Funnel, on_delete=models.CASCADE, related_name="stages", verbose_name=_("funnel"))
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=5, choices=StageKind.choices, default=StageKind.OPEN)
    probability = models.PositiveSmallIntegerField(_("probability, %"), default=10,
                                                   validators=[MaxValueValidator(100)])

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["funnel", "order"]
        constraints = [models.UniqueConstraint(fields=["funnel", "name"], name="stage_unique_name")]

    def __str__(self) -> str:
        return self.name


class Deal(BaseModel):
    """An opportunity to sell to a counterparty, moving through a funnel's stages."""

    title = models.CharField(_("title"), max_length=255)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.PROTECT, related_name="deals",
                                     verbose_name=_("counterparty"))
    contact = models.ForeignKey("parties.ContactPerson", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="deals", verbose_name=_("contact person"))
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="deals", verbose_name=_("manager"))
    funnel = models.ForeignKey(Funnel, on_delete=models.PROTECT, related_name="deals", verbose_name=_("funnel"))
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=ZERO,
                                 validators=[MinValueValidator(ZERO)])
    currency = models.CharField(_("currency"), max_length=3, default=default_currency, validators=[validate_currency])
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability, %"), null=True, blank=True,
                                                   validators=[MaxValueValidator(100)])
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    lost_reason = models.CharField(_("reason lost"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Attribution: the campaign the deal came from (campaigns.selectors computes its ROI from the deal's payments).
    source_campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="deals", verbose_name=_("source campaign"))

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["stage", "-created_at"]), models.Index(fields=["manager", "-created_at"]),
                   # The deal list's default order, newest first, paged by (created_at, id).
                   models.Index(fields=["created_at", "id"], name="sales_deal_created_id"),
                   # The KPI report: deals won and lost in a year (reports.selectors).
                   models.Index(fields=["closed_at"], name="sales_deal_closed_kpi"),
                   # The dashboard's "my deals closing next": walked in order, stops after ten open ones
                   # instead of sorting every deal of the manager (26.6 -> 0.6 ms at 100k, PostgreSQL).
                   models.Index(fields=["manager", "expected_close", "-created_at"], name="sales_deal_mgr_close")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.stage_id and self.funnel_id and self.stage.funnel_id != self.funnel_id:
            raise ValidationError({"stage": _("The stage belongs to another funnel.")})
        # The contact person speaks for the deal's client: another company's contact is refused (findings top 8).
        if self.contact_id and self.counterparty_id and self.contact.counterparty_id != self.counterparty_id:
            raise ValidationError({"contact": _("The contact person works for another counterparty.")})


class DealStageVisit(BaseModel):
    """One stay of a deal on a stage of its funnel, from the moment it entered the stage until it left (the
    funnel analytics read these facts: what a deal reached, how long it stood where).

    Written only by the deal services, in the transaction of the create or move they follow (`deal_create` opens
    the first visit, `deal_move` closes the open one and opens the next); derived from the journaled stage
    change, so not journaled itself. A deal has at most one open visit (`left_at` empty): the one on its stage.
    """

    # No index of its own on `deal` and `funnel`: the two indexes below lead with them.
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_visits", verbose_name=_("deal"),
                             db_index=False)
    # The deal's funnel, copied: the analytics read one funnel's visits without joining every deal.
    funnel = models.ForeignKey(Funnel, on_delete=models.PROTECT, related_name="+", verbose_name=_("funnel"),
                               db_index=False)
    # PROTECT: a stage that deals once stood on keeps its history (as a stage with deals on it is kept).
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="visits", verbose_name=_("stage"))
    # Who had the deal when it entered the stage: a later hand-over does not rewrite who worked on it then.
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("manager"))
    entered_at = models.DateTimeField(_("entered"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)

    class Meta:
        verbose_name = _("deal stage visit")
        verbose_name_plural = _("deal stage visits")
        ordering = ["entered_at", "id"]
        constraints = [models.UniqueConstraint(fields=["deal"], condition=models.Q(left_at__isnull=True),
                                               name="sales_visit_one_open")]
        # Both indexes carry the columns the funnel page reads after their keys, so that page reads only them,
        # never the table: on SQLite, fetching each of a year's 500k visits from the table cost 1.2 s per scan
        # (reports.analytics.funnel, bench/analytics_bench.py).
        indexes = [
            # A deal's visits in order: its first one (when it entered the funnel, and for whom), how far it
            # went; the open one to close.
            models.Index(fields=["deal", "entered_at", "id", "stage", "manager"], name="sales_visit_deal_path"),
            # Time in stage: one funnel's visits begun in a period, with how long they lasted.
            models.Index(fields=["funnel", "entered_at", "stage", "manager", "left_at"],
                         name="sales_visit_funnel_time"),
        ]

    def __str__(self) -> str:
        return f"{self.deal} · {self.stage}"

    def clean(self) -> None:
        if self.stage_id and self.funnel_id and self.stage.funnel_id != self.funnel_id:
            raise ValidationError({"stage": _("The stage belongs to another funnel.")})
        if self.left_at is not None and self.entered_at is not None and self.left_at < self.entered_at:
            raise ValidationError({"left_at": _("A deal cannot leave a stage before it entered it.")})


class LineMixin(models.Model):
    """A priced line of a deal or invoice: product, quantity, price, discount and VAT."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("product"))
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3,
                                   validators=[MinValueValidator(Decimal("0.001"))])
    unit = models.ForeignKey("catalog.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("unit"))
    price = models.DecimalField(_("price"), max_digits=18, decimal_places=2, validators=[MinValueValidator(ZERO)])
    discount_percent = models.DecimalField(_("discount, %"), max_digits=5, decimal_places=2, default=ZERO,
                                           validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))])
    vat_rate = models.DecimalField(_("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True,
                                   validators=[MinValueValidator(ZERO)])
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=ZERO)
    vat_amount = models.DecimalField(_("VAT"), max_digits=18, decimal_places=2, default=ZERO)
    position = models.PositiveIntegerField(pgettext_lazy("order of a line", "position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position"]


class DealLine(BaseModel, LineMixin):
    """A product or service the deal is about."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="lines", verbose_name=_("deal"))

    class Meta(LineMixin.Meta):
        verbose_name = _("deal line")
        verbose_name_plural = _("deal lines")

    def __str__(self) -> str:
        return self.description


class Contract(BaseModel):
    """A contract with a counterparty, signed by one of our own companies."""

    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.PROTECT, related_name="contracts",
                                     verbose_name=_("counterparty"))
    own_company = models.ForeignKey("parties.OwnCompany", on_delete=models.PROTECT, related_name="contracts",
                                    verbose_name=_("own company"))
    number = models.CharField(_("number"), max_length=50)
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=255, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency, validators=[validate_currency])
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"№ {self.number} / {self.date:%d.%m.%Y}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", pgettext_lazy("invoice status", "Cancelled")


class Invoice(BaseModel):
    """An invoice (or order) to a counterparty; totals are kept in step with its lines by the services."""

    own_company = models.ForeignKey("parties.OwnCompany", on_delete=models.PROTECT, related_name="invoices",
                                    verbose_name=_("own company"))
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.PROTECT, related_name="invoices",
                                     verbose_name=_("counterparty"))
    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices",
                             verbose_name=_("deal"))
    contract = models.ForeignKey(Contract, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="invoices", verbose_name=_("contract"))
    number = models.CharField(_("number"), max_length=50, blank=True, db_index=True)
    date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency, validators=[validate_currency])
    vat_included = models.BooleanField(_("prices include VAT"), default=True)
    discount_percent = models.DecimalField(_("discount, %"), max_digits=5, decimal_places=2, default=ZERO,
                                           validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))])
    status = models.CharField(_("status"), max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT,
                              db_index=True)
    subtotal = models.DecimalField(_("amount without VAT"), max_digits=18, decimal_places=2, default=ZERO)
    vat_amount = models.DecimalField(_("VAT"), max_digits=18, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=ZERO)
    paid_amount = models.DecimalField(_("paid"), max_digits=18, decimal_places=2, default=ZERO)
    comment = models.TextField(_("comment"), blank=True)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="invoices", verbose_name=_("responsible"))
    # What accounting reports back about the order (CommerceML "Номер по 1С", "Проведен", shipment...).
    accounting_number = models.CharField(_("number in accounting"), max_length=50, blank=True)
    accounting_date = models.DateField(_("date in accounting"), null=True, blank=True)
    accounting_status = models.CharField(_("status in accounting"), max_length=100, blank=True)
    is_posted = models.BooleanField(_("posted in accounting"), default=False)
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True)
    shipment_number = models.CharField(_("shipment document"), max_length=50, blank=True)
    # Why a person cancelled it: the invoice stays (its number is spent), and the reason is its own field so
    # the card, the API and 1C show it, and the journal keeps it with the status change.
    cancel_reason = models.CharField(_("reason cancelled"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["own_company", "number"], condition=~models.Q(number=""),
                                    name="invoice_number_unique_per_company"),
        ]
        indexes = [models.Index(fields=["counterparty", "-date"]), models.Index(fields=["status", "due_date"]),
                   # The invoice list's default order (newest date first) and its status filter, paged by
                   # (date, number, id).
                   models.Index(fields=["date", "number", "id"], name="sales_invoice_date_id"),
                   models.Index(fields=["status", "date", "number", "id"], name="sales_invoice_status_date_id")]

    def __str__(self) -> str:
        # The reader's date format, as everywhere else (not the ISO form a date prints as).
        date = date_format(self.date, "SHORT_DATE_FORMAT") if self.date else "—"
        return _("Invoice %(number)s of %(date)s") % {"number": self.number or "—", "date": date}

    @property
    def outstanding(self) -> Decimal:
        if self.status in (InvoiceStatus.CANCELLED, InvoiceStatus.DRAFT):
            return ZERO
        return max(self.total - self.paid_amount, ZERO)


class InvoiceLine(BaseModel, LineMixin):
    """One line of an invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice"))

    class Meta(LineMixin.Meta):
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return self.description


class InvoiceNumberSeries(models.Model):
    """The last number used per own company and year; locked while a number is taken."""

    own_company = models.ForeignKey("parties.OwnCompany", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["own_company", "year"], name="series_unique_per_year")]

    def __str__(self) -> str:
        return f"{self.own_company_id} {self.year}: {self.last_number}"


class Payment(BaseModel):
    """Money received from a counterparty; allocated to one or more invoices, the rest is an overpayment."""

    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.PROTECT, related_name="payments",
                                     verbose_name=_("counterparty"))
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3, default=default_currency, validators=[validate_currency])
    number = models.CharField(_("document number"), max_length=50, blank=True)
    comment = models.CharField(_("comment"), max_length=255, blank=True)
    # A reversed payment stays on record (see sales.services.payments.payment_reverse): no allocations, counted
    # in no sum, with when and why it was reversed.
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    reversal_reason = models.CharField(_("reason reversed"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-date"]
        # The KPI report: payments received in a year (reports.selectors).
        # The analytics pages (reports.analytics): a year of payments in one currency grouped by client and month,
        # read from the index alone (measured 10 s -> 4 s at 1M payments on SQLite).
        indexes = [models.Index(fields=["date"], name="sales_payment_date_kpi"),
                   models.Index(fields=["currency", "date", "counterparty", "amount", "reversed_at"],
                                name="sales_payment_paid_window")]

    def __str__(self) -> str:
        return f"{self.number or '—'} {self.date} {self.amount} {self.currency}"


class PaymentAllocation(BaseModel):
    """The part of a payment that settles one invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations",
                                verbose_name=_("payment"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations",
                                verbose_name=_("invoice"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")

    def __str__(self) -> str:
        return f"{self.payment} -> {self.invoice}: {self.amount}"


class AccountingShipment(BaseModel):
    """A shipment (sale, act, UPD) accounting reported that names no invoice of Raccordo.

    Kept in sales, not in the exchange: it is a fact about a client (what was shipped to it), shown on the
    counterparty card and scoped by the same counterparty rule as invoices, whichever peer reported it. A
    shipment that names an invoice is recorded on that invoice instead (`invoice_accounting_update`).
    """

    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.PROTECT,
                                     related_name="accounting_shipments", verbose_name=_("counterparty"))
    own_company = models.ForeignKey("parties.OwnCompany", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("own company"))
    number = models.CharField(_("shipment document"), max_length=50)
    date = models.DateField(_("shipped on"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=ZERO)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency, validators=[validate_currency])

    class Meta:
        verbose_name = _("shipment not invoiced")
        verbose_name_plural = _("shipments not invoiced")
        ordering = ["-date", "-number"]

    def __str__(self) -> str:
        return f"{self.number} {self.date}"
