"""Load of the scale-out test (tests/operations/test_scale_out.py): managers browsing and writing through nginx.

Not meant to be run by hand: the test starts two app servers, two workers and nginx, then this file with locust
(headless, bounded by --run-time). It reads

    SCALEOUT_DATA   JSON written by the test: the managers' logins and passwords and each one's counterparties
    SCALEOUT_OUT    where to write every request (name, start, duration, outcome) and every write's marker

Each user signs in through the login page, then reads (dashboard, lists, cards, tasks) and writes: a task and a
logged call, each carrying a marker of its own (`scaleout-<uuid>`), so the test can count every write in the
database: none lost (a write answered as done is there once) and none duplicated (no marker twice).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import time
import uuid
from pathlib import Path

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

DATA = json.loads(Path(os.environ["SCALEOUT_DATA"]).read_text())
OUT = Path(os.environ["SCALEOUT_OUT"])
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

requests: list[dict] = []
writes: list[dict] = []


@events.request.add_listener
def _on_request(request_type, name, response_time, response_length, exception=None, context=None, **_kw):
    end = time.time()
    requests.append({"name": name, "method": request_type, "start": end - response_time / 1000, "end": end,
                     "ms": response_time, "ok": exception is None,
                     "error": str(exception)[:300] if exception is not None else ""})


@events.quitting.add_listener
def _on_quit(environment, **_kw):
    # When the load stopped: a write still waiting for its answer then was cut off by the stop (no "end").
    OUT.write_text(json.dumps({"requests": requests, "writes": writes, "stopped": time.time()}))


class Manager(FastHttpUser):
    """A sales manager in the browser: reading clients, now and then writing something down."""

    wait_time = between(0.05, 0.3)

    def on_start(self):
        index = DATA.setdefault("_next", 0)
        DATA["_next"] = index + 1
        self.account = DATA["accounts"][index % len(DATA["accounts"])]
        for _attempt in range(3):
            if self._sign_in():
                return
        raise StopUser()

    def _sign_in(self) -> bool:
        with self.client.get("/login/", name="sign-in page", catch_response=True) as r:
            match = CSRF_RE.search(r.text or "")
            if r.status_code != 200 or not match:
                r.failure(f"sign-in page: HTTP {r.status_code}")
                return False
        with self.client.post("/login/", name="sign in", allow_redirects=False, catch_response=True,
                              headers={"Referer": self.host + "/login/"},
                              data={"username": self.account["username"], "password": self.account["password"],
                                    "csrfmiddlewaretoken": match.group(1), "next": ""}) as r:
            if r.status_code != 302 or "/login/" in r.headers.get("Location", ""):
                r.failure(f"sign in: HTTP {r.status_code}")
                return False
        self.csrf = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")
        return bool(self.csrf)

    def _get(self, url: str, name: str):
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{name}: HTTP {r.status_code}")

    def _write(self, url: str, data: dict, name: str, marker: str):
        entry = {"marker": marker, "name": name, "start": time.time(), "ok": False, "status": 0}
        writes.append(entry)
        with self.client.post(url, data={**data, "csrfmiddlewaretoken": self.csrf}, name=name, allow_redirects=False,
                              catch_response=True, headers={"Referer": self.host + url}) as r:
            entry["status"], entry["end"] = r.status_code, time.time()
            if r.status_code in (302, 303) and "/login/" not in r.headers.get("Location", ""):
                entry["ok"] = True
                r.success()
            else:
                r.failure(f"{name}: HTTP {r.status_code} {(r.text or '')[:120]!r}")

    def client_id(self) -> str:
        return random.choice(self.account["counterparties"])

    @task(4)
    def dashboard(self):
        self._get("/", "dashboard")

    @task(6)
    def counterparty_list(self):
        self._get("/counterparties/", "counterparty list")

    @task(8)
    def counterparty_card(self):
        self._get(f"/counterparties/{self.client_id()}/", "counterparty card")

    @task(3)
    def task_list(self):
        self._get("/tasks/", "task list")

    @task(2)
    def deal_list(self):
        self._get("/deals/", "deal list")

    @task(2)
    def create_task(self):
        marker = f"scaleout-{uuid.uuid4().hex}"
        due = (dt.datetime.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
        self._write("/tasks/new/", {"title": marker, "description": "", "counterparty": self.client_id(), "deal": "",
                                    "due_at": due, "priority": "normal"}, "create task", marker)

    @task(2)
    def log_call(self):
        marker = f"scaleout-{uuid.uuid4().hex}"
        self._write(f"/counterparties/{self.client_id()}/log/", {
            "kind": "call", "direction": "out", "subject": marker, "body": "Asked about the order.",
            "occurred_at": ""}, "log call", marker)
