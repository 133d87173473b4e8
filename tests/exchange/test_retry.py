"""Retrying the failed records of a run: only they are processed again, from the files the run kept."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from raccordo.catalog.models import Price, Product
from raccordo.core.models import ChangeJournal
from raccordo.exchange import runs, tabular
from raccordo.exchange.models import Run
from raccordo.exchange.services import exchange_import, node_create
from raccordo.parties.models import ContactPerson
from raccordo.parties.services import counterparty_create
from tests.factories import UserFactory, inn10

pytestmark = pytest.mark.django_db


def contacts_csv(path, inns):
    lines = ["Last name;First name;INN;Email"] + [f"Person{i};N{i};{inn};p{i}@example.com" for i, inn in enumerate(inns)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def contacts_run(tmp_path, manager):
    """Four contacts, two of a counterparty that does not exist yet (lines 3 and 5 fail), imported by `manager`."""
    counterparty_create(user=manager, data={"name": "Known", "inn": inn10(41)})
    path = contacts_csv(tmp_path / "contacts.csv", [inn10(41), inn10(42), inn10(41), inn10(42)])
    run = tabular.tabular_import(path=path, kind="contacts", user=manager, keep=True)
    assert (run.created, run.failed) == (2, 2)
    return run


def test_retry_processes_only_the_failed_lines_and_leaves_the_others_alone(client, manager, contacts_run,
                                                                          huey_immediate,
                                                                          django_capture_on_commit_callbacks):
    assert runs.run_sources(contacts_run)[0].is_file()       # kept with the run (keep=True)
    counterparty_create(user=manager, data={"name": "Found later", "inn": inn10(42)})
    written_before = set(ChangeJournal.objects.filter(request_id=f"run-{contacts_run.pk}")
                         .values_list("object_id", flat=True))
    client.force_login(manager)
    page = client.get(reverse("exchange:run_detail", args=[contacts_run.pk])).content.decode()
    assert "Retry the 2 failed records" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exchange:run_retry", args=[contacts_run.pk]))
    retry = Run.objects.get(retry_of=contacts_run)
    assert response["Location"] == reverse("exchange:run_detail", args=[retry.pk])
    assert retry.status == "succeeded" and (retry.created, retry.failed, retry.skipped) == (2, 0, 0)
    assert retry.params["lines"] == [3, 5] and retry.progress_done == retry.progress_total == 2
    assert sorted(retry.items.values_list("line", flat=True)) == [3, 5]
    assert ContactPerson.objects.count() == 4 and ContactPerson.objects.filter(counterparty__name="Found later").count() == 2
    # nothing written by the first run was touched again
    touched = set(ChangeJournal.objects.filter(request_id=f"run-{retry.pk}").values_list("object_id", flat=True))
    assert touched and not (touched & written_before)
    page = client.get(reverse("exchange:run_detail", args=[contacts_run.pk])).content.decode()
    assert reverse("exchange:run_detail", args=[retry.pk]) in page   # the run lists its retries
    # a run without failures offers no retry
    assert 'data-testid="retry"' not in client.get(response["Location"]).content.decode()


def test_retry_when_the_kept_file_is_gone_says_so_and_starts_nothing(client, manager, contacts_run):
    shutil.rmtree(runs.run_dir(contacts_run))
    plan = runs.retry_plan(contacts_run)
    assert not plan.possible and plan.missing == ["contacts.csv"]
    client.force_login(manager)
    page = client.get(reverse("exchange:run_detail", args=[contacts_run.pk])).content.decode()
    assert 'data-testid="retry"' not in page and "contacts.csv of this run is no longer kept" in page
    response = client.post(reverse("exchange:run_retry", args=[contacts_run.pk]), follow=True)
    assert "no longer kept" in response.content.decode() and "import it again" in response.content.decode()
    assert not Run.objects.filter(retry_of=contacts_run).exists()
    with pytest.raises(CommandError, match="no longer kept"):
        call_command("exchange", "retry", str(contacts_run.pk))


def test_who_may_retry(client, manager, other_manager, admin_user, contacts_run):
    url = reverse("exchange:run_retry", args=[contacts_run.pk])
    client.force_login(other_manager)
    assert client.post(url).status_code == 404          # not their run, and they do not see the exchange
    accountant = UserFactory(username="acc", role="accountant")
    client.force_login(accountant)                      # sees the exchange, may not add contacts
    assert runs.may_retry(accountant, contacts_run) is False
    page = client.get(reverse("exchange:run_detail", args=[contacts_run.pk])).content.decode()
    assert 'data-testid="retry"' not in page
    client.post(url)
    assert not Run.objects.filter(retry_of=contacts_run).exists()
    assert runs.may_retry(manager, contacts_run) and runs.may_retry(admin_user, contacts_run)


def test_dry_runs_and_unfinished_runs_are_not_retried(tmp_path, manager):
    path = contacts_csv(tmp_path / "c.csv", [inn10(42)])
    dry = tabular.tabular_import(path=path, kind="contacts", user=manager, dry_run=True)
    assert dry.failed == 1 and "dry run" in runs.retry_plan(dry).problem
    running = Run.objects.create(kind="tabular", failed=1)
    assert "not finished" in runs.retry_plan(running).problem
    with pytest.raises(runs.RetryImpossible):
        runs.run_retry(user=None, run=dry)


# --- CommerceML ------------------------------------------------------------------------------------------------


def cml(products: list[str], offers: list[str], *, only_changes: bool = False) -> bytes:
    goods = "".join(f"<Товар><Ид>{p}</Ид><Артикул>{p.upper()}</Артикул><Наименование>Product {p}</Наименование>"
                    f"<БазоваяЕдиница Код=\"796\">шт</БазоваяЕдиница></Товар>" for p in products)
    # Offers without a name: an offer of a product accounting has not sent yet cannot make one.
    prices = "".join(f"<Предложение><Ид>{o}</Ид><Цены><Цена>"
                     f"<ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>{10 + len(o)}.00</ЦенаЗаЕдиницу><Валюта>RUB</Валюта>"
                     f"</Цена></Цены></Предложение>" for o in offers)
    flag = "true" if only_changes else "false"
    return ('<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ВерсияСхемы="2.05">'
            "<Классификатор><Ид>c</Ид><Наименование>C</Наименование></Классификатор>"
            f"<Каталог СодержитТолькоИзменения=\"{flag}\"><Ид>c</Ид><ИдКлассификатора>c</ИдКлассификатора>"
            f"<Наименование>Catalog</Наименование><Товары>{goods}</Товары></Каталог>"
            + (f"<ПакетПредложений СодержитТолькоИзменения=\"{flag}\"><Ид>c#</Ид><Наименование>Offers</Наименование>"
               "<ИдКаталога>c</ИдКаталога><ТипыЦен><ТипЦены><Ид>pt</Ид><Наименование>Опт</Наименование>"
               f"<Валюта>RUB</Валюта></ТипЦены></ТипыЦен><Предложения>{prices}</Предложения></ПакетПредложений>"
               if offers else "")
            + "</КоммерческаяИнформация>").encode()


def test_retry_of_an_exchange_takes_only_the_failed_ids_from_the_kept_file(tmp_path):
    node = node_create(user=None, code="ut", kind="folder")
    first = tmp_path / "import.xml"
    # offers of p8 and p9 come before 1C has sent those products: they fail
    first.write_bytes(cml([f"p{i}" for i in range(8)], [f"p{i}" for i in range(10)]))
    out = io.StringIO()
    call_command("exchange", "import", str(first), "--node", "ut", "--json", stdout=out)
    run = Run.objects.get(pk=json.loads(out.getvalue())["run"])
    assert run.failed == 2 and set(run.items.values_list("external_id", flat=True)) == {"p8", "p9"}
    first.unlink()                                   # the original is gone; the run kept its own copy
    kept = runs.run_sources(run)[0]
    assert kept.is_file() and runs.run_dir(run) in kept.parents
    later = tmp_path / "later.xml"
    later.write_bytes(cml(["p8", "p9"], [], only_changes=True))
    exchange_import(paths=[later], node=node)
    assert Price.objects.count() == 8
    products_before = {p.pk: (p.name, p.updated_at) for p in Product.objects.all()}

    out = io.StringIO()
    call_command("exchange", "retry", str(run.pk), "--json", stdout=out)
    data = json.loads(out.getvalue())
    retry = Run.objects.get(pk=data["run"])
    assert data["retry_of"] == str(run.pk) and retry.retry_of == run and retry.status == "succeeded"
    assert retry.failed == 0 and retry.params["only"] == ["p8", "p9"]
    assert Price.objects.count() == 10
    assert {p.pk: (p.name, p.updated_at) for p in Product.objects.all()} == products_before
    touched = ChangeJournal.objects.filter(request_id=f"run-{retry.pk}")
    assert {e.object_repr for e in touched if e.content_type.model == "price"} and not touched.filter(
        content_type__model="product").exists()
    # nothing is deactivated by a retry, though the first file was a full catalog
    assert Product.objects.filter(is_active=True).count() == 10


def test_an_exchange_whose_failures_are_in_the_file_itself_is_not_retried(tmp_path):
    from tests.exchange.test_runs import catalog_xml

    path = tmp_path / "exchange.xml"
    path.write_bytes(catalog_xml(4, bad_price_at=1))   # a price that is not a number: the file is wrong
    run = exchange_import(paths=[path], node=node_create(user=None, code="ut", kind="folder"), keep=True)
    assert run.failed == 1
    plan = runs.retry_plan(run)
    assert not plan.possible and "import a corrected file" in plan.problem


def test_kept_files_are_removed_after_their_days(tmp_path, settings, manager, contacts_run):
    settings.EXCHANGE_RUN_FILES_KEEP_DAYS = 30
    orphan = runs.runs_root() / "not-a-run"
    orphan.mkdir()
    running = Run.objects.create(kind="tabular")
    (runs.run_dir(running) / "0").mkdir(parents=True)
    assert runs.run_files_cleanup() == 1                       # only the orphan: the import is recent
    assert runs.run_dir(contacts_run).is_dir() and not orphan.exists()
    later = timezone.now() + dt.timedelta(days=31)
    assert runs.run_files_cleanup(now=later) == 1
    assert not runs.run_dir(contacts_run).exists() and runs.run_dir(running).is_dir()   # a running run keeps its own
    assert "no longer kept" in runs.retry_plan(contacts_run).problem


def test_files_already_under_the_var_directory_are_read_where_they_are(tmp_path, settings):
    inside = settings.VAR_DIR / "onec" / "session" / "import.xml"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"<x/>")
    run = Run.objects.create(kind="import")
    assert runs.keep_sources(run, [inside]) == [inside] and not runs.run_dir(run).exists()
    outside = tmp_path / "offers.xml"
    outside.write_bytes(b"<y/>")
    kept = runs.keep_sources(run, [outside])[0]
    assert kept != outside and kept.read_bytes() == b"<y/>" and kept.name == "offers.xml"
