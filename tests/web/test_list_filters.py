"""One filter set per list: the web list, its export and the API read the same definition, with the web's
defaults and its tolerance for values it does not understand (the API answers those with a 400)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from raccordo.sales.filters import DealFilter
from raccordo.sales.models import Deal
from raccordo.sales.selectors import deal_list

pytestmark = pytest.mark.django_db


def _rows(client, name: str, **params) -> str:
    return client.get(reverse(name), params).content.decode()


def test_deal_list_starts_with_open_deals_and_the_mine_chip_keeps_the_callers(client, admin_user, world):
    client.force_login(admin_user)
    assert "Romashka supply" in _rows(client, "web:deal_list")
    assert "Romashka supply" not in _rows(client, "web:deal_list", state="won")
    world["mine"]["deal"].manager = admin_user
    world["mine"]["deal"].save()
    html = _rows(client, "web:deal_list", mine="1", state="all")
    assert "Romashka supply" in html and "Vasilek supply" not in html


def test_an_id_that_is_no_id_matches_nothing_and_an_unknown_choice_is_ignored(client, admin_user, world):
    client.force_login(admin_user)
    assert "Romashka supply" not in _rows(client, "web:deal_list", stage="not-a-uuid")
    assert "Romashka supply" in _rows(client, "web:deal_list", state="nonsense")
    assert "Romashka" in _rows(client, "web:invoice_list", status="nonsense")


def test_invoice_overdue_chip_and_counterparty_responsible_by_id(client, admin_user, manager, world):
    client.force_login(admin_user)
    assert "Romashka" in _rows(client, "web:invoice_list", overdue="1")
    html = _rows(client, "web:counterparty_list", responsible=str(manager.pk))
    assert "Romashka" in html and "Vasilek" not in html


def test_the_api_and_the_selector_share_the_deal_filter(admin_user, world):
    api = APIClient()
    api.force_authenticate(admin_user)
    opened = {d["id"] for d in api.get("/api/v1/deals/", {"is_open": "true"}).json()["results"]}
    assert opened == {str(pk) for pk in deal_list(user=admin_user, filters={"state": "open"}).values_list("pk", flat=True)}
    assert api.get("/api/v1/deals/", {"stage": "not-a-uuid"}).status_code == 400
    assert set(DealFilter({"is_open": "false"}, Deal.objects.all(), user=admin_user).qs) == set(
        deal_list(user=admin_user, filters={"state": "won"})) | set(deal_list(user=admin_user, filters={"state": "lost"}))
