"""The settings sections administrators keep in the app: what each lists, which form edits it, which services save.

A table, like the sidebar's: web.views.settings serves every section with the same list and form pages, and
each row here names the services (access, sales, catalog, parties) that validate, check and journal the write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from raccordo.access import services as access_services
from raccordo.access.models import CustomRole, Department
from raccordo.access.policy import visible
from raccordo.catalog import services as catalog_services
from raccordo.catalog.models import PriceType, Warehouse
from raccordo.comms import services as comms_services
from raccordo.comms.models import MessageTemplate
from raccordo.parties import services as parties_services
from raccordo.parties.models import OwnCompany
from raccordo.sales import services as sales_services
from raccordo.sales.models import Funnel, Stage
from raccordo.webhooks import services as webhook_services
from raccordo.webhooks.models import WebhookSubscription

from . import forms_settings as f


def _yes(value) -> str:
    return str(_("yes")) if value else ""


@dataclass(frozen=True)
class Section:
    """One settings section: a list of records and a form that creates and edits them through services."""

    key: str
    title: Any
    icon: str
    model: type
    form: type
    columns: tuple[tuple[Any, Callable[[Any], Any]], ...]
    create: Callable[..., Any]            # create(user=, data=, form=) -> record
    update: Callable[..., Any]            # update(user=, obj=, data=) -> record
    new_title: Any = ""
    help: Any = ""
    order_by: tuple[str, ...] = ()
    related: str = ""                     # a template with what hangs off a record (a funnel's stages...)
    related_on_new: bool = False          # show `related` on the new-record form too (a template's variables)
    select_related: tuple[str, ...] = field(default_factory=tuple)

    def queryset(self, user):
        qs = visible(self.model.objects.select_related(*self.select_related), user)
        return qs.order_by(*self.order_by) if self.order_by else qs


def _user_create(*, user, data, form):
    return access_services.user_create(user=user, data=data, password=form.cleaned_data["password1"])


SECTIONS: dict[str, Section] = {s.key: s for s in [
    Section("users", _("Users"), "bi-people", get_user_model(), f.UserForm,
            ((_("Login"), lambda u: u.username), (pgettext_lazy("person", "Name"), lambda u: u.get_full_name()),
             (_("Role"), lambda u: u.custom_role or u.get_role_display()), (_("Department"), lambda u: u.department),
             (_("Language"), lambda u: dict(settings.LANGUAGES).get(u.language, "")),
             (_("Active"), lambda u: _yes(u.is_active))),
            create=_user_create,
            new_title=_("New user"),
            update=lambda *, user, obj, data: access_services.user_settings_update(user=user, target=obj, data=data),
            help=_("Who signs in, with which role and in which department. Deactivate people who leave: their "
                   "records and history stay."),
            order_by=("-is_active", "last_name", "first_name", "username"),
            related="web/settings/_user_related.html", select_related=("department", "custom_role")),
    Section("departments", _("Departments"), "bi-diagram-3", Department, f.DepartmentForm,
            ((_("Name"), lambda d: d.name), (_("Parent department"), lambda d: d.parent)),
            create=lambda *, user, data, form: access_services.department_create(user=user, data=data),
            new_title=_("New department"),
            update=lambda *, user, obj, data: access_services.department_update(user=user, department=obj, data=data),
            help=_("Heads of sales see the records of their department and the departments below it."),
            select_related=("parent",)),
    Section("roles", _("Custom roles"), "bi-person-badge", CustomRole, f.CustomRoleForm,
            ((_("Name"), lambda r: r.name), (_("Scope"), lambda r: r.get_scope_display()),
             (_("Sees VIP counterparties"), lambda r: _yes(r.view_vip))),
            create=lambda *, user, data, form: access_services.custom_role_create(user=user, data=data),
            new_title=_("New custom role"),
            update=lambda *, user, obj, data: access_services.custom_role_update(user=user, role=obj, data=data),
            help=_("The built-in roles (administrator, head of sales, sales manager, marketer, accountant) are "
                   "always there; a custom role given to a user replaces their built-in role's permissions.")),
    Section("funnels", _("Funnels and stages"), "bi-kanban", Funnel, f.FunnelForm,
            ((_("Name"), lambda x: x.name), (_("Order"), lambda x: x.order), (_("Default"), lambda x: _yes(x.is_default)),
             (_("Stages"), lambda x: ", ".join(s.name for s in x.stages.all()))),
            create=lambda *, user, data, form: sales_services.funnel_create(user=user, data=data),
            new_title=_("New funnel"),
            update=lambda *, user, obj, data: sales_services.funnel_update(user=user, funnel=obj, data=data),
            help=_("New deals go to the default funnel. Won and lost stages close a deal."),
            order_by=("order", "name"), related="web/settings/_funnel_related.html"),
    Section("stages", _("Stages"), "bi-signpost-split", Stage, f.StageForm,
            ((_("Funnel"), lambda x: x.funnel), (_("Order"), lambda x: x.order), (_("Name"), lambda x: x.name),
             (_("Kind"), lambda x: x.get_kind_display()), (_("Probability, %"), lambda x: x.probability)),
            create=lambda *, user, data, form: sales_services.stage_create(user=user, data=data),
            new_title=_("New stage"),
            help=_("The steps of every funnel in order; a deal on a won or lost stage is closed."),
            update=lambda *, user, obj, data: sales_services.stage_update(user=user, stage=obj, data=data),
            order_by=("funnel__order", "funnel__name", "order"), select_related=("funnel",)),
    Section("companies", _("Own companies"), "bi-building", OwnCompany, f.OwnCompanyForm,
            ((_("Name"), lambda x: x.name), (_("INN"), lambda x: x.inn), (_("Invoice prefix"), lambda x: x.invoice_prefix),
             (_("Currency"), lambda x: x.currency),
             (_("VAT, %"), lambda x: x.vat_rate if x.vat_rate is not None else _("no VAT")),
             (_("Default"), lambda x: _yes(x.is_default))),
            create=lambda *, user, data, form: parties_services.own_company_create(user=user, data=data),
            new_title=_("New own company"),
            update=lambda *, user, obj, data: parties_services.own_company_update(user=user, company=obj, data=data),
            help=_("The legal entities that issue invoices, with their requisites and bank accounts."),
            order_by=("name",), related="web/settings/_company_related.html"),
    Section("price_types", _("Price types"), "bi-tags", PriceType, f.PriceTypeForm,
            ((_("Name"), lambda x: x.name), (_("Currency"), lambda x: x.currency),
             (_("VAT included"), lambda x: _yes(x.vat_included)), (_("Default"), lambda x: _yes(x.is_default))),
            create=lambda *, user, data, form: catalog_services.price_type_create(user=user, data=data),
            new_title=_("New price type"),
            help=_("Price lists: each client buys at one of them; the default one applies otherwise."),
            update=lambda *, user, obj, data: catalog_services.price_type_update(user=user, price_type=obj, data=data),
            order_by=("name",)),
    Section("warehouses", _("Warehouses"), "bi-box", Warehouse, f.WarehouseForm,
            ((_("Name"), lambda x: x.name), (_("Address"), lambda x: x.address),
             (_("Own company"), lambda x: x.own_company or _("All companies")),
             (_("Active"), lambda x: _yes(x.is_active))),
            create=lambda *, user, data, form: catalog_services.warehouse_create(user=user, data=data),
            new_title=_("New warehouse"),
            help=_("Where stock is kept; an invoice shows the stock of its own company's warehouses."),
            update=lambda *, user, obj, data: catalog_services.warehouse_update(user=user, warehouse=obj, data=data),
            order_by=("name",), select_related=("own_company",)),
    Section("templates", _("Message templates"), "bi-chat-square-text", MessageTemplate, f.MessageTemplateForm,
            ((_("Name"), lambda x: x.name), (_("Channel"), lambda x: x.get_channel_display()),
             (_("Language"), lambda x: dict(settings.LANGUAGES).get(x.language, "") or _("Any language")),
             (_("Used by Raccordo"), lambda x: _yes(x.key)), (_("Active"), lambda x: _yes(x.is_active))),
            create=lambda *, user, data, form: comms_services.template_create(user=user, data=data),
            new_title=_("New message template"),
            help=_("E-mail and SMS texts that managers, rules and reminders send to clients, with variables "
                   "filled from the client, the deal and the invoice."),
            update=lambda *, user, obj, data: comms_services.template_update(user=user, template=obj, data=data),
            order_by=("channel", "name", "language"), related="web/settings/_template_variables.html",
            related_on_new=True),
    Section("webhooks", _("Webhooks"), "bi-broadcast", WebhookSubscription, f.WebhookForm,
            ((_("Name"), lambda x: x.name), (_("Receiver URL"), lambda x: x.url),
             (_("On behalf of"), lambda x: x.owner), (_("Active"), lambda x: _yes(x.is_active)),
             (_("Last delivery"), lambda x: x.last_delivery_at or ""), (_("Last error"), lambda x: x.last_error)),
            create=lambda *, user, data, form: webhook_services.subscription_create(user=user, data=data),
            new_title=_("New webhook"),
            help=_("Other systems told of changes as they happen: signed HTTP POSTs, retried until received, "
                   "with a delivery log and a replay button."),
            update=lambda *, user, obj, data: webhook_services.subscription_update(user=user, subscription=obj,
                                                                                   data=data),
            order_by=("name",), related="web/settings/_webhook_deliveries.html", select_related=("owner",)),
]}
