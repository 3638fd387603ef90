"""The benchmark's baseline: a minimal Flask app answering "ok", served like the real one.

``gunicorn -c python:tracker.jobs.gunicorn_conf --pythonpath tests/benchmarks ok_app:app``
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok():
    return "ok"
