"""Booking and cancelling in headless chromium: the static /appointments/ page (one origin) calls
the appointments API (a gunicorn process, another origin) through CORS."""

import json
import os
import re
import subprocess

import pytest

from tests.helpers.browser import Chromium, StaticServer, chromium_available
from tests.helpers.servers import BIN, ROOT, Server
from tests.helpers.services import solve
from tests.test_appointments_http import shell

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="chromium is not installed (apt-get install chromium)"),
]

SETUP = """
import datetime as dt, json
from content_models.models import Department
from services.appointments.models import Window, Period
d, _ = Department.objects.get_or_create(slug="bdc", defaults={"name": "不动产登记中心"})
w = Window.objects.create(department=d, name="不动产登记窗口", place="市民服务中心一楼 3 号窗口", items="不动产转移登记")
Period.objects.create(window=w, start=dt.time(9), end=dt.time(10), capacity=2, sort_order=0)
Period.objects.create(window=w, start=dt.time(10), end=dt.time(11), capacity=2, sort_order=1)
print(json.dumps(w.pk))
"""
STATE = """
import json
from services.appointments.models import Booking
print(json.dumps({b.number: [b.status, b.slot.booked] for b in Booking.objects.select_related("slot")}))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("appt-browser")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(root / "data"), GOVSITE_SITE_DIR=str(root / "data" / "site"),
               GOVSITE_SERVE_SITE="0", DJANGO_SETTINGS_MODULE="cms.settings")
    subprocess.run([str(BIN / "govsite"), "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    shell(env, SETUP)
    api = Server(env, "gunicorn", workers=2, threads=8)
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
    subprocess.run([str(BIN / "govsite"), "shell", "-c", build], cwd=ROOT,
                   env={**env, "GOVSITE_SERVICES_API_BASE": api.base + "/api/services"}, check=True, timeout=300)
    api.start()
    try:
        with static, Chromium() as chromium:
            yield static, chromium, env
    finally:
        api.stop()


def result(chromium, form: str) -> tuple[str, str]:
    sel = json.dumps(f"form[data-action={form}] .svc-result")
    chromium.wait(f"document.querySelector({sel}).className.match(/svc-(ok|error)/)")
    return (chromium.evaluate(f"document.querySelector({sel}).className"),
            chromium.evaluate(f"document.querySelector({sel}).textContent"))


def test_book_then_cancel_in_the_browser(stack):
    static, chromium, env = stack
    chromium.navigate(static.url + "/appointments/")
    chromium.wait("!document.querySelector('.svc-question').textContent.includes('加载中')")
    question = chromium.evaluate("document.querySelector('.svc-question').textContent")
    chromium.evaluate("""(() => { const f = document.querySelector('form[data-action=book]');
        f.elements.window.selectedIndex = 1; f.elements.window.dispatchEvent(new Event('change')); })()""")
    chromium.wait("document.querySelectorAll('form[data-action=book] input[name=start]').length === 2")
    assert "（余 2）" in chromium.evaluate("document.querySelector('.appt-slots').textContent")
    chromium.evaluate(f"""(() => {{ const f = document.querySelector('form[data-action=book]');
        f.querySelector('input[name=start][value="10:00"]').checked = true;
        f.elements.name.value = '许文华'; f.elements.phone.value = '13800138000';
        f.elements.item.value = '不动产转移登记'; f.elements.challenge_answer.value = {json.dumps(solve(question))};
        f.querySelector('button[type=submit]').click(); }})()""")
    cls, text = result(chromium, "book")
    assert "svc-ok" in cls, text
    number, code = re.search(r"预约号：(\w+)，预约码：(\w+)", text).groups()
    assert "10:00–11:00" in text and "市民服务中心一楼 3 号窗口" in text
    assert shell(env, STATE) == {number: ["booked", 1]}
    # the slot list was reloaded: one place fewer
    chromium.wait("document.querySelector('.appt-slots').textContent.includes('（余 1）')")

    chromium.evaluate(f"""(() => {{ const f = document.querySelector('form[data-action=manage]');
        f.elements.number.value = {json.dumps(number)}; f.elements.code.value = {json.dumps(code)};
        f.querySelector('button[value=cancel]').click(); }})()""")
    cls, text = result(chromium, "manage")
    assert "svc-ok" in cls and "已取消" in text, text
    assert shell(env, STATE) == {number: ["cancelled", 0]}

    chromium.evaluate("document.querySelector('form[data-action=manage] .svc-result').className = 'svc-result'")
    chromium.evaluate("document.querySelector('form[data-action=manage] button[value=cancel]').click()")
    cls, text = result(chromium, "manage")
    assert "svc-error" in cls and "已取消" in text
