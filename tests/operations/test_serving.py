"""Production serving: gunicorn sized from the cores, hashed static files with a far-future cache (issue #20)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from raccordo.operations.backups import BackupFailed, backup_make
from raccordo.operations.models import Backup, BackupStatus
from raccordo.web.management.commands.serve import default_workers

from .installation import ROOT, make_installation

# In a process of its own on a fresh var/: collect, then ask for a page and the stylesheet it links, as WhiteNoise
# serves them in production (it indexes STATIC_ROOT when the application starts, hence after collectstatic).
STATIC = """
import re, sys
from pathlib import Path
from django.conf import settings
from raccordo.web.management.commands.serve import collect_static
collect_static([sys.executable, "-m", "raccordo.cli"])          # as `raccordo serve` does at start
manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
first = manifest.stat().st_mtime_ns
collect_static([sys.executable, "-m", "raccordo.cli"])          # a restart: nothing changed, nothing collected
from django.test import Client
client = Client()
page = client.get("/login/").content.decode()
css = re.search(r'href="(/static/vendor/bootstrap/bootstrap\\.min\\.[0-9a-f]{12}\\.css)"', page).group(1)
hashed = client.get(css, HTTP_ACCEPT_ENCODING="gzip")
plain = client.get("/static/vendor/bootstrap/bootstrap.min.css")
RESULT = {"css": css, "hashed": [hashed.status_code, hashed["Cache-Control"], hashed.get("Content-Encoding")],
          "plain": [plain.status_code, plain["Cache-Control"]], "recollected": manifest.stat().st_mtime_ns != first}
"""


def test_gunicorn_gets_two_workers_per_core_plus_one(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert default_workers() == 2 * (os.cpu_count() or 1) + 1
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert default_workers() == 5


def test_collected_static_files_have_hashed_names_and_a_far_future_cache(tmp_path):
    installation = make_installation(tmp_path / "var", postgres=False)
    result = installation.django(STATIC)
    assert result["hashed"] == [200, "max-age=315360000, public, immutable", "gzip"]
    # The unhashed name still answers (an old page in a browser's cache), but only for a short while.
    assert result["plain"][0] == 200 and "immutable" not in result["plain"][1]
    assert result["recollected"] is False


def test_pages_work_before_anything_is_collected(client, db, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "empty"   # no manifest: the plain names, served from the apps' folders
    html = client.get("/login/").content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html


def test_a_backup_that_cannot_be_written_is_recorded_as_failed(db, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    with pytest.raises(BackupFailed, match="backup into"):
        backup_make(directory=blocker / "backups")
    [failed] = Backup.objects.all()
    assert failed.status == BackupStatus.FAILED and failed.path == str(blocker / "backups") and failed.message


def test_the_nightly_backup_is_scheduled_only_with_an_hour(tmp_path):
    code = ("import django; django.setup(); import raccordo.operations.tasks; from huey.contrib.djhuey import HUEY; "
            "print(sorted(t.name.rsplit('.', 1)[-1] for t in HUEY._registry.periodic_tasks if 'backup' in t.name))")
    for hour, expected in (("3", "['nightly_backup']"), ("", "[]")):
        env = {**make_installation(tmp_path / f"var{hour}", postgres=False).env, "RACCORDO_BACKUP_HOUR": hour}
        done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip().splitlines()[-1].endswith(expected)
