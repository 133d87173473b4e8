"""The mapping form of a node's page: 1C's defaults filled in, and every problem shown on the form (HTTP 422,
nothing saved) before any run."""

from __future__ import annotations

import pytest
from django.urls import reverse

from raccordo.exchange import mappings
from raccordo.exchange.models import Binding, Mapping
from raccordo.exchange.services import node_create
from tests.factories import CounterpartyFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db
PRODUCTS, COUNTERPARTIES = "catalog.product", "parties.counterparty"


@pytest.fixture
def node():
    return node_create(user=None, code="ut", kind="onec-http", login="site", password="secret-1")


def form(object_type: str, **changes) -> dict:
    """What the page posts for the 1C defaults, with `changes` (map-*, owner-*, filter, ...) on top."""
    data = {"match_keys": mappings.OBJECT_TYPES[object_type]["default_keys"], "allow_create": "on",
            "conflict_policy": "accounting"}
    for f in mappings.incoming_fields(object_type):
        data[f"map-{f.name}"] = f.default
    owned = set(mappings.default_owned(object_type))
    for name in mappings.owned_choices(object_type):
        data[f"owner-{name}"] = "accounting" if name in owned else "crm"
    data.update(changes)
    return data


def post(client, node, object_type, data):
    return client.post(reverse("onec:node_mapping", args=[node.pk, object_type]), data)


def bound_group(node, ext: str, name: str):
    from raccordo.catalog.models import ProductGroup

    group = ProductGroup.objects.create(name=name)
    Binding.objects.create(node=node, object_type="catalog.productgroup", external_id=ext, object_id=group.pk)
    return group


def test_the_form_shows_1cs_defaults(client, admin_user, node):
    client.force_login(admin_user)
    html = client.get(reverse("onec:node_detail", args=[node.pk])).content.decode()
    assert 'data-testid="mapping-catalog-product"' in html and 'data-testid="mapping-parties-counterparty"' in html
    # Наименование goes to the name, Артикул to the article; the CRM owns contacts, accounting prices.
    assert 'name="map-name"' in html and "Наименование" in html and "Артикул" in html
    assert 'name="owner-contacts" value="crm" id="owner-parties-counterparty-contacts-c" autocomplete="off" checked' \
        in html
    assert 'name="owner-prices" value="accounting" id="owner-catalog-product-prices-a" autocomplete="off" checked' \
        in html


@pytest.mark.parametrize(("object_type", "changes", "field", "message"), [
    (PRODUCTS, {"map-colour": "name"}, "field_map", "Unknown incoming field: colour."),
    (PRODUCTS, {"map-barcode": "shoe_size"}, "field_map", "Unknown field: shoe_size."),
    (PRODUCTS, {"match_keys": ["colour"]}, "match_keys", "Unknown field: colour."),
    (PRODUCTS, {"owner-taste": "accounting"}, "owned_fields", "Unknown field: taste."),
    (PRODUCTS, {"map-name": ""}, "field_map", "name is required: map an incoming field to it."),
    (COUNTERPARTIES, {"map-name": "", "map-full_name": ""}, "field_map", "name is required"),
    (PRODUCTS, {"map-full_name": "name"}, "field_map", "full_name, name all go to name"),
    (PRODUCTS, {"map-group_ids": "article"}, "field_map", "group_ids cannot go to article"),
    (PRODUCTS, {"map-barcode": "", "match_keys": ["barcode"]}, "match_keys", "barcode receives no incoming value"),
    (PRODUCTS, {"allow_create": "off", "match_keys": []}, "match_keys", "Update-only needs a matching key"),
])
def test_each_problem_is_shown_on_the_form_and_nothing_is_saved(client, admin_user, node, object_type, changes,
                                                                field, message):
    client.force_login(admin_user)
    page = post(client, node, object_type, form(object_type, **changes))
    assert page.status_code == 422
    html = page.content.decode()
    assert message in html and "The mapping is not saved" in html
    assert not Mapping.objects.exists()


def test_a_non_unique_matching_key_is_refused_with_the_reason(client, admin_user, node):
    ProductFactory(article="ART-1")
    ProductFactory(article="ART-1")
    client.force_login(admin_user)
    page = post(client, node, PRODUCTS, form(PRODUCTS))
    assert page.status_code == 422
    assert "article is not unique: 2 products have ART-1" in page.content.decode()
    assert not Mapping.objects.exists()


def test_filters_that_match_nothing_are_refused(client, admin_user, node):
    empty = bound_group(node, "g-empty", "Empty group")
    full = bound_group(node, "g-full", "Full group")
    ProductFactory(group=full)
    lonely, busy = UserFactory(username="lonely"), UserFactory(username="busy")
    CounterpartyFactory(responsible=busy)
    client.force_login(admin_user)

    page = post(client, node, PRODUCTS, form(PRODUCTS, filter=["g-empty"]))
    assert page.status_code == 422 and "No product is in the chosen groups" in page.content.decode()
    page = post(client, node, PRODUCTS, form(PRODUCTS, filter=["g-nowhere"]))
    assert page.status_code == 422 and "Unknown product group: g-nowhere." in page.content.decode()
    page = post(client, node, COUNTERPARTIES, form(COUNTERPARTIES, filter=[str(lonely.pk)]))
    assert page.status_code == 422 and "None of the chosen managers is responsible" in page.content.decode()
    page = post(client, node, COUNTERPARTIES, form(COUNTERPARTIES, filter=[str(busy.pk)], responsible=str(lonely.pk)))
    assert page.status_code == 422 and "a manager the filter leaves out" in page.content.decode()
    assert not Mapping.objects.exists()
    # A product in a group below the chosen one is enough.
    empty.parent = full
    empty.save()
    ProductFactory(group=empty)
    assert post(client, node, PRODUCTS, form(PRODUCTS, filter=["g-empty"])).status_code == 302


def test_a_valid_form_is_saved_and_shown_again(client, admin_user, node):
    bound_group(node, "g-tools", "Tools")
    ProductFactory(group=bound_group(node, "g-food", "Food"))
    boss = UserFactory(username="boss", first_name="Olga", last_name="Boss")
    CounterpartyFactory(responsible=boss)
    client.force_login(admin_user)
    done = post(client, node, PRODUCTS, form(PRODUCTS, **{
        "map-name": "full_name", "map-full_name": "", "req-name-1": "Краткое имя", "req-target-1": "name",
        "owner-name": "crm", "filter": ["g-food"], "allow_create": "off", "conflict_policy": "ask"}))
    assert done.status_code == 302
    saved = Mapping.objects.get(object_type=PRODUCTS)
    assert saved.field_map["name"] == "full_name" and saved.field_map["requisite:Краткое имя"] == "name"
    assert "full_name" not in saved.field_map and "name" not in saved.owned_fields and "prices" in saved.owned_fields
    assert (saved.filters, saved.allow_create, saved.conflict_policy) == ({"groups": ["g-food"]}, False, "ask")
    done = post(client, node, COUNTERPARTIES, form(COUNTERPARTIES, filter=[str(boss.pk)], responsible=str(boss.pk)))
    assert done.status_code == 302
    assert Mapping.objects.get(object_type=COUNTERPARTIES).responsible == boss

    html = client.get(reverse("onec:node_detail", args=[node.pk])).content.decode()
    assert 'value="Краткое имя"' in html and '<option value="g-food" selected>Food</option>' in html
    assert f'<option value="{boss.pk}" selected>Olga Boss</option>' in html


def test_only_administrators_reach_the_form(client, manager, node):
    client.force_login(manager)
    assert post(client, node, PRODUCTS, form(PRODUCTS)).status_code == 404
    assert not Mapping.objects.exists()
