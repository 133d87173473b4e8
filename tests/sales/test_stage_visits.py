"""Stage visits: deal_create and deal_move keep them in the same transaction as the move (a refused or failed
move writes none), a deal has one open visit, and the backfill (sales 0012) replays the change journal."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from raccordo.access.policy import visible
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.models import ChangeJournal
from raccordo.sales.models import Deal, DealStageVisit, Funnel, Stage
from raccordo.sales.services import deal_create, deal_move, deal_update
from raccordo.sales.services import stage_visits as visits_module
from tests.factories import CounterpartyFactory, UserFactory, deal_for

pytestmark = pytest.mark.django_db
backfill_migration = importlib.import_module("raccordo.sales.migrations.0012_backfill_stage_visits")
T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))


def t(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def _visits(deal) -> list[tuple]:
    return [(v.stage.name, v.manager, v.entered_at, v.left_at)
            for v in DealStageVisit.objects.filter(deal=deal).select_related("stage", "manager")]


def test_create_opens_the_first_visit_and_each_move_closes_it_and_opens_the_next(manager, reference_data):
    stages = reference_data["stages"]
    deal = deal_create(user=manager, data={"title": "Boilers", "counterparty": CounterpartyFactory(responsible=manager)},
                       now=t(0))
    assert _visits(deal) == [("New", manager, t(0), None)]
    deal = deal_move(user=manager, deal=deal, stage=stages["Negotiation"], now=t(5))
    deal = deal_move(user=manager, deal=deal, stage=stages["Negotiation"], now=t(6))   # no move, no visit
    deal = deal_move(user=manager, deal=deal, stage=stages["Won"], now=t(30))
    assert _visits(deal) == [("New", manager, t(0), t(5)), ("Negotiation", manager, t(5), t(30)),
                             ("Won", manager, t(30), None)]
    assert deal.closed_at == t(30)
    visit = DealStageVisit.objects.filter(deal=deal).first()
    assert (visit.funnel, str(visit)) == (reference_data["funnel"], "Boilers · New")


def test_without_a_clock_the_first_visit_begins_when_the_deal_was_created(manager, reference_data):
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": CounterpartyFactory(responsible=manager)})
    [visit] = DealStageVisit.objects.filter(deal=deal)
    assert visit.entered_at == Deal.objects.get(pk=deal.pk).created_at and visit.left_at is None


def test_the_manager_at_entry_stays_with_the_visit(manager, other_manager, admin_user, reference_data):
    stages = reference_data["stages"]
    cp = CounterpartyFactory(responsible=manager)
    deal = deal_create(user=admin_user, data={"title": "Valves", "counterparty": cp, "manager": manager}, now=t(0))
    deal = deal_update(user=admin_user, deal=deal, data={"manager": other_manager})
    deal = deal_move(user=admin_user, deal=deal, stage=stages["Proposal"], now=t(2))
    assert [(stage, who) for stage, who, *_ in _visits(deal)] == [("New", manager), ("Proposal", other_manager)]


@pytest.mark.parametrize("refusal", ["lost without a reason", "another funnel", "not theirs", "visit fails"])
def test_a_refused_or_failed_move_writes_no_visit_and_changes_nothing(refusal, manager, other_manager,
                                                                      reference_data, monkeypatch):
    stages = reference_data["stages"]
    deal = deal_create(user=manager, data={"title": "Pipes", "counterparty": CounterpartyFactory(responsible=manager)},
                       now=t(0))
    journal = ChangeJournal.objects.count()
    user, stage, error = manager, stages["Proposal"], ApplicationError
    if refusal == "lost without a reason":
        stage, error = stages["Lost"], ValidationError
    elif refusal == "another funnel":
        other = Funnel.objects.create(name="Projects")
        stage = Stage.objects.create(funnel=other, name="Idea", order=0)
    elif refusal == "not theirs":
        user, error = other_manager, PermissionDenied
    else:
        def broken(**kwargs):
            raise RuntimeError("the visit could not be written")
        monkeypatch.setattr("raccordo.sales.services.deals.stage_visit_move", broken)
        error = RuntimeError
    with pytest.raises(error):
        deal_move(user=user, deal=Deal.objects.get(pk=deal.pk), stage=stage, now=t(1))
    assert _visits(deal) == [("New", manager, t(0), None)]
    assert Deal.objects.get(pk=deal.pk).stage == stages["New"]
    assert ChangeJournal.objects.count() == journal


def test_whoever_sees_a_deal_sees_its_visits_and_nobody_else(manager, other_manager, admin_user, reference_data):
    mine = deal_create(user=manager, data={"title": "Mine", "counterparty": CounterpartyFactory(responsible=manager)})
    deal_move(user=manager, deal=mine, stage=reference_data["stages"]["Proposal"])
    theirs = deal_create(user=other_manager, data={"title": "Theirs",
                                                   "counterparty": CounterpartyFactory(responsible=other_manager)})
    assert {v.deal for v in visible(DealStageVisit.objects.all(), manager)} == {mine}
    assert {v.deal for v in visible(DealStageVisit.objects.all(), other_manager)} == {theirs}
    assert visible(DealStageVisit.objects.all(), admin_user).count() == 3


def test_one_open_visit_per_deal_is_a_database_rule(manager, reference_data):
    deal = deal_create(user=manager, data={"title": "X", "counterparty": CounterpartyFactory(responsible=manager)})
    with pytest.raises(IntegrityError), transaction.atomic():
        visits_module.stage_visit_open(deal=deal, at=timezone.now())


def test_a_deal_written_without_the_services_gets_its_history_when_it_first_moves(manager, reference_data):
    stages = reference_data["stages"]
    deal = deal_for(CounterpartyFactory(responsible=manager), reference_data)
    Deal.objects.filter(pk=deal.pk).update(created_at=t(-48))
    deal = deal_move(user=manager, deal=Deal.objects.get(pk=deal.pk), stage=stages["Proposal"], now=t(0))
    assert _visits(deal) == [("New", manager, t(-48), t(0)), ("Proposal", manager, t(0), None)]


def test_a_visit_never_ends_before_it_began(manager, reference_data):
    """Another process's clock a little behind: the move is kept, the visit lasts zero seconds."""
    deal = deal_create(user=manager, data={"title": "X", "counterparty": CounterpartyFactory(responsible=manager)},
                       now=t(1))
    deal = deal_move(user=manager, deal=deal, stage=reference_data["stages"]["Proposal"], now=t(0))
    assert _visits(deal) == [("New", manager, t(1), t(1)), ("Proposal", manager, t(1), None)]


# --- the backfill from the journal ---------------------------------------------------------------------------

def _journal_times(deal, times: list[dt.datetime]) -> None:
    """Give the deal's journal entries (in order) explicit times: the journal stamps the wall clock."""
    entries = list(ChangeJournal.objects.filter(object_id=deal.pk).order_by("seq"))
    assert len(entries) == len(times)
    for entry, when in zip(entries, times, strict=True):
        ChangeJournal.objects.filter(pk=entry.pk).update(at=when)


def _backfill() -> None:
    DealStageVisit.objects.all().delete()
    backfill_migration.backfill(apps, None)


def test_the_backfill_replays_creation_moves_and_hand_overs_from_the_journal(manager, other_manager, admin_user,
                                                                            reference_data):
    stages = reference_data["stages"]
    cp = CounterpartyFactory(responsible=manager)
    deal = deal_create(user=admin_user, data={"title": "Burners", "counterparty": cp, "manager": manager})
    deal = deal_move(user=admin_user, deal=deal, stage=stages["Proposal"])
    deal = deal_update(user=admin_user, deal=deal, data={"manager": other_manager, "title": "Burners II"})
    deal = deal_move(user=admin_user, deal=deal, stage=stages["Lost"], lost_reason="Price")
    deal = deal_move(user=admin_user, deal=deal, stage=stages["Negotiation"])      # re-opened
    deal = deal_update(user=admin_user, deal=deal, data={"amount": 100})           # not about stage or manager
    Deal.objects.filter(pk=deal.pk).update(created_at=t(0))
    _journal_times(deal, [t(0.01), t(1), t(2), t(3), t(4), t(5)])
    _backfill()
    assert _visits(deal) == [("New", manager, t(0), t(1)), ("Proposal", manager, t(1), t(3)),
                             ("Lost", other_manager, t(3), t(4)), ("Negotiation", other_manager, t(4), None)]


def test_the_backfill_without_a_journal_and_with_a_gap_in_it(manager, reference_data):
    stages = reference_data["stages"]
    cp = CounterpartyFactory(responsible=manager)
    silent = deal_for(cp, reference_data)                                              # no journal at all
    Deal.objects.filter(pk=silent.pk).update(created_at=t(0), stage=stages["Proposal"])
    gap = deal_create(user=manager, data={"title": "Gap", "counterparty": cp})
    gap = deal_move(user=manager, deal=gap, stage=stages["Proposal"])
    # A write that skipped the journal closed it (a bulk path): the replay ends on Proposal, the deal is Won.
    Deal.objects.filter(pk=gap.pk).update(stage=stages["Won"], closed_at=t(9), created_at=t(0))
    _journal_times(gap, [t(0), t(2)])
    began_in_the_middle = deal_create(user=manager, data={"title": "Old", "counterparty": cp})
    began_in_the_middle = deal_move(user=manager, deal=began_in_the_middle, stage=stages["Negotiation"])
    ChangeJournal.objects.filter(object_id=began_in_the_middle.pk, operation="create").delete()
    Deal.objects.filter(pk=began_in_the_middle.pk).update(created_at=t(0))
    _journal_times(began_in_the_middle, [t(3)])
    _backfill()
    assert _visits(silent) == [("Proposal", manager, t(0), None)]
    assert _visits(gap) == [("New", manager, t(0), t(2)), ("Proposal", manager, t(2), t(9)),
                            ("Won", manager, t(9), None)]
    assert _visits(began_in_the_middle) == [("New", manager, t(0), t(3)), ("Negotiation", manager, t(3), None)]


def test_the_backfill_leaves_deals_with_visits_alone_and_forgets_deleted_people(manager, reference_data):
    gone = UserFactory(username="gone")
    cp = CounterpartyFactory(responsible=manager)
    deal = deal_create(user=manager, data={"title": "Kept", "counterparty": cp}, now=t(0))
    before = _visits(deal)
    backfill_migration.backfill(apps, None)
    assert _visits(deal) == before
    handed = deal_create(user=None, data={"title": "Handed", "counterparty": cp, "manager": gone})
    Deal.objects.filter(pk=handed.pk).update(manager=manager)
    DealStageVisit.objects.filter(deal=handed).delete()
    gone.delete()
    backfill_migration.backfill(apps, None)
    assert [(s, who) for s, who, *_ in _visits(handed)] == [("New", None)]
