"""`raccordo serve [--host H] [--port P] [--server gunicorn|runserver]`: the web server, the Huey consumer and
the telephony worker (`telephony_ami`, the Asterisk connection), started and stopped together. The web server
is gunicorn unless `--server runserver` asks for Django's own; static files are collected first (hashed names,
far-future caching: core.staticstorage).

All run as child processes of this one. Ctrl-C or SIGTERM stops them all; if one exits on its own,
the others are stopped and `serve` exits non-zero, so a supervisor (systemd, Docker, make) sees the
failure instead of a half-running installation. On Linux the children also receive SIGTERM if this
process is killed outright, so none is left orphaned.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from raccordo.core.staticstorage import collected_is_current

STOP_TIMEOUT = 10.0
# gunicorn's default access line with the path only (%(U)s) instead of the request line: query strings hold
# 1C's session token (`sessid`) and people's search terms, neither of which belongs in a log file.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'


def default_workers() -> int:
    """gunicorn's rule of thumb: two workers per core plus one (WEB_CONCURRENCY overrides it)."""
    if os.environ.get("WEB_CONCURRENCY", "").strip().isdigit():
        return max(int(os.environ["WEB_CONCURRENCY"]), 1)
    return 2 * (os.cpu_count() or 1) + 1


def metrics_dir(port: int) -> Path:
    """Where the gunicorn workers of this server keep their Prometheus counters (multiprocess mode): one
    folder per server, emptied at each start, so /metrics adds up every worker's, and only this run's."""
    path = Path(settings.VAR_DIR) / "metrics" / f"web-{port}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def collect_static(python: list[str]) -> None:
    """Hashed, compressed copies that WhiteNoise serves with a far-future cache (core.staticstorage); skipped
    when the files collected last time are still those the apps ship (compressing them all takes a while)."""
    if not collected_is_current():
        subprocess.run([*python, "collectstatic", "--noinput", "--verbosity", "0"], check=True)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: deliver SIGTERM to this child when the parent dies (PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
    except OSError:
        pass


class Command(BaseCommand):
    help = "Run the web server and the background worker (Huey) together; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        # gunicorn by default: Django's runserver is a development server (no hardening, one process, it
        # announces itself in the Server header); it runs only when asked for, e.g. while working on templates.
        parser.add_argument("--server", choices=["gunicorn", "runserver"], default=os.environ.get(
            "RACCORDO_SERVER", "gunicorn"),
            help="gunicorn (default; a production WSGI server with several workers) or runserver (development).")
        parser.add_argument("--workers", type=int, default=default_workers(),
                            help="gunicorn worker processes (default: 2 per core + 1, or WEB_CONCURRENCY).")
        parser.add_argument("--no-worker", action="store_true",
                            help="Run the web server only (no Huey consumer, no telephony worker).")
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="Do not collect static files first (they are collected by a release step).")

    def handle(self, *args, host: str, port: int, server: str, workers: int, no_worker: bool,
               no_collectstatic: bool = False, **options):
        python = [sys.executable, "-m", "raccordo.cli"]
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        if not no_collectstatic:
            collect_static(python)
        env = None
        if server == "gunicorn":
            env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir(port))}
            web_cmd = [sys.executable, "-m", "gunicorn", "raccordo.wsgi:application", "--bind", f"{host}:{port}",
                       "--workers", str(workers), "--config", "python:raccordo.web.gunicorn_conf",
                       # Within serve's own STOP_TIMEOUT, so a stop never ends with a kill.
                       "--graceful-timeout", str(int(STOP_TIMEOUT) - 1)]
            if settings.LOG_FORMAT != "json":   # JSON logs: Raccordo logs each request itself, with its id
                web_cmd += ["--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT]
        else:
            # --noreload: Ctrl-C stops one process, not a reloader and its child; --insecure: serve static
            # files with DEBUG off (WhiteNoise serves them too, from the finders, so either way they work).
            web_cmd = [*python, "runserver", f"{host}:{port}", "--noreload", "--insecure"]
        children: dict[str, subprocess.Popen] = {}
        stop_signal: list[int] = []

        def on_signal(signum, _frame):
            stop_signal.append(signum)

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            children["web"] = self._start(web_cmd, env)
            if not no_worker:
                children["worker"] = self._start([*python, "run_huey"])
                # The PBX connection (telephony): idle until Asterisk is switched on in Settings → Telephony.
                children["telephony"] = self._start([*python, "telephony_ami"])
            self.stdout.write(f"Raccordo on http://{host}:{port}/ (web pid {children['web'].pid}"
                              + (f", worker pid {children['worker'].pid}" if "worker" in children else "")
                              + (f", telephony pid {children['telephony'].pid}" if "telephony" in children else "")
                              + "). Ctrl-C stops.")
            self.stdout.flush()
            failed = None
            while not stop_signal and failed is None:
                for name, proc in children.items():
                    if proc.poll() is not None:
                        failed = (name, proc.returncode)
                        break
                else:
                    time.sleep(0.2)
        finally:
            self._stop_all(children)
            for s, handler in previous.items():
                signal.signal(s, handler)
        if failed is not None and not stop_signal:
            name, code = failed
            raise CommandError(f"The {name} process exited (code {code}); stopped the rest.", returncode=1)
        self.stdout.write("Stopped.")

    def _start(self, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        # Own process group: a terminal's Ctrl-C reaches only this process, which then stops the
        # children in order (so they are never left half-stopped by a racing signal).
        return subprocess.Popen(cmd, process_group=0, env=env,
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)

    def _stop_all(self, children: dict[str, subprocess.Popen]) -> None:
        for name, proc in children.items():
            if proc.poll() is None:
                # gunicorn: SIGTERM, a graceful stop (no new connections, the requests in flight are answered),
                # so a rolling restart behind nginx loses none. runserver exits at once on SIGINT; the Huey
                # consumer finishes the running tasks first.
                graceful = name == "web" and "gunicorn" in proc.args
                proc.send_signal(signal.SIGTERM if graceful else signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in children.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
