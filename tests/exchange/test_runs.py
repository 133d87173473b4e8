"""Runs that are cut off half-way converge on a rerun; hostile files write nothing; record errors keep their place."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from raccordo.catalog.models import Price, Product, ProductGroup, StockLevel
from raccordo.core.models import ChangeJournal
from raccordo.exchange import engine
from raccordo.exchange.models import RecordPolicy, Run
from raccordo.exchange.services import exchange_import, node_create

pytestmark = pytest.mark.django_db

PRICE_TYPE = "pt-1"
WAREHOUSES = ("wh-1", "wh-2")


def catalog_xml(n: int, *, bad_price_at: int | None = None, full: bool = True) -> bytes:
    """A small but complete 2.05 exchange: classifier, catalog of `n` products, offers with prices and stock."""
    groups = "".join(f"<Группа><Ид>g{i}</Ид><Наименование>Group {i}</Наименование></Группа>" for i in range(3))
    goods = "".join(
        f"<Товар><Ид>p{i}</Ид><Артикул>A{i:05d}</Артикул><Наименование>Product {i}</Наименование>"
        f"<БазоваяЕдиница Код=\"796\">шт</БазоваяЕдиница><Группы><Ид>g{i % 3}</Ид></Группы>"
        f"<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>20</Ставка></СтавкаНалога>"
        f"</СтавкиНалогов></Товар>" for i in range(n))
    offers = "".join(
        f"<Предложение><Ид>p{i}</Ид><Наименование>Product {i}</Наименование><Цены><Цена>"
        f"<ИдТипаЦены>{PRICE_TYPE}</ИдТипаЦены>"
        f"<ЦенаЗаЕдиницу>{'abc' if i == bad_price_at else f'{100 + i}.50'}</ЦенаЗаЕдиницу>"
        f"<Валюта>руб</Валюта></Цена></Цены>"
        + "".join(f"<Склад ИдСклада=\"{w}\" КоличествоНаСкладе=\"{(i + k) % 7}\"/>" for k, w in enumerate(WAREHOUSES))
        + "</Предложение>" for i in range(n))
    warehouses = "".join(f"<Склад><Ид>{w}</Ид><Наименование>Warehouse {w}</Наименование></Склад>" for w in WAREHOUSES)
    only = "false" if full else "true"
    return (
        '<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ВерсияСхемы="2.05">'
        f"<Классификатор><Ид>c</Ид><Наименование>C</Наименование><Группы>{groups}</Группы></Классификатор>"
        f"<Каталог СодержитТолькоИзменения=\"{only}\"><Ид>c</Ид><ИдКлассификатора>c</ИдКлассификатора>"
        f"<Наименование>Catalog</Наименование><Товары>{goods}</Товары></Каталог>"
        f"<ПакетПредложений СодержитТолькоИзменения=\"{only}\"><Ид>c#</Ид><Наименование>Offers</Наименование>"
        f"<ИдКаталога>c</ИдКаталога><ТипыЦен><ТипЦены><Ид>{PRICE_TYPE}</Ид><Наименование>Опт</Наименование>"
        f"<Валюта>RUB</Валюта></ТипЦены></ТипыЦен><Склады>{warehouses}</Склады>"
        f"<Предложения>{offers}</Предложения></ПакетПредложений></КоммерческаяИнформация>"
    ).encode()


def state() -> tuple:
    return (
        sorted(Product.objects.values_list("article", "name", "is_active", "vat_rate", "group__name")),
        sorted(Price.objects.values_list("product__article", "value")),
        sorted(StockLevel.objects.values_list("product__article", "warehouse__name", "quantity")),
        ProductGroup.objects.count(),
    )


@pytest.fixture
def exchange_file(tmp_path: Path):
    def make(n: int = 60, **kwargs) -> Path:
        path = tmp_path / f"exchange-{n}-{len(kwargs)}.xml"
        path.write_bytes(catalog_xml(n, **kwargs))
        return path
    return make


class Killed(Exception):
    pass


def test_a_run_killed_half_way_converges_on_rerun(exchange_file, monkeypatch):
    path = exchange_file(60)
    node = node_create(user=None, code="a", kind="folder")
    exchange_import(paths=[path], node=node, batch_size=7)
    reference = state()
    Product.objects.all().delete()
    ProductGroup.objects.all().delete()

    node_b = node_create(user=None, code="b", kind="folder")
    saves = {"n": 0}
    real_save = engine.RunRecorder.save

    def dying_save(self):
        real_save(self)
        saves["n"] += 1
        if saves["n"] == 6:          # the process dies after a few committed batches
            raise Killed()

    monkeypatch.setattr(engine.RunRecorder, "save", dying_save)
    with pytest.raises(Killed):
        exchange_import(paths=[path], node=node_b, batch_size=7)
    monkeypatch.setattr(engine.RunRecorder, "save", real_save)
    partial = state()
    assert 0 < len(partial[0]) < 60          # some batches landed, not all
    rerun = exchange_import(paths=[path], node=node_b, batch_size=7)
    assert rerun.status == "succeeded"
    assert state() == reference
    assert exchange_import(paths=[path], node=node_b).unchanged == rerun.created + rerun.updated + rerun.unchanged


def test_a_bad_record_fails_alone_with_its_position(exchange_file):
    path = exchange_file(20, bad_price_at=5)
    run = exchange_import(paths=[path], node=node_create(user=None, code="c", kind="folder"))
    assert run.status == "partial" and run.failed == 1
    item = run.items.get()
    assert item.file == path.name and item.line and "Предложение" in item.path
    assert "abc" in item.message
    assert Price.objects.count() == 19 and Product.objects.count() == 20


def test_stop_run_policy_keeps_earlier_batches_and_reports(exchange_file):
    path = exchange_file(20, bad_price_at=5)
    run = exchange_import(paths=[path], node=node_create(user=None, code="d", kind="folder"),
                          on_record_error=RecordPolicy.STOP_RUN)
    assert run.status == "stopped" and run.failed >= 1
    assert run.items.filter(outcome="failed").exists()


def test_full_snapshot_deactivates_absent_products_only_after_success(exchange_file, tmp_path):
    node = node_create(user=None, code="e", kind="folder")
    exchange_import(paths=[exchange_file(30)], node=node)
    smaller = exchange_file(20)
    broken = tmp_path / "broken.xml"
    broken.write_bytes("<?xml version='1.0'?><КоммерческаяИнформация><Каталог>".encode())
    failed = exchange_import(paths=[smaller, broken], node=node)
    assert failed.deactivated == 0 and Product.objects.filter(is_active=False).count() == 0
    ok = exchange_import(paths=[smaller], node=node)
    assert ok.deactivated == 10 and Product.objects.filter(is_active=False).count() == 10
    delta = exchange_file(5, full=False)
    assert exchange_import(paths=[delta], node=node).deactivated == 0


ROOT = "КоммерческаяИнформация"
HOSTILE = {
    "xxe": ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f"<{ROOT}><Каталог><Товары><Товар><Ид>1</Ид><Наименование>&x;</Наименование>"
            f"</Товар></Товары></Каталог></{ROOT}>").encode(),
    "billion-laughs": ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
                       f'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><{ROOT}>&lol3;</{ROOT}>').encode(),
    "external-dtd": f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><{ROOT}/>'.encode(),
    "malformed-bytes": (f'<?xml version="1.0" encoding="UTF-8"?><{ROOT}><Каталог><Товары><Товар><Ид>1</Ид>'
                        "<Наименование>").encode() + b"\xff\xfe\xfa"
                       + f"</Наименование></Товар></Товары></Каталог></{ROOT}>".encode(),
    "not-commerceml": b'<?xml version="1.0"?><rss><channel/></rss>',
    "empty": b"",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_are_rejected_and_write_nothing(tmp_path, name):
    path = tmp_path / f"{name}.xml"
    path.write_bytes(HOSTILE[name])
    before = ChangeJournal.objects.count()
    run = exchange_import(paths=[path], node=node_create(user=None, code=f"h-{name}", kind="folder"))
    assert run.status == "failed"
    item = run.items.get()
    assert item.code.startswith("exchange.") and item.file == path.name and item.message
    assert not Product.objects.exists() and not ProductGroup.objects.exists()
    assert ChangeJournal.objects.count() == before + 1   # only the node's own creation


def test_a_file_broken_at_its_end_writes_nothing(exchange_file, tmp_path):
    good = exchange_file(50).read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(good[: len(good) - 40])
    run = exchange_import(paths=[cut], node=node_create(user=None, code="cut", kind="folder"))
    assert run.status == "failed" and run.items.get().line
    assert not Product.objects.exists()


def test_huge_text_node_is_rejected_with_bounded_memory(tmp_path):
    import tracemalloc

    path = tmp_path / "huge.xml"
    with path.open("wb") as out:
        out.write(('<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация><Каталог><Товары><Товар>'
                   "<Ид>1</Ид><Описание>").encode())
        chunk = b"A" * (1 << 20)
        for _ in range(64):      # 64 MB of text in one node
            out.write(chunk)
        out.write("</Описание></Товар></Товары></Каталог></КоммерческаяИнформация>".encode())
    tracemalloc.start()
    run = exchange_import(paths=[path], node=node_create(user=None, code="huge", kind="folder"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert run.status == "failed"
    assert peak < 40 * 1024 * 1024
    assert not Product.objects.exists()


def test_cli_import_prints_counters_as_json(exchange_file, capsys):
    path = exchange_file(10)
    out = io.StringIO()
    call_command("exchange", "import", str(path), "--json", stdout=out)
    import json

    counters = json.loads(out.getvalue())
    assert counters["status"] == "succeeded" and counters["created"] > 0
    runs = io.StringIO()
    call_command("exchange", "runs", stdout=runs)
    assert "succeeded" in runs.getvalue()
    assert Run.objects.count() == 1
    assert Price.objects.filter(value=Decimal("100.50")).exists()


class _EndlessText:
    """A 2 GB CommerceML file that is never on disk: a header, then one text node of 2**31 bytes."""

    name = "two-gigabytes.xml"

    def __init__(self):
        self.head = ('<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация><Каталог><Товары><Товар>'
                     "<Ид>1</Ид><Описание>").encode()
        self.remaining = 2**31
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        if self.head:
            chunk, self.head = self.head, b""
        else:
            size = 1 << 16 if size is None or size < 0 else size
            n = min(size, self.remaining)
            self.remaining -= n
            chunk = b"A" * n
        self.consumed += len(chunk)
        return chunk


def test_a_two_gigabyte_text_node_is_refused_after_reading_a_few_megabytes():
    from raccordo.exchange.formats.commerceml import CommerceMLError, read

    source = _EndlessText()
    with pytest.raises(CommerceMLError) as exc:
        for _record in read(source):
            pass
    assert exc.value.code == "exchange.xml.text_too_long"
    assert source.consumed < 64 * 1024 * 1024
