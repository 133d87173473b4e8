"""Counterparties (companies and people we sell to), their contact persons, and our own legal entities."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from raccordo.core import taxids
from raccordo.core.models import BaseModel
from raccordo.core.money import default_currency, validate_currency
from raccordo.core.phones import format_phone, normalize_phone


class CounterpartyKind(models.TextChoices):
    LEGAL = "legal", _("Legal entity")
    SOLE_TRADER = "sole_trader", _("Sole trader")
    INDIVIDUAL = "individual", _("Individual")


class TaxIdentity(models.Model):
    """Tax identifiers shared by counterparties and own companies, validated with python-stdnum."""

    inn = models.CharField(_("INN"), max_length=12, blank=True, db_index=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True, db_index=True,
                                  help_text=_("Partita IVA or EU VAT number, e.g. IT01234567890."))
    tax_code = models.CharField(_("tax code"), max_length=16, blank=True,
                                help_text=_("Italian codice fiscale."))

    class Meta:
        abstract = True

    def clean_tax_ids(self) -> dict[str, list]:
        errors: dict[str, list] = {}

        def check(field: str, validator):
            value = (getattr(self, field) or "").strip()
            if not value:
                setattr(self, field, "")
                return
            try:
                setattr(self, field, validator(value))
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)

        check("inn", taxids.validate_inn)
        check("kpp", taxids.validate_kpp)
        check("ogrn", taxids.validate_ogrn)
        check("tax_code", taxids.validate_codice_fiscale)

        vat = (self.vat_number or "").strip().upper().replace(" ", "")
        if vat:
            try:
                # A bare 11-digit number is an Italian partita IVA; anything else carries its EU prefix.
                self.vat_number = (taxids.validate_partita_iva(vat) if vat.isdigit()
                                   else taxids.validate_vat(vat))
            except ValidationError as exc:
                errors.setdefault("vat_number", []).extend(exc.messages)
        else:
            self.vat_number = ""
        return errors


class Tag(BaseModel):
    """A free label for segmenting counterparties ("wholesale", "Moscow", "exhibition 2026")."""

    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Counterparty(BaseModel, TaxIdentity):
    """A company, sole trader or person we sell to or buy from; one responsible manager; maybe VIP."""

    kind = models.CharField(_("kind"), max_length=16, choices=CounterpartyKind.choices, default=CounterpartyKind.LEGAL)
    # Indexed together with the key (Meta.indexes), which also serves lookups by name alone.
    name = models.CharField(_("name"), max_length=255,
                            help_text=_("Short working name, e.g. “Romashka”."))
    full_name = models.CharField(_("full name"), max_length=500, blank=True,
                                 help_text=_("Legal name as in documents, e.g. “LLC Romashka”."))
    country = models.CharField(_("country"), max_length=2, default="RU", help_text=_("ISO 3166 code"))
    # No index of its own: (responsible, name, id) below leads with it.
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="counterparties", verbose_name=_("responsible manager"),
                                    db_index=False)
    is_vip = models.BooleanField(_("VIP"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="counterparties", verbose_name=_("tags"))
    segment = models.CharField(_("segment"), max_length=64, blank=True)
    price_type = models.ForeignKey("catalog.PriceType", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("price type"))
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Italian e-invoicing (FatturaPA): where SdI delivers the client's invoices, by code or by certified e-mail.
    sdi_code = models.CharField(_("recipient code (SdI)"), max_length=7, blank=True,
                                help_text=_("Codice destinatario: 7 characters, for Italian clients."))
    pec = models.EmailField(_("PEC"), blank=True, help_text=_("Certified e-mail (PEC) for Italian e-invoices."))

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name"]
        # The list pages a key of (sort column, id) from an index, never sorting or skipping rows: by name
        # (the default), a manager's own by name (the access policy's own filter, and "mine"), VIPs and
        # kinds by name (the list's filters), newest first (the API's default).
        indexes = [
            models.Index(fields=["name", "id"], name="parties_cp_name_id"),
            models.Index(fields=["responsible", "name", "id"], name="parties_cp_resp_name_id"),
            # Partial: VIPs are a few in a hundred, and the planner sees that from this index's size.
            models.Index(fields=["name", "id"], condition=Q(is_vip=True), name="parties_cp_vip_name_id"),
            models.Index(fields=["kind", "name", "id"], name="parties_cp_kind_name_id"),
            models.Index(fields=["responsible", "kind", "name", "id"], name="parties_cp_resp_kind_name_id"),
            models.Index(fields=["created_at", "id"], name="parties_cp_created_id"),
            models.Index(fields=["inn", "kpp"]),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = self.clean_tax_ids()
        self.country = (self.country or "").upper()
        if self.kind == CounterpartyKind.LEGAL and self.inn and len(self.inn) != 10:
            errors.setdefault("inn", []).append(_("A legal entity's INN has 10 digits."))
        if self.kind in (CounterpartyKind.INDIVIDUAL, CounterpartyKind.SOLE_TRADER) and self.inn and len(self.inn) != 12:
            errors.setdefault("inn", []).append(_("A person's INN has 12 digits."))
        if self.kpp and self.kind != CounterpartyKind.LEGAL:
            errors.setdefault("kpp", []).append(_("Only a legal entity has a KPP."))
        self.sdi_code = (self.sdi_code or "").strip().upper()
        if self.sdi_code and not (len(self.sdi_code) == 7 and self.sdi_code.isalnum()):
            errors.setdefault("sdi_code", []).append(_("A recipient code (SdI) has 7 letters or digits."))
        if errors:
            raise ValidationError(errors)


class ContactPerson(BaseModel):
    """A person at a counterparty we talk to: director, buyer, accountant."""

    counterparty = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="contacts",
                                     verbose_name=_("counterparty"))
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=100)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True,
                            help_text=_("Their part in our deals: decision maker, buyer, accountant..."))
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name", "id"], name="parties_contact_name_id")]

    def __str__(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


class ContactPointMixin(models.Model):
    """A phone or e-mail belongs to a counterparty and, optionally, to one of its contact persons."""

    counterparty = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="%(class)ss",
                                     verbose_name=_("counterparty"))
    contact = models.ForeignKey(ContactPerson, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="%(class)ss", verbose_name=_("contact person"))
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.contact_id and self.counterparty_id and self.contact.counterparty_id != self.counterparty_id:
            raise ValidationError({"contact": _("The contact person belongs to another counterparty.")})


class PhoneKind(models.TextChoices):
    WORK = "work", _("Work")
    MOBILE = "mobile", _("Mobile")
    FAX = "fax", _("Fax")
    OTHER = "other", _("Other")


class Phone(BaseModel, ContactPointMixin):
    """A phone number stored in E.164 so caller-ID and search find it in any format."""

    number = models.CharField(_("number"), max_length=20, db_index=True)
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=PhoneKind.choices, default=PhoneKind.WORK)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["-is_primary", "number"]

    def __str__(self) -> str:
        text = format_phone(self.number)
        return f"{text} ext. {self.extension}" if self.extension else text

    def clean(self) -> None:
        try:
            self.number = normalize_phone(self.number)
        except ValidationError as exc:
            raise ValidationError({"number": exc.messages}) from exc
        super().clean()


class Email(BaseModel, ContactPointMixin):
    """An e-mail address of a counterparty or contact person."""

    address = models.EmailField(_("e-mail"), db_index=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["-is_primary", "address"]

    def __str__(self) -> str:
        return self.address

    def clean(self) -> None:
        self.address = (self.address or "").strip().lower()
        super().clean()


class AddressKind(models.TextChoices):
    LEGAL = "legal", _("Legal")
    ACTUAL = "actual", _("Actual")
    POSTAL = "postal", _("Postal")
    DELIVERY = "delivery", _("Delivery")


class Address(BaseModel):
    """A postal address of a counterparty (legal, actual, postal or delivery)."""

    counterparty = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="addresses",
                                     verbose_name=_("counterparty"))
    kind = models.CharField(_("kind"), max_length=10, choices=AddressKind.choices, default=AddressKind.LEGAL)
    text = models.CharField(_("address"), max_length=500)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="RU")

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.text


PICTURE_MAX_SIZE = 1024 * 1024
PICTURE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def validate_picture(value) -> None:
    """A stamp or signature: a PNG or JPEG picture of at most 1 MB (it goes into every printed document)."""
    if not value:
        return
    if value.size > PICTURE_MAX_SIZE:
        raise ValidationError(_("The picture is larger than 1 MB."))
    value.seek(0)
    head = value.read(8)
    value.seek(0)
    if not head.startswith(PICTURE_MAGIC):
        raise ValidationError(_("The picture must be a PNG or JPEG file."))


class OwnCompany(BaseModel, TaxIdentity):
    """One of our own legal entities: it issues invoices and has its own number series and bank accounts."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    full_name = models.CharField(_("full name"), max_length=500, blank=True)
    country = models.CharField(_("country"), max_length=2, default="RU")
    address = models.CharField(_("legal address"), max_length=500, blank=True)
    director = models.CharField(_("director"), max_length=150, blank=True)
    chief_accountant = models.CharField(_("chief accountant"), max_length=150, blank=True)
    invoice_prefix = models.CharField(_("invoice number prefix"), max_length=10, blank=True)
    currency = models.CharField(_("default currency"), max_length=3, default=default_currency)
    is_default = models.BooleanField(_("default"), default=False)
    # The tax status as invoices need it: a VAT payer's standard rate is what a new invoice line starts with;
    # empty is a company that charges no VAT (e.g. a Russian one on the simplified system).
    vat_rate = models.DecimalField(_("standard VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True,
                                   validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
                                   help_text=_("Empty if the company does not charge VAT."))
    # Printed on documents made from templates (documents app); PNG or JPEG, checked by documents.services.
    stamp = models.FileField(_("stamp"), upload_to="companies/stamps/", max_length=255, blank=True,
                             validators=[validate_picture])
    signature = models.FileField(_("signature"), upload_to="companies/signatures/", max_length=255, blank=True,
                                 validators=[validate_picture])

    class Meta:
        verbose_name = _("own company")
        verbose_name_plural = _("own companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = self.clean_tax_ids()
        try:
            validate_currency(self.currency)
        except ValidationError as exc:
            errors.setdefault("currency", []).extend(exc.messages)
        if errors:
            raise ValidationError(errors)


class BankAccount(BaseModel):
    """A bank account of a counterparty or of an own company."""

    counterparty = models.ForeignKey(Counterparty, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="bank_accounts", verbose_name=_("counterparty"))
    own_company = models.ForeignKey(OwnCompany, on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="bank_accounts", verbose_name=_("own company"))
    bank_name = models.CharField(_("bank"), max_length=255)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    account_number = models.CharField(_("account number"), max_length=34, blank=True)
    correspondent_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    is_primary = models.BooleanField(_("primary"), default=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        constraints = [
            models.CheckConstraint(
                condition=(Q(counterparty__isnull=False, own_company__isnull=True)
                           | Q(counterparty__isnull=True, own_company__isnull=False)),
                name="bankaccount_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.iban or self.account_number}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if bool(self.counterparty_id) == bool(self.own_company_id):
            errors.setdefault("__all__", []).append(_("A bank account belongs to one counterparty or one own company."))
        if self.iban:
            try:
                self.iban = taxids.validate_iban(self.iban)
            except ValidationError as exc:
                errors.setdefault("iban", []).extend(exc.messages)
        if self.bic and not (self.bic.isdigit() and len(self.bic) == 9) and len(self.bic) not in (8, 11):
            errors.setdefault("bic", []).append(_("A BIC has 9 digits (Russia) or 8/11 characters (SWIFT)."))
        if not self.account_number and not self.iban:
            errors.setdefault("account_number", []).append(_("Give an account number or an IBAN."))
        if errors:
            raise ValidationError(errors)


class SearchDocument(models.Model):
    """The searchable text of one counterparty (contact = null) or one of its contact persons.

    Written only by raccordo.parties.search (kept in step with the records it is built from); read
    through the search index of the database: FTS5 tables on SQLite, trigram and full-text GIN
    indexes on PostgreSQL. An integer key, because FTS5 addresses rows by rowid.
    """

    id = models.BigAutoField(primary_key=True)
    counterparty = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(ContactPerson, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    text = models.TextField()

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        default_permissions = ()

    def __str__(self) -> str:
        return self.text[:80]
