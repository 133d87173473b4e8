"""The head's screens (issue #17): the team panel on her dashboard, lists that open on her team, the board's
manager filter, handing clients and deals over from the lists, and the deal and task forms' dependent choices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from raccordo.access.models import Department
from raccordo.activities.models import Task
from raccordo.core.journal import ChangeJournal
from tests.factories import ContactPersonFactory, CounterpartyFactory, UserFactory, deal_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(reference_data):
    russia = Department.objects.create(name="Sales Russia")
    italy = Department.objects.create(name="Sales Italy")
    return {
        "elena": UserFactory(username="elena", first_name="Elena", last_name="Morozova", role="head",
                             department=russia),
        "anna": UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager",
                            department=russia),
        "dmitry": UserFactory(username="dmitry", first_name="Dmitry", last_name="Orlov", role="manager",
                              department=russia),
        "giulia": UserFactory(username="giulia", first_name="Giulia", last_name="Bianchi", role="manager",
                              department=italy),
        "ref": reference_data,
    }


@pytest.fixture
def head(client, people):
    client.force_login(people["elena"])
    return client


def test_dashboard_shows_the_team_with_links_to_filtered_lists(head, people):
    anna = people["anna"]
    cp = CounterpartyFactory(responsible=anna, name="Romashka")
    deal_for(cp, people["ref"], title="Boilers")
    Task.objects.create(title="Late call", assignee=anna, counterparty=cp, due_at=timezone.now() - dt.timedelta(days=1))
    html = head.get(reverse("web:dashboard")).content.decode()
    assert 'data-testid="team-panel"' in html
    assert "Anna Ivanova" in html and "Dmitry Orlov" in html and "Giulia" not in html
    assert f"?manager={anna.pk}&amp;state=open&amp;no_next_step=1" in html
    # The overdue-tasks link lands on exactly that task.
    tasks = head.get(reverse("web:task_list"), {"assignee": str(anna.pk), "status": "active", "overdue": "1",
                                                "mine": "0", "team": "0"})
    assert [t.title for t in tasks.context["rows"]] == ["Late call"]
    # "No next step" lists the deal with no open task.
    deals = head.get(reverse("web:deal_list"), {"manager": str(anna.pk), "state": "open", "no_next_step": "1"})
    assert [d.title for d in deals.context["rows"]] == ["Boilers"]


def test_manager_dashboard_has_no_team_panel(client, people):
    client.force_login(people["anna"])
    assert 'data-testid="team-panel"' not in client.get(reverse("web:dashboard")).content.decode()


def test_task_list_opens_on_the_team_for_a_head_and_on_mine_for_a_manager(client, head, people):
    anna, giulia = people["anna"], people["giulia"]
    Task.objects.create(title="Anna's task", assignee=anna, due_at=timezone.now())
    Task.objects.create(title="Giulia's task", assignee=giulia, due_at=timezone.now())
    response = head.get(reverse("web:task_list"))
    assert [t.title for t in response.context["rows"]] == ["Anna's task"]
    assert response.context["team"] and not response.context["mine"]
    assert {u.username for u in response.context["people"]} == {"elena", "anna", "dmitry"}
    # Unticking "my team" (the hidden 0 stays) shows what she chose, not the default again.
    assert head.get(reverse("web:task_list"), {"team": "0", "mine": "1"}).context["rows"] == []
    client.force_login(anna)
    response = client.get(reverse("web:task_list"))
    assert response.context["mine"] and response.context["people"] is None


def test_board_manager_filter_lists_only_her_people(head, people):
    managers = {u.username for u in head.get(reverse("web:board")).context["managers"]}
    assert managers == {"elena", "anna", "dmitry"}


def test_deal_and_counterparty_lists_have_a_team_filter(head, people):
    CounterpartyFactory(responsible=people["anna"], name="Ours")
    theirs = CounterpartyFactory(responsible=people["giulia"], name="Shared")
    from raccordo.access.models import CounterpartyShare  # the share makes a client outside her team visible

    CounterpartyShare.objects.create(counterparty=theirs, user=people["elena"])
    assert {c.name for c in head.get(reverse("web:counterparty_list"), {"team": "0"}).context["rows"]} == {
        "Ours", "Shared"}
    assert [c.name for c in head.get(reverse("web:counterparty_list"), {"team": "1"}).context["rows"]] == ["Ours"]
    deal_for(theirs, people["ref"], title="Their deal")
    deal_for(CounterpartyFactory(responsible=people["dmitry"]), people["ref"], title="Our deal")
    response = head.get(reverse("web:deal_list"), {"team": "1"})
    assert [d.title for d in response.context["rows"]] == ["Our deal"]
    assert 'data-testid="bulk-reassign"' in response.content.decode()


def test_deal_and_counterparty_lists_open_on_the_team_for_a_head(client, head, people):
    theirs = CounterpartyFactory(responsible=people["giulia"], name="Shared")
    from raccordo.access.models import CounterpartyShare  # the share makes a client outside her team visible

    CounterpartyShare.objects.create(counterparty=theirs, user=people["elena"])
    ours = CounterpartyFactory(responsible=people["anna"], name="Ours")
    deal_for(theirs, people["ref"], title="Their deal")
    deal_for(ours, people["ref"], title="Our deal")
    clients = head.get(reverse("web:counterparty_list"))
    assert clients.context["team"] and [c.name for c in clients.context["rows"]] == ["Ours"]
    assert 'name="team" value="1" checked' in clients.content.decode()
    deals = head.get(reverse("web:deal_list"))
    assert deals.context["team"] and [d.title for d in deals.context["rows"]] == ["Our deal"]
    assert 'name="team" value="1" checked' in deals.content.decode()
    # The export takes the same default.
    exported = b"".join(head.get(reverse("web:counterparty_export")).streaming_content).decode()
    assert "Ours" in exported and "Shared" not in exported
    # Unticking it (the hidden 0) shows everything she may see.
    assert not head.get(reverse("web:deal_list"), {"team": "0"}).context["team"]
    assert {d.title for d in head.get(reverse("web:deal_list"), {"team": "0"}).context["rows"]} == {
        "Their deal", "Our deal"}
    # A manager's lists are as before: no team filter, her own records.
    client.force_login(people["anna"])
    assert not client.get(reverse("web:deal_list")).context["team"]
    assert [d.title for d in client.get(reverse("web:deal_list")).context["rows"]] == ["Our deal"]
    assert not client.get(reverse("web:counterparty_list")).context["team"]
    assert [c.name for c in client.get(reverse("web:counterparty_list")).context["rows"]] == ["Ours"]


def test_head_gives_selected_clients_to_a_colleague(head, people):
    anna, dmitry = people["anna"], people["dmitry"]
    clients = [CounterpartyFactory(responsible=anna, name=f"C{i}") for i in range(3)]
    deal = deal_for(clients[0], people["ref"])
    ids = [str(c.pk) for c in clients[:2]]
    page = head.get(reverse("web:counterparty_reassign"), {"ids": ids})
    assert [c.name for c in page.context["selected"]] == ["C0", "C1"]
    assert {u.username for u in page.context["form"].fields["to_user"].queryset} == {"elena", "anna", "dmitry"}
    response = head.post(reverse("web:counterparty_reassign"), {"ids": ids, "to_user": str(dmitry.pk),
                                                                "with_open_work": "on"})
    assert response.status_code == 302
    assert sorted(c.name for c in dmitry.counterparties.all()) == ["C0", "C1"]
    deal.refresh_from_db()
    assert deal.manager == dmitry
    assert ChangeJournal.objects.filter(object_id__in=ids, user=people["elena"]).count() == 2


def test_hand_over_to_someone_outside_the_team_is_refused(head, people):
    client = CounterpartyFactory(responsible=people["anna"])
    response = head.post(reverse("web:deal_reassign"), {"ids": [str(deal_for(client, people["ref"]).pk)],
                                                        "to_user": str(people["giulia"].pk)})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.deals.get().manager == people["anna"]


def test_manager_has_no_hand_over(client, people):
    client.force_login(people["anna"])
    assert client.get(reverse("web:counterparty_reassign")).status_code == 404
    assert 'data-testid="bulk-reassign"' not in client.get(reverse("web:counterparty_list")).content.decode()


def test_deal_form_contacts_follow_the_counterparty(client, people):
    anna = people["anna"]
    client.force_login(anna)
    ours, other = CounterpartyFactory(responsible=anna), CounterpartyFactory(responsible=anna)
    mine = ContactPersonFactory(counterparty=ours, first_name="Olga")
    theirs = ContactPersonFactory(counterparty=other, first_name="Pavel")
    form = client.get(reverse("web:deal_create"), {"counterparty": str(ours.pk)}).context["form"]
    assert list(form.fields["contact"].queryset) == [mine]
    options = client.get(reverse("web:deal_contact_options"), {"counterparty": str(other.pk)}).content.decode()
    assert "Pavel" in options and "Olga" not in options
    # Another company's contact is refused, whatever the browser sends.
    response = client.post(reverse("web:deal_create"), {"title": "X", "counterparty": str(ours.pk),
                                                        "contact": str(theirs.pk), "currency": "RUB", "amount": "0"})
    assert response.status_code == 200 and "contact" in response.context["form"].errors
    response = client.post(reverse("web:deal_create"), {"title": "X", "counterparty": str(ours.pk),
                                                        "contact": str(mine.pk), "currency": "RUB", "amount": "0"})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert 'data-testid="deal-contact"' in page and str(mine) in page


def test_task_form_deals_follow_the_counterparty(client, people):
    anna = people["anna"]
    client.force_login(anna)
    ours, other = CounterpartyFactory(responsible=anna), CounterpartyFactory(responsible=anna)
    our_deal = deal_for(ours, people["ref"], title="Ours")
    deal_for(other, people["ref"], title="Theirs")
    form = client.get(reverse("web:task_create"), {"counterparty": str(ours.pk)}).context["form"]
    assert list(form.fields["deal"].queryset) == [our_deal]
    options = client.get(reverse("web:task_deal_options"), {"counterparty": str(other.pk)}).content.decode()
    assert "Theirs" in options and "Ours" not in options
    # Giulia's client is invisible to Anna: its deals are not listed.
    hidden = deal_for(CounterpartyFactory(responsible=people["giulia"]), people["ref"], title="Hidden")
    assert "Hidden" not in client.get(reverse("web:task_deal_options"),
                                      {"counterparty": str(hidden.counterparty_id)}).content.decode()


def test_head_dashboard_queries_do_not_grow_with_her_team(head, people):
    """Ten times the clients, deals, tasks and people: the same number of queries for the head's dashboard."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def populate(n: int, start: int) -> None:
        for i in range(start, start + n):
            person = UserFactory(username=f"m{i}", role="manager", department=people["elena"].department)
            cp = CounterpartyFactory(responsible=person)
            deal_for(cp, people["ref"], title=f"D{i}")
            Task.objects.create(title=f"T{i}", assignee=person, counterparty=cp,
                                due_at=timezone.now() - dt.timedelta(days=1))

    def count() -> int:
        head.get(reverse("web:dashboard"))  # the cached receivable figures are computed once, then read
        with CaptureQueriesContext(connection) as queries:
            assert head.get(reverse("web:dashboard")).status_code == 200
        return len(queries)

    populate(2, 0)
    small = count()
    populate(20, 2)
    assert count() == small


def test_invoice_form_deals_follow_the_counterparty_too(client, people):
    """The invoice form shares the task form's dependent deal list (one endpoint, the same rule)."""
    anna = people["anna"]
    client.force_login(anna)
    ours, other = CounterpartyFactory(responsible=anna), CounterpartyFactory(responsible=anna)
    won = deal_for(ours, people["ref"], title="Won one")
    from raccordo.sales.models import Deal  # only this test moves a deal to a closed stage

    Deal.objects.filter(pk=won.pk).update(stage=people["ref"]["stages"]["Won"])
    deal_for(other, people["ref"], title="Other's")
    form = client.get(reverse("web:invoice_create"), {"counterparty": str(ours.pk)}).context["form"]
    assert list(form.fields["deal"].queryset) == [won]
    # A won deal is invoiced: the reloaded list offers it too.
    assert "Won one" in client.get(reverse("web:task_deal_options"), {"counterparty": str(ours.pk)}).content.decode()
