"""Cached figures: one snapshot per access scope, fresh for a while, recomputed on demand and by the worker."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from raccordo.reports.models import ReportSnapshot, SnapshotKind
from raccordo.reports.selectors import scope_key
from raccordo.reports.services import report_figures, snapshots_refresh
from raccordo.sales.models import InvoiceStatus

from .conftest import ALL, ANNA, MARCO, invoice

pytestmark = pytest.mark.django_db
D = Decimal
KPI = SnapshotKind.KPI


def _age(snapshot_filter: dict, **delta) -> None:
    ReportSnapshot.objects.filter(**snapshot_filter).update(computed_at=timezone.now() - dt.timedelta(**delta))


def test_first_view_computes_and_stores_the_next_reads_the_snapshot(company):
    anna = company.users["anna"]
    first = report_figures(user=anna, kind=KPI, year=company.year)
    assert not first.cached and first.data["totals"]["invoiced"] == ANNA["invoiced"]
    snapshot = ReportSnapshot.objects.get()
    assert (snapshot.kind, snapshot.year, snapshot.scope_key, snapshot.user) == (KPI, company.year, scope_key(anna),
                                                                                anna)
    second = report_figures(user=anna, kind=KPI, year=company.year)
    assert second.cached and second.data == first.data and second.computed_at == first.computed_at
    # Money comes back as Decimal, not as the strings JSON stores.
    assert isinstance(second.data["totals"]["invoiced"]["RUB"], Decimal)


def test_each_access_scope_has_its_own_snapshot_and_never_sees_another(company):
    users = company.users
    expected = {"anna": ANNA, "marco": MARCO, "root": ALL, "hana": ANNA}
    for _round in range(2):   # computed, then read from the cache: the same figures either way
        for name, figures in expected.items():
            got = report_figures(user=users[name], kind=KPI, year=company.year)
            assert got.data["totals"]["invoiced"] == figures["invoiced"], name
            assert got.data["totals"]["receivable"] == figures["receivable"], name
            assert got.cached == (_round == 1), name
    assert ReportSnapshot.objects.count() == 4
    assert len(set(ReportSnapshot.objects.values_list("scope_key", flat=True))) == 4


def test_people_who_see_the_same_records_share_a_snapshot(company):
    from tests import factories

    report_figures(user=company.users["root"], kind=KPI, year=company.year)
    other_admin = factories.UserFactory(username="root2", role="admin")
    assert report_figures(user=other_admin, kind=KPI, year=company.year).cached
    assert ReportSnapshot.objects.count() == 1


def test_figures_stay_until_stale_then_are_recomputed(company, settings):
    settings.REPORT_CACHE_SECONDS = 300
    anna = company.users["anna"]
    today = timezone.localdate()
    report_figures(user=anna, kind=KPI, year=today.year)
    before = report_figures(user=anna, kind=KPI, year=today.year).data["totals"]["invoiced"]
    invoice(company.ref, company.clients["a"], today, "123", status=InvoiceStatus.ISSUED)
    # Fresh: the new invoice is not in yet...
    assert report_figures(user=anna, kind=KPI, year=today.year).data["totals"]["invoiced"] == before
    # ...stale after the current year's 5 minutes: recomputed with it.
    _age({"year": today.year}, seconds=301)
    after = report_figures(user=anna, kind=KPI, year=today.year)
    assert not after.cached
    assert after.data["totals"]["invoiced"]["RUB"] == before.get("RUB", D("0")) + D("123")


def test_a_past_year_stays_fresh_longer(company, settings):
    settings.REPORT_CACHE_SECONDS, settings.REPORT_CACHE_PAST_SECONDS = 300, 86400
    anna = company.users["anna"]
    report_figures(user=anna, kind=KPI, year=company.year)
    _age({}, hours=2)
    assert report_figures(user=anna, kind=KPI, year=company.year).cached
    _age({}, hours=25)
    assert not report_figures(user=anna, kind=KPI, year=company.year).cached


def test_refresh_recomputes_at_once(company):
    anna = company.users["anna"]
    report_figures(user=anna, kind=KPI, year=company.year)
    invoice(company.ref, company.clients["a"], dt.date(company.year, 5, 5), "1", status=InvoiceStatus.ISSUED)
    fresh = report_figures(user=anna, kind=KPI, year=company.year, refresh=True)
    assert not fresh.cached and fresh.data["totals"]["invoiced"] == {"RUB": D("1901.00")}
    assert report_figures(user=anna, kind=KPI, year=company.year).data["totals"]["invoices"] == 4
    assert ReportSnapshot.objects.count() == 1


def test_the_cache_can_be_turned_off(company, settings):
    settings.REPORT_CACHE_SECONDS = 0
    anna = company.users["anna"]
    assert not report_figures(user=anna, kind=KPI, year=company.year).cached
    assert not report_figures(user=anna, kind=KPI, year=company.year).cached
    assert not ReportSnapshot.objects.exists()


def test_reading_a_snapshot_notes_the_request_at_most_once_a_minute(company):
    anna = company.users["anna"]
    report_figures(user=anna, kind=KPI, year=company.year)
    long_ago = timezone.now() - dt.timedelta(hours=3)
    ReportSnapshot.objects.update(requested_at=long_ago)
    report_figures(user=anna, kind=KPI, year=company.year)
    noted = ReportSnapshot.objects.get().requested_at
    assert noted > long_ago
    report_figures(user=anna, kind=KPI, year=company.year)
    assert ReportSnapshot.objects.get().requested_at == noted


def test_dashboard_totals_are_cached_per_scope_too(company, client):
    today = timezone.localdate()
    for name, expected in {"anna": {"RUB": D("8700")}, "marco": {"RUB": D("2000")}}.items():
        # anna: a2 (300), a5 (400), a6 (8000) open today; marco: m2 (2000); m1 is paid.
        client.force_login(company.users[name])
        response = client.get("/")
        assert response.context["receivable"] == expected, name
        assert "money-as-of" in response.content.decode()
    assert ReportSnapshot.objects.filter(kind=SnapshotKind.RECEIVABLES, year=0).count() == 2
    # A new invoice shows after the refresh button, not before.
    client.force_login(company.users["marco"])
    invoice(company.ref, company.clients["m"], today, "5", status=InvoiceStatus.ISSUED)
    assert client.get("/").context["receivable"] == {"RUB": D("2000")}
    response = client.post("/reports/refresh/", {"report": "receivables", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["receivable"] == {"RUB": D("2005")}


# --- the worker -----------------------------------------------------------------------------------------------

def test_worker_recomputes_the_snapshots_asked_for_before_they_go_stale(company, settings):
    settings.REPORT_CACHE_SECONDS = 900
    anna, marco = company.users["anna"], company.users["marco"]
    today = timezone.localdate()
    report_figures(user=anna, kind=KPI, year=today.year)
    report_figures(user=marco, kind=SnapshotKind.RECEIVABLES)
    report_figures(user=anna, kind=KPI, year=company.year)                     # a past year: fresh for a day
    invoice(company.ref, company.clients["a"], today, "77", status=InvoiceStatus.ISSUED)
    invoice(company.ref, company.clients["m"], today, "11", status=InvoiceStatus.ISSUED)
    _age({}, minutes=5)          # 10 minutes of 15 left: still fresh when the next run comes
    assert snapshots_refresh() == {"refreshed": 0, "dropped": 0, "forgotten": 0}
    _age({}, minutes=11)         # would go stale before the next run (in 5 minutes): recomputed now
    assert snapshots_refresh() == {"refreshed": 2, "dropped": 0, "forgotten": 0}
    current = report_figures(user=anna, kind=KPI, year=today.year)
    assert current.cached and current.data["totals"]["receivable"]["RUB"] == D("8777.00")
    assert report_figures(user=marco, kind=SnapshotKind.RECEIVABLES).data["receivable"] == {"RUB": D("2011")}
    assert report_figures(user=anna, kind=KPI, year=company.year).data["totals"]["invoices"] == 3
    # Just refreshed: the next run has nothing to do.
    assert snapshots_refresh()["refreshed"] == 0


def test_worker_computes_as_the_snapshots_person_and_keeps_scopes_apart(company):
    anna, marco = company.users["anna"], company.users["marco"]
    for user in (anna, marco):
        report_figures(user=user, kind=KPI, year=timezone.localdate().year)
    _age({}, minutes=10)
    assert snapshots_refresh()["refreshed"] == 2
    by_key = {s.scope_key: s for s in ReportSnapshot.objects.all()}
    assert by_key[scope_key(anna)].data["managers"][0]["name"] == "Anna Ivanova"
    assert [m["name"] for m in by_key[scope_key(marco)].data["managers"]] == ["Marco Rossi"]


def test_worker_drops_what_is_no_longer_someones_and_forgets_what_nobody_asks_for(company):
    anna, marco, hana = company.users["anna"], company.users["marco"], company.users["hana"]
    year = timezone.localdate().year
    for user in (anna, marco, hana):
        report_figures(user=user, kind=KPI, year=year)
    _age({}, minutes=10)
    marco.is_active = False
    marco.save()
    hana.role = "manager"          # no longer heads the department: her snapshot is not hers any more
    hana.save()
    ReportSnapshot.objects.filter(user=anna).update(requested_at=timezone.now() - dt.timedelta(days=31))
    counts = snapshots_refresh()
    assert counts == {"refreshed": 0, "dropped": 2, "forgotten": 1}
    assert not ReportSnapshot.objects.exists()


def test_snapshots_not_asked_for_today_are_not_kept_warm(company):
    anna = company.users["anna"]
    report_figures(user=anna, kind=KPI, year=timezone.localdate().year)
    _age({}, minutes=10)
    ReportSnapshot.objects.update(requested_at=timezone.now() - dt.timedelta(days=2))
    assert snapshots_refresh() == {"refreshed": 0, "dropped": 0, "forgotten": 0}


def test_the_periodic_huey_task_runs_the_refresh(company, settings):
    from huey.api import PeriodicTask
    from huey.contrib.djhuey import HUEY

    from raccordo.reports.tasks import report_snapshots_refresh_task

    assert issubclass(report_snapshots_refresh_task.task_class, PeriodicTask)
    report_figures(user=company.users["anna"], kind=KPI, year=timezone.localdate().year)
    _age({}, minutes=10)
    before = HUEY.immediate
    HUEY.immediate = True
    try:
        report_snapshots_refresh_task()                 # enqueued, and run at once in immediate mode
    finally:
        HUEY.immediate = before
    assert ReportSnapshot.objects.get().computed_at > timezone.now() - dt.timedelta(minutes=1)
    _age({}, minutes=10)
    assert report_snapshots_refresh_task.call_local() == {"refreshed": 1, "dropped": 0, "forgotten": 0}
