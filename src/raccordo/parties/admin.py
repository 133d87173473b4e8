"""Counterparties, contact persons and own companies in the admin."""

from django.contrib import admin

from raccordo.core.admin import JournaledModelAdmin

from .models import Address, BankAccount, ContactPerson, Counterparty, Email, OwnCompany, Phone, Tag


class PhoneInline(admin.TabularInline):
    model = Phone
    extra = 0
    fields = ("number", "extension", "kind", "contact", "is_primary")
    raw_id_fields = ("contact",)


class EmailInline(admin.TabularInline):
    model = Email
    extra = 0
    fields = ("address", "contact", "is_primary")
    raw_id_fields = ("contact",)


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0


class ContactInline(admin.TabularInline):
    model = ContactPerson
    extra = 0
    fields = ("last_name", "first_name", "middle_name", "position", "role", "is_active")
    show_change_link = True


class BankAccountInline(admin.TabularInline):
    model = BankAccount
    extra = 0
    fields = ("bank_name", "bic", "account_number", "correspondent_account", "iban", "currency", "is_primary")


@admin.register(Counterparty)
class CounterpartyAdmin(JournaledModelAdmin):
    list_display = ("name", "kind", "inn", "kpp", "vat_number", "country", "responsible", "is_vip", "is_active")
    list_filter = ("kind", "country", "is_vip", "is_active", "responsible", "tags")
    search_fields = ("name", "full_name", "inn", "vat_number", "tax_code", "ogrn")
    list_select_related = ("responsible",)
    raw_id_fields = ("responsible",)
    filter_horizontal = ("tags",)
    inlines = [ContactInline, PhoneInline, EmailInline, AddressInline, BankAccountInline]


@admin.register(ContactPerson)
class ContactPersonAdmin(JournaledModelAdmin):
    list_display = ("__str__", "counterparty", "position", "role", "is_active")
    search_fields = ("last_name", "first_name", "middle_name", "counterparty__name", "position")
    list_select_related = ("counterparty",)
    raw_id_fields = ("counterparty",)
    inlines = [PhoneInline, EmailInline]

    def save_formset(self, request, form, formset, change):
        # A contact's phones and e-mails belong to the contact's counterparty as well.
        for f in formset.forms:
            if f.instance is not None and not f.instance.counterparty_id:
                f.instance.counterparty_id = form.instance.counterparty_id
        super().save_formset(request, form, formset, change)


@admin.register(Phone)
class PhoneAdmin(JournaledModelAdmin):
    list_display = ("__str__", "kind", "counterparty", "contact", "is_primary")
    search_fields = ("number", "counterparty__name")
    list_select_related = ("counterparty", "contact")
    raw_id_fields = ("counterparty", "contact")


@admin.register(Email)
class EmailAdmin(JournaledModelAdmin):
    list_display = ("address", "counterparty", "contact", "is_primary")
    search_fields = ("address", "counterparty__name")
    list_select_related = ("counterparty", "contact")
    raw_id_fields = ("counterparty", "contact")


@admin.register(Address)
class AddressAdmin(JournaledModelAdmin):
    list_display = ("text", "kind", "city", "country", "counterparty")
    list_filter = ("kind", "country")
    search_fields = ("text", "city", "postcode", "counterparty__name")
    raw_id_fields = ("counterparty",)


@admin.register(BankAccount)
class BankAccountAdmin(JournaledModelAdmin):
    list_display = ("bank_name", "bic", "account_number", "iban", "currency", "counterparty", "own_company")
    search_fields = ("bank_name", "bic", "account_number", "iban", "counterparty__name", "own_company__name")
    raw_id_fields = ("counterparty",)


@admin.register(OwnCompany)
class OwnCompanyAdmin(JournaledModelAdmin):
    list_display = ("name", "country", "inn", "kpp", "vat_number", "currency", "invoice_prefix", "is_default")
    search_fields = ("name", "full_name", "inn", "vat_number")
    inlines = [BankAccountInline]


@admin.register(Tag)
class TagAdmin(JournaledModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
