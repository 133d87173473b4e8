"""What a permission names: the actions and the object types (*subjects*) a role grants them on.

A leaf of the access app, imported by the models (a custom role's permissions are checked against it), by the
built-in roles and by the policy; it imports none of them, so the vocabulary never pulls a circle behind it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTIONS = ("view", "add", "change", "delete", "export", "run")
ALL_ACTIONS = frozenset(ACTIONS)

# Object types a permission names. `access.rules.RULES` maps every model to one of them.
SUBJECTS = {
    "counterparties": _("Counterparties and contact persons"),
    "deals": _("Deals and contracts"),
    "invoices": _("Invoices"),
    "payments": _("Payments"),
    "activities": _("Calls, tasks, reminders, complaints"),
    "catalog": _("Catalog, prices and stock"),
    "reference": _("Funnels, tags, own companies"),
    "exchange": _("Exchange with accounting"),
    "audit": _("Change journal of all records"),
}
