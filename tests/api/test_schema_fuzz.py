"""Security finding L5 across the whole API: schemathesis generates requests from the OpenAPI schema and sends them,
in this process, to the WSGI application as a signed-in API user. No request may end in a 500.

Bounded on purpose (a few examples per operation): it runs with the suite, in well under a minute."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from raccordo.access.services import api_token_create
from raccordo.wsgi import application
from tests import factories

pytestmark = pytest.mark.django_db

EXAMPLES = 3


@pytest.fixture
def wsgi_in_test_transaction():
    """Requests through the WSGI application must not close the test's database connection.

    Django closes a connection at each request's start and end when it is inside a transaction; its test
    client disconnects that handler, and so does this fixture for schemathesis's WSGI client (on PostgreSQL
    the test's transaction would otherwise be closed under it).
    """
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_L5_no_generated_api_request_ends_in_a_500(manager, reference_data, wsgi_in_test_transaction):
    factories.CounterpartyFactory(responsible=manager)
    _token, plain = api_token_create(user=manager, name="fuzz", scope="write")
    headers = {"Authorization": f"Bearer {plain}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    failures: list[str] = []
    statuses: set[int] = set()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        for operation in operations:
            case = data.draw(operation.as_strategy())
            response = case.call(headers=headers)
            statuses.add(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r:.300} -> "
                                f"{response.status_code}")

    run()
    assert failures == []
    # Signed in for real: requests were served and refused on their merits, not all turned away at the door.
    assert 200 in statuses and 400 in statuses and 401 not in statuses
