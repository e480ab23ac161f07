"""The layout's promises (issue 12): the flow runs one way.

content_models (what a document is) → cms (editing and serving) → records → site_generator →
files → search_index and publish. The generator, the search index core and the plain record
modules run without Django; nothing upstream imports what comes after it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every module of these packages, found on disk (a new module is checked without editing this list).
DJANGO_FREE_PACKAGES = ("site_generator", "search_index")
DJANGO_FREE_MODULES = (
    "content_models.record",
    "content_models.vocabularies",
    "content_models.identifiers",
    "content_models.sanitizer",
    "content_models.files",
    "content_models.atomic",
)

IMPORT_ALL = """
import importlib, json, pkgutil, sys
names = []
for package in sys.argv[1].split(","):
    pkg = importlib.import_module(package)
    names += [f"{package}.{m.name}" for m in pkgutil.walk_packages(pkg.__path__) if not m.ispkg]
names += sys.argv[2].split(",")
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("django", "wagtail", "ninja", "cms", "services"))
print(json.dumps({"imported": names, "loaded": loaded}))
"""


def test_generator_search_core_and_plain_records_import_no_django():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, ",".join(DJANGO_FREE_PACKAGES), ",".join(DJANGO_FREE_MODULES)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    imported = set(result["imported"])
    assert {"site_generator.build", "site_generator.plugins", "search_index.build", "search_index.plugin",
            "search_index.query", "content_models.record"} <= imported
    assert result["loaded"] == []  # no django (nor wagtail, ninja, or the CMS) in sys.modules


def _imported_packages(path: Path) -> set[str]:
    """Top-level packages a module imports, anywhere in it (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(("package", "downstream"), [
    ("content_models", {"cms", "site_generator", "search_index", "publish", "services"}),
    ("site_generator", {"cms", "search_index", "publish", "services"}),
    ("search_index", {"cms", "publish", "services"}),
    ("publish", {"cms", "search_index", "services"}),
])
def test_nothing_imports_against_the_flow(package, downstream):
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & downstream)
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {path: names for path, names in wrong.items() if names} == {}


PRODUCTION_PACKAGES = ("content_models", "cms", "site_generator", "search_index", "publish", "services")


def test_production_code_imports_at_the_top_except_the_documented_cases():
    """ruff's PLC0415 holds for every production package, and every exception says why and is in
    the one list of docs/architecture.md, so an import hidden in a function is a visible choice."""
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "check", "--select", "PLC0415", "--output-format", "concise", *PRODUCTION_PACKAGES],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = architecture.split("## Documented import cycles", 1)[1]
    for package in PRODUCTION_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "PLC0415" not in line:
                    continue
                where = f"{path.relative_to(ROOT)}:{number}"
                assert " - " in line.split("PLC0415", 1)[1], f"{where}: the exception gives no reason"
                if path.name != "apps.py":
                    assert f"`{path.relative_to(ROOT).as_posix()}`" in listed or \
                        f"`{path.name}`" in listed, f"{where}: not listed in docs/architecture.md"
