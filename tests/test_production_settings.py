"""GOVSITE_ENV=production (issue 14, item 7): refuses the default secret key, passes
``govsite check --deploy`` without warnings; static assets carry no ``Access-Control-Allow-Origin: *``."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parent.parent
GOVSITE = str(Path(sys.executable).parent / "govsite")


def run(tmp_path, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("GOVSITE_") or k == "GOVSITE_DATA_DIR"}
    full.update(GOVSITE_DATA_DIR=str(tmp_path), **env)
    return subprocess.run([GOVSITE, "check", "--deploy"], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=180)


def test_production_refuses_the_default_secret_key_without_a_traceback(tmp_path):
    result = run(tmp_path, GOVSITE_ENV="production", GOVSITE_ALLOWED_HOSTS="www.nanan.gov.cn")
    assert result.returncode == 1
    assert "GOVSITE_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
    short = run(tmp_path, GOVSITE_ENV="production", GOVSITE_ALLOWED_HOSTS="www.nanan.gov.cn",
                GOVSITE_SECRET_KEY="too-short")
    assert short.returncode == 1 and "GOVSITE_SECRET_KEY" in short.stderr


def test_production_needs_its_host_names(tmp_path):
    result = run(tmp_path, GOVSITE_ENV="production", GOVSITE_SECRET_KEY=secrets.token_urlsafe(64))
    assert result.returncode == 1 and "GOVSITE_ALLOWED_HOSTS" in result.stderr


def test_production_passes_check_deploy_without_warnings(tmp_path):
    result = run(tmp_path, GOVSITE_ENV="production", GOVSITE_SECRET_KEY=secrets.token_urlsafe(64),
                 GOVSITE_ALLOWED_HOSTS="www.nanan.gov.cn")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


def test_development_settings_do_warn(tmp_path):
    """The check does find problems when there are some (so the test above can fail)."""
    result = run(tmp_path)
    assert "security.W" in result.stdout + result.stderr


def test_static_assets_carry_no_wildcard_cors_header(client):
    found = finders.find("wagtailadmin/js/core.js") or finders.find("wagtailadmin/css/core.css")
    assert found, "no Wagtail admin asset to fetch"
    name = "wagtailadmin/js/core.js" if finders.find("wagtailadmin/js/core.js") else "wagtailadmin/css/core.css"
    response = client.get(f"/static/{name}", HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 200
    assert response.get("Access-Control-Allow-Origin") is None
