"""Runs started from the web go to the Huey worker; their page shows live progress, outcomes and a report."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from raccordo.exchange import runs
from raccordo.exchange.models import Run, RunItem
from raccordo.exchange.services import exchange_import, node_create
from raccordo.parties.models import Counterparty
from raccordo.parties.services import counterparty_create
from tests.exchange.test_runs import catalog_xml
from tests.factories import UserFactory, inn10

pytestmark = pytest.mark.django_db


@pytest.fixture
def huey_queue():
    """Huey as in production, not immediate, with a queue in memory nobody consumes: the test is the worker."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    before = HUEY.immediate, HUEY.storage
    HUEY.immediate = False
    HUEY.storage = MemoryStorage(HUEY.name)
    yield HUEY
    HUEY.immediate = False
    HUEY.storage = before[1]
    HUEY.immediate = before[0]


def counterparties_csv(n: int, *, bad_every: int = 0) -> bytes:
    lines = ["Name;INN;Phone"]
    for i in range(n):
        phone = "+7 916 000-00-0x" if bad_every and i % bad_every == bad_every - 1 else f"+7916{2000000 + i}"
        lines.append(f"Company {i};{inn10(300_000 + i)};{phone}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def start_import(client, data: bytes, *, name: str = "c.csv", kind: str = "counterparties", dry_run: bool = False,
                 mapping=None, capture=None):
    """Upload a file and submit the column mapping, as a person does; return the redirect."""
    url = reverse("exchange:tabular_upload")
    response = client.post(url, {"kind": kind, "file": SimpleUploadedFile(name, data)})
    assert response.status_code == 200, response.content[:500]
    form = response.context["form"]
    post = {"kind": kind, "token": response.context["token"], "on_duplicate": "skip"}
    for i, _header in enumerate(form.headers):
        post[f"col_{i}"] = (mapping or {}).get(i, form[f"col_{i}"].initial or "")
    if dry_run:
        post["dry_run"] = "on"
    if capture is not None:
        with capture(execute=True):
            return client.post(url, post)
    return client.post(url, post)


def test_a_tabular_import_runs_in_the_worker_immediate_mode(client, manager, huey_immediate,
                                                             django_capture_on_commit_callbacks):
    client.force_login(manager)
    response = start_import(client, counterparties_csv(1200, bad_every=100), capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    run = Run.objects.get()
    assert response["Location"] == reverse("exchange:run_detail", args=[run.pk])
    assert run.status == "partial" and run.kind == "tabular" and run.user == manager
    assert (run.created, run.failed, run.skipped) == (1188, 12, 0)
    assert run.progress_total == 1200 and run.progress_done == run.progress_total
    assert run.params["picked_at"] and run.params["kind"] == "counterparties"
    # the upload was moved into the run's own directory, for a retry
    kept = runs.run_sources(run)[0]
    assert kept.is_file() and kept.parent.parent == runs.run_dir(run)
    assert not list((runs.runs_root().parent / "tabular").rglob("*.csv"))
    # every row has its outcome, linked to its record; errors keep line and column
    assert run.items.filter(outcome="created").count() == 1188
    created = run.items.filter(outcome="created").first()
    assert Counterparty.objects.get(pk=created.object_id).name == "Company 0" and created.line == 2
    error = run.items.get(outcome="failed", line=101)
    assert error.path == "Phone" and error.file == "c.csv"
    page = client.get(response["Location"]).content.decode()
    assert "exchange.tabular.phone" in page and 'data-testid="retry"' in page
    assert 'hx-trigger="every 1s"' not in page   # finished: nothing polls
    created_tab = client.get(response["Location"], {"outcome": "created"}).content.decode()
    assert reverse("web:counterparty_detail", args=[created.object_id]) in created_tab


def test_a_run_the_worker_has_not_picked_up_says_it_is_queued(transactional_db, client, manager, huey_queue,
                                                               settings):
    # Committed for real (transactional_db): the run is handed to Huey on commit, and Huey's worker wrapper
    # (close_old_connections) would close a connection held inside a test transaction.
    client.force_login(manager)
    response = start_import(client, counterparties_csv(30))
    run = Run.objects.get()
    assert run.status == "running" and runs.is_queued(run) and run.progress_total == 30 and run.created == 0
    assert huey_queue.pending_count() == 1
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="queued"' in page and "waiting for the background worker" in page
    assert f'hx-get="{reverse("exchange:run_progress", args=[run.pk])}"' in page and 'hx-trigger="every 1s"' in page
    settings.EXCHANGE_QUEUE_STALL = 0
    partial = client.get(reverse("exchange:run_progress", args=[run.pk]), headers={"HX-Request": "true"})
    assert "Is it running?" in partial.content.decode() and "HX-Refresh" not in partial

    # The worker comes: it takes the task off the queue and does the run.
    task = huey_queue.dequeue()
    huey_queue.execute(task)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.created == 30 and run.progress_done == 30
    partial = client.get(reverse("exchange:run_progress", args=[run.pk]), headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert partial["HX-Refresh"] == "true"               # the polling page reloads to show the outcome
    assert 'hx-trigger' not in body and 'data-testid="created">30<' in body and "30 of 30 rows" in body
    # delivered twice (a worker restart): the second delivery does nothing
    assert runs.run_execute(run.pk) is None


def test_progress_is_saved_batch_by_batch_in_its_own_transactions(tmp_path, manager):
    from raccordo.exchange import tabular

    path = tmp_path / "big.csv"
    path.write_bytes(counterparties_csv(1000))
    seen: list[tuple[int, int, int]] = []

    def progress(run):
        # What another connection (the run page) reads: the row as committed, not the worker's object.
        row = Run.objects.values_list("progress_done", "progress_total", "created").get(pk=run.pk)
        seen.append(row)

    run = tabular.tabular_import(path=path, kind="counterparties", user=manager, batch_size=250, progress=progress)
    assert [s[0] for s in seen] == [250, 500, 750, 1000] and {s[1] for s in seen} == {1000}
    assert [s[2] for s in seen] == [250, 500, 750, 1000]
    assert (run.progress_done, run.progress_total, run.created) == (1000, 1000, 1000)


def test_a_dry_run_from_the_web_keeps_the_upload_for_the_real_run(client, admin_user, huey_immediate,
                                                                  django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    response = start_import(client, counterparties_csv(5), dry_run=True, capture=django_capture_on_commit_callbacks)
    run = Run.objects.get()
    assert run.kind == "dry-run" and run.status == "succeeded" and run.created == 5
    assert Counterparty.objects.count() == 0
    assert list((runs.runs_root().parent / "tabular").rglob("*.csv"))   # the mapping page can still run it
    assert "Dry run of" in client.get(response["Location"]).content.decode()


def test_the_progress_partial_and_who_may_see_it(client, manager, other_manager, admin_user, huey_queue,
                                                 django_capture_on_commit_callbacks):
    client.force_login(manager)
    start_import(client, counterparties_csv(3), capture=django_capture_on_commit_callbacks)
    run = Run.objects.get()
    url = reverse("exchange:run_progress", args=[run.pk])
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="run-progress"') and "<html" not in body
    assert "0 of 3 rows" in body
    client.force_login(other_manager)
    for name in ("exchange:run_progress", "exchange:run_detail", "exchange:run_report"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404, name
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(body), read_only=True)


def test_the_report_of_a_tabular_run_as_csv_and_xlsx(client, manager, tmp_path):
    from raccordo.exchange import tabular

    counterparty_create(user=manager, data={"name": "Existing", "inn": inn10(300_001)})   # hers: a duplicate
    path = tmp_path / "c.csv"
    path.write_bytes(counterparties_csv(4, bad_every=3))
    run = tabular.tabular_import(path=path, kind="counterparties", user=manager)
    assert (run.created, run.skipped, run.failed) == (2, 1, 1)
    client.force_login(manager)
    rows = _csv(client.get(reverse("exchange:run_report", args=[run.pk])))
    summary = {r[0]: r[1] for r in rows[: rows.index([])]}
    assert summary["Status"] == "Finished with errors" and summary["Created"] == "2" and summary["Failed"] == "1"
    assert summary["Progress"] == "4 / 4"
    table = rows[rows.index([]) + 1:]
    header, body = table[0], table[1:]
    assert header[:3] == ["Outcome", "Object type", "Id in accounting"]
    by = {(r[0], r[6]): r for r in body}
    assert set(by) == {("created", "2"), ("skipped", "3"), ("error", "4"), ("created", "5")}
    assert by[("error", "4")][7] == "Phone" and by[("error", "4")][8] == "exchange.tabular.phone"
    assert by[("created", "2")][4].startswith("http://testserver/counterparties/")
    book = _xlsx(client.get(reverse("exchange:run_report", args=[run.pk]), {"format": "xlsx"}))
    counters = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True)}
    assert counters["Created"] == 2 and counters["Skipped"] == 1
    records = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(records) == 1 + 4 and sorted(r[6] for r in records[1:]) == [2, 3, 4, 5]


def test_the_report_of_an_exchange_lists_the_records_it_wrote(client, admin_user, tmp_path):
    path = tmp_path / "exchange.xml"
    path.write_bytes(catalog_xml(5, bad_price_at=2))
    run = exchange_import(paths=[path], node=node_create(user=None, code="ut", kind="folder"))
    client.force_login(admin_user)
    rows = _csv(client.get(reverse("exchange:run_report", args=[run.pk])))
    table = rows[rows.index([]) + 1:][1:]
    outcomes = [r[0] for r in table]
    assert outcomes[0] == "error" and outcomes.count("error") == run.failed
    products = [r for r in table if r[1] == "catalog.product"]
    assert {r[3] for r in products} == {f"Product {i} (A{i:05d})" for i in range(5)}
    assert {r[0] for r in products} == {"created"}
    assert json.loads(products[0][10])["name"][1].startswith("Product")
    # the run page shows the same records, tab by tab
    page = client.get(reverse("exchange:run_detail", args=[run.pk]), {"outcome": "created"}).content.decode()
    assert "Product 3" in page
    unchanged = client.get(reverse("exchange:run_detail", args=[run.pk]), {"outcome": "unchanged"})
    assert "counted, not listed" in unchanged.content.decode()


def test_runs_filtered_by_node_and_status_and_exported(client, admin_user, tmp_path):
    ut = node_create(user=None, code="ut", kind="folder")
    shop = node_create(user=None, code="shop", kind="folder")
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(catalog_xml(3))
    bad.write_bytes(catalog_xml(3, bad_price_at=1))
    exchange_import(paths=[good], node=ut)
    exchange_import(paths=[bad], node=ut)
    exchange_import(paths=[good], node=shop)
    client.force_login(admin_user)
    url = reverse("exchange:run_list")
    assert client.get(url, {"node": "ut"}).context["page"].paginator.count == 2
    listing = client.get(url, {"node": "ut", "status": "partial"})
    assert listing.context["page"].paginator.count == 1 and "bad.xml" in listing.content.decode()
    assert client.get(url, {"status": "succeeded"}).context["page"].paginator.count == 2
    rows = _csv(client.get(reverse("exchange:run_list_export"), {"node": "ut"}))
    assert sorted(r[5] for r in rows[1:]) == ["bad.xml", "good.xml"]
    book = _xlsx(client.get(reverse("exchange:run_list_export"), {"format": "xlsx", "status": "partial"}))
    assert [r[5] for r in list(book.worksheets[0].iter_rows(values_only=True))[1:]] == ["bad.xml"]
    # the node's page leads to its runs
    page = client.get(reverse("onec:node_detail", args=[ut.pk])).content.decode()
    assert f'{url}?node=ut' in page


def test_an_accountant_sees_runs_but_the_policy_gives_them_no_export(client, tmp_path):
    accountant = UserFactory(username="acc", role="accountant")
    path = tmp_path / "good.xml"
    path.write_bytes(catalog_xml(2))
    exchange_import(paths=[path], node=node_create(user=None, code="ut", kind="folder"))
    client.force_login(accountant)
    page = client.get(reverse("exchange:run_list"))
    assert page.status_code == 200 and reverse("exchange:run_list_export") not in page.content.decode()
    assert _csv(client.get(reverse("exchange:run_list_export")))[1:] == []


def test_run_items_name_no_record_a_person_may_not_see(client, manager, other_manager, tmp_path):
    from raccordo.exchange import tabular

    theirs = counterparty_create(user=other_manager, data={"name": "Theirs", "inn": inn10(300_000)})
    path = tmp_path / "c.csv"
    path.write_bytes(counterparties_csv(2))
    run = tabular.tabular_import(path=path, kind="counterparties", user=manager, on_duplicate="skip")
    # Another manager's client: a duplicate by its INN (issue #17, the same check as the form), reported by its
    # manager only: not named, not linked.
    hidden = RunItem.objects.get(run=run, outcome="duplicate")
    assert hidden.object_id is None and str(other_manager) in hidden.message and run.created == 1
    client.force_login(manager)
    for outcome in ("skipped", "duplicate"):
        page = client.get(reverse("exchange:run_detail", args=[run.pk]), {"outcome": outcome}).content.decode()
        assert str(theirs.pk) not in page and "Theirs" not in page


def test_an_import_from_a_csv_node_page_is_a_run_of_that_node(client, admin_user, manager, huey_immediate,
                                                              django_capture_on_commit_callbacks):
    node = node_create(user=None, code="sheets", name="Spreadsheets", kind="tabular")
    client.force_login(admin_user)
    url = reverse("exchange:tabular_upload") + "?node=sheets"
    page = client.get(url).content.decode()
    assert 'name="node" value="sheets"' in page
    response = client.post(url, {"kind": "counterparties", "node": "sheets",
                                 "file": SimpleUploadedFile("c.csv", counterparties_csv(3))})
    assert 'name="node" value="sheets"' in response.content.decode()
    form = response.context["form"]
    post = {"kind": "counterparties", "node": "sheets", "token": response.context["token"], "on_duplicate": "skip",
            **{f"col_{i}": form[f"col_{i}"].initial or "" for i in range(len(form.headers))}}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, post)
    run = Run.objects.get()
    assert run.node == node and run.created == 3
    # a node the person may not see does not exist for them
    client.force_login(manager)
    assert client.get(reverse("exchange:tabular_upload") + "?node=sheets").status_code == 404
