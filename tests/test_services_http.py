"""Letters over real HTTP: a gunicorn process on loopback against a temporary, migrated SQLite DB.

200 concurrent submissions (some sent twice with the same Idempotency-Key, as a double click) are
stored exactly once each; a server killed with SIGKILL in the middle of a burst and restarted has
every letter it answered with success.
"""

import http.client
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers.servers import Server, govsite
from tests.helpers.services import letter_payload

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server_env(tmp_path_factory):
    data = tmp_path_factory.mktemp("svc-http")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(data), GOVSITE_SITE_DIR=str(data / "site"), GOVSITE_SERVICES_RATE_LIMIT="0",
               DJANGO_SETTINGS_MODULE="cms.settings", GOVSITE_SERVE_SITE="0")
    govsite(env, "migrate", "-v0")
    return env


def gunicorn(env: dict) -> Server:
    """The shared test server (tests/helpers/servers.py): gunicorn, 2 workers × 8 threads."""
    return Server(env, "gunicorn", workers=2, threads=8)


def request(method: str, url: str, body: dict | None = None, key: str | None = None, timeout: float = 60):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def submit(base: str, i: int, key: str | None = None):
    """One citizen: get a challenge, answer it, submit; returns (key, status, body)."""
    key = key or uuid.uuid4().hex
    _, challenge = request("GET", base + "/api/services/letters/challenge")
    payload = letter_payload(challenge, subject=f"并发测试第{i}封", text=f"第{i}封来信的内容，测试并发提交。")
    status, body = request("POST", base + "/api/services/letters/", payload, key)
    return key, status, body, payload


def count_letters(env: dict) -> tuple[int, set[str]]:
    code = ("from services.letters.models import Letter;import json;"
            "print(json.dumps([Letter.objects.count(), list(Letter.objects.values_list('number', flat=True))]))")
    n, numbers = json.loads(govsite(env, "shell", "-c", code, timeout=120).strip().splitlines()[-1])
    return n, set(numbers)


def test_200_concurrent_submissions_are_stored_exactly_once(server_env):
    before, _ = count_letters(server_env)
    server = gunicorn(server_env).start()
    try:
        with ThreadPoolExecutor(max_workers=200) as pool:
            results = list(pool.map(lambda i: submit(server.base, i), range(200)))
            # 50 of them "double click": the same key and body again, concurrently
            repeats = list(pool.map(
                lambda r: request("POST", server.base + "/api/services/letters/", r[3], r[0]), results[:50]
            ))
    finally:
        server.stop()
    statuses = [s for _, s, _, _ in results]
    assert statuses.count(201) == 200, statuses
    assert all(s == 200 for s, _ in repeats)
    assert [b["number"] for _, b in repeats] == [b["number"] for _, _, b, _ in results[:50]]
    after, numbers = count_letters(server_env)
    assert after - before == 200
    assert {b["number"] for _, _, b, _ in results} <= numbers


def test_killed_server_loses_no_acknowledged_letter(server_env):
    server = gunicorn(server_env).start()
    acknowledged: list[str] = []
    try:
        with ThreadPoolExecutor(max_workers=40) as pool:
            futures = [pool.submit(submit, server.base, 1000 + i) for i in range(150)]
            time.sleep(1.0)
            server.kill()  # SIGKILL in the middle of the burst
            for f in futures:
                try:
                    _, status, body, _ = f.result(timeout=120)
                except (OSError, http.client.HTTPException, ValueError):
                    continue  # connection reset: the client did not get an answer
                if status == 201:
                    acknowledged.append(body["number"])
    finally:
        server.kill()
    assert acknowledged, "the server answered nothing before it was killed; the test proves nothing"
    restarted = gunicorn(server_env).start()
    try:
        _, numbers = count_letters(server_env)
        assert set(acknowledged) <= numbers
    finally:
        restarted.stop()


def shell(env: dict, code: str) -> None:
    govsite(env, "shell", "-c", code, timeout=120)


def test_status_lookup_over_http_sees_every_committed_change(server_env):
    shell(server_env, "from services.status.models import Application as A; "
                      "A.objects.create(number='HTTP1', query_code='246810', applicant='李明', item='x', department='d')")
    server = gunicorn(server_env).start()
    try:
        url = server.base + "/api/services/status/lookup?no=HTTP1&code="
        for _ in range(20):  # warm every worker thread's persistent connection
            status, body = request("GET", url + "246810")
            assert status == 200 and body["status_label"] == "已受理"
        assert request("GET", url + "000000")[0] == 404
        shell(server_env, "from services.status.models import Application as A; "
                          "a = A.objects.get(number='HTTP1'); a.status = 'done'; a.result = '准予许可'; a.save()")
        for _ in range(20):
            status, body = request("GET", url + "246810")
            assert body["status_label"] == "已办结" and body["result"] == "准予许可"
    finally:
        server.stop()
