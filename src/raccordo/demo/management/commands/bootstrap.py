"""`raccordo bootstrap`: idempotent first-run setup (`make run` calls it after `migrate`).

1. No superuser yet: create `admin` with RACCORDO_ADMIN_PASSWORD, or a generated password printed
   once in a box (and stored nowhere else).
2. An empty database (no counterparties, products or funnels): seed the demo company, unless
   RACCORDO_DEMO=0 or --no-demo; each demo user gets a random password, printed once like the
   administrator's (finding H1: no password is published anywhere).
3. Otherwise: say it is already set up and change nothing.
"""

from __future__ import annotations

import os
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from raccordo.access.models import Role, User
from raccordo.catalog.models import Product
from raccordo.demo.management.boxes import box, demo_logins_box
from raccordo.demo.seeding import seed_demo
from raccordo.demo.words import LANGUAGES
from raccordo.parties.models import Counterparty
from raccordo.sales.models import Funnel


def database_is_empty() -> bool:
    """No business data at all: a fresh installation (deleting every counterparty later does not count)."""
    return not (Counterparty.objects.exists() or Product.objects.exists() or Funnel.objects.exists())


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


class Command(BaseCommand):
    help = "First-run setup: an administrator if there is none, the demo company in an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Do not seed the demo company (or RACCORDO_DEMO=0).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed of the demo data.")
        parser.add_argument("--language", choices=LANGUAGES, default=None,
                            help="Language of the demo's names: stages, units, catalog, tasks "
                                 "(default: RACCORDO_DEMO_LANGUAGE, else LANGUAGE_CODE).")

    def handle(self, *args, no_demo: bool, seed: int, language: str | None = None, **options):
        did_something = False
        if not User.objects.filter(is_superuser=True).exists():
            self._create_admin()
            did_something = True
        if not no_demo and _env_bool("RACCORDO_DEMO", True) and database_is_empty():
            self.stdout.write("Empty database: creating the demo company...")
            result = seed_demo(seed=seed, language=language, log=self.stdout.write)
            users = result.reference.created_users
            if users:
                self.stdout.write(demo_logins_box(users, result.reference.passwords))
            self.stdout.write(self.style.SUCCESS(f"Demo company ready: {Counterparty.objects.count()} counterparties."))
            did_something = True
        if not did_something:
            self.stdout.write("Raccordo is already set up: an administrator exists and the database has data. "
                              "Nothing changed.")

    @transaction.atomic
    def _create_admin(self) -> None:
        given = os.environ.get("RACCORDO_ADMIN_PASSWORD", "")
        password = given or secrets.token_urlsafe(12)
        username = "admin"
        n = 1
        while User.objects.filter(username=username).exists():  # an ordinary user may already be called admin
            n += 1
            username = f"admin{n}"
        User.objects.create_superuser(username=username, email="", password=password, role=Role.ADMIN,
                                      first_name="Administrator")
        if given:
            self.stdout.write(box([f"Administrator created: login {username!r}, password from "
                                   "RACCORDO_ADMIN_PASSWORD."]))
        else:
            self.stdout.write(box([
                "Administrator created. This password is shown ONCE and stored nowhere else:", "",
                f"  login:    {username}", f"  password: {password}", "",
                "Change it after signing in (or set RACCORDO_ADMIN_PASSWORD before the first run).",
            ]))
