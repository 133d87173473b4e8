"""Backup -> restore into an empty installation -> the same exchange again writes nothing (issue #20).

On the database the test run uses: SQLite always; PostgreSQL too when DATABASE_URL names a server. Each
installation is a fresh RACCORDO_VAR (and a fresh PostgreSQL database) driven through the command line.
"""

from __future__ import annotations

import json

import pytest

from tests.onec import lifecycle
from tests.onec.test_catalog_lifecycle import write

from .installation import make_installation, postgres_server

SETUP = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from raccordo.exchange.services import node_create
from tests.factories import CounterpartyFactory, UserFactory
node_create(user=None, code="ut11", name="УТ 11", kind="onec-http", login="site", password="s3cret-pass")
manager = UserFactory(username="sales")
for n in range(25):
    CounterpartyFactory(responsible=manager, name=f"Клиент {n}")
RESULT = True
"""

# Every table's row count, a sample of records, the journal and the exchange's bindings, as plain data.
SNAPSHOT = """
from django.apps import apps
from raccordo.catalog.models import Product
from raccordo.core.models import ChangeJournal
from raccordo.exchange.models import Binding
from raccordo.parties.models import Counterparty
from raccordo.operations.models import Backup
RESULT = {
    "counts": {m._meta.label: m.objects.count() for m in apps.get_models()
               if m is not Backup and m._meta.app_label not in ("sessions",)},
    "journal": list(ChangeJournal.objects.order_by("seq").values_list("seq", "object_id", "operation", "changes",
                                                                        "origin", "node")),
    "bindings": sorted(Binding.objects.values_list("object_type", "external_id", "object_id", "content_hash")),
    "products": sorted(Product.objects.values_list("id", "name", "article", "is_active")),
    "counterparties": sorted(Counterparty.objects.values_list("id", "name", "inn", "responsible__username")),
}
"""

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    postgres_server() is None, reason="DATABASE_URL names no PostgreSQL server"))]


@pytest.fixture
def installations(tmp_path):
    made = []

    def make(name: str, postgres: bool):
        made.append(make_installation(tmp_path / name, postgres=postgres))
        return made[-1]

    yield make
    for installation in made:
        installation.drop()


@pytest.mark.parametrize("database", DATABASES)
def test_backup_restore_and_the_same_exchange_writes_nothing(database, installations, tmp_path):
    postgres = database == "postgresql"
    source = installations("source", postgres)
    source.django(SETUP)
    files = write(tmp_path, lifecycle.before())
    source.command("exchange", "import", *map(str, files), "--node", "ut11")
    (source.var / "media" / "pictures").mkdir(parents=True, exist_ok=True)
    (source.var / "media" / "pictures" / "pump.png").write_bytes(b"\x89PNG picture of a pump")
    before = source.django(SNAPSHOT)
    assert before["counts"]["catalog.Product"] > 0 and before["bindings"] and before["journal"]

    made = json.loads(source.command("backup", "--to", str(tmp_path / "backups"), "--json").stdout)
    assert made["status"] == "succeeded" and made["database"] == database

    target = installations("target", postgres)
    restored = target.command("restore", made["path"])
    assert "Restored the backup" in restored.stdout
    after = target.django(SNAPSHOT)
    assert after == before   # every count, the sampled records, the whole journal and every binding
    assert (target.var / "media" / "pictures" / "pump.png").read_bytes() == b"\x89PNG picture of a pump"
    assert (target.var / "secret_key").read_text() == (source.var / "secret_key").read_text()

    # 1C sends the same catalog again to the restored installation: the bindings know every record.
    again = json.loads(target.command("exchange", "import", *map(str, files), "--node", "ut11", "--json").stdout)
    assert again["created"] == 0 and again["updated"] == 0, again
    final = target.django(SNAPSHOT)
    assert final["journal"] == before["journal"] and final["bindings"] == before["bindings"]
    assert {k: v for k, v in final["counts"].items() if not k.startswith("exchange.")} == \
        {k: v for k, v in before["counts"].items() if not k.startswith("exchange.")}


def test_backups_rotate_and_a_restore_refuses_a_database_with_data(installations, tmp_path):
    source = installations("source", False)
    source.django(SETUP)
    folder = tmp_path / "backups"
    paths = [json.loads(source.command("backup", "--to", str(folder), "--keep", "2", "--json").stdout)["path"]
             for _ in range(3)]
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == sorted(p.rsplit("/", 1)[-1] for p in paths[1:])
    assert source.django("from raccordo.operations.models import Backup\nRESULT = "
                         "list(Backup.objects.order_by('started_at').values_list('status', 'message'))") == [
        ["succeeded", ""], ["succeeded", ""], ["succeeded", "1 older backup(s) removed"]]

    refused = source.command("restore", paths[-1], check=False)
    assert refused.returncode != 0 and "the database is not empty" in refused.stderr

    damaged = tmp_path / "damaged"
    target = installations("target", False)
    import shutil

    shutil.copytree(paths[-1], damaged)
    (damaged / "files.tar.gz").write_bytes(b"not what was written")
    refused = target.command("restore", str(damaged), check=False)
    assert refused.returncode != 0 and "missing or damaged" in refused.stderr
    assert not (target.var / "raccordo.sqlite3").exists() or target.django(
        "from django.db import connection\nRESULT = connection.introspection.table_names()") == []
