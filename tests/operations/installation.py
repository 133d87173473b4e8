"""A Raccordo installation of its own for a test: a fresh RACCORDO_VAR and, on PostgreSQL, a fresh database,
driven through the command line and through Django code run in processes of their own (as in production)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import uuid
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


def _admin(sql: str) -> None:
    import psycopg

    url = urllib.parse.urlsplit(postgres_server())
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(sql)


def make_installation(var: Path, *, postgres: bool, **extra: str) -> Installation:
    """A new, empty installation in `var` (and a new PostgreSQL database when `postgres`)."""
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE}
    env.update(RACCORDO_VAR=str(var), DJANGO_SETTINGS_MODULE="raccordo.settings", PYTHONUNBUFFERED="1", **extra)
    env.pop("DATABASE_URL", None)
    database = None
    if postgres:
        database = f"raccordo_ops_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = urllib.parse.urlsplit(postgres_server())._replace(path=f"/{database}").geturl()
    return Installation(var=var, env=env, database=database)
