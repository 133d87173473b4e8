"""Sign-in limits under a parallel attack across TWO server processes (security findings M4, M5).

Two real `raccordo serve` processes share one database (a fresh SQLite file, or a fresh PostgreSQL database
when DATABASE_URL is set; Redis too when REDIS_URL is set). 40 concurrent wrong sign-ins against each
login surface, spread over both servers, must be evaluated at most the configured number of times.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.core.test_commands import free_port
from tests.operations.installation import postgres_database, postgres_server

ATTEMPTS = 40
USER_LIMIT, ONEC_LIMIT = 5, 10
SETUP = """
import django; django.setup()
from raccordo.access.models import Role, User
from raccordo.exchange.services import node_create
s = {suffix!r}
for name, admin in (("web", False), ("adm", True), ("api", False)):
    User.objects.create_user(username=name + s, password="right-pass-123", is_staff=admin, is_superuser=admin,
                             role=Role.ADMIN if admin else Role.MANAGER)
node_create(user=None, code="ut" + s, kind="onec-http", login="site" + s, password="right-pass-123")
"""


@pytest.fixture
def two_servers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"RACCORDO_TEST_DB_NAME"}}
    env.update(RACCORDO_VAR=str(tmp_path), DJANGO_SETTINGS_MODULE="raccordo.settings", PYTHONUNBUFFERED="1",
               RACCORDO_SIGNIN_FAILURES=str(USER_LIMIT), RACCORDO_ONEC_AUTH_FAILURES=str(ONEC_LIMIT))
    dropper = None
    if postgres_server():
        env["DATABASE_URL"], dropper = postgres_database("raccordo_parallel", migrated=True)
    suffix = uuid.uuid4().hex[:6]
    procs = []
    try:
        subprocess.run([sys.executable, "-m", "raccordo.cli", "migrate", "--noinput", "-v", "0"], env=env,
                       check=True, timeout=300)
        subprocess.run([sys.executable, "-c", SETUP.format(suffix=suffix)], env=env, check=True, timeout=120)
        bases = [_start_server(env, tmp_path, i, procs) for i in range(2)]
        yield bases, suffix
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if dropper:
            dropper()


def _start_server(env: dict, tmp_path, index: int, procs: list) -> str:
    """Start one `raccordo serve` and wait until it answers; its base URL. A server that exits before answering
    (another test took the free port between free_port() and the bind) is started again on another port, up to
    three times; the assertion shows the end of its log."""
    for attempt in range(3):
        port = free_port()
        log = tmp_path / f"serve-{index}-{attempt}.log"
        with open(log, "wb") as out:
            # --no-collectstatic: pages link the plain static files then (core.staticstorage); both servers
            # compressing the whole collection side by side took a minute of the suite.
            proc = subprocess.Popen([sys.executable, "-m", "raccordo.cli", "serve", "--no-worker",
                                     "--no-collectstatic", "--port", str(port)], env=env, stdout=out,
                                    stderr=subprocess.STDOUT)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        # Generous: on a loaded 2-core CI machine gunicorn and Django's first import can take a minute.
        deadline = time.monotonic() + 240
        while proc.poll() is None:
            try:
                with urllib.request.urlopen(base + "/login/", timeout=5):
                    return base
            except OSError:
                assert time.monotonic() < deadline, f"the server did not start: {log.read_text()[-2000:]}"
                time.sleep(0.2)   # polling for readiness
        procs.remove(proc)
    raise AssertionError(f"the server exited three times; last log: {log.read_text()[-2000:]}")


def _send(request: urllib.request.Request) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def _csrf(base: str, path: str) -> str:
    with urllib.request.urlopen(base + path, timeout=30) as response:
        cookie = response.headers.get_all("Set-Cookie")
    return next(c.split(";")[0].split("=", 1)[1] for c in cookie if c.startswith("csrftoken="))


def _burst(bases: list[str], make) -> list[tuple[int, str]]:
    requests = [make(bases[i % 2], i) for i in range(ATTEMPTS)]
    with ThreadPoolExecutor(ATTEMPTS) as pool:
        return list(pool.map(_send, requests))


def _form_login(path: str, username: str, tokens: dict[str, str]):
    def make(base: str, i: int) -> urllib.request.Request:
        body = urllib.parse.urlencode({"username": username, "password": f"wrong-{i}",
                                       "csrfmiddlewaretoken": tokens[base]}).encode()
        return urllib.request.Request(base + path, data=body, method="POST", headers={
            "Cookie": f"csrftoken={tokens[base]}", "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": f"192.0.2.{i}"})
    return make


def test_M5_40_parallel_wrong_sign_ins_on_two_servers_are_evaluated_at_most_the_limit(two_servers):
    bases, suffix = two_servers
    results = {}
    for surface, path in (("web", "/login/"), ("adm", "/admin/login/")):
        tokens = {base: _csrf(base, path) for base in bases}
        answers = _burst(bases, _form_login(path, surface + suffix, tokens))
        assert all(status == 200 for status, _ in answers), [s for s, _ in answers]
        locked = sum("Too many failed sign-in attempts" in text for _, text in answers)
        results[surface] = (ATTEMPTS - locked, locked)

    def api(base: str, i: int) -> urllib.request.Request:
        body = json.dumps({"username": "api" + suffix, "password": f"wrong-{i}"}).encode()
        return urllib.request.Request(base + "/api/v1/auth/token/", data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Forwarded-For": f"192.0.2.{i}"})

    answers = _burst(bases, api)
    evaluated = sum(status == 400 for status, _ in answers)
    assert all(status in (400, 429) for status, _ in answers)
    results["api"] = (evaluated, ATTEMPTS - evaluated)

    def onec(base: str, i: int) -> urllib.request.Request:
        auth = base64.b64encode(f"site{suffix}:wrong-{i}".encode()).decode()
        return urllib.request.Request(base + "/exchange/1c/?type=catalog&mode=checkauth", headers={
            "Authorization": f"Basic {auth}", "X-Forwarded-For": f"192.0.2.{i}"})

    answers = _burst(bases, onec)
    wrong = sum(text.startswith("failure\nWrong login or password") for _, text in answers)
    locked = sum(text.startswith("failure\nToo many wrong passwords") for _, text in answers)
    results["onec"] = (wrong, locked)

    assert results == {"web": (USER_LIMIT, ATTEMPTS - USER_LIMIT), "adm": (USER_LIMIT, ATTEMPTS - USER_LIMIT),
                       "api": (USER_LIMIT, ATTEMPTS - USER_LIMIT), "onec": (ONEC_LIMIT, ATTEMPTS - ONEC_LIMIT)}

    # Locked now, even with the right password, on either server.
    for base in bases:
        auth = base64.b64encode(f"site{suffix}:right-pass-123".encode()).decode()
        status, text = _send(urllib.request.Request(base + "/exchange/1c/?type=catalog&mode=checkauth",
                                                    headers={"Authorization": f"Basic {auth}"}))
        assert text.startswith("failure\nToo many")
