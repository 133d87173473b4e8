"""Token authentication, the error format and the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from raccordo.access.models import ApiToken
from raccordo.access.services import api_token_create, hash_token

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_token_for_username_and_password_authenticates(manager, anon):
    response = anon.post(TOKEN_URL, {"username": manager.username, "password": "pass-12345"}, format="json")
    assert response.status_code == 200
    body = response.json()
    token = body["token"]
    # A personal token like those of the token page: stored hashed, with scope and expiry, revocable.
    stored = ApiToken.objects.get(user=manager)
    assert stored.key_hash == hash_token(token) and body["scope"] == "write" and stored.expires_at
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/counterparties/").status_code == 200
    read_only = anon.post(TOKEN_URL, {"username": manager.username, "password": "pass-12345", "scope": "read"},
                          format="json").json()
    assert read_only["scope"] == "read"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {read_only['token']}")
    assert client.post("/api/v1/counterparties/", {"name": "x"}, format="json").status_code == 403


def test_wrong_password_gets_no_token(manager, anon):
    response = anon.post(TOKEN_URL, {"username": manager.username, "password": "wrong"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert not ApiToken.objects.filter(user=manager).exists()


def test_inactive_user_gets_no_token(manager, anon):
    manager.is_active = False
    manager.save()
    response = anon.post(TOKEN_URL, {"username": manager.username, "password": "pass-12345"}, format="json")
    assert response.status_code == 400


def test_token_of_deactivated_user_stops_working(manager, anon):
    _token, plain = api_token_create(user=manager, name="t", scope="write")
    manager.is_active = False
    manager.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert client.get("/api/v1/counterparties/").status_code == 401


def test_api_root_lists_endpoints(api):
    response = api.get("/api/v1/")
    assert response.status_code == 200
    assert {"counterparties", "invoices", "stock-levels", "reminders"} <= set(response.json())


def test_schema_and_docs_are_served_to_signed_in_users(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/counterparties/" in text and "/api/v1/invoices/{id}/issue/" in text
    assert api.get("/api/docs/").status_code == 200


def test_error_format_of_not_found_and_method_not_allowed(api):
    response = api.get("/api/v1/deals/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json() == {"code": "api.not_found", "message": response.json()["message"], "extra": {}}
    response = api.delete("/api/v1/warehouses/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 405
    assert response.json()["code"] == "api.method_not_allowed"


def test_openapi_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "personalToken" in target.read_text()
