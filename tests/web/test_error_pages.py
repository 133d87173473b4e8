"""Error pages: with DEBUG off, a missing record, a refused page and a server error show the app's own page, in the
reader's language, with a way back to the dashboard (not Django's bare "Not Found")."""

from __future__ import annotations

import uuid

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db

TEXTS = {
    "en": {404: "Page not found", 403: "Access denied", 500: "Something went wrong", "back": "Back to the dashboard"},
    "ru": {404: "Страница не найдена", 403: "Доступ запрещён", 500: "Что-то пошло не так",
           "back": "Вернуться на главную"},
}


@pytest.fixture
def live_settings(settings):
    settings.DEBUG = False
    return settings


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_missing_record_shows_the_styled_404(live_settings, client, manager, language):
    manager.language = language
    manager.save()
    client.force_login(manager)
    response = client.get(reverse("web:counterparty_detail", args=[uuid.uuid4()]))
    assert response.status_code == 404
    html = response.content.decode()
    assert TEXTS[language][404] in html and TEXTS[language]["back"] in html
    assert f'href="{reverse("web:dashboard")}"' in html and "raccordo.css" in html
    assert "The requested resource was not found" not in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_refused_page_shows_the_styled_403(live_settings, client, manager, language):
    manager.language = language
    manager.save()
    client.force_login(manager)
    response = client.get(reverse("web:product_create"))
    assert response.status_code == 403
    html = response.content.decode()
    assert TEXTS[language][403] in html and TEXTS[language]["back"] in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_500_page_renders_without_a_request_context_or_database(live_settings, language,
                                                                   django_assert_num_queries):
    request = RequestFactory().get("/broken/")
    with translation.override(language), django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert TEXTS[language][500] in html and TEXTS[language]["back"] in html and f'lang="{language}"' in html


def test_the_configured_handler500_is_the_one_that_renders_500_html(live_settings):
    from django.urls import get_resolver  # function-level: only this test needs the resolver

    handler = get_resolver().resolve_error_handler(500)
    with translation.override("en"):
        response = handler(RequestFactory().get("/"))
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()
