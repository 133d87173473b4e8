"""`raccordo serve` starts the telephony worker beside the web server and the Huey consumer, and stops it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_serve_runs_the_telephony_worker_and_stops_it(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(RACCORDO_VAR=str(tmp_path), DJANGO_SETTINGS_MODULE="raccordo.settings", PYTHONUNBUFFERED="1")
    # --no-collectstatic: this is about the processes; compressing the static files took 25 of its 30 s.
    proc = subprocess.Popen([sys.executable, "-m", "raccordo.cli", "serve", "--port", str(port), "--server",
                             "runserver", "--no-collectstatic"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        telephony = None
        deadline = time.monotonic() + 60
        while telephony is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            found = re.search(r"telephony pid (\d+)", line)
            telephony = int(found.group(1)) if found else None
            assert line or proc.poll() is None, "serve exited"
        assert telephony is not None and _alive(telephony)
        # Not migrated, no PBX set: the worker waits and retries instead of exiting (serve would stop everything).
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            assert proc.poll() is None and _alive(telephony)
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 5
    while _alive(telephony) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(telephony)
