"""Passwords (security finding H1): everyone changes their own, administrators set a colleague's, a
forgotten one is reset by e-mail when e-mail is configured; every setting the code reads is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client

from raccordo import settings as settings_module
from raccordo.core.models import ChangeJournal
from tests import factories

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_H1_a_user_changes_their_own_password_from_the_user_menu(manager):
    client = Client()
    client.force_login(manager)
    assert "/settings/password/" in client.get("/").content.decode()
    page = client.get("/settings/password/")
    assert page.status_code == 200 and 'name="old_password"' in page.content.decode()
    wrong = client.post("/settings/password/", {"old_password": "nope", "new_password1": "Tr1cky-horse-42",
                                                "new_password2": "Tr1cky-horse-42"})
    assert wrong.status_code == 200
    manager.refresh_from_db()
    assert manager.check_password("pass-12345")
    done = client.post("/settings/password/", {"old_password": "pass-12345", "new_password1": "Tr1cky-horse-42",
                                               "new_password2": "Tr1cky-horse-42"})
    assert done.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("Tr1cky-horse-42")
    assert client.get("/").status_code == 200          # still signed in
    entry = ChangeJournal.objects.filter(object_id=manager.pk).latest("seq")
    assert "password" in entry.changes and "Tr1cky" not in str(entry.changes)


def test_H1_an_administrator_sets_a_colleagues_password_and_it_is_journaled(admin_user, manager):
    client = Client()
    client.force_login(admin_user)
    assert "/team/password/" in client.get("/").content.decode()
    short = client.post("/team/password/", {"target": manager.pk, "new_password1": "abc", "new_password2": "abc"})
    assert short.status_code == 200
    manager.refresh_from_db()
    assert manager.check_password("pass-12345")
    response = client.post("/team/password/", {"target": manager.pk, "new_password1": "Fresh-start-2027",
                                                "new_password2": "Fresh-start-2027"})
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("Fresh-start-2027")
    entry = ChangeJournal.objects.filter(object_id=manager.pk).latest("seq")
    assert entry.user_id == admin_user.pk and "password" in entry.changes
    assert "Fresh-start" not in str(entry.changes) and manager.password not in str(entry.changes)


def test_H1_nobody_else_sets_someone_elses_password(manager):
    other = factories.UserFactory(username="marco")
    head = factories.UserFactory(username="elena", role="head")
    for user in (manager, head):
        client = Client()
        client.force_login(user)
        assert client.get("/team/password/").status_code == 404
        assert client.post("/team/password/", {"target": other.pk, "new_password1": "Fresh-start-2027",
                                               "new_password2": "Fresh-start-2027"}).status_code == 404
        assert "/team/password/" not in client.get("/").content.decode()
    other.refresh_from_db()
    assert other.check_password("pass-12345")


def test_H1_the_reset_link_is_offered_only_when_email_is_configured(settings, manager):
    settings.EMAIL_CONFIGURED = False
    assert "/password/reset/" not in Client().get("/login/").content.decode()
    assert Client().get("/password/reset/").status_code == 404
    settings.EMAIL_CONFIGURED = True
    assert "/password/reset/" in Client().get("/login/").content.decode()
    assert Client().get("/password/reset/").status_code == 200


def test_H1_a_forgotten_password_is_reset_by_email(settings, manager):
    settings.EMAIL_CONFIGURED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    manager.email = "anna@example.com"
    manager.save()
    client = Client()
    assert client.post("/password/reset/", {"email": "anna@example.com"}).status_code == 302
    assert client.post("/password/reset/", {"email": "nobody@example.com"}).status_code == 302   # no hint
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@example.com"]
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Back-in-2027!",
                                                    "new_password2": "Back-in-2027!"})
    assert done.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("Back-in-2027!")
    assert "not valid" in Client().get(link, follow=True).content.decode()     # used once


def _readme_settings() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def _settings_read_by_the_code() -> set[str]:
    pattern = re.compile(r"""(?:os\.environ\.get|os\.environ\.setdefault|env_bool|_env_bool)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
                         r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]""")
    names = set()
    for path in (ROOT / "src").rglob("*.py"):
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            names.add(match.group(1) or match.group(2))
    return names - {"DJANGO_SETTINGS_MODULE"}      # Django's own, set by the `raccordo` command


def test_H1_every_environment_setting_is_in_the_readme_table():
    read = _settings_read_by_the_code()
    documented = _readme_settings()
    assert {"RACCORDO_DEMO", "RACCORDO_TRUSTED_PROXIES", "DATABASE_URL"} <= read
    assert sorted(read - documented) == [], "read by the code but missing from README's configuration table"
    assert sorted(documented - read) == [], "in README's configuration table but read by nothing"


def test_H1_the_settings_module_reads_what_the_table_says():
    # The settings module's own reads are a subset of the table (the test above covers the commands too).
    source = Path(settings_module.__file__).read_text(encoding="utf-8")
    in_settings = set(re.findall(r"""(?:os\.environ\.get|env_bool)\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    assert in_settings and in_settings <= _readme_settings()

