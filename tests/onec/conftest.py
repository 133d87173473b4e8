"""A client that talks to Raccordo the way 1C's "exchange with website" does, and a worker that takes turns."""

from __future__ import annotations

import base64
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest
from django.db import connection, connections

# The worker's side of a catalog exchange (file_import, session_finish and the exchange_import they call).
from raccordo.exchange.onec import catalog_import as services
from raccordo.exchange.onec import tasks
from raccordo.exchange.services import node_create

LOGIN, PASSWORD = "site", "s3cret-pass"


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def first(self) -> str:
        return self.lines[0]


class OneC:
    """1C's side of the protocol over real HTTP: Basic auth for checkauth, then the cookie it was given."""

    def __init__(self, base: str, *, login: str = LOGIN, password: str = PASSWORD, path: str = "/exchange/1c/",
                 turns: threading.Lock | None = None):
        self.base = base.rstrip("/") + path
        self.login, self.password = login, password
        self.cookie: tuple[str, str] | None = None
        self.sessid = ""
        self.limit = 0
        self.turns = turns
        self.log: list[tuple[str, str]] = []

    def call(self, type_: str, mode: str, data: bytes | None = None, *, basic: bool = False, **params) -> Reply:
        query = urllib.parse.urlencode({"type": type_, "mode": mode, **params})
        headers = {}
        if basic or mode == "checkauth":
            token = base64.b64encode(f"{self.login}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        if self.cookie:
            headers["Cookie"] = f"{self.cookie[0]}={self.cookie[1]}"
        if data is not None:
            headers["Content-Type"] = "application/octet-stream"
        request = urllib.request.Request(f"{self.base}?{query}", data=data, headers=headers,
                                         method="POST" if data is not None else "GET")
        if self.turns is not None:
            with self.turns:
                reply = self._send(request)
            time.sleep(0.03)   # the worker's turn, as 1C's pause between requests
        else:
            reply = self._send(request)
        self.log.append((mode, reply.first if reply.content_type.startswith("text/") else "xml"))
        return reply

    @staticmethod
    def _send(request) -> Reply:
        with urllib.request.urlopen(request, timeout=120) as response:
            return Reply(response.status, response.headers.get("Content-Type", ""), response.read())

    def checkauth(self, type_: str = "catalog") -> Reply:
        reply = self.call(type_, "checkauth")
        if reply.first == "success":
            self.cookie = (reply.lines[1], reply.lines[2])
            self.sessid = reply.lines[3].removeprefix("sessid=")
        return reply

    def init(self, type_: str = "catalog", **params) -> dict[str, str]:
        reply = self.call(type_, "init", **params)
        assert reply.status == 200 and "=" in reply.lines[0], reply.text
        values = dict(line.split("=", 1) for line in reply.lines if "=" in line)
        self.limit = int(values["file_limit"])
        return values

    def send(self, filename: str, data: bytes, type_: str = "catalog", chunk: int | None = None) -> list[Reply]:
        size = chunk or self.limit or len(data) or 1
        replies = []
        for start in range(0, max(len(data), 1), size):
            reply = self.call(type_, "file", data[start:start + size], filename=filename)
            replies.append(reply)
            assert reply.first == "success", reply.text
        return replies

    def import_(self, filename: str, *, loops: int = 10_000) -> list[Reply]:
        """1C repeats import while the answer is progress."""
        replies = []
        for _ in range(loops):
            reply = self.call("catalog", "import", filename=filename)
            replies.append(reply)
            if reply.first != "progress":
                return replies
        raise AssertionError("import never finished")


@pytest.fixture
def node(transactional_db):
    return node_create(user=None, code="ut11", name="УТ 11", kind="onec-http", login=LOGIN, password=PASSWORD)


@pytest.fixture
def onec(live_server, node, var_dir, huey_immediate):
    return OneC(live_server.url)


class TurnTakingWorker:
    """Huey's worker in a thread of the test process, taking turns with the test's requests.

    The tests' database is shared by the threads (in-memory SQLite), so the worker and the live
    server must not write at the same moment: the worker gives way between the engine's batches
    (at every read of the file, outside any transaction) and the test client holds the lock for
    each request. It is still a real background import: it goes on between 1C's requests.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.conn = connections["default"]

    def submit(self, func, *args) -> None:
        thread = threading.Thread(target=self._run, args=(func, args), daemon=True)
        self.threads.append(thread)
        thread.start()

    def _run(self, func, args) -> None:
        connections["default"] = self.conn
        self.conn.inc_thread_sharing()
        try:
            with self.lock:
                func(*args)
        except BaseException as exc:  # noqa: BLE001 - reported by the fixture
            self.errors.append(exc)
        finally:
            self.conn.dec_thread_sharing()

    def give_way(self, run=None) -> None:
        if connection.in_atomic_block:
            return
        self.lock.release()
        time.sleep(0.002)
        self.lock.acquire()


@pytest.fixture
def worker(monkeypatch, huey_immediate):
    pool = TurnTakingWorker()
    real_import = services.exchange_import

    def exchange_import(**kwargs):
        return real_import(progress=pool.give_way, **kwargs)

    monkeypatch.setattr(services, "exchange_import", exchange_import)
    monkeypatch.setattr(tasks, "import_file", lambda pk: pool.submit(services.file_import, pk))
    monkeypatch.setattr(tasks, "finish_session", lambda pk: pool.submit(services.session_finish, pk))
    yield pool
    for thread in pool.threads:
        thread.join(timeout=120)
    assert not pool.errors, pool.errors
