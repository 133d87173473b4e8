"""Mappings in a settings file: field map, filters and the responsible travel to another database."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from raccordo.catalog.models import Product, ProductGroup
from raccordo.exchange.mappings import MappingData, mapping_save
from raccordo.exchange.models import Binding, ExchangeNode, Mapping
from raccordo.exchange.services import exchange_import, node_create
from raccordo.exchange.settings_file import SettingsInvalid, settings_export, settings_import
from tests.exchange.mapping_files import catalog, write
from tests.factories import CounterpartyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_field_map_filters_and_responsible_round_trip_into_an_empty_database(tmp_path):
    files = catalog([{"id": "p1", "article": "A-1", "name": "Hammer", "group": "g1", "requisites": {"Код": "K1"}},
                     {"id": "p2", "article": "A-2", "name": "Apple", "group": "g21", "requisites": {"Код": "K2"}}])
    with transaction.atomic():   # the first database
        boss = UserFactory(username="boss")
        CounterpartyFactory(responsible=boss)
        node = node_create(user=None, code="ut", kind="folder")
        exchange_import(paths=[write(tmp_path, catalog([{"id": "p0", "name": "Seed", "group": "g21"}]), "0.xml")],
                        node=node)
        mapping_save(user=None, node=node, data=MappingData(
            object_type="catalog.product", match_keys=["article"], field_map={
                "name": "name", "requisite:Код": "article", "group_ids": "group"}, filters={"groups": ["g2"]}))
        mapping_save(user=None, node=node, data=MappingData(
            object_type="parties.counterparty", match_keys=["inn"], filters={"managers": [str(boss.pk)]},
            responsible=str(boss.pk), conflict_policy="ask"))
        exported = json.loads(json.dumps(settings_export(node)))
        first = exchange_import(paths=[write(tmp_path, files, "1.xml")], node=node)
        first_products = sorted(Product.objects.exclude(name="Seed").values_list("name", "article"))
        transaction.set_rollback(True)
    rows = {m["object_type"]: m for m in exported["mappings"]}
    assert rows["parties.counterparty"]["responsible"] == "boss"
    assert rows["parties.counterparty"]["filters"] == {"managers": ["boss"]}           # people by username
    assert rows["catalog.product"]["filters"] == {"groups": ["g2"]}                   # groups by accounting's id
    assert rows["catalog.product"]["field_map"]["requisite:Код"] == "article"
    assert first_products == [("Apple", "K2")] and first.skipped == 1

    assert not ExchangeNode.objects.exists() and not ProductGroup.objects.exists()   # an empty database
    with pytest.raises(SettingsInvalid) as caught:               # nobody called boss here yet
        settings_import(user=None, data=exported)
    assert "No active user has the username boss." in caught.value.errors["mappings[1].responsible"]
    assert not Mapping.objects.exists()
    UserFactory(username="boss")
    node = settings_import(user=None, data=exported)
    assert json.loads(json.dumps(settings_export(node))) == exported
    # Its groups are not here yet: they arrive with the catalog, and the filter then takes the same products.
    run = exchange_import(paths=[write(tmp_path, files, "1.xml")], node=node)
    assert sorted(Product.objects.values_list("name", "article")) == first_products and run.skipped == 1
    assert Binding.objects.filter(node=node, object_type="catalog.productgroup").count() == 3


def test_bad_mapping_rows_are_named_by_their_path():
    data = {"format": "raccordo-exchange-settings/1", "node": {"code": "x", "kind": "folder"},
            "mappings": [{"object_type": "catalog.product", "field_map": {"name": "article", "colour": "name"}},
                         {"object_type": "parties.counterparty", "filters": {"managers": ["ghost"]},
                          "field_map": ["not", "a", "map"]}]}
    with pytest.raises(SettingsInvalid) as caught:
        settings_import(user=None, data=data)
    errors = caught.value.errors
    assert "Unknown incoming field: colour." in errors["mappings[0].field_map"]
    assert "name is required: map an incoming field to it." in errors["mappings[0].field_map"]
    assert errors["mappings[1].field_map"] == ["An object is expected."]
    assert not ExchangeNode.objects.exists()
