"""The process templates and the automation rule Raccordo ships, as data; the data migration writes them once.

Names are English and listed in `texts.SHIPPED_TEXTS`, so they read in each user's language; an administrator
may rename or change them like any other (their `code` stays).
"""

from __future__ import annotations

R, ROLE = "responsible", "role"
TASK, PAID, COMPLAINT = "task_done", "invoice_paid", "complaint_closed"

TEMPLATES = [
    {"code": "first-order", "subject": "deal", "name": "A new client's first order",
     "description": "From the first call to the paid and shipped first order of a new client.",
     "steps": [("Call the client and agree what they need", R, "", 1, TASK),
               ("Send the commercial offer", R, "", 2, TASK),
               ("Issue the invoice", R, "", 1, TASK),
               ("Get the invoice paid", R, "", 5, PAID),
               ("Ship the order and check the client received it", R, "", 3, TASK)]},
    {"code": "complaint", "subject": "complaint", "name": "Handling a complaint",
     "description": "Acknowledge, investigate and resolve a client's complaint within the deadlines.",
     "steps": [("Acknowledge the complaint to the client", R, "", 1, TASK),
               ("Investigate the cause", R, "", 3, TASK),
               ("Resolve the complaint and tell the client", R, "", 2, COMPLAINT)]},
    {"code": "overdue-receivable", "subject": "invoice", "name": "An overdue receivable",
     "description": "Chase an unpaid invoice: a call, a letter, then the head of sales.",
     "steps": [("Call the client about the overdue invoice", R, "", 1, TASK),
               ("Send a payment reminder letter", R, "", 2, TASK),
               ("Agree a payment plan with the client's director", ROLE, "head", 3, PAID)]},
]

SHIPPED_RULE = {
    "code": "onec-shipped", "name": "Tell the client when 1C ships the order", "trigger": "onec_status",
    "conditions": [{"field": "shipped_on", "op": "changed", "value": ""},
                   {"field": "shipped_on", "op": "is set", "value": ""}],
}


def seed(apps) -> None:
    """Write the shipped templates and rule (skipping any already there) and start the automation cursor at the
    journal's end, so a database that already has a history does not replay it through the rules."""
    template_model = apps.get_model("processes", "ProcessTemplate")
    step_model = apps.get_model("processes", "ProcessStep")
    rule_model = apps.get_model("processes", "AutomationRule")
    action_model = apps.get_model("processes", "RuleAction")
    for spec in TEMPLATES:
        if template_model.objects.filter(code=spec["code"]).exists():
            continue
        template = template_model.objects.create(code=spec["code"], name=spec["name"], subject=spec["subject"],
                                                 description=spec["description"])
        for order, (title, kind, role, days, closes_on) in enumerate(spec["steps"]):
            step_model.objects.create(template=template, order=order, title=title, assignee_kind=kind,
                                      assignee_role=role, days=days, closes_on=closes_on)
    if not rule_model.objects.filter(code=SHIPPED_RULE["code"]).exists():
        # Switched off until an administrator has checked the message it sends to clients.
        rule = rule_model.objects.create(is_active=False, **SHIPPED_RULE)
        # comms ships "order_shipped" in several languages; the one for any language is named, and the action
        # picks the client's own variant when it sends.
        message = (apps.get_model("comms", "MessageTemplate").objects
                   .filter(key="order_shipped", channel="email").order_by("language").first())
        action_model.objects.create(rule=rule, order=0, kind="send_message", message_template=message)
    journal = apps.get_model("core", "ChangeJournal")
    last = journal.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    apps.get_model("processes", "AutomationCursor").objects.get_or_create(name="automation", defaults={"seq": last})
