"""One answer per token across server processes: two gunicorn servers on loopback share one
database; a token answered through one is refused by the other, and the same token sent to both
at once is counted exactly once."""

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers.servers import BIN, ROOT, Server
from tests.helpers.services import solve
from tests.test_services_http import request

pytestmark = pytest.mark.slow

CREATE = """
import datetime as dt, json
from django.utils import timezone
from content_models.models import Department
from services.surveys.models import Question, Survey
dept, _ = Department.objects.get_or_create(slug="jtj", defaults={"name": "交通运输局", "organ_code": "113505830003"})
today = timezone.localdate()
s = Survey.objects.create(title="跨进程测试调查", department=dept, start_date=today, end_date=today + dt.timedelta(days=3))
q = Question.objects.create(survey=s, kind="single", text="出行方式？", options="公交\\n步行")
print(json.dumps([s.number, q.pk]))
"""


def govsite_shell(env: dict, code: str) -> str:
    out = subprocess.run([str(BIN / "govsite"), "shell", "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data = tmp_path_factory.mktemp("survey-http")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(data), GOVSITE_SITE_DIR=str(data / "site"), GOVSITE_SERVICES_RATE_LIMIT="0",
               DJANGO_SETTINGS_MODULE="cms.settings", GOVSITE_SERVE_SITE="0")
    subprocess.run([str(BIN / "govsite"), "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    return env


def send(base: str, number: str, question: int, token: str, choice: int = 0):
    _, ch = request("GET", base + "/api/services/surveys/challenge")
    body = {"token": token, "answers": [{"question": question, "choice": choice}], "challenge_token": ch["token"],
            "challenge_answer": solve(ch["question"])}
    return request("POST", f"{base}/api/services/surveys/{number}/responses", body)


def test_a_second_answer_with_the_same_token_is_refused_by_another_process(env):
    number, question = json.loads(govsite_shell(env, CREATE))
    a, b = Server(env, "gunicorn", workers=2, threads=8).start(), Server(env, "gunicorn", workers=2, threads=8).start()
    try:
        _, issued = request("GET", f"{a.base}/api/services/surveys/{number}/token")
        first = send(a.base, number, question, issued["token"])
        second = send(b.base, number, question, issued["token"], choice=1)
        # 20 more tokens, each sent to both servers at the same moment
        tokens = [request("GET", f"{b.base}/api/services/surveys/{number}/token")[1]["token"] for _ in range(20)]
        with ThreadPoolExecutor(max_workers=40) as pool:
            pairs = list(pool.map(lambda t: (pool.submit(send, a.base, number, question, t),
                                             pool.submit(send, b.base, number, question, t)), tokens))
            raced = [(x.result()[0], y.result()[0]) for x, y in pairs]
    finally:
        a.stop()
        b.stop()
    assert first[0] == 201, first
    assert second[0] == 409 and "只能提交一次" in second[1]["message"], second
    assert all(sorted(r) == [201, 409] for r in raced), raced
    stored = govsite_shell(env, f"from services.surveys.models import Response;print(Response.objects.filter("
                                f"survey__number='{number}').count())")
    assert int(stored) == 21
