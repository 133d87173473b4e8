"""A node's settings as a file: exported from one database they give the same runs in an empty one."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from raccordo.catalog.models import Product
from raccordo.exchange.mappings import MappingData, mapping_save
from raccordo.exchange.models import ExchangeNode, ExchangeTask, Mapping
from raccordo.exchange.onec.models import OneCSettings
from raccordo.exchange.scheduling import task_run, task_save
from raccordo.exchange.services import node_create
from raccordo.exchange.settings_file import FORMAT, SettingsInvalid, settings_export, settings_import
from tests.exchange.test_runs import catalog_xml

pytestmark = pytest.mark.django_db

STEPS = [{"kind": "import-folder", "policy_record": "skip", "policy_step": "go_on"},
         {"kind": "export-orders", "policy_record": "skip", "policy_step": "go_on"}]


def configure(folder) -> ExchangeNode:
    node = node_create(user=None, code="ut-shop", name="UT shop", kind="folder", login="site", password="secret-1",
                       path=str(folder))
    node.cml_version, node.encoding, node.object_types = "2.08", "utf-8", ["catalog.product"]
    node.save()
    mapping_save(user=None, node=node, data=MappingData(object_type="catalog.product", match_keys=["article"],
                                                        owned_fields=["prices", "stock"], conflict_policy="newer"))
    OneCSettings.objects.create(node=node, file_limit=1024 * 1024, zip_allowed=False, keep_days=3)
    task_save(user=None, node=node, data={"name": "nightly", "steps": STEPS, "cron": "0 2 * * *"})
    return node


def counters(runs) -> list[tuple]:
    return [(r.kind, r.status, tuple(sorted(r.counters().items()))) for r in runs]


def test_settings_move_to_an_empty_database_and_give_the_same_runs(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "offers0_1.xml").write_bytes(catalog_xml(0))   # read after import*: 1C's order
    (folder / "import0_1.xml").write_bytes(catalog_xml(25, bad_price_at=4))
    settings_path = tmp_path / "settings.json"
    with transaction.atomic():   # "the first database": everything in it is rolled back at the end
        node = configure(folder)
        first = counters(task_run(task=ExchangeTask.objects.get(node=node)))
        call_command("exchange", "settings", "export", "ut-shop", "-o", str(settings_path))
        exported = settings_export(node)
        transaction.set_rollback(True)
    assert not ExchangeNode.objects.exists() and not Product.objects.exists()   # an empty database
    imported = dict(first[0][2])
    assert imported["created"] >= 25 and imported["failed"] == 1 and first[0][1] == "partial"

    data = json.loads(settings_path.read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(exported)) and data["format"] == FORMAT
    text = settings_path.read_text(encoding="utf-8")
    assert "secret-1" not in text and "password" not in text   # the password never leaves
    call_command("exchange", "settings", "import", str(settings_path))
    node = ExchangeNode.objects.get(code="ut-shop")
    assert (node.kind, node.cml_version, node.encoding, node.object_types, node.path) == (
        "folder", "2.08", "utf-8", ["catalog.product"], str(folder))
    assert not node.password_hash                               # no --password: none set
    assert Mapping.objects.get(node=node).conflict_policy == "newer"
    assert OneCSettings.objects.get(node=node).file_limit == 1024 * 1024
    task = ExchangeTask.objects.get(node=node)
    assert (task.cron, task.steps) == ("0 2 * * *", STEPS)
    assert counters(task_run(task=task)) == first
    # Imported again, over itself, with a password: the same node, now with the password.
    settings_import(user=None, data=data, password="new-secret")
    node.refresh_from_db()
    assert ExchangeNode.objects.count() == 1 and node.check_password("new-secret")
    assert settings_export(node) == exported


def test_a_bad_settings_file_names_each_problem_and_writes_nothing(tmp_path):
    data = {"format": FORMAT,
            "node": {"code": "x", "kind": "telepathy", "cml_version": "2.05"},
            "mappings": [{"object_type": "catalog.product", "match_keys": ["colour"]}],
            "onec": {"file_limit": -5},
            "tasks": [{"name": "t", "steps": [{"kind": "dance"}], "cron": "every day"}]}
    with pytest.raises(SettingsInvalid) as caught:
        settings_import(user=None, data=data)
    errors = caught.value.errors
    assert set(errors) >= {"node.kind", "mappings[0].match_keys", "onec.file_limit", "tasks[0].steps[0].kind",
                           "tasks[0].cron"}
    assert not ExchangeNode.objects.exists() and not Mapping.objects.exists()

    with pytest.raises(SettingsInvalid) as caught:
        settings_import(user=None, data={"format": "raccordo-exchange-settings/9", "node": {"code": "x"}})
    assert "format" in caught.value.errors

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match=r"node\.kind"):
        call_command("exchange", "settings", "import", str(bad))
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="JSON"):
        call_command("exchange", "settings", "import", str(bad))
    assert not ExchangeNode.objects.exists()
