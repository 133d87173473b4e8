"""A head runs her team (issue #17): who is in her team, to whom she gives tasks, clients and deals, and the
team dashboard's figures and their cost in queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from raccordo.access import policy
from raccordo.access.models import CounterpartyShare, Department
from raccordo.access.reassign import counterparties_reassign, deals_reassign
from raccordo.activities.models import Reminder, Task, TaskStatus
from raccordo.activities.services import task_create, task_update
from raccordo.core.errors import PermissionDenied
from raccordo.core.journal import ChangeJournal
from raccordo.reports.team import team_overview
from raccordo.sales.models import Deal, Invoice, InvoiceStatus
from raccordo.sales.services import deal_create, deal_update
from tests.factories import ContactPersonFactory, CounterpartyFactory, UserFactory, deal_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(reference_data):
    """Sales > Sales Russia (head elena, anna, dmitry) and Sales Italy (giulia), plus an administrator."""
    sales = Department.objects.create(name="Sales")
    russia = Department.objects.create(name="Sales Russia", parent=sales)
    italy = Department.objects.create(name="Sales Italy")
    people = {
        "elena": UserFactory(username="elena", role="head", department=russia),
        "anna": UserFactory(username="anna", role="manager", department=russia),
        "dmitry": UserFactory(username="dmitry", role="manager", department=russia),
        "giulia": UserFactory(username="giulia", role="manager", department=italy),
        "root": UserFactory(username="root", role="admin", is_superuser=True),
    }
    return {**people, "ref": reference_data, "russia": russia}


def _names(users) -> set[str]:
    return set(users.values_list("username", flat=True))


def test_team_members_by_scope(team):
    assert _names(policy.team_members(team["elena"])) == {"elena", "anna", "dmitry"}
    assert _names(policy.team_members(team["anna"])) == {"anna"}
    assert {"elena", "anna", "dmitry", "giulia", "root"} <= _names(policy.team_members(team["root"]))
    # A departed colleague is not offered any more.
    team["dmitry"].is_active = False
    team["dmitry"].save()
    assert _names(policy.team_members(team["elena"])) == {"elena", "anna"}


def test_task_assignee_rule_is_one_for_form_and_api(team):
    """A head gives tasks to anyone of her subtree, a manager only to herself; the service refuses the rest."""
    elena, anna, giulia = team["elena"], team["anna"], team["giulia"]
    task = task_create(user=elena, data={"title": "Call back", "assignee": anna})
    assert task.assignee == anna
    with pytest.raises(PermissionDenied):
        task_create(user=elena, data={"title": "Out of reach", "assignee": giulia})
    with pytest.raises(PermissionDenied):
        task_create(user=anna, data={"title": "To a colleague", "assignee": team["dmitry"]})
    assert task_create(user=team["root"], data={"title": "Anyone", "assignee": giulia}).assignee == giulia


def test_task_form_offers_exactly_the_assignable_people(team):
    from raccordo.web.forms import TaskForm  # the web form is above the access layer this file tests

    elena_form = TaskForm(user=team["elena"])
    assert _names(elena_form.fields["assignee"].queryset) == {"elena", "anna", "dmitry"}
    assert "assignee" not in TaskForm(user=team["anna"]).fields


def test_head_reassigns_clients_with_their_open_work(team):
    elena, anna, dmitry = team["elena"], team["anna"], team["dmitry"]
    ref = team["ref"]
    clients = [CounterpartyFactory(responsible=anna) for _ in range(2)]
    open_deal = deal_for(clients[0], ref, title="Open")
    won_deal = deal_for(clients[0], ref, title="Won")
    Deal.objects.filter(pk=won_deal.pk).update(stage=ref["stages"]["Won"])
    open_task = Task.objects.create(title="Call", assignee=anna, counterparty=clients[0])
    done_task = Task.objects.create(title="Done", assignee=anna, counterparty=clients[0], status=TaskStatus.DONE)
    counts = counterparties_reassign(user=elena, counterparties=clients, to_user=dmitry, with_open_work=True)
    assert counts == {"counterparties": 2, "deals": 1, "tasks": 1}
    for obj, field, owner in ((clients[0], "responsible", dmitry), (clients[1], "responsible", dmitry),
                              (open_deal, "manager", dmitry), (won_deal, "manager", anna),
                              (open_task, "assignee", dmitry), (done_task, "assignee", anna)):
        obj.refresh_from_db()
        assert getattr(obj, f"{field}_id") == owner.pk, (obj, field)
    entry = ChangeJournal.objects.filter(object_id=str(clients[0].pk)).order_by("seq").last()
    assert entry.user_id == elena.pk and entry.changes["responsible"] == [str(anna.pk), str(dmitry.pk)]


def test_reassign_without_open_work_leaves_deals(team):
    anna, dmitry = team["anna"], team["dmitry"]
    client = CounterpartyFactory(responsible=anna)
    deal = deal_for(client, team["ref"])
    counterparties_reassign(user=team["elena"], counterparties=[client], to_user=dmitry)
    deal.refresh_from_db()
    assert deal.manager == anna


def test_reassign_refused_out_of_subtree_and_for_managers(team):
    elena, anna, giulia = team["elena"], team["anna"], team["giulia"]
    theirs = CounterpartyFactory(responsible=giulia)
    mine = CounterpartyFactory(responsible=anna)
    # To someone outside her departments: refused, nothing changes (one transaction).
    with pytest.raises(PermissionDenied):
        counterparties_reassign(user=elena, counterparties=[mine], to_user=giulia)
    # A client of another department she reaches only by a share: not hers to hand around.
    CounterpartyShare.objects.create(counterparty=theirs, user=elena)
    with pytest.raises(PermissionDenied):
        counterparties_reassign(user=elena, counterparties=[theirs], to_user=anna)
    # A manager gives nothing to a colleague.
    with pytest.raises(PermissionDenied):
        counterparties_reassign(user=anna, counterparties=[mine], to_user=team["dmitry"])
    with pytest.raises(PermissionDenied):
        deals_reassign(user=anna, deals=[deal_for(mine, team["ref"])], to_user=team["dmitry"])
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.responsible, theirs.responsible) == (anna, giulia)
    # The administrator may hand anything to anyone.
    assert counterparties_reassign(user=team["root"], counterparties=[theirs], to_user=anna)["counterparties"] == 1


def test_head_reassigns_vip_clients_of_her_people_and_deals_in_bulk(team):
    elena, anna, dmitry = team["elena"], team["anna"], team["dmitry"]
    vip = CounterpartyFactory(responsible=anna, is_vip=True)
    deals = [deal_for(vip, team["ref"], title=f"D{i}") for i in range(3)]
    assert counterparties_reassign(user=elena, counterparties=[vip], to_user=dmitry)["counterparties"] == 1
    assert deals_reassign(user=elena, deals=deals, to_user=dmitry) == 3
    assert deals_reassign(user=elena, deals=deals, to_user=dmitry) == 0


def test_reassign_away_from_a_departed_colleague(team):
    """The most common hand-over: the previous responsible left (inactive) but is still in her department."""
    anna = team["anna"]
    client = CounterpartyFactory(responsible=anna)
    anna.is_active = False
    anna.save()
    counterparties_reassign(user=team["elena"], counterparties=[client], to_user=team["dmitry"])
    client.refresh_from_db()
    assert client.responsible == team["dmitry"]


def test_deal_contact_must_work_for_the_deals_counterparty(team):
    anna = team["anna"]
    client, other = CounterpartyFactory(responsible=anna), CounterpartyFactory(responsible=anna)
    theirs = ContactPersonFactory(counterparty=other)
    ours = ContactPersonFactory(counterparty=client)
    with pytest.raises(ValidationError) as exc:
        deal_create(user=anna, data={"title": "X", "counterparty": client, "contact": theirs})
    assert "contact" in exc.value.message_dict
    deal = deal_create(user=anna, data={"title": "X", "counterparty": client, "contact": ours})
    with pytest.raises(ValidationError):
        deal_update(user=anna, deal=deal, data={"contact": theirs})


def test_task_deal_must_be_of_the_tasks_counterparty(team):
    anna = team["anna"]
    client, other = CounterpartyFactory(responsible=anna), CounterpartyFactory(responsible=anna)
    deal = deal_for(other, team["ref"])
    with pytest.raises(ValidationError):
        task_create(user=anna, data={"title": "X", "counterparty": client, "deal": deal})
    # A task about a deal alone is about its client too.
    task = task_create(user=anna, data={"title": "Y", "deal": deal})
    assert task.counterparty == other
    with pytest.raises(ValidationError):
        task_update(user=anna, task=task, data={"counterparty": client})


def _world(team, n: int, start: int = 0) -> None:
    """For each of anna and dmitry, `n` clients, each with an open deal in RUB, one in EUR with a task planned,
    an overdue task and an overdue invoice."""
    ref, now = team["ref"], timezone.now()
    for person in (team["anna"], team["dmitry"]):
        for i in range(start, start + n):
            cp = CounterpartyFactory(responsible=person)
            deal_for(cp, ref, title=f"Bare {i}", amount=Decimal("100"), currency="RUB")
            planned = deal_for(cp, ref, title=f"Planned {i}", amount=Decimal("10"), currency="EUR")
            Task.objects.create(title="Next", assignee=person, counterparty=cp, deal=planned,
                                due_at=now + dt.timedelta(days=2))
            Task.objects.create(title="Late", assignee=person, counterparty=cp, due_at=now - dt.timedelta(days=1))
            Invoice.objects.create(own_company=ref["own_company"], counterparty=cp, date=dt.date(2026, 1, 1),
                                   due_date=timezone.localdate() - dt.timedelta(days=3), currency="RUB",
                                   status=InvoiceStatus.PARTLY_PAID, subtotal=Decimal("50"), total=Decimal("50"),
                                   paid_amount=Decimal("20"), responsible=person)


def test_team_overview_figures(team):
    _world(team, 2)
    giulia_client = CounterpartyFactory(responsible=team["giulia"])
    deal_for(giulia_client, team["ref"], title="Italy")
    rows = {row.person.username: row for row in team_overview(user=team["elena"])}
    assert set(rows) == {"elena", "anna", "dmitry"}
    anna = rows["anna"]
    assert anna.open_deals == 4
    assert anna.pipeline == {"RUB": Decimal("200"), "EUR": Decimal("20")}
    assert anna.overdue_tasks == 2
    assert anna.no_next_step == 2
    assert anna.overdue_invoices == 2 and anna.overdue_amount == {"RUB": Decimal("60")}
    assert rows["elena"].quiet
    # A reminder on a bare deal is a next step too.
    bare = anna.person.deals.filter(title="Bare 0").get()
    from django.contrib.contenttypes.models import ContentType  # only this case needs a content type

    Reminder.objects.create(user=anna.person, subject="Ring", start_at=timezone.now(), target_id=bare.pk,
                            target_type=ContentType.objects.get_for_model(bare))
    rows = {row.person.username: row for row in team_overview(user=team["elena"])}
    assert rows["anna"].no_next_step == 1
    # A manager leads nobody: no team dashboard. The administrator sees everyone, Italy included.
    assert team_overview(user=team["anna"]) == []
    assert {row.person.username for row in team_overview(user=team["root"])} >= {"anna", "giulia"}


def test_team_overview_hides_what_the_head_cannot_see(team):
    """A VIP client of her own people counts; figures of people outside her subtree never appear."""
    vip = CounterpartyFactory(responsible=team["anna"], is_vip=True)
    deal_for(vip, team["ref"], amount=Decimal("5"))
    rows = {row.person.username: row for row in team_overview(user=team["elena"])}
    assert rows["anna"].open_deals == 1
    assert "giulia" not in rows


def test_team_overview_query_count_does_not_grow_with_records(team):
    def count() -> int:
        user = type(team["elena"]).objects.get(pk=team["elena"].pk)  # fresh: no cached subtree or permissions
        with CaptureQueriesContext(connection) as queries:
            team_overview(user=user)
        return len(queries)

    _world(team, 1)
    small = count()
    _world(team, 10, start=1)
    for i in range(5):
        UserFactory(username=f"new{i}", role="manager", department=team["russia"])
    assert count() == small
    assert small <= 8
