"""gunicorn's settings for ``make serve``:
``gunicorn -c python:tracker.jobs.gunicorn_conf wsgi:app``.

Read from the environment when gunicorn starts:

- ``TRACKER_BIND``: address and port, default ``127.0.0.1:8000`` (``0.0.0.0:8000`` behind a
  load balancer on another machine).
- ``TRACKER_WORKERS``: worker processes, default 2 per core plus one.
- ``TRACKER_THREADS``: threads per worker, default 1 (sync workers: a request has the
  process to itself; behind a load balancer or proxy that buffers slow clients).
- ``TRACKER_ACCESS_LOG``: where the access log goes, default ``-`` (stdout); empty: none.
- ``FORWARDED_ALLOW_IPS`` (gunicorn's own): the proxies trusted for X-Forwarded-*.
"""
import os

bind = os.environ.get("TRACKER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TRACKER_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("TRACKER_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"
accesslog = os.environ.get("TRACKER_ACCESS_LOG", "-") or None
errorlog = "-"
timeout = 30
graceful_timeout = 20
# Restart a worker now and then so a slow leak can never grow without bound.
max_requests = 20_000
max_requests_jitter = 2_000
# gunicorn's runtime control socket is one fixed path per user: two servers on one machine
# (a second app, the benchmark) would take it from each other. Nothing here uses it.
control_socket_disable = True
