"""Adding a service module is one folder plus one line in settings (issue 12).

``tests/fake_module/`` is such a folder: an AppConfig with a router, a page set, a link and its own
page template. A fresh process whose only change is ``GOVSITE_SERVICES`` naming it builds a site
with the module's page (in the theme's header and footer, linked from every page) and answers the
module's route under ``/api/services/fake_module/``. Nothing outside the folder names it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cms.service_modules import ServiceModule, enabled_modules
from content_models.record import write_jsonl
from services.module import ServiceModuleConfig
from tests.test_layout import _imported_packages

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from cms.service_modules import enabled_modules

call_command("build_site", "--full", "--no-plugins", "--from-jsonl", sys.argv[1], "--out", sys.argv[2], verbosity=0)
client = Client()
hello = client.get("/api/services/fake_module/hello")
schema = client.get("/api/openapi.json").json()
print(json.dumps({
    "modules": [m.service_name for m in enabled_modules()],
    "hello": [hello.status_code, hello.json()],
    "tags": schema["paths"]["/api/services/fake_module/hello"]["get"]["tags"],
}, ensure_ascii=False))
"""


def run_child(tmp_path: Path, services: str) -> dict:
    sample = tmp_path / "sample.jsonl"
    write_jsonl([{
        "id": "fgj-1", "site": "fgj", "title": "关于第1批项目的通知", "published": "2025-03-01T09:00:00+08:00",
        "organ": "南安市发展和改革局", "category": "通知公告", "topic": "综合政务", "body_html": "<p>正文</p>",
    }], sample)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVSITE_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="cms.settings", GOVSITE_DATA_DIR=str(tmp_path / "data"),
               GOVSITE_SERVICES=services)
    proc = subprocess.run([sys.executable, "-c", CHILD, str(sample), str(tmp_path / "site")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_one_folder_and_one_settings_entry_add_a_page_and_a_route(tmp_path):
    got = run_child(tmp_path, "status,tests.fake_module")
    assert got["modules"] == ["status", "fake_module"]
    assert got["hello"] == [200, {"message": "测试服务正常"}]
    assert got["tags"] == ["测试服务"]  # the module's verbose_name in the API documentation

    site = tmp_path / "site"
    page = (site / "fake_module/index.html").read_text("utf-8")
    assert "<h1>测试服务首页</h1>" in page and "这个页面来自测试模块自己的模板" in page
    assert "<title>测试服务 - " in page and 'action="/search/"' in page  # the theme's head and header
    for rel in ("index.html", "fgj/2025/fgj-1.html", "status/index.html", "fake_module/index.html"):
        html = (site / rel).read_text("utf-8")
        assert '<a href="/fake_module/">测试服务</a>' in html and '<a href="/status/">办件查询</a>' in html, rel


def test_nothing_outside_the_module_folder_names_it():
    """The fake module is named only in its own folder and in this test (which enables it); the
    code, the settings and the theme do not know it."""
    mentions = []
    for dirpath, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in {".venv", ".git", "var", "docs", "__pycache__", "fake_module"}]
        for name in files:
            path = Path(dirpath) / name
            if path.suffix in {".py", ".html", ".cfg", ".toml", ".js", ".json"} and path != Path(__file__):
                if "fake_module" in path.read_text("utf-8", errors="replace"):
                    mentions.append(path.relative_to(ROOT).as_posix())
    assert mentions == []


def test_the_cms_reads_modules_through_its_own_contract_and_never_imports_services():
    assert all(isinstance(m, ServiceModule) and isinstance(m, ServiceModuleConfig) for m in enabled_modules())
    wrong = {str(p.relative_to(ROOT)): sorted(_imported_packages(p) & {"services"}) for p in (ROOT / "cms").rglob("*.py")}
    assert {p: names for p, names in wrong.items() if names} == {}


def test_modules_follow_the_order_of_govsite_services_by_name_or_app(settings):
    before = [m.service_name for m in enabled_modules()]  # kept between calls: a change must still show
    settings.GOVSITE_SERVICES = ["ratings", "services.letters", "no_such_module", "status"]
    assert [m.service_name for m in enabled_modules()] == ["ratings", "letters", "status"]
    settings.GOVSITE_SERVICES = ["status"]
    assert [m.service_name for m in enabled_modules()] == ["status"] != before


def _code_strings(path: Path) -> list[str]:
    """String constants and imported module names of a file, without docstrings and comments."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append(node.value)
        elif isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


def test_no_shared_code_names_a_service_module():
    """The CMS, the generator, search, publish and the services framework never name a module (its
    package, app label, URL, or the letters' XJ number prefix): modules come through the app registry."""
    names = sorted(p.parent.name for p in (ROOT / "services").glob("*/apps.py"))
    assert {"letters", "ratings", "status", "supervision"} <= set(names)
    shared = [p for package in ("cms", "content_models", "site_generator", "search_index", "publish")
              for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    shared += sorted((ROOT / "services").glob("*.py"))
    found = {}
    for path in shared:
        for text in _code_strings(path):
            hits = [n for n in names if f"services.{n}" in text or f"services_{n}" in text or f"/{n}/" in text
                    or (text == n and n != "status")]
            if hits or text.startswith("XJ"):
                found.setdefault(path.relative_to(ROOT).as_posix(), []).append(text)
    assert found == {}
