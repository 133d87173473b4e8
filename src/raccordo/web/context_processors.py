"""Template context every page of the web interface needs: the sidebar and the user's counters."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

NAVIGATION = [
    ("web:dashboard", _("Dashboard"), "bi-grid-1x2"),
    ("web:counterparty_list", _("Counterparties"), "bi-buildings"),
    ("web:contact_list", _("Contacts"), "bi-person-lines-fill"),
    ("web:deal_list", _("Deals"), "bi-kanban"),
    ("web:invoice_list", _("Invoices"), "bi-receipt"),
    ("web:product_list", _("Products"), "bi-box-seam"),
    ("web:task_list", _("Tasks"), "bi-check2-square"),
]

# Sections only administrators reach (the exchange with accounting).
ADMIN_NAVIGATION = [
    ("exchange:run_list", _("Exchange"), "bi-arrow-left-right"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from raccordo.activities.selectors import task_list

    match = getattr(request, "resolver_match", None)
    current = f"{match.namespace}:{match.url_name}" if match and match.namespace else ""
    section = current.partition(":")[2].split("_")[0]
    items = []
    from raccordo.access.policy import is_admin

    sections = NAVIGATION + (ADMIN_NAVIGATION if is_admin(user) else [])
    for url_name, label, icon in sections:
        active = url_name.partition(":")[2].split("_")[0] == section and url_name.partition(":")[0] == (
            match.namespace if match else "")
        items.append({"url_name": url_name, "label": label, "icon": icon, "active": active})
    return {
        "nav_items": items,
        "my_open_task_count": task_list(user=user, mine=True, open_only=True).count(),
    }
