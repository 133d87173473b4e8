"""Web forms on the company's site: set up by administrators, each submission a lead for a manager.

A submission is matched to an existing client by e-mail, then phone (parties' contact points), so a returning
client is not entered twice; a new one becomes a counterparty (an individual, or the company named) with its
e-mail and phone. Either way the consent is recorded with its exact text, the form's campaign and the page's UTM
tags are stored as a touch, and the assignee (the form's person, or its department's members in turn) gets a
task. The public endpoint writes as the system (`user=None`): nobody is logged in on the company's site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import may_manage_web_forms
from raccordo.access.records import record_create, record_update
from raccordo.activities.services import task_create
from raccordo.core.errors import PermissionDenied
from raccordo.core.phones import normalize_phone
from raccordo.parties.models import Counterparty, CounterpartyKind, Email, Phone
from raccordo.parties.services import counterparty_create, email_add, phone_add

from .models import LeadConsent, WebForm
from .services import touch_record

WEB_FORM_FIELDS = ("name", "fields", "consent_text", "campaign", "assignee", "department", "allowed_origins",
                   "success_url", "is_active")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def _require_admin(user) -> None:
    if not may_manage_web_forms(user):
        raise PermissionDenied(_("Only administrators set up web forms."), code="campaigns.webform.denied")


def web_form_create(*, user, data: dict[str, Any]) -> WebForm:
    """Set up a web form (administrators)."""
    _require_admin(user)
    return record_create(WebForm, user=user, data=data, fields=WEB_FORM_FIELDS)


def web_form_update(*, user, form: WebForm, data: dict[str, Any]) -> WebForm:
    """Change a web form (administrators)."""
    _require_admin(user)
    return record_update(form, user=user, data=data, fields=WEB_FORM_FIELDS)


def origin_allowed(form: WebForm, origin: str) -> bool:
    """Is the page that posted (its Origin header) one of the sites the form is embedded on?"""
    return bool(origin) and origin.rstrip("/").lower() in {o.lower() for o in form.origins}


@dataclass
class Lead:
    """What a submission made: the client (found or new), whether it was new, and the assignee's task."""

    counterparty: Counterparty
    created: bool
    task: Any


def clean_submission(form: WebForm, data: dict[str, str]) -> dict[str, str]:
    """The submission's values, validated: a name, an e-mail or a phone, and the consent ticked."""
    values = {key: (data.get(key) or "").strip()[:500] for key in ("name", "company", "email", "phone", "message")}
    errors: dict[str, list[str]] = {}
    if not values["name"]:
        errors["name"] = [_("Write your name.")]
    if not values["email"] and not values["phone"]:
        errors["email"] = [_("Write an e-mail or a phone number to reach you.")]
    if values["email"]:
        try:
            validate_email(values["email"])
            values["email"] = values["email"].lower()
        except ValidationError:
            errors["email"] = [_("This is not an e-mail address.")]
    if values["phone"]:
        try:
            values["phone"] = normalize_phone(values["phone"])
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if not data.get("consent"):
        errors["consent"] = [_("Tick the consent to send the form.")]
    if errors:
        raise ValidationError(errors)
    return values


def find_client(*, email: str, phone: str) -> Counterparty | None:
    """The existing client with this e-mail, else with this phone (system lookup: the public has no user)."""
    if email:
        found = Email.objects.filter(address__iexact=email).select_related("counterparty").first()
        if found is not None:
            return found.counterparty
    if phone:
        match = Phone.objects.filter(number=phone).select_related("counterparty").first()
        if match is not None:
            return match.counterparty
    return None


def next_assignee(form: WebForm):
    """Who gets this lead: the form's person, or the next active member of its department (round robin)."""
    if form.assignee_id:
        return form.assignee
    members = list(get_user_model().objects.filter(department=form.department_id, is_active=True).order_by("pk"))
    if not members:
        return None
    after = [m for m in members if form.last_assigned_id is not None and m.pk > form.last_assigned_id]
    chosen = after[0] if after else members[0]
    # The turn is bookkeeping, not a setting anyone changed: kept with an UPDATE, not journaled.
    WebForm.objects.filter(pk=form.pk).update(last_assigned=chosen)
    return chosen


def _new_client(values: dict[str, str], assignee) -> Counterparty:
    company = values["company"]
    return counterparty_create(user=None, data={
        "name": company or values["name"], "kind": CounterpartyKind.LEGAL if company else CounterpartyKind.INDIVIDUAL,
        "responsible": assignee, "notes": _("Lead from a web form")})


@transaction.atomic
def web_form_submit(*, form: WebForm, data: dict[str, str], ip: str | None = None) -> Lead:
    """A visitor sent the form: find or create the client, record consent and touch, give the lead a task."""
    values = clean_submission(form, data)
    form = WebForm.objects.select_for_update().get(pk=form.pk)
    client = find_client(email=values["email"], phone=values["phone"])
    created = client is None
    assignee = next_assignee(form) if created else (client.responsible or next_assignee(form))
    if created:
        client = _new_client(values, assignee)
        if values["email"]:
            email_add(user=None, counterparty=client, address=values["email"])
        if values["phone"]:
            phone_add(user=None, counterparty=client, number=values["phone"])
    assert client is not None
    now = timezone.now()
    record_create(LeadConsent, user=None, data={"counterparty": client, "web_form": form, "text": form.consent_text,
                                                "given_at": now, "ip": ip or None},
                  fields=("counterparty", "web_form", "text", "given_at", "ip"))
    if form.campaign_id:
        touch_record(user=None, data={"campaign": form.campaign, "counterparty": client, "at": now,
                                      **{k: data.get(k, "") for k in UTM_KEYS}})
    task = None
    if assignee is not None:
        task = task_create(user=None, data={
            "title": _("Lead from the web form “%(form)s”: %(name)s") % {"form": form.name, "name": values["name"]},
            "description": _lead_text(values), "assignee": assignee, "counterparty": client, "due_at": now})
    return Lead(client, created, task)


def _lead_text(values: dict[str, str]) -> str:
    labels = {"name": _("Name"), "company": _("Company"), "email": _("E-mail"), "phone": _("Phone"),
              "message": _("Message")}
    return "\n".join(f"{labels[k]}: {v}" for k, v in values.items() if v)
