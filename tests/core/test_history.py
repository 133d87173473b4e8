"""Record history from the change journal, the administrators' audit log, and the journal's append-only admin."""

from __future__ import annotations

import pytest
from django.contrib import admin
from rest_framework.test import APIClient

from raccordo.access import services as access_services
from raccordo.access.history import record_history
from raccordo.core.context import change_context
from raccordo.core.models import ChangeJournal, Origin
from raccordo.parties.services import counterparty_create, counterparty_update
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_cp(manager):
    with change_context(origin=Origin.UI):
        return counterparty_create(user=manager, data={"name": "Romashka", "inn": factories.inn10(5)})


def test_history_shows_who_when_origin_and_fields_before_after(manager, client, client_cp, reference_data):
    client.force_login(manager)
    client.post(f"/counterparties/{client_cp.pk}/edit/", {"kind": "legal", "name": "Romashka Plus",
                                                          "inn": client_cp.inn, "country": "RU"})
    api = APIClient()
    api.force_authenticate(manager)
    assert api.patch(f"/api/v1/counterparties/{client_cp.pk}/", {"is_vip": True, "price_type":
                     str(reference_data["price_type"].pk)}, format="json").status_code == 200
    with change_context(origin=Origin.EXCHANGE, node="1c-main"):
        counterparty_update(user=None, counterparty=client_cp, data={"notes": "from 1C"})
    rows = record_history(user=manager, obj=client_cp)
    assert [r.entry.origin for r in rows] == ["exchange", "api", "ui", "ui"]
    api_row = rows[1]
    labels = {c.label: (c.before, c.after) for c in api_row.changes}
    assert labels["VIP"] == ("no", "yes")
    assert labels["price type"] == (None, "Wholesale (RUB)")      # the id resolved to its name
    ui_row = rows[2]
    assert {c.label: (c.before, c.after) for c in ui_row.changes}["name"] == ("Romashka", "Romashka Plus")
    page = client.get(f"/counterparties/{client_cp.pk}/?tab=history").content.decode()
    for text in ("Romashka Plus", "Web UI", "API", "Exchange", "1c-main", "Wholesale", "Anna Ivanova"):
        assert text in page


def test_history_of_a_hidden_record_is_not_shown(other_manager, client_cp, client):
    assert record_history(user=other_manager, obj=client_cp) == []
    client.force_login(other_manager)
    assert client.get(f"/counterparties/{client_cp.pk}/?tab=history").status_code == 404


def test_a_link_to_a_record_the_reader_may_not_see_is_not_resolved(manager, other_manager, admin_user,
                                                                    reference_data):
    theirs = factories.CounterpartyFactory(responsible=other_manager, name="Secret Ltd")
    deal = factories.deal_for(factories.CounterpartyFactory(responsible=manager), reference_data)
    from raccordo.core.journal import journal_record

    journal_record(obj=deal, operation="update", changes={"counterparty": [str(theirs.pk), str(deal.counterparty_id)]},
                   user=admin_user)
    rows = record_history(user=manager, obj=deal)
    before = rows[0].changes[0].before
    assert "Secret" not in str(before)


def test_every_record_page_has_its_history(manager, client, reference_data):
    cp = counterparty_create(user=manager, data={"name": "Vasilek", "inn": factories.inn10(9)})
    deal = factories.deal_for(cp, reference_data)
    from raccordo.sales.services import deal_update

    deal_update(user=manager, deal=deal, data={"title": "Renamed deal"})
    client.force_login(manager)
    page = client.get(f"/deals/{deal.pk}/")
    assert page.status_code == 200 and 'data-testid="history"' in page.content.decode()
    assert "Renamed deal" in page.content.decode()


def test_the_audit_log_is_for_administrators_with_filters(manager, admin_user, client, client_cp):
    client.force_login(manager)
    assert client.get("/audit/").status_code == 404
    client.force_login(admin_user)
    response = client.get("/audit/")
    assert response.status_code == 200 and response.context["page"].paginator.count >= 1
    assert client.get("/audit/", {"origin": "api"}).context["page"].paginator.count == 0
    assert client.get("/audit/", {"user": str(manager.pk)}).context["page"].paginator.count >= 1
    ct = ChangeJournal.objects.first().content_type_id
    assert client.get("/audit/", {"content_type": ct, "date_from": "2000-01-01",
                                  "date_to": "2999-01-01"}).context["page"].paginator.count >= 1
    assert client.get("/audit/", {"date_to": "2000-01-01"}).context["page"].paginator.count == 0
    assert client.get("/audit/", {"q": "Romashka"}).context["page"].paginator.count >= 1


def test_the_journal_is_append_only_in_the_admin_and_the_models(admin_user, rf, client_cp):
    model_admin = admin.site._registry[ChangeJournal]
    request = rf.get("/")
    request.user = admin_user
    entry = ChangeJournal.objects.first()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert "delete_selected" not in model_admin.get_actions(request)
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_sharing_is_in_the_history(manager, other_manager, client_cp):
    access_services.counterparty_share(user=manager, counterparty=client_cp, with_user=other_manager)
    rows = record_history(user=manager, obj=client_cp)
    change = rows[0].changes[0]
    assert change.label == "shared with" and change.after == "Marco Rossi"
