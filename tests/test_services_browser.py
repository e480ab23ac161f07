"""End to end in headless chromium: the static site (one origin) calls the service API (another
origin, a gunicorn process) through CORS — write a letter, get a case number, look it up."""

import json
import os
import re

import pytest

from tests.helpers.browser import Chromium, StaticServer, chromium_available
from tests.helpers.services import solve
from tests.test_services_http import Server, count_letters

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    import subprocess
    import sys
    from pathlib import Path

    root = tmp_path_factory.mktemp("svc-browser")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(root / "data"), GOVSITE_SITE_DIR=str(root / "data" / "site"),
               GOVSITE_SERVE_SITE="0", DJANGO_SETTINGS_MODULE="cms.settings")
    subprocess.run([str(Path(sys.executable).parent / "govsite"), "migrate", "-v0"], cwd=Path(__file__).parent.parent,
                   env=env, check=True, timeout=300)
    api = Server(env)
    site_dir = root / "site"
    static = StaticServer(site_dir)
    env["GOVSITE_CORS_ORIGINS"] = static.url  # only the static site's origin may call the API
    # build the static site in the API server's environment (its database), pointing at its API
    build = (
        "from cms.demo.sample import generate_sample\n"
        "from site_generator.build import build_site\n"
        "from cms.build.config import from_settings\n"
        "from cms.build.jobs import page_sets\n"
        f"build_site([r for r in generate_sample(20, seed=2) if 'op' not in r], {str(site_dir)!r}, full=True,"
        f" config=from_settings(plugins=[], processes=1), state_dir={str(root / 'state')!r}, page_sets=page_sets())\n"
    )
    subprocess.run([str(Path(sys.executable).parent / "govsite"), "shell", "-c", build], cwd=Path(__file__).parent.parent,
                   env={**env, "GOVSITE_SERVICES_API_BASE": api.base + "/api/services"}, check=True, timeout=300)
    api.start()
    try:
        with static, Chromium() as chromium:
            yield static, api, chromium, env
    finally:
        api.stop()


def fill(chromium, form: str, values: dict) -> None:
    chromium.evaluate(f"""(() => {{ const f = document.querySelector({json.dumps(form)});
        const v = {json.dumps(values, ensure_ascii=False)};
        for (const [k, x] of Object.entries(v)) {{ const el = f.elements[k];
            if (el.type === 'checkbox') el.checked = !!x; else el.value = x; }}
        f.querySelector('button[type=submit]').click(); }})()""")


def test_write_a_letter_and_look_it_up_across_origins(stack):
    static, api, chromium, env = stack
    chromium.navigate(static.url + "/letters/write/")
    chromium.wait("!document.querySelector('.svc-question').textContent.includes('加载中')")
    question = chromium.evaluate("document.querySelector('.svc-question').textContent")
    submit = "form[data-action=submit]"

    # a wrong phone number: a Chinese message naming the field, nothing stored
    fill(chromium, submit, {"name": "许文华", "phone": "123", "subject": "路灯不亮", "text": "小区路灯坏了两周了。",
                            "challenge_answer": solve(question)})
    chromium.wait(f"document.querySelector({json.dumps(submit)} + ' .svc-result').className.includes('svc-error')")
    error = chromium.evaluate(f"document.querySelector({json.dumps(submit)} + ' .svc-result').textContent")
    assert "联系电话" in error

    fill(chromium, submit, {"phone": "13800138000", "public": True})
    chromium.wait(f"document.querySelector({json.dumps(submit)} + ' .svc-result').className.includes('svc-ok')")
    receipt = chromium.evaluate(f"document.querySelector({json.dumps(submit)} + ' .svc-result').textContent")
    number, code = re.search(r"信件编号：(\w+)，查询码：(\w+)", receipt).groups()
    assert number in count_letters(env)[1]

    lookup = "form[data-action=lookup]"
    fill(chromium, lookup, {"no": number, "code": code})
    chromium.wait(f"document.querySelector({json.dumps(lookup)} + ' .svc-result').className.includes('svc-ok')")
    text = chromium.evaluate(f"document.querySelector({json.dumps(lookup)} + ' .svc-result').textContent")
    assert "路灯不亮" in text and "待登记" in text


def test_status_page_loads_the_public_list_across_origins(stack):
    static, _api, chromium, _env = stack
    chromium.navigate(static.url + "/status/")
    chromium.wait("!document.querySelector('.svc-list').textContent.includes('加载中')")
    assert chromium.evaluate("document.querySelector('.svc-more').hidden") is True  # empty list, nothing more
