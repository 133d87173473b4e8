"""The `raccordo` command: Django's manage.py under the project's own name."""

import os
import sys


def main() -> None:
    """Run a Django management command (`raccordo migrate`, `raccordo demo`, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raccordo.settings")
    # Imported after DJANGO_SETTINGS_MODULE is set: Django reads it when the management package loads.
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
