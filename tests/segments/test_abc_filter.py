"""The segment filters "ABC class" and "XYZ class": the members are the clients the reader's ABC/XYZ matrix puts
in those classes, checked against the definitions restated in plain Python (tests/reports/analytics_world), for
an administrator and for a manager (whose classes are computed over her own clients only)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from raccordo.segments.filters import clean_filters
from raccordo.segments.selectors import counterparties_matching, segment_members
from raccordo.segments.services import segment_create
from tests.reports import analytics_world as w

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reference_data, monkeypatch):
    # The filter classifies over the twelve months before today: today is the generated world's day.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: w.AS_OF)
    return w.build(reference_data, 7)


def _expected(world, username, abc=(), xyz=()):
    seen = set(world.clients) if username == "root" else {
        c for c in world.clients if c.responsible == world.users[username]}
    classes = w.classify(w.clients_monthly(world, seen))
    return {pk for pk, (a, x, _revenue) in classes.items() if (not abc or a in abc) and (not xyz or x in xyz)}


@pytest.mark.parametrize("username", ["root", "anna"])
@pytest.mark.parametrize(("abc", "xyz"), [(["A"], []), (["B", "C"], []), ([], ["X"]), (["A"], ["Y", "Z"])])
def test_abc_and_xyz_classes_are_the_matrix_of_the_reader(world, username, abc, xyz):
    user = world.users[username]
    found = set(counterparties_matching(user=user, filters={"abc_class": abc, "xyz_class": xyz})
                .values_list("pk", flat=True))
    assert found == _expected(world, username, abc, xyz)
    if username == "anna":
        assert all(c.responsible == user for c in world.clients if c.pk in found)


def test_a_saved_segment_of_a_managers_a_clients(world):
    anna = world.users["anna"]
    segment = segment_create(user=anna, data={"name": "My A clients", "filters": {"abc_class": ["A"]}})
    members = set(segment_members(user=anna, segment=segment).values_list("pk", flat=True))
    assert members == _expected(world, "anna", ["A"]) and members
    # The administrator asking the same question of all clients gets the company's A clients.
    root_members = set(segment_members(user=world.users["root"], segment=segment).values_list("pk", flat=True))
    assert root_members == _expected(world, "root", ["A"])


def test_an_unknown_class_is_refused_naming_the_filter():
    with pytest.raises(ValidationError) as caught:
        clean_filters({"abc_class": ["A", "D"]})
    assert "abc_class" in caught.value.message_dict and "D" in str(caught.value)
