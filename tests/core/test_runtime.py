"""The WSGI entry point tunes the serving process's garbage collector (raccordo.core.runtime)."""

from __future__ import annotations

import json
import subprocess
import sys

from raccordo.core.runtime import SERVING_THRESHOLDS


def test_wsgi_application_freezes_the_startup_heap_and_raises_gc_thresholds():
    # A child process: the test process's own collector is left as it is.
    code = ("import gc, json; import raccordo.wsgi as w; "
            "print(json.dumps({'threshold': gc.get_threshold(), 'frozen': gc.get_freeze_count(), "
            "'app': callable(w.application)}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert tuple(result["threshold"]) == SERVING_THRESHOLDS
    assert result["frozen"] > 10_000 and result["app"]
