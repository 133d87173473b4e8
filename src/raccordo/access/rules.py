"""The access rules, declared: how each model's rows relate to the people allowed to reach them.

A table and nothing else. `access.policy` reads it and makes every decision; a model missing here is
invisible to everyone but administrators (deny by default), and tests/access checks that every model is
either listed or knowingly internal. Which user fields hand a record to someone is declared here as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models


@dataclass(frozen=True)
class Rule:
    """How a model's rows relate to the people allowed to see them.

    subject: the object type a role's permissions name ("counterparties", "invoices", ...); a rule
        without one is for administrators only.
    counterparty: lookup path from the model to its Counterparty ("" for Counterparty itself,
        None when the model hangs off no counterparty).
    owners: user foreign keys that grant access to a record that hangs off no counterparty (a task
        with no client assigned to me, my own reminder). When a record has a counterparty, the
        counterparty alone decides, so nobody reaches a client's data by naming themselves owner.
    shared: not row-scoped (catalog, funnels, the exchange): whoever holds the subject's permission
        reaches every row.
    """

    counterparty: str | None = None
    owners: tuple[str, ...] = field(default_factory=tuple)
    shared: bool = False
    subject: str = ""
    scope: str = ""


RULES: dict[str, Rule] = {
    "parties.counterparty": Rule(counterparty="", subject="counterparties"),
    "parties.contactperson": Rule(counterparty="counterparty", subject="counterparties"),
    "parties.address": Rule(counterparty="counterparty", subject="counterparties"),
    "parties.phone": Rule(counterparty="counterparty", subject="counterparties"),
    "parties.email": Rule(counterparty="counterparty", subject="counterparties"),
    "parties.bankaccount": Rule(counterparty="counterparty", subject="counterparties"),
    # The search index's own rows: read only through parties.search, which filters a selector's queryset.
    "parties.searchdocument": Rule(),
    "parties.tag": Rule(shared=True, subject="reference"),
    "parties.owncompany": Rule(shared=True, subject="reference"),
    "catalog.unit": Rule(shared=True, subject="catalog"),
    "catalog.productgroup": Rule(shared=True, subject="catalog"),
    "catalog.product": Rule(shared=True, subject="catalog"),
    "catalog.productimage": Rule(shared=True, subject="catalog"),
    "catalog.pricetype": Rule(shared=True, subject="catalog"),
    "catalog.property": Rule(shared=True, subject="catalog"),
    "catalog.price": Rule(shared=True, subject="catalog"),
    "catalog.warehouse": Rule(shared=True, subject="catalog"),
    "catalog.stocklevel": Rule(shared=True, subject="catalog"),
    "sales.funnel": Rule(shared=True, subject="reference"),
    "sales.stage": Rule(shared=True, subject="reference"),
    "sales.deal": Rule(counterparty="counterparty", subject="deals"),
    "sales.dealline": Rule(counterparty="deal__counterparty", subject="deals"),
    # A deal's stays on its stages (the funnel analytics' facts): whoever sees the deal sees its history.
    "sales.dealstagevisit": Rule(counterparty="deal__counterparty", subject="deals"),
    "sales.contract": Rule(counterparty="counterparty", subject="deals"),
    "sales.invoice": Rule(counterparty="counterparty", subject="invoices"),
    "sales.invoiceline": Rule(counterparty="invoice__counterparty", subject="invoices"),
    "sales.payment": Rule(counterparty="counterparty", subject="payments"),
    "sales.paymentallocation": Rule(counterparty="payment__counterparty", subject="payments"),
    "sales.accountingshipment": Rule(counterparty="counterparty", subject="invoices"),
    "activities.interaction": Rule(counterparty="counterparty", owners=("author",), subject="activities"),
    "activities.task": Rule(counterparty="counterparty", owners=("assignee", "author"), subject="activities"),
    "activities.reminder": Rule(counterparty="counterparty", owners=("user",), subject="activities"),
    "activities.complaint": Rule(counterparty="counterparty", owners=("responsible",), subject="activities"),
    # E-mail: a mailbox's rows are its owner's or its department's (access.policy.mail), an activity like a call.
    "mail.mailbox": Rule(subject="activities", scope="mail.mailbox"),
    "mail.mailfolder": Rule(subject="activities", scope="mail.folder"),
    "mail.mailthread": Rule(subject="activities", scope="mail.thread"),
    "mail.mailmessage": Rule(subject="activities", scope="mail.message"),
    "mail.maillocation": Rule(subject="activities", scope="mail.location"),
    "mail.mailattachment": Rule(subject="activities", scope="mail.attachment"),
    # The exchange with accounting: administrators and accountants.
    "exchange.exchangenode": Rule(shared=True, subject="exchange"),
    "exchange.binding": Rule(shared=True, subject="exchange"),
    "exchange.mapping": Rule(shared=True, subject="exchange"),
    "exchange.run": Rule(shared=True, subject="exchange"),
    "exchange.runitem": Rule(shared=True, subject="exchange"),
    "exchange.exchangetask": Rule(shared=True, subject="exchange"),
    "exchange.nodelock": Rule(shared=True, subject="exchange"),
    # Webhook subscriptions send records out on someone's behalf: administrators only (no subject).
    "webhooks.webhooksubscription": Rule(),
    "webhooks.webhookdelivery": Rule(),
    # Messages to clients: templates are the company's (everyone who may write to clients reads them;
    # administrators edit them); an opt-out hangs off the card it was set from.
    "comms.messagetemplate": Rule(shared=True, subject="reference"),
    "comms.optout": Rule(counterparty="counterparty", subject="counterparties"),
    # SMS: a message is an activity on its client's card (its sender's own when it names no client, a test
    # message); a mass send is its sender's; the provider's settings are the administrators'.
    "sms.smsmessage": Rule(counterparty="counterparty", owners=("sent_by",), subject="activities"),
    "sms.smscampaign": Rule(owners=("created_by",), subject="activities"),
    "sms.smssettings": Rule(),
    "segments.segment": Rule(owners=("owner",), subject="counterparties"),
    "segments.mailing": Rule(owners=("created_by",), subject="activities"),
    "segments.mailingrecipient": Rule(counterparty="counterparty", subject="activities"),
    # The orders export's bookkeeping of journal positions still in flight: read only by the exporter.
    "exchange.journalgap": Rule(),
    # The 1C endpoint's sessions, uploads and request log: administrators only.
    "onec.onecsettings": Rule(),
    "onec.onecsession": Rule(),
    "onec.onecfile": Rule(),
    "onec.onecrequest": Rule(),
    # Staff from HR (1C:ZUP): the links and the state history are the administrators'; absences and vacancies
    # are read through staff.selectors (everyone signed in sees that a colleague is away, not more).
    "staff.departmentlink": Rule(),
    "staff.employee": Rule(),
    "staff.absence": Rule(),
    "staff.vacancy": Rule(),
    "staff.staffevent": Rule(),
    # Cached report figures: read only through reports.services, keyed by the reader's own access scope.
    "reports.reportsnapshot": Rule(),
    # Printed documents (documents app). Templates are shared reference data: everyone who makes documents lists
    # them, only administrators upload (policy.documents). A generated document belongs to its client, and the
    # invoices permission governs it: it is the sale's paperwork, and both the manager who prints an offer and the
    # accountant who prints an act hold that permission.
    "documents.documenttemplate": Rule(shared=True, subject="reference"),
    "documents.generateddocument": Rule(counterparty="counterparty", subject="invoices"),
    # The yearly number series: read and written only by documents.services while numbering.
    "documents.documentnumberseries": Rule(),
    # A manager's sales plan: theirs to see, their heads' (access.policy.reports decides who sets it).
    "reports.salesplan": Rule(owners=("manager",), subject="deals"),
    # A scheduled report reaches whoever reaches the person it is computed as; access.policy.reports lets only
    # heads and administrators set them up. Its log of sendings is read through the report.
    "reports.scheduledreport": Rule(owners=("run_as",), subject="deals"),
    "reports.scheduledreportsend": Rule(),
    # Business processes: templates are shared set-up (everyone who may start one reads them); a running
    # process and its steps hang off the client they are about; rules and their log are administrators' only.
    "processes.processtemplate": Rule(shared=True, subject="reference"),
    "processes.processstep": Rule(shared=True, subject="reference"),
    "processes.holiday": Rule(shared=True, subject="reference"),
    "processes.processinstance": Rule(counterparty="counterparty", owners=("started_by",), subject="activities"),
    "processes.steprun": Rule(counterparty="instance__counterparty", owners=("assignee",), subject="activities"),
    "processes.automationrule": Rule(),
    "processes.ruleaction": Rule(),
    "processes.rulefiring": Rule(),
    "processes.automationcursor": Rule(),
    # Telephony: a call is the client's (a VIP client's calls only for those who see it); a call from an unknown
    # number is its employee's. The PBX connection and its state are the administrators'.
    "telephony.call": Rule(counterparty="counterparty", owners=("user",), subject="activities"),
    "telephony.callevent": Rule(owners=("user",), subject="activities"),
    "telephony.extension": Rule(owners=("user",), subject="activities"),
    "telephony.telephonysettings": Rule(),
    "telephony.pbxstate": Rule(),
    # Campaigns are the company's marketing plan: whoever reads reference data reads them and their events (who plans
    # them is access.policy.campaigns'); their ROI is summed from payments through the policy, so a manager's page
    # counts their clients only. A touch and a consent hang off the client; web forms are the administrators'.
    "campaigns.campaign": Rule(shared=True, subject="reference"),
    "campaigns.campaignevent": Rule(shared=True, subject="reference"),
    "campaigns.campaigntouch": Rule(counterparty="counterparty", subject="counterparties"),
    "campaigns.leadconsent": Rule(counterparty="counterparty", subject="counterparties"),
    "campaigns.webform": Rule(),
    # The change journal as a whole (the global audit view); a record's own history is shown with the record.
    "core.changejournal": Rule(shared=True, subject="audit"),
    # Operations (workers' heartbeats, backups): administrators only, on the system page.
    "operations.workerheartbeat": Rule(),
    "operations.backup": Rule(),
}

# User fields that hand a record to someone: a user may fill them only with people in their reach.
ASSIGNMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "parties.counterparty": ("responsible",),
    "sales.deal": ("manager",),
    "sales.invoice": ("responsible",),
    "activities.complaint": ("responsible",),
    "activities.reminder": ("user",),
    # The API took any active user here (report L2); the web form offered only `assignable_users`.
    "activities.task": ("assignee",),
    # Nobody sets a plan for, or computes a report as, someone outside their team.
    "reports.salesplan": ("manager",),
    "reports.scheduledreport": ("run_as",),
}


def rule_for(model: type[models.Model]) -> Rule | None:
    """The rule declared for `model`, None when it has none (then only administrators reach it)."""
    return RULES.get(model._meta.label_lower)
