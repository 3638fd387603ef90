"""The huey worker's entry point: ``huey_consumer tracker.jobs.worker.huey -w 2 -k thread``.

The jobs (tracker.jobs.tasks) run in a Flask app, which the worker builds once with the
app factory. The factory imports tracker.jobs.tasks (the safety alerts' receiver), so the
tasks cannot import the factory without an import cycle; this module, which nothing
imports, hands it to them.
"""
from tracker import create_app
from tracker.jobs import tasks

tasks.app_factory = create_app
huey = tasks.huey
