"""Texts the app writes for people (automatic reminders), rendered in the reader's language when shown.

An automatic reminder keeps its parameters (`Reminder.subject_params`), not only a sentence: the manager
who issued the invoice, the manager who is reminded and the head who looks at the calendar may read three
different languages, and "1 day(s)" reads wrong in all of them.
"""

from __future__ import annotations

from django.utils.translation import gettext, ngettext

INVOICE_DUE = "invoice_due"


def invoice_due_text(*, number: str, offset: int) -> str:
    """ "Invoice X is due in 2 days" / "is due today" / "is 3 days overdue", in the active language."""
    if offset < 0:
        return ngettext("Invoice %(number)s is due in %(n)s day", "Invoice %(number)s is due in %(n)s days",
                        -offset) % {"number": number, "n": -offset}
    if offset == 0:
        return gettext("Invoice %(number)s is due today") % {"number": number}
    return ngettext("Invoice %(number)s is %(n)s day overdue", "Invoice %(number)s is %(n)s days overdue",
                    offset) % {"number": number, "n": offset}


def reminder_text(*, subject: str, params: dict | None) -> str:
    """A reminder's subject for the reader: rendered from its parameters when the app wrote it, else as typed."""
    params = params or {}
    if params.get("kind") == INVOICE_DUE:
        try:
            return invoice_due_text(number=str(params["number"]), offset=int(params["offset"]))
        except (KeyError, TypeError, ValueError):
            return subject
    return subject
