"""Scale-out proven (issue #20): two app servers and two workers on one PostgreSQL and one Redis behind nginx.

The steps are docs/deploy.md's ("Several servers"), on loopback: the database migrated and the static files
collected once, two `raccordo serve --no-worker` app servers, two `raccordo run_huey` workers, and nginx (the
Debian package) started with deploy/nginx/raccordo.conf, rewritten only for loopback ports, a temporary
self-signed certificate and a private prefix. A bounded locust load (bench/scaleout_locustfile.py) signs
managers in and mixes browsing with writes while 1C runs a catalog exchange through nginx; half-way, one app
server and one worker are killed outright (SIGKILL, every process of them), and 1C exchanges again.

Checked: no request failed but those the killed server had in flight; every write answered as done is in the
database exactly once and no write is there twice; both exchanges finished, the second writing nothing; the
sign-in limit counts across both servers (Redis) and so does the cache; periodic tasks were enqueued once per
minute, not once per worker. The figures go to var/scaleout-results.json (and by hand to bench/RESULTS.md).
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis

from tests.core.test_commands import free_port
from tests.onec import lifecycle
from tests.onec.conftest import OneC

from .installation import ROOT, Installation, make_installation, postgres_server

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
SITE_CONF = ROOT / "deploy" / "nginx" / "raccordo.conf"
PASSWORD = "Scale-out-2026!"
METRICS_TOKEN = "scale-out-metrics-token"
ONEC_LOGIN, ONEC_PASSWORD = "site", "s3cret-pass"
# The commands of docs/deploy.md this test runs, as the guide writes them (the guide's ports are 8001, 8002).
MIGRATE = ["migrate", "--noinput"]
COLLECT = ["collectstatic", "--noinput"]
APP_SERVER = "serve --no-worker --no-collectstatic --host 127.0.0.1 --port {port} --workers 2"
WORKER = ["run_huey"]
LOAD_SECONDS, KILL_AT, SECOND_EXCHANGE_AT = 80, 35, 45

SETUP = f"""
from raccordo.access.models import Role, User
from raccordo.exchange.onec.models import OneCSettings
from raccordo.exchange.services import node_create
from tests.factories import CounterpartyFactory
accounts = []
for n in range(1, 5):
    manager = User.objects.create_user(username=f"m{{n}}", password={PASSWORD!r}, role=Role.MANAGER)
    clients = [str(CounterpartyFactory(responsible=manager, name=f"Client {{n}}-{{i}}").pk) for i in range(10)]
    accounts.append({{"username": manager.username, "password": {PASSWORD!r}, "counterparties": clients}})
User.objects.create_user(username="throttled", password={PASSWORD!r}, role=Role.MANAGER)
node = node_create(user=None, code="ut11", name="УТ 11", kind="onec-http", login={ONEC_LOGIN!r},
                   password={ONEC_PASSWORD!r})
OneCSettings.objects.update_or_create(node=node, defaults={{"time_budget": 2.0}})
RESULT = {{"accounts": accounts}}
"""

WRITTEN = """
from collections import Counter
from raccordo.activities.models import Interaction, Task
RESULT = dict(Counter(list(Task.objects.filter(title__startswith="scaleout-").values_list("title", flat=True))
                      + list(Interaction.objects.filter(subject__startswith="scaleout-")
                             .values_list("subject", flat=True))))
"""

EXCHANGE_RUNS = """
from raccordo.exchange.models import Run
RESULT = [[r.started_at.timestamp(), r.kind, r.status, r.created, r.updated, r.deactivated, r.failed] for r in
          Run.objects.filter(node__code="ut11").order_by("started_at")]
"""

ANONYMOUS_LOGGED = """
from raccordo.exchange.onec.models import OneCRequest
RESULT = OneCRequest.objects.filter(remote_addr="198.51.100.9", node__isnull=True).count()
"""


def test_the_deploy_guide_gives_the_steps_this_test_runs():
    """docs/deploy.md and this test say the same thing: the commands, and the nginx file it installs."""
    guide = DEPLOY_DOC.read_text()
    for command in (MIGRATE, COLLECT, WORKER):
        assert "raccordo " + " ".join(command) in guide
    assert "raccordo " + APP_SERVER.format(port=8001) in guide
    assert "raccordo " + APP_SERVER.format(port=8002) in guide
    assert "deploy/nginx/raccordo.conf" in guide and "nginx -t" in guide
    assert "server 127.0.0.1:8001" in SITE_CONF.read_text() and "server 127.0.0.1:8002" in SITE_CONF.read_text()


class Processes:
    """The processes of the cluster, each with its log; stopped (and their descendants) at the end."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.started: dict[str, subprocess.Popen] = {}

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        with (self.directory / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, process_group=0)
        self.started[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        """SIGKILL the process and every process under it: a machine losing power, not a stop."""
        import psutil

        proc = psutil.Process(self.started[name].pid)
        for each in [*proc.children(recursive=True), proc]:
            try:
                each.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        self.started[name].wait(timeout=30)

    def stop_all(self) -> None:
        import psutil

        for proc in self.started.values():
            if proc.poll() is None:
                family = [*psutil.Process(proc.pid).children(recursive=True)]
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                for child in family:
                    try:
                        child.kill()
                    except psutil.NoSuchProcess:
                        pass


def wait_until(what: str, check, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)   # polling a server that is starting


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5, context=ssl._create_unverified_context()) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def nginx_config(directory: Path, port: int, app_ports: list[int]) -> Path:
    """deploy/nginx/raccordo.conf for loopback: its ports, a self-signed certificate, a private prefix."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
                   check=True, capture_output=True)
    site = SITE_CONF.read_text()
    site = site.replace("server 127.0.0.1:8001", f"server 127.0.0.1:{app_ports[0]}")
    site = site.replace("server 127.0.0.1:8002", f"server 127.0.0.1:{app_ports[1]}")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
    site = re.sub(r"ssl_certificate +\S+;", f"ssl_certificate {directory / 'cert.pem'};", site)
    site = re.sub(r"ssl_certificate_key +\S+;", f"ssl_certificate_key {directory / 'key.pem'};", site)
    (directory / "site.conf").write_text(site)
    main = directory / "nginx.conf"
    # The Debian package's main file, reduced: logs and temporary files in this folder; the access log says
    # which app server answered each request and when, to tell the killed server's requests apart.
    main.write_text(f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {directory / 'nginx.pid'};
error_log {directory / 'error.log'} warn;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {directory / 'client_body'};
    proxy_temp_path {directory / 'proxy'};
    fastcgi_temp_path {directory / 'fastcgi'};
    uwsgi_temp_path {directory / 'uwsgi'};
    scgi_temp_path {directory / 'scgi'};
    log_format timed '$msec $request_time $status "$upstream_addr" "$upstream_status" $request_method $uri';
    access_log {directory / 'access.log'} timed;
    include {directory / 'site.conf'};
}}
""")
    return main


def catalog_exchange(base: str) -> dict:
    """1C's catalog exchange through nginx: upload, import until done, complete; how long it took."""
    class OverTls(OneC):
        @staticmethod
        def _send(request):
            context = ssl._create_unverified_context()
            from tests.onec.conftest import Reply

            with urllib.request.urlopen(request, timeout=120, context=context) as response:
                return Reply(response.status, response.headers.get("Content-Type", ""), response.read())

    start, started = time.monotonic(), time.time()
    onec = OverTls(base, login=ONEC_LOGIN, password=ONEC_PASSWORD)
    try:
        assert onec.checkauth().first == "success"
        onec.init()
        files = lifecycle.before()
        for name, data in files.items():
            onec.send(name, data)
        for name in files:
            assert onec.import_(name)[-1].first == "success", onec.log
        for _ in range(10_000):
            reply = onec.call("catalog", "complete")
            if reply.first != "progress":
                break
        return {"ok": reply.first == "success", "seconds": time.monotonic() - start, "started": started,
                "log": onec.log[-5:]}
    except Exception as exc:   # reported by the test with the protocol log
        return {"ok": False, "seconds": time.monotonic() - start, "started": started, "error": repr(exc),
                "log": onec.log[-10:]}


def sign_in_attempt(port: int, nginx_port: int, password: str) -> str:
    """One sign-in as "throttled" straight at an app server, as nginx forwards it (same client address)."""
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "Host": "127.0.0.1"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login/", headers=headers)
    page = conn.getresponse()
    html = page.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": "throttled", "password": password, "csrfmiddlewaretoken": token})
    conn.request("POST", "/login/", body=body, headers={
        **headers, "Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"https://127.0.0.1:{nginx_port}/login/"})
    answer = conn.getresponse()
    text = answer.read().decode()
    conn.close()
    if answer.status == 302:
        return "signed in"
    return "locked" if "Too many failed sign-in attempts" in text else f"refused {answer.status}"


def anonymous_1c_request(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/exchange/1c/?type=catalog&mode=init", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9", "Host": "127.0.0.1"})
    conn.getresponse().read()
    conn.close()


def periodic_minutes(log: str) -> list[str]:
    """The minutes in which this worker enqueued the every-minute periodic task."""
    return re.findall(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d):\d\d,\d+\] INFO:huey[^\n]*Enqueueing periodic task "
                      r"raccordo\.exchange\.onec\.tasks\.finish_idle_sessions", log, flags=re.M)


@pytest.fixture
def cluster_env(tmp_path):
    if postgres_server() is None:
        pytest.skip("the scale-out test needs PostgreSQL: set DATABASE_URL")
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (scripts/install-system-deps.sh installs it)")
    # Looked up, not imported: importing locust here would patch this process's sockets (gevent).
    if importlib.util.find_spec("locust") is None or importlib.util.find_spec("psutil") is None:
        pytest.skip("the bench extra is not installed (pip install -e '.[test,bench]')")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    instance = f"scaleout-{uuid.uuid4().hex[:8]}"
    installation = make_installation(tmp_path / "var", postgres=True, REDIS_URL="redis://127.0.0.1:6379/0",
                                     RACCORDO_INSTANCE=instance, HTTPS="true", RACCORDO_TRUSTED_PROXIES="1",
                                     SECRET_KEY="scale-out-" + uuid.uuid4().hex * 2, ALLOWED_HOSTS="127.0.0.1",
                                     RACCORDO_METRICS_TOKEN=METRICS_TOKEN)
    yield installation
    installation.drop()
    client = redis.Redis(host="127.0.0.1", port=6379)
    for key in client.scan_iter(f"*{instance}*"):
        client.delete(key)


@pytest.mark.slow
def test_two_app_servers_and_two_workers_behind_nginx_survive_losing_one_of_each(cluster_env: Installation,
                                                                                   tmp_path):
    env = cluster_env.env
    logs = tmp_path / "logs"
    logs.mkdir()
    nginx_port, app_ports = free_port(), [free_port(), free_port()]
    env["CSRF_TRUSTED_ORIGINS"] = f"https://127.0.0.1:{nginx_port}"
    cluster_env.command(*MIGRATE)
    cluster_env.command(*COLLECT)
    data = cluster_env.django(SETUP)
    procs = Processes(logs)
    try:
        for name, port in zip(("app-a", "app-b"), app_ports, strict=True):
            procs.start(name, [sys.executable, "-m", "raccordo.cli", *APP_SERVER.format(port=port).split()], env)
        for name in ("worker-a", "worker-b"):
            procs.start(name, [sys.executable, "-m", "raccordo.cli", *WORKER], env)
        conf = nginx_config(tmp_path, nginx_port, app_ports)
        subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], check=True, capture_output=True)
        procs.start("nginx", [NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"], env)
        base = f"https://127.0.0.1:{nginx_port}"
        for port in app_ports:
            wait_until(f"app server {port}", lambda p=port: _get(f"http://127.0.0.1:{p}/health/live") == 200)
        wait_until("nginx", lambda: _get(base + "/health/live") == 200)
        ready = wait_until("two workers' heartbeats", lambda: _ready_with_two_workers(base))
        shared = check_shared_limits(cluster_env, app_ports, nginx_port)
        results = run_load(cluster_env, procs, base, data, tmp_path)
        results["metrics"] = scrape(app_ports[0])
    finally:
        procs.stop_all()
    figures = check_outcome(cluster_env, procs, tmp_path, results)
    figures.update(shared, ready=ready)
    out = ROOT / "var" / "scaleout-results.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


def scrape(port: int) -> str:
    """The surviving app server's /metrics, as Prometheus scrapes it (directly, with the token)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()


def _ready_with_two_workers(base: str) -> dict | None:
    try:
        with urllib.request.urlopen(base + "/health/ready", timeout=5,
                                    context=ssl._create_unverified_context()) as response:
            body = json.loads(response.read())
    except OSError:
        return None
    return body if body["checks"]["worker"]["detail"] == "2 alive" else None


def check_shared_limits(installation: Installation, app_ports: list[int], nginx_port: int) -> dict:
    """The sign-in limit and the cache are the same for both app servers (Redis), not one per process."""
    attempts = [sign_in_attempt(app_ports[n % 2], nginx_port, "wrong password") for n in range(5)]
    assert attempts == ["refused 200"] * 5
    # The sixth attempt, on either server, with the right password: the pair (login, address) is locked.
    assert sign_in_attempt(app_ports[0], nginx_port, PASSWORD) == "locked"
    assert sign_in_attempt(app_ports[1], nginx_port, PASSWORD) == "locked"
    # Anonymous 1C requests are logged up to 30 per address and hour, counted in the cache: 40 requests
    # spread over both servers (and their four gunicorn workers) log 30, not 30 per process.
    for n in range(40):
        anonymous_1c_request(app_ports[n % 2])
    logged = installation.django(ANONYMOUS_LOGGED)
    assert logged == 30
    return {"throttle": "locked after 5 failures spread over both servers", "anonymous_1c_logged_of_40": logged}


def run_load(installation: Installation, procs: Processes, base: str, data: dict, tmp_path: Path) -> dict:
    """locust for LOAD_SECONDS; 1C exchanges at the start and after the kill; one app server and worker killed."""
    (tmp_path / "load.json").write_text(json.dumps(data))
    env = {**installation.env, "SCALEOUT_DATA": str(tmp_path / "load.json"), "SCALEOUT_OUT": str(tmp_path / "out.json")}
    start = time.time()
    locust = procs.start("locust", [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "scaleout_locustfile.py"),
                                    "--headless", "--users", "8", "--spawn-rate", "8", "--run-time",
                                    f"{LOAD_SECONDS}s", "--host", base, "--only-summary", "--stop-timeout", "30"], env)
    exchanges: list[dict] = []
    first = threading.Thread(target=lambda: exchanges.append(catalog_exchange(base)))
    time.sleep(5)   # the load under way first: the exchange is part of the mix
    first.start()
    time.sleep(max(KILL_AT - (time.time() - start), 0))
    kill_time = time.time()
    procs.kill("app-b")
    procs.kill("worker-b")
    killed_at = {"start": kill_time, "end": time.time()}
    first.join(timeout=300)
    time.sleep(max(SECOND_EXCHANGE_AT - (time.time() - start), 0))
    exchanges.append(catalog_exchange(base))
    locust.wait(timeout=LOAD_SECONDS + 120)
    return {"killed_at": killed_at, "exchanges": exchanges, "load": json.loads((tmp_path / "out.json").read_text()),
            "start": start}


def _in_flight(start: float, end: float, killed: dict) -> bool:
    """Was a request open while the server was being killed (with 1 s for clocks and buffers)?"""
    return start <= killed["end"] + 1 and end >= killed["start"] - 1


def check_outcome(installation: Installation, procs: Processes, tmp_path: Path, results: dict) -> dict:
    killed, load = results["killed_at"], results["load"]
    requests = load["requests"]
    measured = [r for r in requests if r["name"] not in ("sign-in page", "sign in")]
    failed = [r for r in requests if not r["ok"]]
    # 1. Nothing failed but what the killed server had in flight; nginx's log names the server of each.
    assert all(_in_flight(r["start"], r["end"], killed) for r in failed), failed
    app_b = procs.started["app-b"].args[-3]
    for line in (tmp_path / "access.log").read_text().splitlines():
        msec, took, status, upstream = line.split()[:4]
        if int(status) >= 500:
            assert app_b in upstream, line
            assert _in_flight(float(msec) - float(took), float(msec), killed), line
    # 2. Writes: every one answered as done is there once; none is there twice; nothing unknown.
    written = installation.django(WRITTEN)
    markers = {w["marker"]: w for w in load["writes"]}
    assert all(written.get(m) == 1 for m, w in markers.items() if w["ok"]), "a write answered as done is missing"
    assert all(count == 1 for count in written.values()), "a write was made twice"
    assert set(written) <= set(markers)
    # A write not done was in flight at the killed server, or was cut off by the load's stop before its answer
    # came (no end; started within the client's 60 s timeout of the stop): either may or may not have been
    # written, and the counts above hold for both.
    assert all(_in_flight(w["start"], w.get("end", w["start"]), killed)
               or ("end" not in w and w["start"] >= load["stopped"] - 60)
               for w in markers.values() if not w["ok"]), [w for w in markers.values() if not w["ok"]]
    # 3. Both exchanges ended; the second, the same files again after the kill, wrote nothing.
    assert [e["ok"] for e in results["exchanges"]] == [True, True], results["exchanges"]
    runs = installation.django(EXCHANGE_RUNS)
    assert runs and all(r[2] == "succeeded" for r in runs), runs
    second = [r for r in runs if r[0] >= results["exchanges"][1]["started"]]
    assert len(second) >= len(lifecycle.before()) and all(r[3:] == [0, 0, 0, 0] for r in second), runs
    # 4. /metrics of the surviving server adds up both of its gunicorn workers: at least every request nginx
    # had it answer (direct probes count too), and the exchange runs from the database.
    app_a = procs.started["app-a"].args[-3]
    answered_by_a = sum(1 for line in (tmp_path / "access.log").read_text().splitlines()
                        if line.split()[3].strip('"').split(",")[-1].strip().endswith(f":{app_a}"))
    counted = sum(float(v) for v in re.findall(r'^raccordo_http_requests_total\{[^}]*\} (\S+)$', results["metrics"],
                                                flags=re.M))
    assert counted >= answered_by_a > 0, (counted, answered_by_a)
    succeeded = re.search(r'^raccordo_exchange_runs_total\{status="succeeded"\} (\S+)$', results["metrics"], re.M)
    assert float(succeeded.group(1)) == len(runs)
    # 5. Periodic tasks: each minute enqueued by one worker only, however many were running.
    minutes = periodic_minutes(procs.log("worker-a")) + periodic_minutes(procs.log("worker-b"))
    assert minutes and len(minutes) == len(set(minutes)), minutes
    times = sorted(r["ms"] for r in measured if r["ok"])
    return {
        "requests": len(measured), "failed": len(failed), "writes": len(markers),
        "writes_done": sum(1 for w in markers.values() if w["ok"]),
        "p50_ms": times[len(times) // 2], "p95_ms": times[int(len(times) * 0.95)],
        "requests_per_second": round(len(measured) / LOAD_SECONDS, 1),
        "exchange_seconds": [round(e["seconds"], 1) for e in results["exchanges"]],
        "periodic_minutes": len(minutes), "by_request": dict(Counter(r["name"] for r in measured)),
        "metrics_requests_counted_by_survivor": counted, "nginx_requests_answered_by_survivor": answered_by_a,
    }
