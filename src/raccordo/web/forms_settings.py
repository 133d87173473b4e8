"""Forms of the settings pages (users, roles, departments, funnels, companies, catalog reference) and the profile.

As everywhere in the web interface, they parse and pre-check; the services in access, sales, catalog and
parties validate and save, and their errors come back next to the fields (views.base.apply_errors).
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from raccordo.access.models import CustomRole, Department
from raccordo.access.rules import RULES
from raccordo.access.subjects import ACTIONS, SUBJECTS
from raccordo.catalog.models import PriceType, Warehouse
from raccordo.comms.models import MessageTemplate
from raccordo.parties.models import Address, BankAccount, OwnCompany
from raccordo.sales.models import Funnel, Stage
from raccordo.webhooks.models import EventType, WebhookSubscription

from .forms import CurrencyField, ServiceModelForm

LANGUAGE_CHOICES = [("", _("As the browser says")), *settings.LANGUAGES]


class ProfileForm(ServiceModelForm):
    """What everyone changes on themselves: name, contacts and the interface language."""

    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False,
                                 help_text=_("The language of every page and of your reminders, whatever the "
                                             "browser asks for."))

    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email", "phone", "language"]


class UserForm(ServiceModelForm):
    """An administrator's view of a colleague: who they are, what they may do, whether they may sign in."""

    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)

    class Meta:
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email", "phone", "language", "role", "custom_role",
                  "department", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_edit:
            # The login is how people sign in and how 1C and the journal name them: it stays.
            del self.fields["username"]
        else:
            self.fields["password1"] = forms.CharField(
                label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                help_text=password_validation.password_validators_help_text_html())
            self.fields["password2"] = forms.CharField(
                label=_("Password confirmation"), strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two password fields didn’t match."))
        return data


class DepartmentForm(ServiceModelForm):
    class Meta:
        model = Department
        fields = ["name", "parent"]


ACTION_LABELS = {"view": _("view"), "add": _("add"), "change": _("change"), "delete": _("delete"),
                 "export": _("export"), "run": _("run")}


def _subject_field(subject: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=SUBJECTS[subject], required=False, widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                                     choices=[(a, ACTION_LABELS[a]) for a in ACTIONS])


class CustomRoleForm(ServiceModelForm):
    """A role composed of actions per object type: one row of check boxes per object type."""

    class Meta:
        model = CustomRole
        fields = ["name", "scope", "view_vip"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        held = self.instance.permissions or {}
        for subject in SUBJECTS:
            self.fields[f"perm_{subject}"] = _subject_field(subject)
            self.initial.setdefault(f"perm_{subject}", list(held.get(subject, [])))

    @property
    def permission_fields(self):
        return [self[name] for name in self.fields if name.startswith("perm_")]

    def service_data(self, exclude: tuple[str, ...] = ()) -> dict:
        data = super().service_data(exclude)
        data["permissions"] = {name[5:]: sorted(value) for name, value in self.cleaned_data.items()
                               if name.startswith("perm_") and value}
        return data


class FunnelForm(ServiceModelForm):
    class Meta:
        model = Funnel
        fields = ["name", "order", "is_default"]


class StageForm(ServiceModelForm):
    class Meta:
        model = Stage
        fields = ["funnel", "name", "order", "kind", "probability"]


class PriceTypeForm(ServiceModelForm):
    currency = CurrencyField()

    class Meta:
        model = PriceType
        fields = ["name", "currency", "vat_included", "is_default"]


class WarehouseForm(ServiceModelForm):
    class Meta:
        model = Warehouse
        fields = ["name", "address", "own_company", "is_active"]


class MessageTemplateForm(ServiceModelForm):
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("Any language")), *settings.LANGUAGES])

    class Meta:
        model = MessageTemplate
        fields = ["name", "channel", "language", "subject", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}


def _record_type_choices():
    # Every model with an access rule that names a subject: the records a webhook's owner could be told of.
    choices = []
    for label, rule in RULES.items():
        if rule.subject and "." in label:
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            choices.append((label, f"{model._meta.verbose_name_plural} ({label})"))
    return sorted(choices, key=lambda c: str(c[1]).lower())


class WebhookForm(ServiceModelForm):
    events = forms.MultipleChoiceField(label=_("Events"), choices=EventType.choices,
                                       widget=forms.SelectMultiple(attrs={"size": 6}))
    record_types = forms.MultipleChoiceField(
        label=_("Record types"), required=False, choices=_record_type_choices,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("For the record events; none chosen: every type its owner may see."))
    secret = forms.CharField(label=_("Signing secret"), required=False, strip=True,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("Leave empty to keep the current one (a new webhook gets a generated one)."))

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "owner", "events", "record_types", "secret", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")


class OwnCompanyForm(ServiceModelForm):
    currency = CurrencyField(label=_("Default currency"))

    class Meta:
        model = OwnCompany
        fields = ["name", "full_name", "country", "inn", "kpp", "ogrn", "vat_number", "tax_code", "address",
                  "director", "chief_accountant", "invoice_prefix", "currency", "vat_rate", "is_default"]


class BankAccountForm(ServiceModelForm):
    """A bank account on a counterparty's card or an own company's page (the owner comes from the page)."""

    currency = CurrencyField()

    class Meta:
        model = BankAccount
        fields = ["bank_name", "bic", "account_number", "correspondent_account", "iban", "currency", "is_primary"]


class AddressForm(ServiceModelForm):
    class Meta:
        model = Address
        fields = ["kind", "text", "postcode", "city", "country"]
