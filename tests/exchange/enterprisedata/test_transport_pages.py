"""Choosing where an EnterpriseData node's messages travel from its page: folder, FTP or 1C's web service, the
passwords named by environment variable (never typed, never shown), and the connection test."""

from __future__ import annotations

import html
import json

import pytest
from django.urls import reverse

from raccordo.core.journal import MASK
from raccordo.core.models import ChangeJournal
from raccordo.exchange.enterprisedata import services as ed
from raccordo.exchange.enterprisedata.models import EnterpriseDataPeer
from raccordo.exchange.models import NodeKind
from raccordo.exchange.services import node_create

pytestmark = pytest.mark.django_db
SECRET = "pa55-секрет"


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def node(tmp_path):
    node = node_create(user=None, code="bp", kind=NodeKind.ENTERPRISEDATA, path=str(tmp_path))
    ed.peer_setup(user=None, node=node, our_code="RC", peer_code="BP")
    return node


def _save(admin, node, **data):
    reply = admin.post(reverse("onec:node_enterprisedata_transport", args=[node.pk]), data, follow=True)
    return html.unescape(reply.content.decode())


def _peer(node):
    return EnterpriseDataPeer.objects.get(node=node)


def test_the_node_page_offers_the_three_transports(admin, node):
    page = admin.get(reverse("onec:node_detail", args=[node.pk])).content.decode()
    assert 'data-testid="ed-transport-form"' in page and 'data-testid="ed-transport-test"' in page
    for value in ("folder", "ftp", "ws"):
        assert f'<option value="{value}"' in page
    for field in ("ftp_host", "ftp_port", "ftp_user", "ftp_password_env", "ftp_dir", "ftp_tls", "compress",
                  "ws_url", "ws_user", "ws_password_env"):
        assert f'name="{field}"' in page
    assert 'data-testid="folder-state"' in page     # a folder node: its folder is checked


def test_ftp_is_chosen_with_the_password_from_the_servers_environment(admin, node, monkeypatch):
    monkeypatch.setenv("BP_FTP_PASSWORD", SECRET)
    page = _save(admin, node, transport="ftp", ftp_host="ftp.example.com", ftp_port="2121", ftp_user="onec",
                 ftp_password_env="BP_FTP_PASSWORD", ftp_dir="/exchange", ftp_tls="on", compress="on")
    assert "Messages now travel through ftps://ftp.example.com:2121/exchange" in page
    peer = _peer(node)
    assert (peer.transport, peer.ftp_host, peer.ftp_port, peer.ftp_user, peer.ftp_password, peer.ftp_dir,
            peer.ftp_tls, peer.compress) == ("ftp", "ftp.example.com", 2121, "onec", SECRET, "/exchange", True, True)
    # The page shows the settings back, never the password; the folder is no longer this node's concern.
    assert SECRET not in page and 'value="ftp.example.com"' in page
    assert 'data-testid="folder-state"' not in page and 'data-testid="ed-connection-where"' in page
    assert 'data-testid="ed-1c-step-ftp"' in page
    # The change journal says the password was set, never what it is.
    entries = list(ChangeJournal.objects.filter(object_id=peer.pk).order_by("seq").values_list("changes", flat=True))
    assert SECRET not in json.dumps(entries, ensure_ascii=False)
    assert entries[-1]["ftp_password"] == ["", MASK]
    # Another directory, no variable named: the stored password stays.
    _save(admin, node, transport="ftp", ftp_host="ftp.example.com", ftp_port="21", ftp_user="onec", ftp_dir="/x")
    assert (_peer(node).ftp_dir, _peer(node).ftp_password) == ("/x", SECRET)


def test_the_web_service_is_chosen(admin, node, monkeypatch):
    monkeypatch.setenv("BP_WS_PASSWORD", SECRET)
    page = _save(admin, node, transport="ws", ws_url="https://1c.example.com/bp", ws_user="Обмен",
                 ws_password_env="BP_WS_PASSWORD")
    url = "https://1c.example.com/bp/ws/EnterpriseDataExchange_1_0_1_1.1cws"
    assert f"Messages now travel through {url}" in page
    peer = _peer(node)
    assert (peer.transport, peer.ws_url, peer.ws_user, peer.ws_password) == ("ws", url, "Обмен", SECRET)
    assert SECRET not in page and 'data-testid="ed-1c-step-ws"' in page
    changes = ChangeJournal.objects.filter(object_id=peer.pk).latest("seq").changes
    assert changes["ws_password"] == ["", MASK] and changes["ws_user"] == ["", "Обмен"]
    assert "EnterpriseDataExchange_1_0_1_1" in page and "Публикация на веб-сервере" in page


@pytest.mark.parametrize(("data", "says"), [
    ({"transport": "ftp", "ftp_port": "21"}, "FTP server: Enter the FTP server's name or address."),
    ({"transport": "ftp", "ftp_host": "h", "ftp_port": "70000"}, "Port: A port from 1 to 65535."),
    ({"transport": "ftp", "ftp_host": "h", "ftp_password_env": "NOT_SET_ANYWHERE_X"},
     "The environment variable NOT_SET_ANYWHERE_X is not set for the Raccordo server."),
    ({"transport": "ftp", "ftp_host": "h", "ftp_password_env": "a b"}, "The name of an environment variable"),
    ({"transport": "ws", "ws_url": "1c.example.com/bp", "ws_user": "u"}, "Give the address of 1C's web publication"),
    ({"transport": "ws", "ws_url": "https://h/bp"}, "1C user: Enter the 1C user the web service is called as."),
    ({"transport": "mail"}, "Select a valid choice."),
])
def test_wrong_settings_are_refused_by_field_and_change_nothing(admin, node, data, says):
    page = _save(admin, node, **data)
    assert says in page, page[page.find("alert"):][:800]
    assert _peer(node).transport == "folder"


def test_the_folder_is_chosen_again_only_when_it_works(admin, node, tmp_path):
    _save(admin, node, transport="ws", ws_url="https://h/bp", ws_user="u")
    assert _peer(node).transport == "ws"
    node.path = str(tmp_path / "gone")
    node.save(update_fields=["path"])
    assert "There is no folder" in _save(admin, node, transport="folder") and _peer(node).transport == "ws"


def test_the_connection_test_says_what_works_and_what_does_not(admin, node):
    url = reverse("onec:node_enterprisedata_test", args=[node.pk])
    page = html.unescape(admin.post(url, follow=True).content.decode())
    assert f"The connection works: {node.path} answers." in page
    _save(admin, node, transport="ws", ws_url="http://127.0.0.1:1/bp", ws_user="u")
    page = html.unescape(admin.post(url, follow=True).content.decode())
    assert "The connection does not work: 1C's web service http://127.0.0.1:1/bp/ws/" in page
    assert "cannot be reached (Ping)" in page


def test_only_administrators_choose_the_transport(client, manager, node):
    client.force_login(manager)
    assert client.post(reverse("onec:node_enterprisedata_transport", args=[node.pk]),
                       {"transport": "ws", "ws_url": "https://h/bp", "ws_user": "u"}).status_code == 404
    assert client.post(reverse("onec:node_enterprisedata_test", args=[node.pk])).status_code == 404
    assert _peer(node).transport == "folder"


def _wizard(admin, **data):
    return admin.post(reverse("onec:node_create"), {"kind": "enterprisedata", "name": "Бухгалтерия", "our_code": "RC",
                                                    "peer_code": "BP", "prefix": "RC", "versions": ["1.17"], **data})


def test_the_wizard_offers_the_transports_and_needs_no_folder_for_the_web_service(admin, monkeypatch):
    form = admin.get(reverse("onec:node_create"), {"kind": "enterprisedata"}).content.decode()
    assert 'data-testid="ed-wizard-transport"' in form and 'name="ws_url"' in form and 'name="ftp_host"' in form
    monkeypatch.setenv("BP_WS_PASSWORD", SECRET)
    reply = _wizard(admin, transport="ws", ws_url="https://1c.example.com/bp", ws_user="Обмен",
                    ws_password_env="BP_WS_PASSWORD")
    assert reply.status_code == 302, html.unescape(reply.content.decode())[:2000]
    peer = EnterpriseDataPeer.objects.get()
    assert (peer.node.path, peer.transport, peer.ws_user, peer.ws_password, peer.versions) == (
        "", "ws", "Обмен", SECRET, ["1.17"])


def test_the_wizard_refuses_an_ftp_node_without_a_server_and_a_folder_node_without_a_folder(admin):
    reply = _wizard(admin, transport="ftp")
    assert reply.status_code == 422
    assert "Enter the FTP server's name or address." in html.unescape(reply.content.decode())
    folder = _wizard(admin, transport="folder")
    assert folder.status_code == 422 and "path" in folder.context["form"].errors
    assert not EnterpriseDataPeer.objects.exists()


def test_1cs_folder_in_its_settings_file_is_not_compared_for_a_web_service_node(admin, node):
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: PLC0415  # only this test uploads

    from .test_setup_pages import SETTINGS_XML  # noqa: PLC0415  # 1C's file, kept with the set-up tests

    _save(admin, node, transport="ws", ws_url="https://h/bp", ws_user="u")
    reply = admin.post(reverse("onec:node_enterprisedata_settings", args=[node.pk]),
                       {"file": SimpleUploadedFile("Настройки подключения.xml", SETTINGS_XML.encode())}, follow=True)
    page = html.unescape(reply.content.decode())
    assert "Read from Настройки подключения.xml" in page and "They must be the same folder" not in page
    assert _peer(node).transport == "ws"
