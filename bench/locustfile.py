"""Load test of issue #8: managers working at once against a server started by bench/scale_bench.py.

Not meant to be run by hand (scale_bench.py --only load starts gunicorn and this); it reads:

    BENCH_LOAD_DATA        JSON written by scale_bench.py: manager logins, API tokens, sample records
    BENCH_LOAD_OUT         where to write the measured requests (JSON)
    BENCH_USERS            how many users locust starts (measuring begins when all of them are signed in)
    BENCH_MEASURE_SECONDS  how long to measure once they are
    BENCH_MIX              "writes" for a write-heavy mix (the SQLite lock check)

Web users sign in through the real login page (CSRF token from the form, session cookie), then do a mix of
reads (dashboard, lists, filters, search, cards, the deal board, tasks) and writes (log a call, create a task,
edit a counterparty's note through its edit form). API users (one in ten) read with a personal token.
Sign-ins are not measured: PBKDF2 makes each cost about a second of CPU, which is a property of the
password hasher, not of the pages, and would otherwise dominate a short run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import gevent
from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import form_fields  # noqa: E402

DATA = json.loads(Path(os.environ["BENCH_LOAD_DATA"]).read_text())
OUT = Path(os.environ["BENCH_LOAD_OUT"])
USERS = int(os.environ.get("BENCH_USERS", "50"))
MEASURE_SECONDS = float(os.environ.get("BENCH_MEASURE_SECONDS", "60"))
THINK = (float(os.environ.get("BENCH_THINK_MIN", "0.05")), float(os.environ.get("BENCH_THINK_MAX", "0.25")))
# BENCH_MIX=writes: the writes ten times as often (about half the requests), to hunt for lock errors.
WRITES = 10 if os.environ.get("BENCH_MIX") == "writes" else 1

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
CARD_LINK_RE = re.compile(r"/counterparties/[0-9a-f-]{36}/")

state: dict = {"ready": 0, "signin_failures": Counter(), "measuring": False, "start": None, "end": None,
               "times": {}, "failures": Counter(), "written": False}


@events.request.add_listener
def _on_request(request_type, name, response_time, response_length, exception=None, **_kw):
    if not state["measuring"]:
        return
    state["times"].setdefault(name, []).append((response_time, exception is None))
    if exception is not None:
        state["failures"][f"{request_type} {name}: {str(exception)[:200]}"] += 1


def _write() -> None:
    if state["written"]:
        return
    state["written"] = True
    OUT.write_text(json.dumps({
        "users": USERS, "ready": state["ready"], "signin_failures": dict(state["signin_failures"]),
        "start": state["start"], "end": state["end"] or time.time(), "measured": state["start"] is not None,
        "times": state["times"], "failures": dict(state["failures"]),
    }))


def _user_ready(environment) -> None:
    """Count a user as started (signed in, or failed to); when all are, measure for MEASURE_SECONDS."""
    state["ready"] += 1
    if state["ready"] < USERS or state["start"] is not None:
        return
    state["measuring"], state["start"] = True, time.time()

    def stop():
        state["measuring"], state["end"] = False, time.time()
        _write()
        environment.runner.quit()

    gevent.spawn_later(MEASURE_SECONDS, stop)


@events.quitting.add_listener
def _on_quit(environment, **_kw):
    _write()


def _check(response, expect: tuple[int, ...], what: str) -> bool:
    """Mark the response failed unless its status is expected (a 302 to the login page never is)."""
    location = response.headers.get("Location", "") if response.status_code in (301, 302) else ""
    if response.status_code not in expect or "/login/" in location:
        if response.status_code == 0:   # no answer: the connection failed or timed out
            snippet = f"{type(response.error).__name__}: {response.error}"[:160]
        elif response.status_code >= 400:
            snippet = (response.text or "")[:120].replace("\n", " ")
        else:
            snippet = location
        response.failure(f"{what}: HTTP {response.status_code} {snippet}")
        return False
    response.success()
    return True


class _Base(FastHttpUser):
    abstract = True
    wait_time = between(*THINK)

    def on_start(self):
        index = DATA.setdefault("_next", 0)
        DATA["_next"] = index + 1
        self.account = DATA["accounts"][index % len(DATA["accounts"])]
        self.records = self.account["records"]
        try:
            self.sign_in()
        finally:
            _user_ready(self.environment)

    def sign_in(self):
        pass

    def record(self) -> dict:
        return random.choice(self.records)


class WebManager(_Base):
    """A sales manager in the browser: mostly reading their clients, now and then writing something down."""

    weight = 9

    def sign_in(self):
        """Sign in like a person would, trying again twice; a user who cannot sign in stops (and is counted)
        rather than requesting pages that would only answer with the sign-in page."""
        for _attempt in range(3):
            failure = self._try_sign_in()
            if failure is None:
                return
            state["signin_failures"][failure] += 1
        raise StopUser()

    def _try_sign_in(self) -> str | None:
        with self.client.get("/login/", name="sign-in page", catch_response=True) as r:
            if not _check(r, (200,), "sign-in page"):
                return f"sign-in page: HTTP {r.status_code}"
            token = self._csrf_from(r.text)
        with self.client.post("/login/", name="sign in", allow_redirects=False, catch_response=True,
                              data={"username": self.account["username"], "password": self.account["password"],
                                    "csrfmiddlewaretoken": token, "next": ""}) as r:
            if not _check(r, (302,), "sign in"):
                return f"sign in: HTTP {r.status_code}"
        # The token is rotated at sign-in: the form token may be the cookie's secret itself (Django accepts
        # it unmasked), which spares loading a page before measuring starts.
        self.csrf = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")
        return None if self.csrf else "no csrftoken cookie after sign-in"

    @staticmethod
    def _csrf_from(html: str) -> str:
        m = CSRF_RE.search(html or "")
        return (m.group(1) or m.group(2)) if m else ""

    def _get(self, url: str, name: str, expect_cards: bool = False):
        with self.client.get(url, name=name, catch_response=True) as r:
            if not _check(r, (200,), name):
                return
            if "/login/" in (getattr(r, "url", "") or ""):
                r.failure(f"{name}: signed out (answered with the sign-in page)")
            elif expect_cards and not CARD_LINK_RE.search(r.text or ""):
                r.failure(f"{name}: no counterparty in the result")

    def _post(self, url: str, data: dict, name: str):
        with self.client.post(url, data={**data, "csrfmiddlewaretoken": self.csrf}, name=name,
                              allow_redirects=False, catch_response=True) as r:
            if r.status_code == 200:
                # The form came back: the service refused; show the first error.
                errors = re.findall(r'class="invalid-feedback[^"]*"[^>]*>\s*([^<]+)', r.text or "")
                r.failure(f"{name}: form refused: {(errors or ['?'])[0].strip()[:120]}")
            else:
                _check(r, (302, 303), name)

    # --- reads -------------------------------------------------------------------------------------------

    @task(8)
    def dashboard(self):
        self._get("/", "dashboard")

    @task(12)
    def counterparty_list(self):
        self._get("/counterparties/", "counterparty list", expect_cards=True)

    @task(3)
    def counterparty_list_sorted(self):
        self._get("/counterparties/?sort=-created", "counterparty list sorted", expect_cards=True)

    @task(5)
    def counterparty_list_filtered(self):
        query = random.choice(["kind=sole_trader", "kind=legal", "vip=1"])
        self._get(f"/counterparties/?{query}", "counterparty list filtered")

    @task(10)
    def counterparty_search(self):
        rec = self.record()
        field = random.choice(["name", "inn", "phone", "email"])
        term = rec.get(field) or rec["name"]
        self._get("/counterparties/?" + _qs(q=term), f"search by {field}", expect_cards=True)

    @task(5)
    def global_search(self):
        rec = self.record()
        self._get("/search/?" + _qs(q=rec.get("inn") or rec["name"]), "global search", expect_cards=True)

    @task(20)
    def counterparty_card(self):
        self._get(f"/counterparties/{self.record()['id']}/", "counterparty card")

    @task(4)
    def board(self):
        self._get("/deals/board/", "deal board")

    @task(4)
    def task_list(self):
        self._get("/tasks/", "task list")

    @task(3)
    def deals(self):
        self._get("/deals/", "deal list")

    @task(3)
    def invoices(self):
        self._get("/invoices/", "invoice list")

    # --- writes ------------------------------------------------------------------------------------------

    @task(5 * WRITES)
    def log_call(self):
        rec = self.record()
        self._post(f"/counterparties/{rec['id']}/log/", {
            "kind": "call", "direction": "out", "subject": "Load test call", "body": "Asked about the order.",
            "occurred_at": ""}, "log interaction")

    @task(3 * WRITES)
    def create_task(self):
        rec = self.record()
        due = (dt.datetime.now() + dt.timedelta(days=random.randint(1, 14))).strftime("%Y-%m-%dT%H:%M")
        self._post("/tasks/new/", {"title": "Call back (load test)", "description": "", "counterparty": rec["id"],
                                   "deal": "", "due_at": due, "priority": "normal"}, "create task")

    @task(2 * WRITES)
    def edit_note(self):
        rec = self.record()
        url = f"/counterparties/{rec['id']}/edit/"
        with self.client.get(url, name="counterparty edit form", catch_response=True) as r:
            if not _check(r, (200,), "counterparty edit form"):
                return
            try:
                fields = form_fields(r.text, has_field="notes")
            except ValueError as exc:
                r.failure(f"counterparty edit form: {exc}")
                return
        data = {name: value for name, value in fields if name != "notes"}
        data["notes"] = f"Load test note {time.time():.0f}"
        data.pop("csrfmiddlewaretoken", None)
        self._post(url, data, "edit counterparty note")


class ApiClient(_Base):
    """An integration reading through the REST API with a personal token."""

    weight = 1

    def sign_in(self):
        pass   # every request carries the token

    def _get(self, url: str, name: str):
        with self.client.get(url, name=name, catch_response=True,
                             headers={"Authorization": f"Bearer {self.account['token']}",
                                      "Accept": "application/json"}) as r:
            if _check(r, (200,), name):
                return r.json()
        return None

    @task(10)
    def counterparties_page(self):
        data = self._get("/api/v1/counterparties/?page_size=100", "API counterparties page of 100")
        if data and data.get("next") and random.random() < 0.3:
            nxt = urlsplit(data["next"])
            self._get(f"{nxt.path}?{nxt.query}", "API counterparties next page")

    @task(5)
    def counterparty(self):
        self._get(f"/api/v1/counterparties/{self.record()['id']}/", "API counterparty")

    @task(3)
    def deals_page(self):
        self._get("/api/v1/deals/?page_size=100", "API deals page of 100")

    @task(2)
    def search(self):
        self._get("/api/v1/counterparties/?" + _qs(search=self.record().get("inn") or self.record()["name"]),
                  "API counterparty search")


def _qs(**params) -> str:
    return urlencode(params)
