"""The segment pages: the editor's live count (htmx), saving, the members, the export; another manager's segment
is not found; and the day's greetings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from raccordo.comms.models import MessageTemplate
from raccordo.comms.services import opt_out
from raccordo.parties.models import Email
from raccordo.segments.greetings import send_greetings
from raccordo.segments.models import Segment
from tests.factories import ContactPersonFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db


def test_the_editor_counts_live_and_saves(client, manager, other_manager):
    CounterpartyFactory.create_batch(3, responsible=manager, country="IT")
    CounterpartyFactory(responsible=manager, country="RU")
    CounterpartyFactory(responsible=other_manager, country="IT")
    client.force_login(manager)
    url = reverse("segments:segment_new")
    assert client.get(url).status_code == 200
    data = {"name": "Italy", "kind": "dynamic", "target": "counterparties", "country": "IT"}
    count = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="segment-count">3<' in count
    bad = client.post(url, {**data, "bought_after": "soon"}, HTTP_HX_REQUEST="true").content.decode()
    assert "YYYY-MM-DD" in bad
    response = client.post(url, data)
    segment = Segment.objects.get()
    assert response.status_code == 302 and segment.filters == {"country": "IT"} and segment.owner == manager
    page = client.get(reverse("segments:segment_detail", args=[segment.pk])).content.decode()
    assert 'data-testid="segment-detail-count">3<' in page
    export = client.get(reverse("segments:segment_export", args=[segment.pk])).content.decode("utf-8-sig")
    assert len(export.strip().splitlines()) == 1 + 3
    assert "Segments" in client.get(reverse("segments:segment_list")).content.decode()
    # Changed on its page: new name, another country; the owner stays.
    edit = reverse("segments:segment_edit", args=[segment.pk])
    assert client.post(edit, {**data, "name": "Russia", "country": "RU"}).status_code == 302
    segment.refresh_from_db()
    assert (segment.name, segment.filters, segment.owner) == ("Russia", {"country": "RU"}, manager)
    client.force_login(other_manager)
    assert client.get(reverse("segments:segment_detail", args=[segment.pk])).status_code == 404


def test_a_static_segment_keeps_its_snapshot(client, manager):
    from raccordo.segments.selectors import segment_members
    from raccordo.segments.services import segment_create

    first = CounterpartyFactory(responsible=manager, country="IT")
    segment = segment_create(user=manager, data={"name": "Frozen", "kind": "static", "filters": {"country": "IT"}})
    CounterpartyFactory(responsible=manager, country="IT")
    assert list(segment_members(user=manager, segment=segment)) == [first]


def test_birthday_greetings_go_to_contacts_born_today(manager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    MessageTemplate.objects.create(name="Birthday", key="birthday", channel="email", subject="Happy birthday",
                                   body="Dear {{ contact.first_name }}, happy birthday!")
    today = dt.date(2026, 5, 17)
    client = CounterpartyFactory(responsible=manager)
    born, other, refused = (ContactPersonFactory(counterparty=client) for _ in range(3))
    born.birthday, refused.birthday, other.birthday = dt.date(1980, 5, 17), dt.date(1990, 5, 17), dt.date(1980, 5, 18)
    for i, c in enumerate((born, other, refused)):
        c.save()
        Email.objects.create(counterparty=client, contact=c, address=f"p{i}@example.com")
    opt_out(user=None, channel="email", address="p2@example.com")
    assert send_greetings(today) == {"birthday": 1, "holiday": 0}
    assert [m.to for m in mail.outbox] == [["p0@example.com"]]
    assert f"Dear {born.first_name}" in mail.outbox[0].body


def test_the_counterparty_list_export_and_mass_sms_take_a_saved_segment(client, manager, other_manager):
    from raccordo.parties.selectors import counterparty_list
    from raccordo.segments.services import segment_create
    from raccordo.sms.campaigns import campaign_preview, segment_filters

    italians = CounterpartyFactory.create_batch(2, responsible=manager, country="IT")
    CounterpartyFactory(responsible=manager, country="RU")
    segment = segment_create(user=manager, data={"name": "Italy", "filters": {"country": "IT"}})
    found = counterparty_list(user=manager, filters={"saved_segment": str(segment.pk)})
    assert set(found) == set(italians)
    # Another manager does not see the segment: the filter leaves nobody, not everyone.
    assert not counterparty_list(user=other_manager, filters={"saved_segment": str(segment.pk)}).exists()
    client.force_login(manager)
    export = client.get(reverse("web:counterparty_export") + f"?saved_segment={segment.pk}&format=csv")
    assert export.status_code == 200
    assert len(b"".join(export.streaming_content if export.streaming else [export.content]).decode(
        "utf-8-sig").strip().splitlines()) == 1 + 2
    preview = campaign_preview(user=manager, filters=segment_filters({"saved_segment": str(segment.pk)}))
    assert preview.clients == 2


def test_holiday_greetings_go_out_on_a_listed_day_only(manager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MAILING_HOLIDAYS = ["03-08"]
    MessageTemplate.objects.create(name="Holiday", key="holiday", channel="email", subject="Best wishes",
                                   body="Dear {{ contact.first_name }}, best wishes!")
    client = CounterpartyFactory(responsible=manager)
    for i in range(2):
        contact = ContactPersonFactory(counterparty=client)
        Email.objects.create(counterparty=client, contact=contact, address=f"h{i}@example.com")
    ContactPersonFactory(counterparty=client)   # no e-mail: not written to
    assert send_greetings(dt.date(2026, 3, 7)) == {"birthday": 0, "holiday": 0}
    assert send_greetings(dt.date(2026, 3, 8)) == {"birthday": 0, "holiday": 2}
    assert sorted(m.to[0] for m in mail.outbox) == ["h0@example.com", "h1@example.com"]


def test_the_unsubscribe_page_asks_before_it_records(client):
    from raccordo.comms.models import OptOut
    from raccordo.segments.mailing import unsubscribe_url

    url = unsubscribe_url("someone@example.com")
    path = url[url.index("/segments/"):]
    page = client.get(path)
    assert page.status_code == 200 and "someone@example.com" in page.content.decode()
    assert not OptOut.objects.exists()
    assert 'data-testid="unsubscribed"' in client.post(path).content.decode()
    assert OptOut.objects.filter(channel="email", address="someone@example.com").exists()
