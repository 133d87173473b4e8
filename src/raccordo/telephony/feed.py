"""The calls on the counterparty card's feed: a source registered with activities.feed from the AppConfig."""

from __future__ import annotations

from django.utils.translation import gettext as _

from raccordo.activities.feed import FeedItem
from raccordo.core.phones import format_phone

from .models import Call, CallDirection, CallStatus
from .selectors import call_list


def duration_text(seconds: int | None) -> str:
    """Talk time as m:ss (h:mm:ss past an hour)."""
    if not seconds:
        return "0:00"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def call_title(call: Call) -> str:
    if call.status == CallStatus.MISSED:
        return _("Missed call")
    if call.direction == CallDirection.OUTBOUND:
        text = _("Outgoing call, %(duration)s")
    else:
        text = _("Incoming call, %(duration)s")
    return text % {"duration": duration_text(call.duration_seconds)}


def call_item(call: Call) -> FeedItem:
    parts = [format_phone(call.number) if call.number else (call.from_number or call.to_number)]
    if call.contact_id:
        parts.append(str(call.contact))
    if call.extension:
        parts.append(_("ext. %(number)s") % {"number": call.extension})
    title = call_title(call)
    if call.recording_url:
        # The feed links an item's title to its `url`: here, the recording.
        title = f"{title} · {_('recording')}"
    return FeedItem(kind="call", at=call.started_at, title=title, detail=" · ".join(parts),
                    author=call.user, url=call.recording_url)


def call_feed_source(*, user, counterparty, before=None, limit: int = 20) -> list[FeedItem]:
    """The client's calls `user` may see, newest first, older than `before`: one query."""
    calls = call_list(user=user, counterparty=counterparty)
    if before is not None:
        calls = calls.filter(started_at__lt=before)
    return [call_item(call) for call in calls[:limit]]
