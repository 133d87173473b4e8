"""access.records: the field allow-list a service passes to record_create/record_update (issue #15)."""

from __future__ import annotations

import pytest

from raccordo.access.records import FieldNotAllowed, check_fields
from raccordo.parties.models import Counterparty


def test_a_field_may_be_named_by_its_attribute_on_either_side():
    # A service lists `responsible_id` while its caller sends `responsible`, or the other way round.
    check_fields(Counterparty, {"responsible": None}, ("responsible_id",))
    check_fields(Counterparty, {"responsible_id": None}, ("responsible",))


def test_a_field_outside_the_list_is_refused_by_its_name():
    with pytest.raises(FieldNotAllowed) as refused:
        check_fields(Counterparty, {"name": "Romashka", "responsible_id": None}, ("name",))
    assert refused.value.extra["field"] == "responsible_id"


def test_a_key_that_is_no_field_is_refused_even_without_a_list():
    with pytest.raises(FieldNotAllowed) as refused:
        check_fields(Counterparty, {"colour": "red"}, None)
    assert refused.value.extra["field"] == "colour"
