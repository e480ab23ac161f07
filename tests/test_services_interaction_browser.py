"""End to end in headless chromium: the static pages of 互动交流 (one origin) call the service API
(another origin, a gunicorn process) — a comment on an open consultation, and a survey answered
once (a second submission from the same browser is refused)."""

import json
import os
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
ROOT = Path(__file__).resolve().parent.parent
GOVSITE = str(Path(sys.executable).parent / "govsite")

SETUP = """
import datetime as dt, json
from django.utils import timezone
from content_models.models import Department
from services.consultations.models import Consultation
from services.surveys.models import Question, Survey
dept = Department.objects.create(slug="zjj", name="住建局", organ_code="113505830002")
today = timezone.localdate()
c = Consultation.objects.create(title="绿地管理办法征求意见", department=dept, draft_text="第一条 草案正文",
                                start_date=today, end_date=today + dt.timedelta(days=5))
s = Survey.objects.create(title="出行方式调查", department=dept, start_date=today, end_date=today + dt.timedelta(days=5))
Question.objects.create(survey=s, sort_order=0, kind="single", text="出行方式？", options="公交\\n步行\\n骑车")
Question.objects.create(survey=s, sort_order=1, kind="multiple", text="改进哪些？", options="班次\\n线路\\n站台")
Question.objects.create(survey=s, sort_order=2, kind="scale", text="满意度", scale_max=5)
Question.objects.create(survey=s, sort_order=3, kind="text", text="其他建议", required=False)
print(json.dumps([c.number, s.number]))
"""

COUNT = ("from services.consultations.models import Comment; from services.surveys.models import Answer, Response,"
         " TextAnswer; import json; print(json.dumps([list(Comment.objects.values_list('text', flat=True)),"
         " Response.objects.count(), list(Answer.objects.values_list('choice', 'value')),"
         " list(TextAnswer.objects.values_list('text', 'status'))]))")


def shell(env: dict, code: str) -> list:
    out = subprocess.run([GOVSITE, "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True, timeout=300).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("interaction-browser")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(root / "data"), GOVSITE_SITE_DIR=str(root / "data" / "site"),
               GOVSITE_SERVE_SITE="0", DJANGO_SETTINGS_MODULE="cms.settings")
    subprocess.run([GOVSITE, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    numbers = shell(env, SETUP)
    api = Server(env)
    site_dir = root / "site"
    static = StaticServer(site_dir)
    env["GOVSITE_CORS_ORIGINS"] = static.url
    build = (
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
            yield static, chromium, env, numbers
    finally:
        api.stop()


def result_of(chromium, form: str, state: str) -> str:
    chromium.wait(f"document.querySelector({json.dumps(form + ' .svc-result')}).className.includes({json.dumps(state)})")
    return chromium.evaluate(f"document.querySelector({json.dumps(form + ' .svc-result')}).textContent")


def challenge_answer(chromium) -> str:
    chromium.wait("!document.querySelector('.svc-question').textContent.includes('加载中')")
    return solve(chromium.evaluate("document.querySelector('.svc-question').textContent"))


def test_comment_on_an_open_consultation(stack):
    static, chromium, env, (consultation, _survey) = stack
    chromium.navigate(f"{static.url}/consultations/{consultation}/")
    form = "form[data-action=comment]"
    answer = challenge_answer(chromium)
    chromium.evaluate(f"""(() => {{ const f = document.querySelector('{form}');
        f.elements.name.value = '许文华'; f.elements.opinion.value = '短';
        f.elements.challenge_answer.value = {json.dumps(answer)}; f.querySelector('button[type=submit]').click(); }})()""")
    assert "意见内容" in result_of(chromium, form, "svc-error")
    chromium.evaluate(f"""(() => {{ const f = document.querySelector('{form}');
        f.elements.opinion.value = '建议在老旧小区增加口袋公园，方便老人散步。';
        f.querySelector('button[type=submit]').click(); }})()""")
    assert "意见编号" in result_of(chromium, form, "svc-ok")
    comments, *_rest = shell(env, COUNT)
    assert comments == ["建议在老旧小区增加口袋公园，方便老人散步。"]


def test_answer_a_survey_once(stack):
    static, chromium, env, (_consultation, survey) = stack
    url = f"{static.url}/surveys/{survey}/"
    form = "form[data-action=respond]"
    chromium.navigate(url)
    answer = challenge_answer(chromium)
    chromium.evaluate(f"""(() => {{ const f = document.querySelector('{form}');
        const fs = f.querySelectorAll('fieldset[data-question]');
        fs[0].querySelectorAll('input')[1].click();
        fs[1].querySelectorAll('input')[0].click(); fs[1].querySelectorAll('input')[2].click();
        fs[2].querySelectorAll('input')[3].click();
        fs[3].querySelector('textarea').value = '希望开通夜班车';
        f.elements.challenge_answer.value = {json.dumps(answer)};
        f.querySelector('button[type=submit]').click(); }})()""")
    assert "答卷已提交" in result_of(chromium, form, "svc-ok")
    _comments, responses, answers, texts = shell(env, COUNT)
    assert responses == 1
    assert sorted(map(tuple, answers), key=str) == sorted([(1, None), (0, None), (2, None), (None, 4)], key=str)
    assert texts == [["希望开通夜班车", "pending"]]

    # the same browser again (the token kept in localStorage): refused, nothing stored
    chromium.navigate(url)
    answer = challenge_answer(chromium)
    chromium.evaluate(f"""(() => {{ const f = document.querySelector('{form}');
        const fs = f.querySelectorAll('fieldset[data-question]');
        fs[0].querySelectorAll('input')[0].click(); fs[1].querySelectorAll('input')[1].click();
        fs[2].querySelectorAll('input')[0].click();
        f.elements.challenge_answer.value = {json.dumps(answer)};
        f.querySelector('button[type=submit]').click(); }})()""")
    assert "只能提交一次" in result_of(chromium, form, "svc-error")
    assert shell(env, COUNT)[1] == 1
