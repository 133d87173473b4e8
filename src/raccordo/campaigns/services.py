"""Writes of the campaigns app: campaigns, their events and finish-to-start links, touches, attribution.

Campaigns and events are shared reference rows that roles cannot "add" by permission, so these services ask
access.policy.campaigns who may plan and journal the change themselves; touches hang off a client and go
through `record_create` like any client's record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import require_campaign_planner
from raccordo.access.records import check_fields, record_create
from raccordo.core.journal import diff, journal_record, snapshot
from raccordo.core.models import Operation
from raccordo.sales.services import deal_update
from raccordo.segments.selectors import segment_list

from .models import Campaign, CampaignEvent, CampaignTouch

CAMPAIGN_FIELDS = ("name", "channel", "budget", "actual_cost", "starts_on", "ends_on", "owner", "segment",
                   "description")
EVENT_FIELDS = ("name", "kind", "starts_on", "ends_on", "owner")
TOUCH_FIELDS = ("campaign", "counterparty", "contact", "at", "utm_source", "utm_medium", "utm_campaign", "utm_term",
                "utm_content")


def _write(obj: models.Model, *, user, data: dict[str, Any], fields: Iterable[str], check=None) -> Any:
    check_fields(type(obj), data, tuple(fields))
    require_campaign_planner(user)
    created = obj._state.adding
    before = {} if created else snapshot(obj)
    for key, value in data.items():
        setattr(obj, key, value)
    obj.full_clean()
    if check is not None:
        check(obj)
    changes = diff(before, snapshot(obj))
    if not changes and not created:
        return obj
    obj.save(force_insert=created)
    journal_record(obj=obj, operation=Operation.CREATE if created else Operation.UPDATE, changes=changes, user=user)
    return obj


def _segment_seen_by(user):
    """A campaign targets a segment its planner may see (a colleague's private segment is not offered to
    strangers, nor accepted from a crafted form)."""
    def check(campaign: Campaign) -> None:
        if campaign.segment_id and user is not None and not segment_list(user=user).filter(
                pk=campaign.segment_id).exists():
            raise ValidationError({"segment": [_("Choose one of your segments.")]})
    return check


@transaction.atomic
def campaign_create(*, user, data: dict[str, Any]) -> Campaign:
    """Plan a campaign (administrators, marketers, heads of sales); its owner is its planner unless named."""
    data = dict(data)
    if user is not None and getattr(user, "pk", None) and not data.get("owner"):
        data["owner"] = user
    return _write(Campaign(), user=user, data=data, fields=CAMPAIGN_FIELDS, check=_segment_seen_by(user))


@transaction.atomic
def campaign_update(*, user, campaign: Campaign, data: dict[str, Any]) -> Campaign:
    """Change a campaign's fields (its cost as the bills come in, its period, its target segment...)."""
    before = campaign.segment_id
    check = _segment_seen_by(user)
    return _write(campaign, user=user, data=data, fields=CAMPAIGN_FIELDS,
                  check=lambda c: check(c) if c.segment_id != before else None)


def _check_dependencies(event: CampaignEvent, depends_on: list[CampaignEvent]) -> None:
    for other in depends_on:
        if other.campaign_id != event.campaign_id:
            raise ValidationError({"depends_on": [_("“%(name)s” belongs to another campaign.") % {"name": other}]})
        if other.pk == event.pk or _reaches(other, event):
            raise ValidationError({"depends_on": [_("“%(name)s” already waits for this event: the links would "
                                                    "go round in a circle.") % {"name": other}]})
        if event.starts_on <= other.ends_on:
            raise ValidationError({"starts_on": [_("“%(name)s” ends on %(end)s: this event can start on %(day)s at "
                                                   "the earliest.") % {"name": other, "end": other.ends_on,
                                                                       "day": other.ends_on + timedelta(days=1)}]})


def _reaches(start: CampaignEvent, target: CampaignEvent) -> bool:
    """Does `start` wait (directly or through others) for `target`?"""
    seen, todo = set(), [start.pk]
    while todo:
        pk = todo.pop()
        for dep in CampaignEvent.depends_on.through.objects.filter(from_campaignevent_id=pk).values_list(
                "to_campaignevent_id", flat=True):
            if dep == target.pk:
                return True
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return False


@transaction.atomic
def event_save(*, user, campaign: Campaign, data: dict[str, Any], event: CampaignEvent | None = None,
               depends_on: list[CampaignEvent] | None = None) -> CampaignEvent:
    """Plan or change an event of a campaign; it starts only after each event it depends on has ended."""
    event = event if event is not None else CampaignEvent(campaign=campaign)
    if event.campaign_id != campaign.pk:
        raise ValidationError({"campaign": [_("The event belongs to another campaign.")]})
    deps = list(depends_on) if depends_on is not None else (list(event.depends_on.all()) if event.pk else [])
    _write(event, user=user, data=data, fields=EVENT_FIELDS, check=lambda e: _check_dependencies(e, deps))
    if depends_on is not None:
        event.depends_on.set(deps)
    _check_followers(event)
    return event


def _check_followers(event: CampaignEvent) -> None:
    # Moving an event later must not leave an event that waits for it starting before it ends.
    late = event.followers.filter(starts_on__lte=event.ends_on).first()
    if late is not None:
        raise ValidationError({"ends_on": [_("“%(name)s” waits for this event and starts on %(day)s: end this one "
                                             "before then, or move it first.") % {"name": late,
                                                                                  "day": late.starts_on}]})


@transaction.atomic
def event_reschedule(*, user, event: CampaignEvent, starts_on: date) -> CampaignEvent:
    """Move an event keeping its length (the Gantt chart's "move"); the finish-to-start links still hold."""
    length = event.ends_on - event.starts_on
    return event_save(user=user, campaign=event.campaign, event=event,
                      data={"starts_on": starts_on, "ends_on": starts_on + length})


@transaction.atomic
def event_delete(*, user, event: CampaignEvent) -> None:
    """Remove an event from the plan (the events waiting for it no longer do)."""
    require_campaign_planner(user)
    journal_record(obj=event, operation=Operation.DELETE, changes={k: [v, None] for k, v in snapshot(event).items()},
                   user=user)
    event.delete()


def touch_record(*, user, data: dict[str, Any]) -> CampaignTouch:
    """Record that a client met a campaign (a web form sent, a list imported); `at` defaults to now."""
    data = dict(data)
    data.setdefault("at", timezone.now())
    for key in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
        data[key] = (data.get(key) or "")[:150]
    return record_create(CampaignTouch, user=user, data=data, fields=TOUCH_FIELDS)


ATTRIBUTION_WINDOW = timedelta(days=90)


def last_touch_campaign(counterparty, *, now=None) -> Campaign | None:
    """Last-touch attribution: the campaign of the client's most recent touch in the 90 days before `now`, the
    source of a deal opened for the client when its opener names none (the deal form offers it too)."""
    now = now or timezone.now()
    touch = (CampaignTouch.objects.filter(counterparty=counterparty, at__gt=now - ATTRIBUTION_WINDOW, at__lte=now)
             .select_related("campaign").order_by("-at", "-id").first())
    return touch.campaign if touch else None


def deal_attribute(*, user, deal, campaign: Campaign | None):
    """Name the campaign a deal came from (or none): its payments then count in that campaign's ROI."""
    return deal_update(user=user, deal=deal, data={"source_campaign": campaign})

