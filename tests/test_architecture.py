"""The layers, enforced: which part of ``tracker/`` may import which, and no import cycles.

::

    tracker/__init__.py (create_app) ──> everything below
    tracker/config.py ─────────────────> domain
    web  (tracker/web/)   ──> store, domain, config
    jobs (tracker/jobs/)  ──> store, domain
    store (tracker/store/) ─> domain
    domain (tracker/domain/): the standard library and DOMAIN_THIRD_PARTY only

Every module's imports are read with ``ast``, those inside functions too, so a lazy import
cannot hide an edge or a cycle. A module may always import its own layer.
"""
import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType

import pytest

from tests.conftest import ROOT

LAYERS = ("domain", "store", "web", "jobs")
# On top of the layers: the app factory and the configuration.
TOP = {"tracker": "factory", "tracker.config": "config"}
ALLOWED = {
    "factory": {"factory", "config", "domain", "store", "web", "jobs"},
    "config": {"config", "domain"},
    "web": {"web", "store", "domain", "config"},
    "jobs": {"jobs", "store", "domain"},
    "store": {"store", "domain"},
    "domain": {"domain"},
}
# Edges the rules forbid, allowed one by one, each with its reason.
EXCEPTIONS = {
    ("tracker.jobs.worker", "tracker"): (
        "the huey consumer's entry point builds the app its jobs run in with the factory, "
        "as wsgi.py does for the web; nothing imports it, so no cycle"
    ),
}
# Third-party packages the domain may import: pure ones that import neither Flask nor peewee
# (test_the_domain_imports_without_flask_or_peewee imports every domain module to check).
DOMAIN_THIRD_PARTY = {
    "cryptography",  # vapid, push_subscription: P-256 keys
    "icalendar",  # calendar_feed
    "markupsafe",  # charts: escaped SVG
}
# Calls that read the clock; the domain is given the day and the time instead.
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
               ("date", "today"), ("time", "time"), ("time", "time_ns"),
               ("time", "monotonic"), ("time", "perf_counter"), ("time", "localtime")}


# --- the checker ------------------------------------------------------------------------


def load_modules(root: Path) -> dict[str, tuple[Path, str, bool]]:
    """Every module under ``root/tracker``: dotted name -> (path, source, is a package)."""
    modules = {}
    for path in sorted((root / "tracker").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if package else parts)] = (path, path.read_text(), package)
    return modules


def imports_of(name: str, source: str, package: bool, known: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every import in ``source``, at any depth: a tracker
    module by its full name (``from tracker.store import plans`` is tracker.store.plans),
    anything else by its top-level package."""
    here = name if package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = here.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + [node.module or ""])
                base = base.rstrip(".")
            else:
                base = node.module
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full if full in known else base, node.lineno))
    return [(target if target.split(".")[0] == "tracker" else target.split(".")[0], line)
            for target, line in found]


def layer_of(module: str) -> str | None:
    if module in TOP:
        return TOP[module]
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def graph(modules) -> dict[str, set[str]]:
    """tracker module -> the tracker modules it imports."""
    known = set(modules)
    return {name: {t for t, _ in imports_of(name, source, package, known)
                   if t in known and t != name}
            for name, (_path, source, package) in modules.items()}


def violations(modules) -> list[str]:
    """Every import that breaks the contract, as ``path:line: what``."""
    known = set(modules)
    found = []
    for name, (path, source, package) in modules.items():
        layer = layer_of(name)
        where = path.relative_to(path.parents[len(name.split(".")) - (0 if package else 1)])
        if layer is None:
            found.append(f"{where}: {name} is in no layer (tracker/<{'|'.join(LAYERS)}>/)")
            continue
        for target, line in imports_of(name, source, package, known):
            if target.split(".")[0] == "tracker":
                if target not in known:
                    found.append(f"{where}:{line}: {name} imports {target}, which does not exist")
                elif (target != name and layer_of(target) not in ALLOWED[layer]
                      and (name, target) not in EXCEPTIONS):
                    found.append(f"{where}:{line}: {name} ({layer}) imports {target} "
                                 f"({layer_of(target)})")
            elif (layer == "domain" and target not in sys.stdlib_module_names
                  and target not in DOMAIN_THIRD_PARTY):
                found.append(f"{where}:{line}: {name} (domain) imports {target}, which is "
                             "neither the standard library nor in DOMAIN_THIRD_PARTY")
    return found


def clock_reads(source: str) -> list[int]:
    """Lines that call the clock (``datetime.now()``, ``date.today()``, ``time.time()``...)."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and (node.func.value.id, node.func.attr) in CLOCK_CALLS]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


# --- the contract, on this tree ---------------------------------------------------------


@pytest.fixture(scope="module")
def modules():
    """The tree's modules, read once: module-scoped as the tests only read them (a read-only
    mapping of tuples)."""
    return MappingProxyType(load_modules(ROOT))


def test_the_checker_sees_every_layer(modules):
    layers = {layer_of(name) for name in modules}
    assert layers == {"factory", "config", *LAYERS}
    assert len(modules) > 80


def test_imports_follow_the_layers(modules):
    assert violations(modules) == []


def test_only_the_factory_imports_the_web(modules):
    importers = {a for a, targets in graph(modules).items()
                 for b in targets if layer_of(b) == "web" and layer_of(a) != "web"}
    assert importers == {"tracker"}


def test_store_and_domain_never_import_jobs(modules):
    assert [(a, b) for a, targets in graph(modules).items() for b in targets
            if layer_of(a) in ("store", "domain") and layer_of(b) == "jobs"] == []


def test_every_exception_is_still_needed(modules):
    edges = graph(modules)
    assert [edge for edge in EXCEPTIONS if edge[1] not in edges.get(edge[0], ())] == []


def test_no_import_cycles(modules):
    assert cycles(graph(modules)) == []


def test_the_domain_reads_no_clock(modules):
    assert [(name, clock_reads(source)) for name, (_p, source, _pkg) in modules.items()
            if layer_of(name) == "domain" and clock_reads(source)] == []


def test_the_domain_imports_without_flask_or_peewee(modules):
    """Every domain module imports with Flask and peewee made unimportable."""
    domain = sorted(name for name in modules if layer_of(name) == "domain")
    code = ("import sys\n"
            "for name in ('flask', 'peewee', 'playhouse', 'werkzeug'):\n"
            "    sys.modules[name] = None\n"
            "import tracker.domain.schedule\n"
            + "".join(f"import {name}\n" for name in domain))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# --- the checker catches what it should -------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    """A copy of tracker/ to break."""
    shutil.copytree(ROOT / "tracker", tmp_path / "tracker",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def add_import(tree: Path, module: str, statement: str) -> None:
    """Append a function that imports ``statement`` lazily, the way a cycle would hide."""
    path = tree / "tracker" / module
    path.write_text(path.read_text() + f"\n\ndef _added():\n    {statement}\n")


@pytest.mark.parametrize("module, statement, expected", [
    ("domain/schedule.py", "from tracker.store import models",
     "tracker.domain.schedule (domain) imports tracker.store.models (store)"),
    ("domain/day.py", "from ..store import db",
     "tracker.domain.day (domain) imports tracker.store.db (store)"),
    ("domain/wording.py", "import flask",
     "tracker.domain.wording (domain) imports flask, which is neither"),
    ("domain/charts.py", "from peewee import fn",
     "tracker.domain.charts (domain) imports peewee, which is neither"),
    ("store/plans.py", "from tracker.web.pages import render",
     "tracker.store.plans (store) imports tracker.web.pages (web)"),
    ("store/checkins.py", "from tracker.jobs import tasks",
     "tracker.store.checkins (store) imports tracker.jobs.tasks (jobs)"),
    ("jobs/alerts.py", "from tracker.web import pages",
     "tracker.jobs.alerts (jobs) imports tracker.web.pages (web)"),
    ("web/today/routes.py", "from tracker.jobs import reminders",
     "tracker.web.today.routes (web) imports tracker.jobs.reminders (jobs)"),
    ("config.py", "from tracker.store import db",
     "tracker.config (config) imports tracker.store.db (store)"),
    ("store/offline.py", "from tracker import create_app",
     "tracker.store.offline (store) imports tracker (factory)"),
    ("web/pages.py", "from tracker.views import main",  # a path from before the layers
     "tracker.web.pages imports tracker.views, which does not exist"),
])
def test_the_checker_reports_a_wrong_import(tree, module, statement, expected):
    assert violations(load_modules(tree)) == []
    add_import(tree, module, statement)
    [found] = violations(load_modules(tree))
    assert expected in found
    assert found.startswith(f"tracker/{module}:")


def test_the_checker_reports_a_module_outside_the_layers(tree):
    (tree / "tracker" / "helpers.py").write_text('"""Somewhere."""\n')
    assert violations(load_modules(tree)) == [
        "tracker/helpers.py: tracker.helpers is in no layer (tracker/<domain|store|web|jobs>/)"
    ]


def test_the_checker_reports_a_cycle_a_lazy_import_hides(tree):
    assert cycles(graph(load_modules(tree))) == []
    add_import(tree, "domain/clinical.py", "from tracker.domain import schedule")
    assert cycles(graph(load_modules(tree))) == [
        ["tracker.domain.clinical", "tracker.domain.schedule"]
    ]


def test_the_checker_reports_a_cycle_between_layers_and_the_factory(tree):
    add_import(tree, "jobs/tasks.py", "from tracker import create_app")
    assert ["tracker", "tracker.jobs.tasks"] in cycles(graph(load_modules(tree)))
    assert violations(load_modules(tree)) == [
        "tracker/jobs/tasks.py:" + str(len((tree / "tracker/jobs/tasks.py").read_text()
                                            .splitlines()))
        + ": tracker.jobs.tasks (jobs) imports tracker (factory)"
    ]


def test_the_checker_reports_a_clock_read():
    assert clock_reads("from datetime import date\n\ndef f():\n    return date.today()\n") == [4]
    assert clock_reads("def f(today):\n    return today.isoformat()\n") == []


def _readme_map() -> dict[str, str]:
    """The README's module map, cut into one block per layer ("domain", "store", ...)."""
    text = (ROOT / "README.md").read_text()
    start = text.index("\nwsgi.py ")
    block = text[start:text.index("```", start)]
    layers: dict[str, str] = {}
    current = None
    for line in block.splitlines():
        if line.startswith("tracker/") and line.split()[0].endswith("/"):
            current = line.split()[0].removeprefix("tracker/").rstrip("/")
            layers[current] = ""
        elif current and line.startswith(" "):
            layers[current] += re.split(r"\s{2,}", line.strip())[0] + "\n"
        elif not line.startswith(" "):
            current = None
    return layers


def test_the_readme_map_lists_every_module():
    """Each module under a layer is named in that layer's part of README's map (a package
    by its folder name, e.g. ``builder/`` then ``draft.py``; a web feature as
    ``auth/routes.py, forms.py``)."""
    layers = _readme_map()
    assert set(layers) == {"domain", "store", "web", "jobs"}
    missing = []
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        parts = path.relative_to(ROOT / "tracker").parts
        if len(parts) == 1 or path.name == "__init__.py" and len(parts) == 2:
            continue
        names = layers[parts[0]]
        inner = parts[1:]
        folder_named = len(inner) == 1 or f"{inner[0]}/" in names
        file_named = path.name in names.replace(",", " ").replace("/", " ").split() or \
            path.name == "__init__.py"
        if not (folder_named and file_named):
            missing.append("/".join(parts))
    assert missing == []
