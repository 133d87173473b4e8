"""The node wizard: each kind of node, what to type into 1C, the checkauth status turning green, folder checks."""

from __future__ import annotations

import base64
import html
import os
import re
import tempfile

import pytest
from django.test import Client
from django.urls import reverse

from raccordo.core.models import ChangeJournal
from raccordo.exchange.models import ExchangeNode
from raccordo.exchange.onec.models import OneCSession, SessionStatus
from raccordo.exchange.services import node_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def checkauth(login: str, password: str, path: str = "/exchange/1c/"):
    """1C's "test connection": a checkauth with HTTP Basic credentials, from a client of its own."""
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return Client(REMOTE_ADDR="10.0.0.7").get(path, {"type": "catalog", "mode": "checkauth"},
                                              HTTP_AUTHORIZATION=f"Basic {token}")


def field_value(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*value="([^"]*)"', html) or \
        re.search(rf'value="([^"]*)"[^>]*data-testid="{testid}"', html)
    assert found, f"no {testid} field on the page"
    return found.group(1)


def state(html: str) -> str:
    return re.search(r'data-testid="checkauth-status" data-state="(\w+)"', html).group(1)


def poll_url(html: str) -> str:
    return re.search(r'data-testid="checkauth-status"[^>]*hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")


def create_onec_node(admin, name="УТ 11 Москва", code=""):
    reply = admin.post(reverse("onec:node_create"), {"kind": "onec-http", "name": name, "code": code})
    assert reply.status_code == 302, reply.content.decode()[:2000]
    node = ExchangeNode.objects.get(name=name)
    assert reply.url == reverse("onec:node_connect", args=[node.pk])
    return node, admin.get(reply.url).content.decode()


def test_the_wizard_offers_the_three_kinds_of_peer(admin):
    page = admin.get(reverse("onec:node_create")).content.decode()
    for kind in ("onec-http", "folder", "tabular"):
        assert f'data-testid="node-kind-{kind}"' in page
    form = admin.get(reverse("onec:node_create"), {"kind": "folder"}).content.decode()
    assert 'name="path"' in form and 'data-testid="node-code"' in form
    assert 'name="path"' not in admin.get(reverse("onec:node_create"), {"kind": "onec-http"}).content.decode()


def test_a_1c_node_gets_credentials_shown_once_and_turns_green_at_the_first_checkauth(admin):
    node, page = create_onec_node(admin)
    assert node.code == "ut-11-moskva" and node.kind == "onec-http" and node.login == "1c-ut-11-moskva"
    url, login, password = (field_value(page, t) for t in ("onec-url", "onec-login", "onec-password"))
    assert url == "http://testserver/exchange/1c/" and login == node.login
    assert "http://testserver/bitrix/admin/1c_exchange.php" in page
    assert len(password) >= 20 and password not in node.password_hash and node.check_password(password)
    assert ChangeJournal.objects.filter(object_id=node.pk, operation="create").exists()
    assert state(page) == "waiting" and "Waiting for 1C" in page and 'hx-trigger="every 2s"' in page
    # Shown once: the page opened again has no password on it.
    again = admin.get(reverse("onec:node_connect", args=[node.pk])).content.decode()
    assert password not in again and 'data-testid="onec-password-hidden"' in again

    poll = poll_url(page)
    assert state(admin.get(poll).content.decode()) == "waiting"
    reply = checkauth(login, password)
    assert reply.content.decode().startswith("success")
    status = admin.get(poll).content.decode()
    assert state(status) == "connected" and "1C is connected" in status and "10.0.0.7" in status
    assert "hx-trigger" not in status                 # green: the panel stops asking
    assert 'data-testid="node-connected"' in admin.get(reverse("onec:node_detail", args=[node.pk])).content.decode()


def test_the_bitrix_address_connects_as_well(admin):
    node, page = create_onec_node(admin, name="Бухгалтерия")
    password = field_value(page, "onec-password")
    assert checkauth(node.login, password, path="/bitrix/admin/1c_exchange.php").content.startswith(b"success")
    assert state(admin.get(reverse("onec:node_checkauth", args=[node.pk])).content.decode()) == "connected"


def test_a_wrong_password_shows_as_a_failed_attempt_with_its_reason(admin):
    node, page = create_onec_node(admin)
    assert checkauth(node.login, "not-the-password").content.decode().startswith("failure")
    status = admin.get(reverse("onec:node_checkauth", args=[node.pk])).content.decode()
    assert state(status) == "failed" and 'hx-trigger="every 2s"' in status   # still waiting for a right one
    assert 'data-testid="checkauth-failed"' in status and "Wrong login or password." in status
    assert node.login in status
    # A login no node has is pointed out too (a typo in 1C).
    checkauth("1c-typo", "whatever")
    status = admin.get(reverse("onec:node_checkauth", args=[node.pk])).content.decode()
    assert 'data-testid="checkauth-stray"' in status and "1c-typo" in status
    # The right password afterwards turns it green.
    checkauth(node.login, field_value(page, "onec-password"))
    assert state(admin.get(reverse("onec:node_checkauth", args=[node.pk])).content.decode()) == "connected"


def test_a_new_password_replaces_the_old_one_and_ends_its_sessions(admin):
    node, page = create_onec_node(admin)
    old = field_value(page, "onec-password")
    assert checkauth(node.login, old).content.startswith(b"success")
    reply = admin.post(reverse("onec:node_password", args=[node.pk]))
    assert reply.status_code == 302 and reply.url == reverse("onec:node_connect", args=[node.pk])
    page = admin.get(reply.url).content.decode()
    new = field_value(page, "onec-password")
    assert new != old
    assert OneCSession.objects.get().status == SessionStatus.EXPIRED
    # The status waits again for a checkauth with the new password.
    assert state(page) == "waiting"
    assert checkauth(node.login, old).content.startswith(b"failure")
    assert checkauth(node.login, new).content.startswith(b"success")
    poll = poll_url(page)
    assert state(admin.get(poll).content.decode()) == "connected"


def test_code_is_suggested_from_the_name_and_must_be_free(admin):
    assert admin.get(reverse("onec:node_code_suggest"), {"name": "Торговля Рим"}).json() == {"code": "torgovlya-rim"}
    create_onec_node(admin, name="Торговля Рим")
    assert admin.get(reverse("onec:node_code_suggest"), {"name": "Торговля Рим"}).json() == {"code": "torgovlya-rim-2"}
    reply = admin.post(reverse("onec:node_create"), {"kind": "onec-http", "name": "Другая", "code": "torgovlya-rim"})
    assert reply.status_code == 422
    page = reply.content.decode()
    assert "The code torgovlya-rim is taken by another node; try torgovlya-rim-2." in page
    assert 'id="id_code_error"' in page
    reply = admin.post(reverse("onec:node_create"), {"kind": "onec-http", "name": "", "code": "Bad code!"})
    assert reply.status_code == 422 and 'id="id_name_error"' in reply.content.decode()
    assert 'id="id_code_error"' in reply.content.decode()
    assert ExchangeNode.objects.count() == 1


def test_a_folder_node_needs_a_folder_the_server_can_use(admin, tmp_path):
    url = reverse("onec:node_create")
    a_file = tmp_path / "file.xml"
    a_file.write_text("x")
    cases = {"": "Enter the folder's full path on the server.",
             "relative/dir": "Enter a full path",
             str(tmp_path / "missing"): f"There is no folder {tmp_path / 'missing'} on the server.",
             str(a_file): f"{a_file} is a file, not a folder."}
    for path, message in cases.items():
        reply = admin.post(url, {"kind": "folder", "name": "Drop", "path": path})
        page = html.unescape(reply.content.decode())
        assert reply.status_code == 422 and message in page and 'id="id_path_error"' in page, path
    assert not ExchangeNode.objects.exists()
    assert 'value="drop"' in page                    # the code it would get, shown with the errors
    reply = admin.post(url, {"kind": "folder", "name": "Drop", "path": str(tmp_path)})
    node = ExchangeNode.objects.get()
    assert reply.url == reverse("onec:node_detail", args=[node.pk])
    assert (node.kind, node.path, node.code, node.login, node.password_hash) == ("folder", str(tmp_path), "drop", "",
                                                                                 "")
    assert list(tmp_path.iterdir()) == [a_file]     # the write probe leaves nothing behind
    page = admin.get(reply.url).content.decode()
    assert 'data-testid="folder-state" data-state="ok"' in page


def _unwritable_folder(tmp_path) -> str:
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return str(folder)
    # root writes everywhere it has permission bits for; sysfs refuses new files even to root.
    try:
        with tempfile.NamedTemporaryFile(dir="/sys"):
            pass
    except OSError:
        return "/sys"
    pytest.skip("no folder here refuses the test's user a new file")


def test_an_unwritable_folder_is_refused(admin, tmp_path):
    folder = _unwritable_folder(tmp_path)
    reply = admin.post(reverse("onec:node_create"), {"kind": "folder", "name": "Drop", "path": folder})
    assert reply.status_code == 422 and "may not write into the folder" in reply.content.decode()
    assert not ExchangeNode.objects.exists()


def test_check_again_reports_a_folder_that_went_away_and_takes_a_new_path(admin, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    node = node_create(user=None, code="drop", kind="folder", path=str(first))
    check = reverse("onec:node_folder_check", args=[node.pk])
    first.rmdir()
    page = admin.get(reverse("onec:node_detail", args=[node.pk])).content.decode()
    assert 'data-state="failed"' in page and f"There is no folder {first} on the server." in page
    reply = admin.post(check, {"path": str(first)}, follow=True)
    assert f"There is no folder {first} on the server." in reply.content.decode()
    reply = admin.post(check, {"path": str(second)}, follow=True)
    assert "The server can read and write the folder" in reply.content.decode()
    node.refresh_from_db()
    assert node.path == str(second)
    assert ChangeJournal.objects.filter(object_id=node.pk, operation="update").exists()


def test_a_tabular_node_links_to_the_import_with_the_node(admin):
    reply = admin.post(reverse("onec:node_create"), {"kind": "tabular", "name": "Price lists", "code": ""})
    node = ExchangeNode.objects.get()
    assert node.kind == "tabular" and node.code == "price-lists"
    page = admin.get(reply.url).content.decode()
    assert f'href="{reverse("exchange:tabular_upload")}?node=price-lists"' in page


def test_only_administrators_reach_the_wizard(client, manager, admin_user):
    node = node_create(user=None, code="ut", kind="onec-http", login="site", password="secret-1")
    client.force_login(manager)
    assert client.get(reverse("onec:node_create")).status_code == 404
    assert client.post(reverse("onec:node_create"), {"kind": "tabular", "name": "x"}).status_code == 404
    assert client.get(reverse("onec:node_code_suggest"), {"name": "x"}).status_code == 404
    assert client.get(reverse("onec:node_connect", args=[node.pk])).status_code == 404
    assert client.get(reverse("onec:node_checkauth", args=[node.pk])).status_code == 404
    assert client.post(reverse("onec:node_password", args=[node.pk])).status_code == 404
    assert client.post(reverse("onec:node_folder_check", args=[node.pk])).status_code == 404
    node.refresh_from_db()
    assert node.check_password("secret-1") and ExchangeNode.objects.count() == 1
