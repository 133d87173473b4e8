"""Template context every page of the web interface needs: the sidebar and the user's counters."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from raccordo.access.policy import allows, assignable_users, is_admin
from raccordo.activities.selectors import task_list
from raccordo.core.keyset import capped_count

NAVIGATION = [
    ("web:dashboard", _("Dashboard"), "bi-grid-1x2"),
    ("web:counterparty_list", _("Counterparties"), "bi-buildings"),
    ("web:contact_list", _("Contacts"), "bi-person-lines-fill"),
    ("segments:segment_list", _("Segments"), "bi-collection"),
    ("web:deal_list", _("Deals"), "bi-list-ul"),
    ("web:board", _("Funnel board"), "bi-kanban"),
    ("web:invoice_list", _("Invoices"), "bi-receipt"),
    ("web:receivables", _("Receivables"), "bi-cash-coin"),
    ("reports:kpi", _("KPI report"), "bi-bar-chart-line"),
    ("campaigns:list", _("Campaigns"), "bi-megaphone"),
    ("web:product_list", _("Products"), "bi-box-seam"),
    ("mail:mail_home", _("Mail"), "bi-envelope"),
    ("web:task_list", _("Tasks"), "bi-check2-square"),
    ("web:calendar", _("Calendar"), "bi-calendar3"),
    ("web:complaint_list", _("Complaints"), "bi-exclamation-octagon"),
]

# The object type (access.roles.SUBJECTS) a section lists: a role without it does not see the section.
SECTION_SUBJECTS = {
    "web:counterparty_list": "counterparties", "web:contact_list": "counterparties", "web:deal_list": "deals",
    "web:invoice_list": "invoices", "web:product_list": "catalog", "web:task_list": "activities",
    "web:board": "deals", "web:receivables": "invoices", "web:calendar": "activities", "web:complaint_list": "activities",
    "exchange:run_list": "exchange", "exchange:task_list": "exchange", "web:audit": "audit", "reports:kpi": "deals",
    "mail:mail_home": "activities",
    "segments:segment_list": "counterparties",
    "campaigns:list": "reference",
}

# Sections only administrators reach (the exchange with accounting; accountants reach it too).
ADMIN_NAVIGATION = [
    ("exchange:run_list", _("Exchange"), "bi-arrow-left-right"),
    ("exchange:task_list", _("Exchange tasks"), "bi-calendar2-week"),
    ("onec:node_list", _("1C nodes"), "bi-hdd-network"),
    ("web:audit", _("Audit log"), "bi-journal-text"),
    ("web:settings", _("Settings"), "bi-gear"),
]


BADGE_LIMIT = 99


def _badge(qs) -> str:
    """A sidebar counter: "7", "99+" past the limit (counted no further: it is on every page), "" for none."""


    n, exact = capped_count(qs, BADGE_LIMIT)
    if not n:
        return ""
    return str(n) if exact else gettext("%(count)s+") % {"count": n}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    match = getattr(request, "resolver_match", None)
    current = f"{match.namespace}:{match.url_name}" if match and match.namespace else ""
    section = current.partition(":")[2].split("_")[0]
    items = []

    admin = is_admin(user)
    sections = [item for item in NAVIGATION + ADMIN_NAVIGATION
                if (item in NAVIGATION or admin or item[0] in SECTION_SUBJECTS)
                and (item[0] not in SECTION_SUBJECTS or allows(user, "view", SECTION_SUBJECTS[item[0]]))]
    for url_name, label, icon in sections:
        active = url_name.partition(":")[2].split("_")[0] == section and url_name.partition(":")[0] == (
            match.namespace if match else "")
        items.append({"url_name": url_name, "label": label, "icon": icon, "active": active})
    return {
        "nav_items": items,
        "my_open_task_count": _badge(task_list(user=user, mine=True, open_only=True)),
        "can_reassign": admin or assignable_users(user).exclude(pk=user.pk).exists(),
    }
