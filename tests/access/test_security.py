"""Personal API tokens (hashed, scoped, expiring, revocable), login throttling, CSRF, cookies and headers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from raccordo.access import services
from raccordo.access.models import ApiToken, hash_token
from raccordo.parties.models import Counterparty
from tests import factories

pytestmark = pytest.mark.django_db


def bearer(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def test_a_token_is_shown_once_and_stored_hashed(manager, client):
    client.force_login(manager)
    response = client.post("/settings/tokens/", {"name": "1C script", "scope": "read", "expires_in_days": "30"})
    assert response.status_code == 200
    plain = response.context["plain_token"]
    assert plain.startswith("rcd_") and plain in response.content.decode()
    token = ApiToken.objects.get(user=manager)
    assert token.key_hash == hash_token(plain) and plain not in (token.key_hash, token.prefix)
    assert plain not in client.get("/settings/tokens/").content.decode()
    assert token.expires_at.date() == (timezone.now() + dt.timedelta(days=30)).date()


def test_read_only_token_reads_but_does_not_write(manager):
    mine = factories.CounterpartyFactory(responsible=manager)
    _token, plain = services.api_token_create(user=manager, name="read", scope="read")
    api = bearer(plain)
    assert {row["id"] for row in api.get("/api/v1/counterparties/").json()["results"]} == {str(mine.pk)}
    response = api.post("/api/v1/counterparties/", {"name": "New"}, format="json")
    assert response.status_code == 403
    assert api.patch(f"/api/v1/counterparties/{mine.pk}/", {"notes": "x"}, format="json").status_code == 403
    assert not Counterparty.objects.filter(name="New").exists()


def test_read_write_token_writes_as_its_owner(manager):
    _token, plain = services.api_token_create(user=manager, name="rw", scope="write")
    response = bearer(plain).post("/api/v1/counterparties/", {"name": "Via token"}, format="json")
    assert response.status_code == 201, response.content
    assert Counterparty.objects.get(name="Via token").responsible == manager
    # The legacy "Token" keyword works for personal tokens too.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert client.get("/api/v1/counterparties/").status_code == 200


def test_expired_revoked_and_unknown_tokens_are_refused(manager, client):
    token, plain = services.api_token_create(user=manager, name="old", scope="write")
    assert bearer(plain).get("/api/v1/counterparties/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert bearer(plain).get("/api/v1/counterparties/").status_code == 401
    token2, plain2 = services.api_token_create(user=manager, name="revoke me")
    client.force_login(manager)
    assert client.post(f"/settings/tokens/{token2.pk}/revoke/").status_code == 302
    assert bearer(plain2).get("/api/v1/counterparties/").status_code == 401
    assert bearer("rcd_forged").get("/api/v1/counterparties/").status_code == 401
    manager.is_active = False
    manager.save()
    token3, plain3 = services.api_token_create(user=manager, name="inactive")
    assert bearer(plain3).get("/api/v1/counterparties/").status_code == 401


def test_nobody_revokes_or_sees_someone_elses_tokens(manager, other_manager, client):
    theirs, _plain = services.api_token_create(user=other_manager, name="Marco's")
    client.force_login(manager)
    assert client.post(f"/settings/tokens/{theirs.pk}/revoke/").status_code == 404
    assert "Marco&#x27;s" not in client.get("/settings/tokens/").content.decode()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_login_is_refused_for_15_minutes_after_5_failures(manager):
    client = Client()
    for _ in range(settings.SIGNIN_MAX_FAILURES):
        response = client.post("/login/", {"username": "anna", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/login/", {"username": "anna", "password": "pass-12345"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Another user from the same address is not locked out.
    factories.UserFactory(username="dmitry")
    assert Client().post("/login/", {"username": "dmitry", "password": "pass-12345"}).status_code == 302


def test_a_success_resets_the_failure_count(manager):
    client = Client()
    for _ in range(settings.SIGNIN_MAX_FAILURES - 1):
        client.post("/login/", {"username": "anna", "password": "wrong"})
    assert client.post("/login/", {"username": "anna", "password": "pass-12345"}).status_code == 302
    client.logout()
    for _ in range(settings.SIGNIN_MAX_FAILURES - 1):
        client.post("/login/", {"username": "anna", "password": "wrong"})
    assert client.post("/login/", {"username": "anna", "password": "pass-12345"}).status_code == 302


def test_the_token_endpoint_is_throttled_the_same_way(manager):
    api = APIClient()
    for _ in range(settings.SIGNIN_MAX_FAILURES):
        assert api.post("/api/v1/auth/token/", {"username": "anna", "password": "bad"}).status_code == 400
    response = api.post("/api/v1/auth/token/", {"username": "anna", "password": "pass-12345"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["message"]


def test_forms_need_a_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.post("/counterparties/new/", {"kind": "legal", "name": "X"}).status_code == 403
    page = client.get("/counterparties/new/")
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()


def test_cookies_and_security_headers(manager, client):
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.CSRF_COOKIE_SAMESITE == "Lax" and settings.CSRF_COOKIE_HTTPONLY
    response = client.post("/login/", {"username": "anna", "password": "pass-12345"})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get("/")
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"


def test_secure_cookies_follow_https_outside_debug():
    import subprocess
    import sys

    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='raccordo.settings'; django.setup(); "
            "from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)")
    import os

    env = {**os.environ, "HTTPS": "1", "DEBUG": "0"}
    env.pop("SECURE_COOKIES", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]
