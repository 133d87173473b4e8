"""A Raccordo installation of its own for a test: a fresh RACCORDO_VAR and, on PostgreSQL, a fresh database,
driven through the command line and through Django code run in processes of their own (as in production)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables of the test run that must not leak into an installation of its own.
PRIVATE = {"RACCORDO_TEST_DB_NAME", "REDIS_URL", "HUEY_IMMEDIATE", "DEBUG", "RACCORDO_INSTANCE",
           "PROMETHEUS_MULTIPROC_DIR"}


def postgres_server() -> str | None:
    """The PostgreSQL server the test run uses (DATABASE_URL), None on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@dataclass
class Installation:
    """One installation: its environment (RACCORDO_VAR, DATABASE_URL...) and what made it, to remove it."""

    var: Path
    env: dict[str, str]
    database: str | None = None   # the PostgreSQL database created for it

    def command(self, *args: str, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "raccordo.cli", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
        if check:
            assert done.returncode == 0, f"raccordo {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done

    def django(self, code: str):
        """Run Django code in a process of its own; what it sets as RESULT, through JSON."""
        script = ("import json, django\ndjango.setup()\n" + code +
                  "\nprint('RESULT=' + json.dumps(RESULT, default=str, ensure_ascii=False, sort_keys=True))\n")
        done = subprocess.run([sys.executable, "-c", script], env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        line = next(ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("RESULT="))
        return json.loads(line.removeprefix("RESULT="))

    def drop(self) -> None:
        if self.database:
            _admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _admin_url() -> str:
    return urllib.parse.urlsplit(postgres_server())._replace(path="/postgres").geturl()


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(sql)


def postgres_database(prefix: str, *, migrated: bool = False) -> tuple[str, Callable[[], None]]:
    """A new database on the test run's PostgreSQL server for an installation's own processes: its URL and what
    drops it. `migrated`: a copy of a database migrated once per set of migrations (CREATE DATABASE ... TEMPLATE),
    for the tests that only need a working installation: running every migration took each of them 20-30 s."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        if migrated:
            # One builder at a time across the xdist workers; a copy needs its template with nobody connected.
            conn.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK])
            try:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_migrated_template(conn)}"')
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [TEMPLATE_LOCK])
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    url = urllib.parse.urlsplit(postgres_server())._replace(path=f"/{name}").geturl()
    return url, lambda: _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEMPLATE_LOCK = 2_072_021
TEMPLATE_PREFIX = "raccordo_migrated_"


def _migrated_template(conn) -> str:
    """The name of the migrated template database for the migrations as they are now, built when missing (the
    templates of other migrations are dropped then). Called under TEMPLATE_LOCK."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("src/raccordo/**/migrations/*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    name = TEMPLATE_PREFIX + digest.hexdigest()[:16]
    existing = [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                               [TEMPLATE_PREFIX + "%"])]
    if name in existing:
        return name
    for old in existing:
        conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
    building = name + "_building"
    conn.execute(f'CREATE DATABASE "{building}"')
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE}
    with tempfile.TemporaryDirectory() as var:
        env.update(RACCORDO_VAR=var, DJANGO_SETTINGS_MODULE="raccordo.settings",
                   DATABASE_URL=urllib.parse.urlsplit(postgres_server())._replace(path=f"/{building}").geturl())
        done = subprocess.run([sys.executable, "-m", "raccordo.cli", "migrate", "--noinput", "-v", "0"], env=env,
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        raise AssertionError(f"migrating the template database failed:\n{done.stderr[-3000:]}")
    conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return name


def make_installation(var: Path, *, postgres: bool, **extra: str) -> Installation:
    """A new, empty installation in `var` (and a new PostgreSQL database when `postgres`)."""
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE}
    env.update(RACCORDO_VAR=str(var), DJANGO_SETTINGS_MODULE="raccordo.settings", PYTHONUNBUFFERED="1", **extra)
    env.pop("DATABASE_URL", None)
    database = None
    if postgres:
        env["DATABASE_URL"], _drop = postgres_database("raccordo_ops")
        database = urllib.parse.urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    return Installation(var=var, env=env, database=database)
