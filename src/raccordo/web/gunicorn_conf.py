"""gunicorn settings `raccordo serve` passes with `--config python:raccordo.web.gunicorn_conf`.

The Prometheus counters of the web server live in files, one set per worker process
(PROMETHEUS_MULTIPROC_DIR, set by `serve`), so /metrics answered by any worker adds up all of them. When a
worker exits (gunicorn recycles it, or it is killed) its live gauges are dropped; its counters stay counted.
"""

import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Here, not at the top: prometheus_client reads the variable when it is first imported.
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
