"""Names Raccordo ships (process templates, their steps, rules) and how a stored name is shown.

The shipped templates are stored with English names; `shown()` looks a stored text up in the catalog, so a
shipped name reads in the reader's language, while a name an administrator typed (not in the catalog)
is shown as typed. Every shipped text is listed here with gettext_noop so `make messages` finds it.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop


def shown(text: str) -> str:
    """A stored name in the active language when Raccordo shipped it, else as stored."""
    return gettext(text) if text else text


SHIPPED_TEXTS = [
    gettext_noop("A new client's first order"),
    gettext_noop("From the first call to the paid and shipped first order of a new client."),
    gettext_noop("Call the client and agree what they need"),
    gettext_noop("Send the commercial offer"),
    gettext_noop("Issue the invoice"),
    gettext_noop("Get the invoice paid"),
    gettext_noop("Ship the order and check the client received it"),
    gettext_noop("Handling a complaint"),
    gettext_noop("Acknowledge, investigate and resolve a client's complaint within the deadlines."),
    gettext_noop("Acknowledge the complaint to the client"),
    gettext_noop("Investigate the cause"),
    gettext_noop("Resolve the complaint and tell the client"),
    gettext_noop("An overdue receivable"),
    gettext_noop("Chase an unpaid invoice: a call, a letter, then the head of sales."),
    gettext_noop("Call the client about the overdue invoice"),
    gettext_noop("Send a payment reminder letter"),
    gettext_noop("Agree a payment plan with the client's director"),
    gettext_noop("Tell the client when 1C ships the order"),
]
