"""The "away" state: the client card of an absent responsible, the head's team view, the calendar, a task due
during an absence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from raccordo.activities.models import Task
from raccordo.staff.models import Absence, AbsenceKind
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def away_manager(manager):
    today = timezone.localdate()
    Absence.objects.create(external_id="x1", user=manager, kind=AbsenceKind.VACATION,
                           starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=5))
    return manager


def test_card_of_a_client_shows_its_responsible_away(client, admin_user, away_manager):
    counterparty = factories.CounterpartyFactory(responsible=away_manager)
    client.force_login(admin_user)
    page = client.get(f"/counterparties/{counterparty.pk}/").content.decode()
    assert 'data-testid="away"' in page
    Absence.objects.all().delete()
    assert 'data-testid="away"' not in client.get(f"/counterparties/{counterparty.pk}/").content.decode()


def test_calendar_shows_who_is_away(client, admin_user, away_manager):
    client.force_login(admin_user)
    page = client.get("/calendar/?view=week&all=1").content.decode()
    assert page.count('data-testid="cal-away"') >= 5 and str(away_manager.last_name) in page


def test_a_task_due_during_an_absence_is_flagged(client, admin_user, away_manager):
    due = timezone.now() + dt.timedelta(days=2)
    task = Task.objects.create(title="Call back", assignee=away_manager, due_at=due, author=admin_user)
    client.force_login(admin_user)
    assert 'data-testid="away"' in client.get(f"/tasks/{task.pk}/").content.decode()
    task.due_at = timezone.now() + dt.timedelta(days=30)
    task.save()
    assert 'data-testid="away"' not in client.get(f"/tasks/{task.pk}/").content.decode()


def test_the_heads_team_panel_marks_who_is_away(client, reference_data):
    from raccordo.access.models import Department

    russia = Department.objects.create(name="Sales Russia")
    elena = factories.UserFactory(username="elena", role="head", department=russia)
    anna = factories.UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager",
                                 department=russia)
    dmitry = factories.UserFactory(username="dmitry", role="manager", department=russia)
    today = timezone.localdate()
    Absence.objects.create(external_id="x2", user=anna, kind=AbsenceKind.SICK, starts_on=today, ends_on=today)
    client.force_login(elena)
    html = client.get("/").content.decode()
    row = next(r for r in html.split('data-testid="team-row"')[1:] if "Anna Ivanova" in r.split("</td>")[0])
    assert 'data-testid="away"' in row.split("</td>")[0]
    other = next(r for r in html.split('data-testid="team-row"')[1:] if dmitry.get_full_name() in r.split("</td>")[0])
    assert 'data-testid="away"' not in other.split("</td>")[0]
