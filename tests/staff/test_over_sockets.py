"""The same ZUP dialogues over real HTTP: a socket to a running server, not Django's test client.

`SocketClient` speaks to the live server with urllib and answers like the test client (status_code, content,
headers), so the HR-XML and company.xml conversations of test_hrxml.py and test_company_xml.py run unchanged:
every document kind, with and without namespace prefixes, in UTF-8 and windows-1251, sent twice.
"""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

import pytest

from raccordo.access.models import Department
from raccordo.staff.models import Absence, DepartmentLink, Employee, StaffEvent, Vacancy

from . import messages as m
from .conftest import Zup
from .test_company_xml import _exchange, company
from .test_hrxml import ANNA, SALES, _anna, _org

pytestmark = pytest.mark.django_db(transaction=True)


class _Answer:
    def __init__(self, status: int, content: bytes, headers):
        self.status_code, self.content, self._headers = status, content, headers

    def __getitem__(self, name: str) -> str:
        return self._headers.get(name, "")


class SocketClient:
    """The test client's get/generic over a real HTTP connection (cookies kept, as 1C keeps its session)."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def _open(self, method: str, path: str, body: bytes | None, headers: dict) -> _Answer:
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return _Answer(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as exc:
            return _Answer(exc.code, exc.read(), exc.headers)

    @staticmethod
    def _headers(extra: dict) -> dict:
        return {"Authorization": extra["HTTP_AUTHORIZATION"]} if "HTTP_AUTHORIZATION" in extra else {}

    def get(self, path: str, params: dict | None = None, **extra) -> _Answer:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return self._open("GET", path + query, None, self._headers(extra))

    def generic(self, method: str, path: str, body: bytes, content_type: str = "", **extra) -> _Answer:
        return self._open(method, path, body, {**self._headers(extra), "Content-Type": content_type})


@pytest.mark.parametrize("prefixed", [False, True])
@pytest.mark.parametrize("encoding", ["UTF-8", "windows-1251"])
def test_every_hrxml_kind_over_a_socket_twice(live_server, hr_node, prefixed, encoding):
    zup = Zup(SocketClient(live_server.url))
    kw = {"prefixed": prefixed, "encoding": encoding}
    documents = [
        _org(**kw),
        _anna(**kw),
        m.bod("SyncTimeCard", m.time_card(ANNA, [("VACATION", "Отпуск", "2026-12-10", "2026-12-20")]), **kw),
        m.bod("SyncStaffingAssignment", m.staffing("SA-1", ANNA, "New", SALES, "Менеджер", "2026-01-15"), **kw),
        m.bod("SyncPositionOpening", m.position("V-1", "Менеджер по продажам", "2026-12-01"), **kw),
    ]
    for _ in range(2):
        for document in documents:
            answer = zup.send(document)
            assert answer["ok"], answer
    assert Department.objects.count() == DepartmentLink.objects.count() == 3
    anna = Employee.objects.select_related("user").get(person_id=ANNA)
    assert (anna.user.last_name, anna.user.is_active) == ("Иванова", False)
    assert Absence.objects.count() == 1 and StaffEvent.objects.count() == 1 and Vacancy.objects.count() == 1


@pytest.mark.parametrize("encoding", ["windows-1251", "UTF-8"])
def test_the_company_xml_dialogue_over_a_socket(live_server, hr_node, encoding, var_dir):
    client = SocketClient(live_server.url)
    answers = _exchange(client, company(encoding=encoding))
    assert [a.split("\n")[0] for a in answers] == ["success", "zip=yes", "success", "success", "success", "success"]
    _exchange(client, company(encoding=encoding))
    assert Employee.objects.count() == 2 and Absence.objects.count() == 2 and DepartmentLink.objects.count() == 2
