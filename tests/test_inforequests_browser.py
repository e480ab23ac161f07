"""End to end in headless chromium: the static site's 依申请公开 form (one origin) calls the API
(another origin, a gunicorn process): submit with Article 29's fields, get the number and query
code, staff answer with a reply file, the applicant follows the case and downloads the reply."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.browser import Chromium, StaticServer, chromium_available
from tests.helpers.services import solve
from tests.test_services_http import Server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="chromium is not installed (apt-get install chromium)"),
]
ROOT = Path(__file__).parent.parent
GOVSITE = str(Path(sys.executable).parent / "govsite")


def shell(env: dict, code: str) -> str:
    out = subprocess.run([GOVSITE, "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True, timeout=300).stdout
    return out.strip().splitlines()[-1] if out.strip() else ""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("inforequests-browser")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(root / "data"), GOVSITE_SITE_DIR=str(root / "data" / "site"),
               GOVSITE_SERVE_SITE="0", DJANGO_SETTINGS_MODULE="cms.settings",
               GOVSITE_NOTIFIERS="services.notify.EmailNotifier")
    subprocess.run([GOVSITE, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    api = Server(env)
    site_dir = root / "site"
    static = StaticServer(site_dir)
    env["GOVSITE_CORS_ORIGINS"] = static.url
    build = (
        "from content_models.models import Department\n"
        "Department.objects.create(slug='zrzy', name='自然资源局', sort_order=1)\n"
        "Department.objects.create(slug='jyj', name='教育局', sort_order=2)\n"
        "from site_generator.build import build_site\n"
        "from cms.build.config import from_settings\n"
        "from cms.build.jobs import page_sets\n"
        f"build_site([], {str(site_dir)!r}, full=True, config=from_settings(plugins=[], processes=1),"
        f" state_dir={str(root / 'state')!r}, page_sets=page_sets())\n"
    )
    subprocess.run([GOVSITE, "shell", "-c", build], cwd=ROOT, check=True, timeout=300,
                   env={**env, "GOVSITE_SERVICES_API_BASE": api.base + "/api/services"})
    api.start()
    try:
        with static, Chromium() as chromium:
            yield static, api, chromium, env
    finally:
        api.stop()


def fill(chromium, form: str, values: dict) -> None:
    chromium.evaluate(f"""(() => {{ const f = document.querySelector({json.dumps(form)});
        const v = {json.dumps(values, ensure_ascii=False)};
        for (const [k, x] of Object.entries(v)) {{ f.elements[k].value = x; }}
        f.querySelector('button[type=submit]').click(); }})()""")


def result(chromium, form: str, state: str) -> str:
    box = json.dumps(form + " .svc-result")
    chromium.wait(f"document.querySelector({box}).className.includes({json.dumps(state)})")
    return chromium.evaluate(f"document.querySelector({box}).textContent")


def test_request_form_end_to_end(stack):
    static, _api, chromium, env = stack
    chromium.navigate(static.url + "/inforequests/")
    chromium.wait("!document.querySelector('.svc-question').textContent.includes('加载中')")
    question = chromium.evaluate("document.querySelector('.svc-question').textContent")
    submit = "form[data-action=submit]"
    token = chromium.evaluate(f"document.querySelector({json.dumps(submit)}).dataset.challenge")
    values = {"department": "zrzy", "applicant_type": "natural", "name": "许文华", "credential_type": "居民身份证",
              "credential_no": "110105194912310021", "phone": "13800138000", "email": "xu@example.com",
              "description": "请公开2025年本局国有建设用地使用权出让情况。", "form": "electronic", "delivery": "online",
              "challenge_answer": solve(question)}
    fill(chromium, submit, values)  # a wrong check digit: the message names the field, nothing stored
    assert "居民身份证号码不正确" in result(chromium, submit, "svc-error")
    assert shell(env, "from services.inforequests.models import InfoRequest\nprint(InfoRequest.objects.count())") == "0"

    # a 400 brings a fresh challenge (the widget reloads it): answer the new question
    chromium.wait(f"document.querySelector({json.dumps(submit)}).dataset.challenge !== {json.dumps(token)}")
    question = chromium.evaluate("document.querySelector('.svc-question').textContent")
    fill(chromium, submit, {"credential_no": "11010519491231002X", "challenge_answer": solve(question)})
    receipt = result(chromium, submit, "svc-ok")
    number, code = re.search(r"申请编号：(\w+)，查询码：(\w+)", receipt).groups()
    assert "自然资源局" in receipt and len(code) == 10

    lookup = "form[data-action=lookup]"
    fill(chromium, lookup, {"no": number, "code": code})
    assert "待确认收到" in result(chromium, lookup, "svc-ok")

    # staff confirm receipt and answer with a reply file
    shell(env, (
        "import datetime as dt\n"
        "from django.core.files.base import ContentFile\n"
        "from django.utils import timezone\n"
        "from services.inforequests import workflow\n"
        "from services.inforequests.models import InfoRequest\n"
        f"r = InfoRequest.objects.get(number={number!r})\n"
        "today = timezone.localdate()\n"
        "workflow.take(r.pk, workflow.Step('receive', today), None)\n"
        "workflow.take(r.pk, workflow.Step('answer', today, outcome='partial', legal_basis='条例第三十七条',"
        " reply_text='部分公开，见答复书。', reply_file=ContentFile(b'REPLY-PDF-BYTES', name='reply.pdf')), None)\n"
        "print('ok')\n"
    ))
    chromium.evaluate("document.querySelector('form[data-action=lookup] .svc-result').className = 'svc-result'")
    fill(chromium, lookup, {"no": number, "code": code.lower()})
    text = result(chromium, lookup, "svc-ok")
    assert "已答复" in text and "部分公开" in text and "条例第三十七条" in text
    chromium.wait("document.querySelector('a.svc-reply') !== null")
    body = chromium.evaluate("fetch(document.querySelector('a.svc-reply').href).then(r => r.text())")
    assert body == "REPLY-PDF-BYTES"
