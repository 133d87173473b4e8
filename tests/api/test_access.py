"""The same access cases for every endpoint: anonymous, another manager's record, own record, administrator."""

from __future__ import annotations

import pytest

from .conftest import ENDPOINTS, OWNED, SHARED, client_for, ids

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_is_refused(endpoint, anon, manager, reference_data):
    obj = endpoint.make(manager, reference_data)
    for response in (anon.get(endpoint.list_url), anon.get(endpoint.detail_url(obj)),
                     anon.post(endpoint.list_url, {}, format="json")):
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "api.not_authenticated"
    assert anon.get(endpoint.list_url).status_code == 401  # the token scheme asks for credentials


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_bad_token_is_refused(endpoint, manager, reference_data):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(endpoint.list_url).status_code == 401


@pytest.mark.parametrize("endpoint", OWNED, ids=str)
def test_manager_sees_only_own_records(endpoint, api, admin_api, manager, other_manager, reference_data):
    mine = endpoint.make(manager, reference_data)
    theirs = endpoint.make(other_manager, reference_data)

    listed = ids(api.get(endpoint.list_url, {"page_size": 500}))
    assert str(mine.pk) in listed
    assert str(theirs.pk) not in listed

    assert api.get(endpoint.detail_url(mine)).status_code == 200
    response = api.get(endpoint.detail_url(theirs))
    assert response.status_code == 404
    assert response.json()["code"] == "api.not_found"

    everything = ids(admin_api.get(endpoint.list_url, {"page_size": 500}))
    assert {str(mine.pk), str(theirs.pk)} <= everything
    assert admin_api.get(endpoint.detail_url(theirs)).status_code == 200


@pytest.mark.parametrize("endpoint", [e for e in OWNED if e.writable], ids=str)
def test_manager_cannot_write_another_managers_record(endpoint, api, other_manager, reference_data):
    theirs = endpoint.make(other_manager, reference_data)
    expected = 404 if endpoint.updatable else 405
    assert api.patch(endpoint.detail_url(theirs), {}, format="json").status_code == expected
    assert api.put(endpoint.detail_url(theirs), {}, format="json").status_code == expected
    assert api.delete(endpoint.detail_url(theirs)).status_code in (404, 405)
    assert type(theirs).objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("endpoint", SHARED, ids=str)
def test_reference_data_is_visible_to_everyone_and_written_by_administrators(endpoint, api, admin_user,
                                                                             reference_data):
    obj = endpoint.make(admin_user, reference_data)
    assert str(obj.pk) in ids(api.get(endpoint.list_url, {"page_size": 500}))
    assert api.get(endpoint.detail_url(obj)).status_code == 200
    expected = 403 if endpoint.writable else 405
    assert api.patch(endpoint.detail_url(obj), {}, format="json").status_code == expected
    assert api.delete(endpoint.detail_url(obj)).status_code == 405


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_unknown_and_malformed_ids_are_404(endpoint, api, reference_data):
    assert api.get(f"{endpoint.list_url}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert api.get(f"{endpoint.list_url}not-a-uuid/").status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_session_authentication_works(endpoint, client, manager, reference_data):
    assert client.login(username=manager.username, password="pass-12345")
    assert client.get(endpoint.list_url).status_code == 200


@pytest.mark.parametrize("endpoint", [e for e in OWNED if e.basename not in ("counterparty", "reminder")], ids=str)
def test_filtering_by_another_managers_counterparty_returns_nothing(endpoint, api, other_manager, reference_data):
    theirs = endpoint.make(other_manager, reference_data)
    response = api.get(endpoint.list_url, {"counterparty": str(theirs.counterparty_id)})
    assert ids(response) == set()
    # An id that exists and one that does not answer alike: the filter is no way to probe for records.
    unknown = api.get(endpoint.list_url, {"counterparty": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 200 and unknown.json()["results"] == []
