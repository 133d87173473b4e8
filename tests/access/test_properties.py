"""Property test: for random department trees, people and clients, every read path agrees with the rules.

Lists (the policy and the selectors), search, export, the API and `can` are compared with the reference
implementation in world.py (plain Python, written without the policy module).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from raccordo.access import policy
from raccordo.access.models import CounterpartyShare, Department
from raccordo.parties.models import Counterparty
from raccordo.parties.selectors import counterparty_export, counterparty_list
from raccordo.sales.models import Deal
from tests import factories

from .world import REFERENCE_EXPORTS, REFERENCE_ROLES, Client, Person, exports, sees, sees_client

pytestmark = pytest.mark.django_db(transaction=False)

ROLES = ["head", "manager", "marketer", "accountant"]


@st.composite
def companies(draw):
    n_departments = draw(st.integers(1, 5))
    # Each department's parent is an earlier one (or none): always a tree.
    parents = [None] + [draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, n_departments)]
    n_users = draw(st.integers(1, 6))
    users = [(draw(st.sampled_from(ROLES)), draw(st.one_of(st.none(), st.integers(0, n_departments - 1))))
             for _ in range(n_users)]
    n_clients = draw(st.integers(1, 8))
    clients = [(draw(st.one_of(st.none(), st.integers(0, n_users - 1))), draw(st.booleans()),
                draw(st.frozensets(st.integers(0, n_users - 1), max_size=2)), draw(st.booleans()))
               for _ in range(n_clients)]
    return parents, users, clients


def _subtree(index: int, parents: list) -> set[int]:
    found, changed = {index}, True
    while changed:
        changed = False
        for child, parent in enumerate(parents):
            if parent in found and child not in found:
                found.add(child)
                changed = True
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(company=companies())
def test_every_read_path_agrees_with_the_rules(company, reference_data, django_user_model):
    parents, user_specs, client_specs = company
    with transaction.atomic():
        departments = []
        for index, parent in enumerate(parents):
            departments.append(Department.objects.create(
                name=f"D{index}", parent=departments[parent] if parent is not None else None))
        users, people = [], []
        for index, (role, department) in enumerate(user_specs):
            user = django_user_model.objects.create(username=f"u{index}", role=role,
                                                    department=departments[department] if department is not None else None)
            users.append(user)
            subjects, scope, vip = REFERENCE_ROLES[role]
            heads = {f"D{d}" for d in _subtree(department, parents)} if department is not None and scope == "department" else set()
            people.append(Person(f"u{index}", set(subjects), scope, vip, heads, set(REFERENCE_EXPORTS[role])))
        clients = []
        for index, (owner, vip, shared, named) in enumerate(client_specs):
            responsible = users[owner] if owner is not None else None
            cp = factories.CounterpartyFactory(name=f"HYP{index:02d}" if named else f"Other{index:02d}",
                                               responsible=responsible, is_vip=vip)
            for colleague in shared:
                CounterpartyShare.objects.create(counterparty=cp, user=users[colleague])
            factories.deal_for(cp, reference_data, title=f"Deal {index}")
            department = user_specs[owner][1] if owner is not None else None
            clients.append((cp, named, Client(f"u{owner}" if owner is not None else None,
                                              f"D{department}" if department is not None else None, vip,
                                              {f"u{c}" for c in shared})))

        for user, person in zip(users, people, strict=True):
            expected = {cp.pk for cp, _named, client in clients if sees_client(person, client)}
            assert set(policy.visible(Counterparty.objects.all(), user).values_list("pk", flat=True)) == expected
            assert set(counterparty_list(user=user).values_list("pk", flat=True)) == expected
            assert policy.visible(Counterparty.objects.all(), user).count() == len(expected)
            assert {cp.pk for cp, _n, _c in clients if policy.can(user, "view", cp)} == expected
            searched = {cp.pk for cp, named, client in clients if named and sees_client(person, client)}
            assert set(counterparty_list(user=user, search="HYP").values_list("pk", flat=True)) == searched
            exported = {cp.pk for cp, _named, client in clients if exports(person, "counterparty", client)}
            assert set(counterparty_export(user=user).values_list("pk", flat=True)) == exported
            deals = {cp.pk for cp, _named, client in clients if sees(person, "deal", client)}
            assert set(policy.visible(Deal.objects.all(), user).values_list("counterparty_id", flat=True)) == deals

            api = APIClient()
            api.force_authenticate(user)
            response = api.get("/api/v1/counterparties/", {"page_size": 500})
            assert response.status_code == 200
            assert {row["id"] for row in response.json()["results"]} == {str(pk) for pk in expected}
            response = api.get("/api/v1/counterparties/", {"page_size": 500, "search": "HYP"})
            assert {row["id"] for row in response.json()["results"]} == {str(pk) for pk in searched}
        transaction.set_rollback(True)
