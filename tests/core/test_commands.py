"""`raccordo serve`: the web server and the Huey consumer start, serve and stop together."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has exited all the same.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def start_serve(tmp_path, port: int, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(RACCORDO_VAR=str(tmp_path), DJANGO_SETTINGS_MODULE="raccordo.settings", PYTHONUNBUFFERED="1")
    # --no-collectstatic: these tests are about the processes; static collection has its own (tests/operations).
    return subprocess.Popen([sys.executable, "-m", "raccordo.cli", "serve", "--port", str(port), "--no-collectstatic",
                             *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def child_pids(proc: subprocess.Popen) -> tuple[int, int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        match = re.search(r"web pid (\d+), worker pid (\d+)", line)
        if match:
            return int(match.group(1)), int(match.group(2))
        if not line and proc.poll() is not None:
            break
    raise AssertionError("serve did not report its children")


def get(url: str) -> int:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_runs_web_and_worker_and_stops_both(tmp_path, stop):
    port = free_port()
    proc = start_serve(tmp_path, port)
    try:
        web, worker = child_pids(proc)
        # Static files are served with DEBUG off.
        assert get(f"http://127.0.0.1:{port}/static/admin/css/base.css") == 200
        assert alive(web) and alive(worker)
        proc.send_signal(stop)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.5)
    assert not alive(web) and not alive(worker)


def test_serve_stops_the_worker_and_fails_when_the_web_server_dies(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = start_serve(tmp_path, port)   # the port is taken: runserver exits at once
        try:
            web, worker = child_pids(proc)
            assert proc.wait(timeout=60) != 0
        finally:
            if proc.poll() is None:
                proc.kill()
    time.sleep(0.5)
    assert not alive(web) and not alive(worker)


def test_serve_stops_the_web_server_when_the_worker_dies(tmp_path):
    port = free_port()
    proc = start_serve(tmp_path, port)
    try:
        web, worker = child_pids(proc)
        assert get(f"http://127.0.0.1:{port}/static/admin/css/base.css") == 200
        os.kill(worker, signal.SIGKILL)
        assert proc.wait(timeout=30) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.5)
    assert not alive(web)
