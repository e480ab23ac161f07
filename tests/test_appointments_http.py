"""Appointments over real HTTP: 300 citizens at once (300 client threads) against two gunicorn
worker processes, for the last 5 places of a slot, on SQLite and on PostgreSQL: exactly 5 bookings
and 295 clear refusals, and the counter in the database agrees."""

import json
import os
import socket
import subprocess
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.helpers.servers import BIN, ROOT, Server
from tests.helpers.services import solve
from tests.test_services_http import request as http

pytestmark = pytest.mark.slow

SETUP = """
import datetime as dt, json
from content_models.models import Department
from services.appointments.models import Window, Period
d, _ = Department.objects.get_or_create(slug="bdc", defaults={"name": "不动产登记中心"})
w = Window.objects.create(department=d, name="并发测试窗口", place="一楼", days_ahead=30)
Period.objects.create(window=w, start=dt.time(9), end=dt.time(10), capacity=5)
from services.workdays import is_workday
day = dt.date.today() + dt.timedelta(days=1)
while not is_workday(day):
    day += dt.timedelta(days=1)
print(json.dumps([w.pk, day.isoformat()]))
"""
COUNT = """
import json
from services.appointments.models import Booking, Slot
print(json.dumps([[s.booked, s.capacity] for s in Slot.objects.filter(window_id={w})] + [Booking.objects.filter(window_id={w}).count()]))
"""


def postgres_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


def shell(env: dict, code: str):
    out = subprocess.run([str(BIN / "govsite"), "shell", "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=300).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", "postgresql"])
def server_env(request, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(tmp_path), GOVSITE_SITE_DIR=str(tmp_path / "site"), GOVSITE_SERVICES_RATE_LIMIT="0",
               DJANGO_SETTINGS_MODULE="cms.settings", GOVSITE_SERVE_SITE="0", GOVSITE_SERVICE_PAGES="0")
    name = None
    if request.param == "postgresql":
        if not postgres_answers():
            pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
        base = os.environ.get("GOVSITE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        admin = base.rsplit("/", 1)[0] + "/postgres"
        name = f"govsite_appt_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    subprocess.run([str(BIN / "govsite"), "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=600)
    yield env
    if name:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_300_concurrent_bookings_over_http_for_the_last_5_places(server_env):
    window, day = shell(server_env, SETUP)  # the next working day, on the server's calendar
    server = Server(server_env, "gunicorn", workers=2, threads=8).start()
    barrier = threading.Barrier(300)

    def citizen(i):
        _, challenge = http("GET", server.base + "/api/services/appointments/challenge")
        body = {"window": window, "day": day, "start": "09:00", "name": f"群众{i}",
                "phone": f"138{i:08d}", "challenge_token": challenge["token"],
                "challenge_answer": solve(challenge["question"])}
        barrier.wait()
        return http("POST", server.base + "/api/services/appointments/bookings", body, uuid.uuid4().hex, timeout=120)

    try:
        with ThreadPoolExecutor(max_workers=300) as pool:
            results = list(pool.map(citizen, range(300)))
    finally:
        server.stop()
    statuses = sorted(s for s, _ in results)
    assert statuses.count(201) == 5 and statuses.count(409) == 295, statuses
    assert {b["message"] for s, b in results if s == 409} == {"该时段已约满，请选择其他时段"}
    numbers = {b["number"] for s, b in results if s == 201}
    assert len(numbers) == 5 and all(len(b["code"]) == 10 for s, b in results if s == 201)
    slots_and_count = shell(server_env, COUNT.replace("{w}", str(window)))
    assert slots_and_count == [[5, 5], 5]
