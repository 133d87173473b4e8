"""Sign-in limits (security findings M4, M5): one lock-out for the web login, the admin login, the API token
endpoint and the 1C exchange login, counted before the password is checked, in a store every server process
shares; X-Forwarded-For counts only behind the configured proxies."""

from __future__ import annotations

import base64

import pytest
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from rest_framework.test import APIClient

from raccordo.exchange.services import node_create

pytestmark = pytest.mark.django_db
LOCKED = "Too many failed sign-in attempts"


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def test_M4_the_admin_login_locks_after_the_configured_failures(admin_user):
    client = Client()
    for _ in range(settings.SIGNIN_MAX_FAILURES):
        response = client.post("/admin/login/", {"username": "admin", "password": "guess"})
        assert response.status_code == 200 and LOCKED not in response.content.decode()
    response = client.post("/admin/login/", {"username": "admin", "password": "pass-12345"})
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_M4_admin_and_web_failures_count_together(admin_user):
    for _ in range(settings.SIGNIN_MAX_FAILURES):
        Client().post("/admin/login/", {"username": "admin", "password": "guess"})
    response = Client().post("/login/", {"username": "admin", "password": "pass-12345"})
    assert response.status_code == 200 and LOCKED in response.content.decode()
    api = APIClient().post("/api/v1/auth/token/", {"username": "admin", "password": "pass-12345"})
    assert api.status_code == 429


@pytest.mark.parametrize("surface", ["web", "admin", "api"])
def test_M5_a_forged_forwarded_for_does_not_bypass_the_lock(surface, admin_user):
    path = {"web": "/login/", "admin": "/admin/login/", "api": "/api/v1/auth/token/"}[surface]
    client = APIClient() if surface == "api" else Client()
    answers = []
    for i in range(settings.SIGNIN_MAX_FAILURES + 3):
        response = client.post(path, {"username": "admin", "password": f"guess{i}"},
                               HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        answers.append(response.status_code == 429 or LOCKED in response.content.decode())
    assert answers == [False] * settings.SIGNIN_MAX_FAILURES + [True] * 3


def test_M5_behind_a_trusted_proxy_the_proxy_seen_address_counts(settings, manager):
    settings.TRUSTED_PROXIES = 1
    attacker = {"REMOTE_ADDR": "10.0.0.1"}
    for i in range(settings.SIGNIN_MAX_FAILURES):
        # Whatever the client writes left of the proxy's entry is ignored.
        Client().post("/login/", {"username": "anna", "password": "bad"}, **attacker,
                      HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.9")
    locked = Client().post("/login/", {"username": "anna", "password": "pass-12345"}, **attacker,
                           HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.9")
    assert LOCKED in locked.content.decode()
    # The real anna, through the same proxy from her own address, signs in.
    ok = Client().post("/login/", {"username": "anna", "password": "pass-12345"}, **attacker,
                       HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert ok.status_code == 302


def test_M5_the_1c_login_locks_and_a_forged_forwarded_for_does_not_help(transactional_db):
    node_create(user=None, code="ut", kind="onec-http", login="site", password="s3cret-pass")
    client = Client()
    url = "/exchange/1c/?type=catalog&mode=checkauth"
    for i in range(settings.ONEC_AUTH_FAILURES):
        reply = client.get(url, HTTP_AUTHORIZATION=basic("site", f"w{i}"), HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
        assert reply.content.decode().splitlines()[1] == "Wrong login or password."
    reply = client.get(url, HTTP_AUTHORIZATION=basic("site", "s3cret-pass"), HTTP_X_FORWARDED_FOR="192.0.2.250")
    assert reply.content.decode().startswith("failure\nToo many wrong passwords")
    # Another address is not locked out.
    reply = client.get(url, HTTP_AUTHORIZATION=basic("site", "s3cret-pass"), REMOTE_ADDR="198.51.100.5")
    assert reply.content.decode().startswith("success")


def test_M5_an_unknown_1c_login_costs_a_password_hash_like_a_known_one(transactional_db, monkeypatch):
    node_create(user=None, code="ut", kind="onec-http", login="site", password="s3cret-pass")
    calls = []
    original = MD5PasswordHasher.verify
    monkeypatch.setattr(MD5PasswordHasher, "verify", lambda self, pw, enc: calls.append(pw) or original(self, pw, enc))
    url = "/exchange/1c/?type=catalog&mode=checkauth"
    for login in ("site", "nobody"):
        calls.clear()
        reply = Client().get(url, HTTP_AUTHORIZATION=basic(login, "wrong-one"))
        assert reply.content.decode().splitlines()[1] == "Wrong login or password."
        assert calls == ["wrong-one"], login


def test_M5_the_token_endpoint_rate_limit_ignores_a_forged_forwarded_for(manager):
    api = APIClient()
    statuses = [api.post("/api/v1/auth/token/", {"username": f"u{i}", "password": "x"},
                         HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").status_code for i in range(22)]
    assert statuses.count(429) == 2 and statuses[:20] == [400] * 20
