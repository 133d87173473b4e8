"""A mapping is checked when it is saved: unknown fields and keys that are not unique in the data now."""

from __future__ import annotations

import pytest

from raccordo.core.models import ChangeJournal
from raccordo.exchange.mappings import MappingData, MappingInvalid, mapping_save
from raccordo.exchange.models import Mapping
from raccordo.exchange.services import node_create
from tests.factories import CounterpartyFactory, ProductFactory, inn10

pytestmark = pytest.mark.django_db


@pytest.fixture
def node():
    return node_create(user=None, code="ut", kind="folder")


def test_a_matching_key_shared_by_two_products_is_refused(node):
    ProductFactory(article="ART-1")
    ProductFactory(article="ART-1")
    ProductFactory(article="ART-2")
    with pytest.raises(MappingInvalid) as caught:
        mapping_save(user=None, node=node, data=MappingData(object_type="catalog.product", match_keys=["article"]))
    assert caught.value.errors["match_keys"] == ["article is not unique: 2 products have ART-1"]
    assert not Mapping.objects.exists()


def test_duplicate_counterparties_are_refused_with_the_way_out(node):
    # Issue #17: the refusal said what was wrong and not what to do about it.
    CounterpartyFactory(inn=inn10(51), kpp="773601001")
    CounterpartyFactory(inn=inn10(51), kpp="773601001")
    with pytest.raises(MappingInvalid) as caught:
        mapping_save(user=None, node=node, data=MappingData(object_type="parties.counterparty",
                                                            match_keys=["inn", "kpp"]))
    errors = caught.value.errors["match_keys"]
    assert errors[0].startswith("inn+kpp is not unique: 2") and "Merge a duplicate" in errors[-1]


def test_unknown_fields_and_update_only_without_a_key(node):
    with pytest.raises(MappingInvalid) as caught:
        mapping_save(user=None, node=node, data=MappingData(object_type="parties.counterparty",
                                                            match_keys=["colour"], owned_fields=["taste"]))
    assert caught.value.errors == {"match_keys": ["Unknown field: colour."], "owned_fields": ["Unknown field: taste."]}
    with pytest.raises(MappingInvalid, match="Update-only needs a matching key"):
        mapping_save(user=None, node=node, data=MappingData(object_type="catalog.product", allow_create=False))


def test_a_valid_mapping_is_saved_and_journaled(node):
    ProductFactory(article="ART-1")
    saved = mapping_save(user=None, node=node, data=MappingData(object_type="catalog.product", match_keys=["article"],
                                                                allow_create=False, owned_fields=["prices"]))
    mapping_save(user=None, node=node, data=MappingData(object_type="catalog.product", match_keys=["article"],
                                                        owned_fields=["prices", "stock"]))
    saved.refresh_from_db()
    assert saved.allow_create and saved.owned_fields == ["prices", "stock"]
    assert ChangeJournal.objects.filter(object_id=saved.pk).count() == 2
