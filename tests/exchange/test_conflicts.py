"""A field changed on both sides since the last exchange is never settled silently: the mapping's policy
decides, every conflict is listed with both values, and "ask" waits for a person."""

from __future__ import annotations

import pytest
from django.urls import reverse

from raccordo.access.records import record_update
from raccordo.catalog.models import Product
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.models import ChangeJournal
from raccordo.exchange.conflict_review import conflict_resolve
from raccordo.exchange.mappings import MappingData, mapping_save
from raccordo.exchange.models import RunItem
from raccordo.exchange.services import exchange_import, node_create
from raccordo.parties.models import Counterparty
from tests.exchange.mapping_files import catalog, document, write
from tests.factories import ProductFactory, UserFactory, inn10
from tests.factories import reference_data as make_reference_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def node():
    return node_create(user=None, code="ut", kind="folder")


class Exchange:
    """Runs files of one node in turn; each product file names p1 (article A-1) with what a test says."""

    def __init__(self, node, tmp_path, policy: str):
        self.node, self.tmp_path, self.n = node, tmp_path, 0
        mapping_save(user=None, node=node, data=MappingData(object_type="catalog.product", match_keys=["article"],
                                                            conflict_policy=policy))

    def send(self, name: str, description: str = "", generated: str = ""):
        self.n += 1
        data = catalog([{"id": "p1", "article": "A-1", "name": name, "description": description}],
                       generated=generated)
        return exchange_import(paths=[write(self.tmp_path, data, f"f{self.n}.xml")], node=self.node)

    @staticmethod
    def product() -> Product:
        return Product.objects.get(article="A-1")

    def local(self, **data) -> None:
        record_update(self.product(), user=None, data=data, fields=tuple(data))   # a change made in the CRM (no exchange node)


def conflicts(run):
    return list(run.items.filter(outcome="conflict").order_by("id"))


def test_only_accounting_changed_is_taken_and_only_the_crm_changed_is_kept(node, tmp_path):
    ex = Exchange(node, tmp_path, "ask")
    ex.send("Drill", "v1")
    run = ex.send("Drill 2", "v1")                      # accounting renamed it; nobody here touched it
    assert ex.product().name == "Drill 2" and not conflicts(run)
    ex.local(name="Our drill")
    run = ex.send("Drill 2", "v2")                      # accounting changed the description only
    product = ex.product()
    assert (product.name, product.description) == ("Our drill", "v2") and not conflicts(run)


def test_accounting_wins_takes_its_value_and_lists_the_conflict(node, tmp_path):
    ex = Exchange(node, tmp_path, "accounting")
    ex.send("Drill")
    ex.local(name="Our drill")
    run = ex.send("Drill 2")
    assert ex.product().name == "Drill 2"
    [item] = conflicts(run)
    assert item.changes == {"name": ["Our drill", "Drill 2"]} and item.resolution == "accounting"
    assert item.code == "exchange.conflict.accounting" and item.external_id == "p1"
    assert item.object_id == ex.product().pk and item.resolved_by is None and item.resolved_at


def test_crm_wins_keeps_ours_and_does_not_ask_again_for_the_same_value(node, tmp_path):
    ex = Exchange(node, tmp_path, "crm")
    ex.send("Drill", "v1")
    ex.local(name="Our drill")
    run = ex.send("Drill 2", "v1")
    assert ex.product().name == "Our drill"
    [item] = conflicts(run)
    assert item.changes == {"name": ["Our drill", "Drill 2"]} and item.resolution == "crm"
    # Accounting still says "Drill 2" (received already): only its new description comes in, no new conflict.
    run = ex.send("Drill 2", "v2")
    assert (ex.product().name, ex.product().description) == ("Our drill", "v2") and not conflicts(run)
    # Accounting changes the name again: a new conflict, the CRM still wins.
    run = ex.send("Drill 3", "v2")
    assert ex.product().name == "Our drill" and conflicts(run)[0].changes == {"name": ["Our drill", "Drill 3"]}


def test_newer_wins_weighs_the_crms_change_against_the_files_time(node, tmp_path):
    ex = Exchange(node, tmp_path, "newer")
    ex.send("Drill")
    ex.local(name="Our drill")
    old = ex.send("Drill 2", generated="2000-01-01T00:00:00")     # made before our change
    assert ex.product().name == "Our drill"
    [item] = conflicts(old)
    assert item.resolution == "crm" and "2000-01-01" in item.message
    new = ex.send("Drill 3", generated="2100-01-01T00:00:00")     # made after it
    assert ex.product().name == "Drill 3"
    [item] = conflicts(new)
    assert item.resolution == "accounting" and item.changes == {"name": ["Our drill", "Drill 3"]}


def test_ask_keeps_ours_until_someone_chooses(node, tmp_path, admin_user):
    ex = Exchange(node, tmp_path, "ask")
    ex.send("Drill")
    ex.local(name="Our drill")
    run = ex.send("Drill 2")
    assert ex.product().name == "Our drill"
    [item] = conflicts(run)
    assert item.resolution == "" and item.resolved_at is None
    again = ex.send("Drill 2")                                    # the same file again: nothing new
    assert again.unchanged and not again.items.exists()

    conflict_resolve(user=admin_user, item=item, choice="accounting")
    item.refresh_from_db()
    assert ex.product().name == "Drill 2"
    assert (item.resolution, item.resolved_by) == ("accounting", admin_user) and item.resolved_at
    entry = ChangeJournal.objects.filter(object_id=ex.product().pk).order_by("-seq").first()
    assert entry.changes == {"name": ["Our drill", "Drill 2"]} and entry.node == ""   # local, journaled
    assert entry.request_id == f"conflict-{item.pk}"
    with pytest.raises(ApplicationError, match="already settled"):
        conflict_resolve(user=admin_user, item=item, choice="crm")

    ex.local(name="Ours again")
    [second] = conflicts(ex.send("Drill 3"))
    conflict_resolve(user=admin_user, item=second, choice="crm")
    second.refresh_from_db()
    assert ex.product().name == "Ours again" and second.resolution == "crm"


def test_an_open_question_is_replaced_by_a_newer_one_and_refused_when_stale(node, tmp_path, admin_user):
    ex = Exchange(node, tmp_path, "ask")
    ex.send("Drill")
    ex.local(name="Our drill")
    [first] = conflicts(ex.send("Drill 2"))
    [second] = conflicts(ex.send("Drill 3"))
    first.refresh_from_db()
    assert first.resolution == "superseded" and second.resolution == ""
    ex.local(name="Changed meanwhile")
    with pytest.raises(ApplicationError, match="changed since"):
        conflict_resolve(user=admin_user, item=second, choice="accounting")
    assert ex.product().name == "Changed meanwhile"


def test_who_may_settle_a_conflict(node, tmp_path, manager):
    ex = Exchange(node, tmp_path, "ask")
    ex.send("Drill")
    ex.local(name="Our drill")
    [item] = conflicts(ex.send("Drill 2"))
    with pytest.raises(PermissionDenied):
        conflict_resolve(user=manager, item=item, choice="accounting")
    accountant = UserFactory(username="acc", role="accountant")
    conflict_resolve(user=accountant, item=item, choice="accounting")   # the exchange's right, not the catalog's
    assert ex.product().name == "Drill 2"


def test_the_run_page_lists_conflicts_and_settles_them(node, tmp_path, client, admin_user, manager):
    ex = Exchange(node, tmp_path, "ask")
    ex.send("Drill")
    ex.local(name="Our drill")
    run = ex.send("Drill 2")
    [item] = conflicts(run)
    page_url = reverse("exchange:run_detail", args=[run.pk])
    resolve_url = reverse("exchange:conflict_resolve", args=[run.pk, item.pk])

    client.force_login(manager)
    assert client.post(resolve_url, {"choice": "accounting"}).status_code == 404
    assert ex.product().name == "Our drill"

    admin_user.first_name, admin_user.last_name = "Anna", "Admin"
    admin_user.save()
    client.force_login(admin_user)
    html = client.get(page_url).content.decode()
    assert 'data-testid="conflicts"' in html and "Our drill" in html and "Drill 2" in html
    assert f'data-testid="take-accounting-{item.pk}"' in html and f'data-testid="keep-crm-{item.pk}"' in html
    swapped = client.post(resolve_url, {"choice": "crm"}, HTTP_HX_REQUEST="true")
    assert swapped.status_code == 200
    text = swapped.content.decode()
    assert "Anna Admin" in text and f'data-testid="keep-crm-{item.pk}"' not in text
    item.refresh_from_db()
    assert item.resolution == "crm" and ex.product().name == "Our drill"
    again = client.post(resolve_url, {"choice": "accounting"})
    assert again.status_code == 302 and ex.product().name == "Our drill"   # settled already: said, not done


def test_counterparties_of_documents_have_conflicts_too(node, tmp_path):
    make_reference_data()
    ProductFactory(article="T-1")
    mapping_save(user=None, node=node, data=MappingData(object_type="parties.counterparty",
                                                        match_keys=["inn", "kpp"], conflict_policy="crm"))
    buyer = {"id": "cp1", "name": "Ромашка", "inn": inn10(3), "full_name": "ООО Ромашка"}
    exchange_import(paths=[write(tmp_path, document("d1", buyer), "d1.xml")], node=node)
    counterparty = Counterparty.objects.get(inn=inn10(3))
    record_update(counterparty, user=None, data={"name": "Romashka"}, fields=("name",))
    run = exchange_import(paths=[write(tmp_path, document("d2", {**buyer, "name": "Ромашка-2",
                                                                  "full_name": "ООО «Ромашка»"}), "d2.xml")],
                          node=node)
    counterparty.refresh_from_db()
    assert (counterparty.name, counterparty.full_name) == ("Romashka", "ООО «Ромашка»")   # only accounting: taken
    [item] = RunItem.objects.filter(run=run, outcome="conflict")
    assert item.object_type == "parties.counterparty" and item.changes == {"name": ["Romashka", "Ромашка-2"]}
