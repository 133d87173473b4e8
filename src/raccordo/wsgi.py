"""WSGI entry point for gunicorn or any WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raccordo.settings")
application = get_wsgi_application()

# After the application is loaded: what start-up built is frozen out of the garbage collector's walks.
from raccordo.core.runtime import tune_gc_for_serving  # noqa: E402

tune_gc_for_serving()
