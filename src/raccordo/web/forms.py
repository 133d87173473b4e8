"""Forms of the web interface. They parse and pre-check input; the services decide and save.

The model forms here never save and never run the model's own validation: the service called with
`cleaned_data` does that, and its ValidationError is put back next to the fields (views.base.apply_errors).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from raccordo.access.policy import allows, visible
from raccordo.activities.models import Interaction, Task, TaskStatus
from raccordo.catalog.models import Product
from raccordo.catalog.selectors import counterparty_price, product_list
from raccordo.core.ids import parse_uuid
from raccordo.core.inputs import BoundedDatesMixin
from raccordo.core.money import default_currency, validate_currency
from raccordo.core.phones import normalize_phone
from raccordo.parties.models import ContactPerson, Counterparty, Tag
from raccordo.parties.selectors import contact_list, counterparty_list
from raccordo.sales.models import Deal, Invoice, InvoiceLine
from raccordo.sales.selectors import deal_list
from raccordo.sales.services import LineInput

from . import reference

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ServiceModelForm(BoundedDatesMixin, forms.ModelForm):
    """A ModelForm for labels, widgets and choices only: no instance is built or validated here.

    Its dates accept 1900-2999 only (core.inputs), so year 1 is a message, not a 500 when it is stored.
    """

    def _post_clean(self):
        pass

    @property
    def is_edit(self) -> bool:
        # Primary keys are generated in Python, so a new instance already has one: ask the state instead.
        return not self.instance._state.adding

    # Model fields declared on the form by hand (not in Meta.fields) that still go to the service.
    extra_model_fields: tuple[str, ...] = ()

    def service_data(self, exclude: tuple[str, ...] = ()) -> dict:
        names = set(self._meta.fields) | set(self.extra_model_fields)
        return {k: v for k, v in self.cleaned_data.items() if k in names and k not in exclude}


class PhoneFormMixin:
    """Check a phone number as soon as it is typed, so it is reported together with the other fields."""

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "").strip()
        if value:
            normalize_phone(value)
        return value


class CurrencyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("label", _("Currency"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"list": "currency-codes", "autocomplete": "off", "class": "text-uppercase"})

    def clean(self, value):
        value = super().clean((value or "").strip().upper())
        if value:
            validate_currency(value)
        return value


# --- Parties --------------------------------------------------------------------------------------------------

class CounterpartyForm(PhoneFormMixin, ServiceModelForm):
    tag_names = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate tags with commas."))
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    email = forms.EmailField(label=_("E-mail"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    # Shown only next to a duplicate the check found (settings.DUPLICATE_CHECK = "warn"): "save it anyway".
    duplicate_confirmed = forms.BooleanField(label=_("I have seen the existing counterparty; save this one anyway"),
                                             required=False)
    extra_model_fields = ("website",)

    class Meta:
        model = Counterparty
        fields = ["kind", "name", "full_name", "inn", "kpp", "ogrn", "vat_number", "tax_code", "country",
                  "is_vip", "responsible", "notes", "sdi_code", "pec"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        assignable = reference.assignable_users(user)
        if assignable.exclude(pk=user.pk).exists():
            # Administrators and heads hand a counterparty to someone in their reach; a manager's own are theirs.
            self.fields["responsible"].queryset = assignable
        else:
            del self.fields["responsible"]
        if self.is_edit:
            self.fields["tag_names"].initial = ", ".join(t.name for t in self.instance.tags.all())
            self.fields["website"].initial = self.instance.website
            self.fields["phone"].label = _("Add a phone")
            self.fields["email"].label = _("Add an e-mail")

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tag_names", "").split(",") if t.strip()]

    def clean_tag_names(self):
        # Tags are shared by everyone: a new one is the policy's "add" on reference data. Said next to the
        # field here; tag_get_or_create refuses it all the same.

        value = self.cleaned_data.get("tag_names", "")
        longest = Tag._meta.get_field("name").max_length
        too_long = [t.strip() for t in value.split(",") if len(t.strip()) > longest]
        if too_long:
            raise forms.ValidationError(_("A tag has at most %(max)s characters: “%(tag)s…”."),
                                        code="tag.too_long", params={"max": longest, "tag": too_long[0][:20]})
        names = [t.strip() for t in value.split(",") if t.strip()]
        if names and not allows(self.user, "add", Tag):
            new = [n for n in names if not Tag.objects.filter(name__iexact=n).exists()]
            if new:
                raise forms.ValidationError(
                    _("Only existing tags can be used; ask an administrator to add: %(names)s."),
                    params={"names": ", ".join(new)})
        return value


class ContactForm(PhoneFormMixin, ServiceModelForm):
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.EmailField(label=_("E-mail"), required=False)

    class Meta:
        model = ContactPerson
        fields = ["counterparty", "last_name", "first_name", "middle_name", "position", "role", "birthday", "notes"]
        widgets = {"birthday": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, fixed_counterparty=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_counterparty is not None or self.is_edit:
            del self.fields["counterparty"]
        else:
            self.fields["counterparty"].queryset = counterparty_list(user=user)


# --- Catalog --------------------------------------------------------------------------------------------------

class ProductForm(ServiceModelForm):
    class Meta:
        model = Product
        fields = ["name", "full_name", "article", "barcode", "group", "unit", "vat_rate", "is_service",
                  "is_active", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


# --- Sales ----------------------------------------------------------------------------------------------------

class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.funnel.name} — {obj.name}"


def chosen_counterparty(form):
    """The counterparty a deal or task form is about: posted, given in the link, or the record's own (an id)."""
    if form.is_bound and "counterparty" in form.fields:
        value = form.data.get("counterparty")
    else:
        value = form.initial.get("counterparty") or getattr(form.instance, "counterparty_id", None)
    value = getattr(value, "pk", value)
    return parse_uuid(str(value)) if value else None


def dependent_choices(field, url_name: str, target: str) -> None:
    """Make choosing in `field` reload the <option>s of the select `target` from `url_name` (htmx, no script)."""
    field.widget.attrs.update({"hx-get": reverse_lazy(url_name), "hx-target": target, "hx-trigger": "change",
                               "hx-swap": "innerHTML"})


class DealForm(ServiceModelForm):
    currency = CurrencyField(initial=default_currency)
    stage = StageChoiceField(queryset=None, label=_("Stage"), required=False,
                             help_text=_("Empty starts at the funnel's first stage."))

    class Meta:
        model = Deal
        fields = ["title", "counterparty", "contact", "stage", "amount", "currency", "expected_close",
                  "probability", "source_campaign", "description"]
        widgets = {"expected_close": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterparty"].queryset = counterparty_list(user=user)
        # Only the chosen client's contacts; choosing another client reloads them (findings top 8).
        self.fields["contact"].queryset = contact_list(user=user).filter(counterparty_id=chosen_counterparty(self))
        dependent_choices(self.fields["counterparty"], "web:deal_contact_options", "#id_contact")
        self.fields["stage"].queryset = reference.stages(user)
        # Attribution: the campaigns the user sees (the campaigns app is not imported here; the policy narrows).
        self.fields["source_campaign"].queryset = visible(self.fields["source_campaign"].queryset, user)
        if self.is_edit:
            # The stage changes with the stage buttons on the deal (deal_move), which close won/lost deals.
            del self.fields["stage"]
            del self.fields["counterparty"]

    def service_data(self, exclude=()):
        data = super().service_data(exclude)
        if data.get("stage"):
            data["funnel"] = data["stage"].funnel
        else:
            data.pop("stage", None)
        return data


class DealMoveForm(forms.Form):
    stage = forms.UUIDField(widget=forms.HiddenInput)
    lost_reason = forms.CharField(label=_("Reason lost"), required=False, max_length=255)


class InvoiceForm(ServiceModelForm):
    currency = CurrencyField(initial=default_currency)

    class Meta:
        model = Invoice
        fields = ["own_company", "counterparty", "deal", "date", "due_date", "currency", "vat_included", "comment"]
        widgets = {"date": DATE, "due_date": DATE, "comment": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["own_company"].queryset = reference.own_companies(user)
        self.fields["counterparty"].queryset = counterparty_list(user=user)
        # Only the chosen client's deals; choosing another client reloads them (findings top 8).
        self.fields["deal"].queryset = deal_list(user=user).filter(
            Q(counterparty_id=chosen_counterparty(self)) | Q(pk=getattr(self.instance, "deal_id", None)))
        dependent_choices(self.fields["counterparty"], "web:task_deal_options", "#id_deal")
        self.fields["date"].required = False
        if self.is_edit and self.instance.status != "draft":
            # An issued invoice changes only its due date and comment.
            for name in list(self.fields):
                if name not in ("due_date", "comment"):
                    del self.fields[name]


class InvoiceLineForm(ServiceModelForm):
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=18, decimal_places=3,
                                  min_value=Decimal("0.001"), required=False)
    price = forms.DecimalField(label=_("Price"), max_digits=18, decimal_places=2, min_value=Decimal("0"),
                               required=False)
    discount_percent = forms.DecimalField(label=_("Discount, %"), max_digits=5, decimal_places=2,
                                          min_value=Decimal("0"), max_value=Decimal("100"), required=False)
    vat_rate = forms.DecimalField(label=_("VAT rate, %"), max_digits=5, decimal_places=2, min_value=Decimal("0"),
                                  required=False)

    class Meta:
        model = InvoiceLine
        fields = ["product", "description", "quantity", "price", "discount_percent", "vat_rate"]
        # Chosen with the line editor's product search (web/lines/_editor.html), which fills this id.
        widgets = {"product": forms.HiddenInput}

    def __init__(self, *args, user, default_vat=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = product_list(user=user, active_only=True)
        self.fields["description"].required = False
        if not self.is_edit and default_vat is not None and self.initial.get("vat_rate") is None:
            # A new line starts at the own company's standard VAT rate (none for a company without VAT).
            self.initial["vat_rate"] = default_vat

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("product") and not data.get("description"):
            self.add_error("description", _("Choose a product or describe the line."))
        return data


class BaseLineFormSet(forms.BaseModelFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]:
            raise forms.ValidationError(_("An invoice needs at least one line."))


def invoice_line_formset(*, extra: int):
    """A formset of invoice lines; `extra` blank rows (the page's "Add line" button adds more)."""
    return forms.modelformset_factory(InvoiceLine, form=InvoiceLineForm, formset=BaseLineFormSet,
                                      extra=extra, can_delete=True)


def _line_description(form) -> str:
    """The line's description; a line whose product changed while its description was left as it was takes the
    new product's name, so the printed invoice does not describe the old product (a typed one is kept)."""
    data = form.cleaned_data
    product = data.get("product")
    if product is not None and "product" in form.changed_data and "description" not in form.changed_data:
        return product.name
    return data.get("description") or ""


def line_inputs(formset, counterparty) -> list[LineInput]:
    """The lines of a valid line formset as the services take them (deleted and untouched rows left out).

    A product line typed without a price gets the product's price for `counterparty` (catalog.selectors).
    """
    lines = []
    for form in formset.forms:
        if not form.has_changed() or formset._should_delete_form(form):
            continue
        data = form.cleaned_data
        price = data.get("price")
        if price is None and data.get("product") is not None:
            price = counterparty_price(product=data["product"], counterparty=counterparty)
        lines.append(LineInput(
            product=data.get("product"), description=_line_description(form),
            quantity=data["quantity"] if data.get("quantity") is not None else Decimal("1"),
            price=price if price is not None else Decimal("0"),
            discount_percent=data.get("discount_percent") or Decimal("0"), vat_rate=data.get("vat_rate")))
    return lines


class PaymentForm(BoundedDatesMixin, forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    date = forms.DateField(label=_("Date"), widget=DATE)
    number = forms.CharField(label=_("Document number"), max_length=50, required=False)
    comment = forms.CharField(label=_("Comment"), max_length=255, required=False)


# --- Activities -----------------------------------------------------------------------------------------------

class InteractionForm(ServiceModelForm):
    class Meta:
        model = Interaction
        fields = ["kind", "direction", "subject", "body", "occurred_at"]
        widgets = {"body": forms.Textarea(attrs={"rows": 2}), "occurred_at": DATETIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].required = False
        self.fields["occurred_at"].help_text = _("Empty means now.")


class TaskForm(ServiceModelForm):
    class Meta:
        model = Task
        fields = ["title", "description", "assignee", "counterparty", "deal", "due_at", "priority", "status"]
        widgets = {"due_at": DATETIME, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        assignable = reference.assignable_users(user)
        self.fields["assignee"].queryset = assignable
        self.fields["assignee"].required = False
        self.fields["counterparty"].queryset = counterparty_list(user=user)
        # Only the chosen client's deals; choosing another client reloads them (findings top 8).
        self.fields["deal"].queryset = deal_list(user=user).filter(
            Q(counterparty_id=chosen_counterparty(self)) | Q(pk=getattr(self.instance, "deal_id", None)))
        dependent_choices(self.fields["counterparty"], "web:task_deal_options", "#id_deal")
        # The same people the task service lets the API name (policy.assignable_users): offered only to
        # those who may give tasks to anyone but themselves (administrators, heads, custom roles alike).
        if not assignable.exclude(pk=user.pk).exists():
            del self.fields["assignee"]
        if not self.is_edit:
            del self.fields["status"]

    def service_data(self, exclude=()):
        data = super().service_data(exclude)
        if "assignee" in data and data["assignee"] is None:
            data.pop("assignee")
        return data


TASK_STATUS_CHOICES = [("", _("Any status"))] + list(TaskStatus.choices)
