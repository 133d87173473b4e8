"""Setting up an EnterpriseData node from the pages: the wizard, the node page, 1C's settings file, access."""

from __future__ import annotations

import html
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from raccordo.exchange.enterprisedata.connection_settings import MAX_SIZE
from raccordo.exchange.enterprisedata.models import EnterpriseDataPeer, SentMessage
from raccordo.exchange.models import ExchangeNode, NodeKind

pytestmark = pytest.mark.django_db

# The shape 1C's НастройкиПодключенияВXML_1_2 writes (ЗаписатьXML with an explicit xsi:type on each value).
SETTINGS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<ПараметрыНастройки ВерсияФормата="1.2" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:v8="http://v8.1c.ru/data">
  <ОсновныеПараметрыОбмена>
    <ИмяПланаОбмена xmlns="http://v8.1c.ru/8.1/data/core" xsi:type="xsd:string">СинхронизацияДанныхЧерезУниверсальныйФормат</ИмяПланаОбмена>
    <НаименованиеВторойБазы xmlns="http://v8.1c.ru/8.1/data/core" xsi:type="xsd:string">Бухгалтерия</НаименованиеВторойБазы>
    <КодНовогоУзлаВторойБазы xmlns="http://v8.1c.ru/8.1/data/core" xsi:type="xsd:string">a1b2c3d4-0000-1111-2222-333344445555</КодНовогоУзлаВторойБазы>
    <ПрефиксИнформационнойБазыИсточника xmlns="http://v8.1c.ru/8.1/data/core" xsi:type="xsd:string">РК</ПрефиксИнформационнойБазыИсточника>
    <ВидТранспортаСообщенийОбмена xmlns="" xsi:type="EnumRef.ВидыТранспортаСообщенийОбмена">FILE</ВидТранспортаСообщенийОбмена>
    <FILEКаталогОбменаИнформацией xmlns="http://v8.1c.ru/8.1/data/core" xsi:type="xsd:string">\\\\srv\\exchange\\bp</FILEКаталогОбменаИнформацией>
    <КодНовогоУзла xmlns="http://v8.1c.ru/8.1/data/core" xsi:type="xsd:string">a1b2c3d4-0000-1111-2222-333344445555</КодНовогоУзла>
    <КодПредопределенногоУзла xmlns="http://v8.1c.ru/8.1/data/core" xsi:type="xsd:string">f0e1d2c3-9999-8888-7777-666655554444</КодПредопределенногоУзла>
    <НомерОтправленного xmlns="http://v8.1c.ru/8.1/data/core" xsi:type="xsd:decimal">0</НомерОтправленного>
  </ОсновныеПараметрыОбмена>
  <ПараметрыОбменаXDTO><ФорматОбмена xmlns="http://v8.1c.ru/8.1/data/core" xsi:type="xsd:string">http://v8.1c.ru/edi/edi_stnd/EnterpriseData</ФорматОбмена></ПараметрыОбменаXDTO>
</ПараметрыНастройки>
"""
# The shape of НастройкиПодключенияВJSONОбщее.
SETTINGS_JSON = {"MainExchangeParameters": {
    "FormatVersion": "2.0", "SourceInfobasePrefix": "БП", "DestinationInfobasePrefix": "RK",
    "NodeCode": "BP-NODE", "CorrespondentNodeCode": "CRM-NODE", "ExchangePlanName": "DataSyncThroughUniversalFormat",
    "TransportID": "FILE", "SentNo": 0, "ReceivedNo": 0, "ExchangeFormatVersions": ["1.8", "1.10", "1.16", "1.99"]},
    "XDTOExchangeParameters": {"ExchangeFormat": "http://v8.1c.ru/edi/edi_stnd/EnterpriseData"}, "TransportSettings": {}}


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def _wizard(admin, tmp_path, **extra):
    data = {"kind": "enterprisedata", "name": "Бухгалтерия", "path": str(tmp_path), "our_code": "RC",
            "peer_code": "BP", "prefix": "RC", "versions": ["1.16", "1.17"], **extra}
    return admin.post(reverse("onec:node_create"), data)


def _node(tmp_path):
    from raccordo.exchange.enterprisedata.services import peer_setup  # noqa: PLC0415  # only these tests need it
    from raccordo.exchange.services import node_create  # noqa: PLC0415  # only these tests need it

    node = node_create(user=None, code="bp", kind=NodeKind.ENTERPRISEDATA, path=str(tmp_path))
    peer_setup(user=None, node=node, our_code="RC", peer_code="BP")
    return node


def test_the_wizard_offers_enterprisedata_with_its_fields(admin):
    page = admin.get(reverse("onec:node_create")).content.decode()
    assert 'data-testid="node-kind-enterprisedata"' in page
    form = admin.get(reverse("onec:node_create"), {"kind": "enterprisedata"}).content.decode()
    for field in ("path", "our_code", "peer_code", "prefix", "versions"):
        assert f'name="{field}"' in form


def test_the_wizard_creates_the_node_and_its_peer(admin, tmp_path):
    reply = _wizard(admin, tmp_path)
    assert reply.status_code == 302, reply.content.decode()[:3000]
    node = ExchangeNode.objects.get(code="bukhgalteriya")
    assert (node.kind, node.path) == (NodeKind.ENTERPRISEDATA, str(tmp_path))
    peer = node.enterprisedata
    assert (peer.our_code, peer.peer_code, peer.prefix, peer.versions) == ("RC", "BP", "RC", ["1.16", "1.17"])
    assert reply.url.endswith("#enterprisedata")
    page = html.unescape(admin.get(reply.url).content.decode())
    assert "Новая синхронизация данных" in page and "Локальный или сетевой каталог" in page
    assert "Message_BP_RC.xml" in page and "Message_RC_BP.xml" in page
    assert 'data-testid="ed-sent-no">0<' in page


def test_the_wizard_refuses_bad_input_and_writes_nothing(admin, tmp_path):
    reply = _wizard(admin, tmp_path / "missing", our_code="", peer_code="B_P", versions=[])
    assert reply.status_code == 422
    page = html.unescape(reply.content.decode())
    assert "There is no folder" in page
    assert "Enter the code exactly as 1C shows it." in page
    assert "it is part of the message file names" in page
    assert "Choose at least one version." in page
    same = _wizard(admin, tmp_path, our_code="BP", peer_code="BP")
    assert same.status_code == 422 and "1C's code must differ from ours." in html.unescape(same.content.decode())
    assert not ExchangeNode.objects.exists() and not EnterpriseDataPeer.objects.exists()


def test_the_node_page_shows_messages_and_changes_the_peer(admin, tmp_path):
    node = _node(tmp_path)
    SentMessage.objects.create(node=node, number=7, journal_seq=1, objects_count=3)
    ExchangeNode.objects.filter(pk=node.pk).update(last_sent_no=7, last_received_no=4)
    page = admin.get(reverse("onec:node_detail", args=[node.pk])).content.decode()
    assert 'data-testid="ed-sent-no">7<' in page and 'data-testid="ed-received-no">4<' in page
    assert 'data-testid="ed-waiting"' in page
    url = reverse("onec:node_enterprisedata", args=[node.pk])
    reply = admin.post(url, {"our_code": "CRM", "peer_code": "BP", "prefix": "CR", "versions": ["1.17"]})
    assert reply.status_code == 302
    node.enterprisedata.refresh_from_db()
    assert (node.enterprisedata.our_code, node.enterprisedata.prefix, node.enterprisedata.versions) == (
        "CRM", "CR", ["1.17"])
    bad = admin.post(url, {"our_code": "", "peer_code": "BP", "prefix": "CR", "versions": []}, follow=True)
    text = html.unescape(bad.content.decode())
    assert "Enter the code exactly as 1C shows it." in text and "Choose at least one version." in text
    node.enterprisedata.refresh_from_db()
    assert node.enterprisedata.our_code == "CRM"


def _upload(admin, node, name, data: bytes):
    return admin.post(reverse("onec:node_enterprisedata_settings", args=[node.pk]),
                      {"file": SimpleUploadedFile(name, data)}, follow=True)


def test_1c_xml_settings_file_sets_the_codes(admin, tmp_path):
    node = _node(tmp_path)
    page = html.unescape(_upload(admin, node, "Настройки подключения.xml", SETTINGS_XML.encode()).content.decode())
    peer = EnterpriseDataPeer.objects.get(node=node)
    assert (peer.our_code, peer.peer_code, peer.prefix) == (
        "f0e1d2c3-9999-8888-7777-666655554444", "a1b2c3d4-0000-1111-2222-333344445555", "РК")
    assert "Read from Настройки подключения.xml" in page and "\\\\srv\\exchange\\bp" in page


def test_1c_json_settings_file_sets_codes_and_common_versions(admin, tmp_path):
    node = _node(tmp_path)
    _upload(admin, node, "Настройки подключения.json", json.dumps(SETTINGS_JSON, ensure_ascii=False).encode())
    peer = EnterpriseDataPeer.objects.get(node=node)
    assert (peer.our_code, peer.peer_code, peer.prefix, peer.versions) == ("CRM-NODE", "BP-NODE", "RK",
                                                                            ["1.10", "1.16"])


@pytest.mark.parametrize(("name", "data", "says"), [
    ("bomb.xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x>&b;</x>',
     "DOCTYPE and ENTITY declarations are not accepted"),
    ("xxe.xml", b'<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><x/>', "DOCTYPE and ENTITY"),
    ("broken.xml", "<ПараметрыНастройки>\n<ОсновныеПараметрыОбмена>".encode(), "broken.xml, line"),
    ("other.xml", "<КоммерческаяИнформация/>".encode(), "the root element is КоммерческаяИнформация"),
    ("nocodes.xml", "<ПараметрыНастройки><ОсновныеПараметрыОбмена/></ПараметрыНастройки>".encode(),
     "does not give our node code, 1C's node code"),
    ("other.json", b'{"node": {"code": "x"}}', "there is no MainExchangeParameters block"),
    ("bad.json", b'{"MainExchangeParameters": ', "not JSON"),
    ("deep.json", b"{\"a\": " + b"[" * 200_000, "nested too deeply"),
    ("evil.json", json.dumps({"MainExchangeParameters": {"NodeCode": "../../etc", "CorrespondentNodeCode": "A"}})
     .encode(), "cannot be part of a file name"),
    ("old.json", json.dumps({"MainExchangeParameters": {"NodeCode": "B", "CorrespondentNodeCode": "A",
                                                        "ExchangeFormatVersions": ["1.2"]}}).encode(),
     "none of which Raccordo writes"),
    ("photo.png", b"\x89PNG\r\n", "neither XML nor JSON"),
    ("huge.xml", b"<" + b"a" * (MAX_SIZE + 1), "far below"),
])
def test_a_wrong_or_hostile_settings_file_is_refused_and_changes_nothing(admin, tmp_path, name, data, says):
    node = _node(tmp_path)
    page = html.unescape(_upload(admin, node, name, data).content.decode())
    assert "Nothing was changed" in page or "far below" in page
    assert says in page, page[page.find("alert"):][:800]
    peer = EnterpriseDataPeer.objects.get(node=node)
    assert (peer.our_code, peer.peer_code) == ("RC", "BP")


def test_only_administrators_set_it_up(client, manager, tmp_path):
    node = _node(tmp_path)
    client.force_login(manager)
    assert client.get(reverse("onec:node_create"), {"kind": "enterprisedata"}).status_code == 404
    assert client.post(reverse("onec:node_enterprisedata", args=[node.pk]),
                       {"our_code": "X", "peer_code": "Y", "versions": ["1.17"]}).status_code == 404
    assert client.post(reverse("onec:node_enterprisedata_settings", args=[node.pk]),
                       {"file": SimpleUploadedFile("s.xml", SETTINGS_XML.encode())}).status_code == 404
    node.enterprisedata.refresh_from_db()
    assert node.enterprisedata.our_code == "RC"


def test_the_forms_of_another_kind_of_node_are_not_found(admin, tmp_path):
    from raccordo.exchange.services import node_create  # noqa: PLC0415  # only this test needs it

    folder = node_create(user=None, code="files", kind=NodeKind.FOLDER, path=str(tmp_path))
    assert admin.post(reverse("onec:node_enterprisedata", args=[folder.pk]), {}).status_code == 404


def test_the_task_form_of_an_enterprisedata_node_offers_its_step(admin, tmp_path):
    node = _node(tmp_path)
    page = admin.get(reverse("exchange:task_create", args=[node.pk])).content.decode()
    assert 'value="enterprisedata-exchange" selected' in page and 'value="import-folder"' not in page
    refused = admin.post(reverse("exchange:task_create", args=[node.pk]),
                         {"name": "wrong", "step_kind": ["import-folder"], "step_policy_record": ["skip"],
                          "step_policy_step": ["go_on"], "is_active": "on"})
    assert refused.status_code == 422 and "cannot run this step" in html.unescape(refused.content.decode())


@pytest.mark.django_db(transaction=True)   # the worker is handed the task when the request commits
def test_run_now_follows_the_task_policy(client, admin_user, manager, tmp_path, huey_immediate):
    from raccordo.exchange import scheduling  # noqa: PLC0415  # only this test needs it
    from raccordo.exchange.models import Run  # noqa: PLC0415  # only this test needs it

    node = _node(tmp_path)
    task = scheduling.task_create(user=None, node=node, data={"name": "exchange", "steps": [
        {"kind": "enterprisedata-exchange"}]})
    client.force_login(manager)
    assert client.post(reverse("exchange:task_run", args=[task.pk])).status_code == 404
    assert not Run.objects.exists()
    client.force_login(admin_user)
    reply = client.post(reverse("exchange:task_run", args=[task.pk]))
    run = Run.objects.get(task=task)
    assert reply.status_code == 302 and reply.url == reverse("exchange:run_detail", args=[run.pk])
    assert (run.kind, run.status) == ("enterprisedata", "succeeded"), run.message
    assert (tmp_path / "Message_RC_BP.xml").is_file()   # the settings-only answer, before 1C has written
