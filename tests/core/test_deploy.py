"""Security finding L6: production defaults (HTTPS settings, the server, CSP, file modes, API docs, passwords)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "raccordo"
PRODUCTION = {"HTTPS": "true", "SECRET_KEY": "k" * 20 + "Zq8#vB2@xL9!mN4$pR7%sT1^wY6&cF3*", "ALLOWED_HOSTS": "crm.example.com",
              "DEBUG": "false"}


def raccordo(tmp_path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the `raccordo` command in a fresh process with its own var/ (settings are read at start-up)."""
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process (Playwright's loop); a deployment never has it.
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DATABASE_URL", "REDIS_URL", "HTTPS", "SECURE_COOKIES", "API_DOCS_PUBLIC", "DEBUG",
                          "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    clean.update(RACCORDO_VAR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="raccordo.settings", **(env or {}))
    return subprocess.run([sys.executable, "-m", "raccordo.cli", *args], env=clean, capture_output=True, text=True,
                          timeout=120)


def settings_of(tmp_path, *names: str, env: dict[str, str] | None = None) -> list[str]:
    code = "from django.conf import settings as s; " + "; ".join(f"print(repr(getattr(s, {n!r}, None)))" for n in names)
    result = raccordo(tmp_path, "shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


# --- 1. HTTPS: secure cookies, HSTS, the proxy header; check --deploy is clean ------------------------------------

def test_L6_check_deploy_with_the_documented_production_settings_prints_no_warning(tmp_path):
    result = raccordo(tmp_path, "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_L6_https_turns_on_secure_cookies_hsts_and_the_proxy_header(tmp_path):
    names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER",
             "SECURE_SSL_REDIRECT")
    assert settings_of(tmp_path, *names, env=PRODUCTION) == [
        "True", "True", "31536000", "('HTTP_X_FORWARDED_PROTO', 'https')", "True"]
    # Plain HTTP (a first try on one's own machine): cookies must work without TLS.
    assert settings_of(tmp_path, *names)[:2] == ["False", "False"]


def test_L6_https_is_documented_in_the_readme():
    readme = (PACKAGE.parents[1] / "README.md").read_text()
    for name in ("`HTTPS`", "`API_DOCS_PUBLIC`", "`SECURE_HSTS_PRELOAD`"):
        assert name in readme


# --- 2. serve runs gunicorn unless runserver is asked for ------------------------------------------------------

def test_L6_serve_runs_gunicorn_by_default():
    from raccordo.web.management.commands.serve import Command

    parser = Command().create_parser("raccordo", "serve")
    env_before = os.environ.pop("RACCORDO_SERVER", None)
    try:
        assert Command().create_parser("raccordo", "serve").parse_args([]).server == "gunicorn"
    finally:
        if env_before is not None:
            os.environ["RACCORDO_SERVER"] = env_before
    assert parser.parse_args(["--server", "runserver"]).server == "runserver"


def test_L6_gunicorn_access_log_leaves_query_strings_out():
    from raccordo.web.management.commands.serve import ACCESS_LOG_FORMAT

    assert "%(U)s" in ACCESS_LOG_FORMAT and "%(r)s" not in ACCESS_LOG_FORMAT and "%(q)s" not in ACCESS_LOG_FORMAT


# --- 3. Content-Security-Policy and Permissions-Policy; no inline script ---------------------------------------

@pytest.mark.django_db
def test_L6_pages_carry_a_csp_without_inline_script_and_a_permissions_policy(client, manager):
    client.force_login(manager)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert script_src.strip() == "'self'"
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]


def test_L6_no_template_has_inline_script_or_event_handler_attributes():
    offenders = []
    for template in PACKAGE.glob("**/templates/**/*.html"):
        if template.name == "invoice_pdf.html":   # rendered by WeasyPrint into a PDF, never served as a page
            continue
        text = template.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                offenders.append(f"{template.name}: {match.group(0)}")
        offenders += [f"{template.name}: {m.group(0)}" for m in re.finditer(r"\son[a-z]+\s*=", text)]
        offenders += [f"{template.name}: {m.group(0)}" for m in re.finditer(r"hx-on|javascript:", text)]
    assert offenders == []


# --- 4. var/ and the database are their owner's only ------------------------------------------------------------

def test_L6_var_and_the_sqlite_database_are_created_owner_only(tmp_path):
    code = "from django.db import connection; connection.ensure_connection(); print(connection.settings_dict['NAME'])"
    result = raccordo(tmp_path, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    database = Path(result.stdout.strip())
    assert database.is_file()
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "var" / "secret_key").stat().st_mode) == 0o600


def test_L6_an_existing_world_readable_var_is_tightened(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    (var / "raccordo.sqlite3").write_bytes(b"")
    (var / "raccordo.sqlite3").chmod(0o644)
    assert raccordo(tmp_path, "shell", "--no-imports", "-c", "pass").returncode == 0
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert stat.S_IMODE((var / "raccordo.sqlite3").stat().st_mode) == 0o600


# --- 5. the API schema and docs need a signed-in user --------------------------------------------------------

@pytest.mark.django_db
def test_L6_api_schema_and_docs_need_a_signed_in_user(manager):
    anonymous = APIClient()
    assert anonymous.get("/api/schema/").status_code in (401, 403)
    assert anonymous.get("/api/docs/").status_code in (401, 403)
    signed_in = APIClient()
    signed_in.force_authenticate(manager)
    assert signed_in.get("/api/schema/").status_code == 200
    docs = signed_in.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI's start-up script is a file of its own: the page passes the CSP without inline script.
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    assert signed_in.get("/api/docs/", {"script": ""}).status_code == 200


def test_L6_api_docs_public_opens_the_schema(tmp_path):
    code = ("from drf_spectacular.views import SpectacularAPIView as V; "
            "print([c.__name__ for c in V.permission_classes])")
    opened = raccordo(tmp_path, "shell", "--no-imports", "-c", code, env={"API_DOCS_PUBLIC": "true"})
    assert opened.stdout.strip() == "['AllowAny']", opened.stderr
    closed = raccordo(tmp_path, "shell", "--no-imports", "-c", code)
    assert closed.stdout.strip() == "['IsAuthenticated']", closed.stderr


# --- 9. password policy ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_L6_numeric_and_username_like_passwords_are_refused(manager):
    with pytest.raises(ValidationError):
        validate_password("4957771234", user=manager)
    manager.username = "annaivanova"
    with pytest.raises(ValidationError):
        validate_password("annaivanova1", user=manager)
    validate_password("violet-harbour-77", user=manager)
