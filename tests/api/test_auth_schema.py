"""Token authentication, the error format and the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_token_for_username_and_password_authenticates(manager, anon):
    response = anon.post(TOKEN_URL, {"username": manager.username, "password": "pass-12345"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=manager).key == token
    # The same token again, not a new one per call.
    again = anon.post(TOKEN_URL, {"username": manager.username, "password": "pass-12345"}, format="json")
    assert again.json()["token"] == token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/counterparties/").status_code == 200


def test_wrong_password_gets_no_token(manager, anon):
    response = anon.post(TOKEN_URL, {"username": manager.username, "password": "wrong"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert not Token.objects.filter(user=manager).exists()


def test_inactive_user_gets_no_token(manager, anon):
    manager.is_active = False
    manager.save()
    response = anon.post(TOKEN_URL, {"username": manager.username, "password": "pass-12345"}, format="json")
    assert response.status_code == 400


def test_token_of_deactivated_user_stops_working(manager, anon):
    token = Token.objects.create(user=manager)
    manager.is_active = False
    manager.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/counterparties/").status_code == 401


def test_api_root_lists_endpoints(api):
    response = api.get("/api/v1/")
    assert response.status_code == 200
    assert {"counterparties", "invoices", "stock-levels", "reminders"} <= set(response.json())


def test_schema_and_docs_are_served(anon):
    response = anon.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/counterparties/" in text and "/api/v1/invoices/{id}/issue/" in text
    assert anon.get("/api/docs/").status_code == 200


def test_error_format_of_not_found_and_method_not_allowed(api):
    response = api.get("/api/v1/deals/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json() == {"code": "api.not_found", "message": response.json()["message"], "extra": {}}
    response = api.delete("/api/v1/warehouses/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 405
    assert response.json()["code"] == "api.method_not_allowed"
