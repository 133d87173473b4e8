"""An EnterpriseData node's codes and transport travel in the node's settings file, never its passwords."""

from __future__ import annotations

import json

import pytest

from raccordo.exchange.enterprisedata import services as ed
from raccordo.exchange.enterprisedata import transport as tr
from raccordo.exchange.enterprisedata.models import EnterpriseDataPeer
from raccordo.exchange.models import ExchangeNode, NodeKind
from raccordo.exchange.services import node_create
from raccordo.exchange.settings_file import SettingsInvalid, settings_export, settings_import

pytestmark = pytest.mark.django_db


def _ftp_node():
    node = node_create(user=None, code="bp", kind=NodeKind.ENTERPRISEDATA)
    ed.peer_setup(user=None, node=node, our_code="RC", peer_code="BP", prefix="CR", versions=["1.16", "1.17"],
                  transport="ftp", compress=True,
                  ftp=tr.FtpSettings(host="ftp.example.com", port=2121, user="onec", password="s3cret",
                                     directory="/exchange", tls=True))
    return node


def test_the_section_travels_without_passwords_and_gives_the_same_node():
    data = settings_export(_ftp_node())
    text = json.dumps(data, ensure_ascii=False)
    assert "s3cret" not in text and "password" not in json.dumps(data["enterprisedata"])
    assert data["enterprisedata"] == {
        "our_code": "RC", "peer_code": "BP", "prefix": "CR", "versions": ["1.16", "1.17"], "transport": "ftp",
        "compress": True, "ftp_host": "ftp.example.com", "ftp_port": 2121, "ftp_user": "onec", "ftp_dir": "/exchange",
        "ftp_tls": True, "ws_url": "", "ws_user": ""}

    # Imported again over the same node: the stored password stays.
    settings_import(user=None, data=json.loads(text))
    assert EnterpriseDataPeer.objects.get(node__code="bp").ftp_password == "s3cret"

    # Into a database without the node: the same settings, and no password until someone sets one.
    ExchangeNode.objects.all().delete()
    node = settings_import(user=None, data=json.loads(text))
    assert settings_export(node)["enterprisedata"] == data["enterprisedata"]
    assert EnterpriseDataPeer.objects.get(node=node).ftp_password == ""


def test_a_bad_section_names_each_problem_and_writes_nothing():
    data = settings_export(_ftp_node())
    data["node"]["code"] = "bp2"
    data["enterprisedata"].update({"peer_code": "", "ftp_port": "21", "transport": "pigeon", "extra": 1})
    with pytest.raises(SettingsInvalid) as err:
        settings_import(user=None, data=data)
    assert set(err.value.errors) >= {"enterprisedata", "enterprisedata.peer_code", "enterprisedata.ftp_port",
                                     "enterprisedata.transport"}
    # What only the service can refuse (an FTP transport without a server) is refused the same way.
    data = settings_export(ExchangeNode.objects.get(code="bp"))
    data["node"]["code"] = "bp3"
    data["enterprisedata"]["ftp_host"] = ""
    with pytest.raises(SettingsInvalid) as err:
        settings_import(user=None, data=data)
    assert "server" in " ".join(err.value.errors["enterprisedata"])
    assert list(ExchangeNode.objects.values_list("code", flat=True)) == ["bp"]


def test_only_an_enterprisedata_node_takes_the_section(tmp_path):
    data = settings_export(_ftp_node())
    data["node"].update({"code": "files", "kind": NodeKind.FOLDER, "path": str(tmp_path)})
    with pytest.raises(SettingsInvalid) as err:
        settings_import(user=None, data=data)
    assert "enterprisedata" in err.value.errors
