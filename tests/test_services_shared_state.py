"""Throttling and anti-spam hold across server processes (issue 14, items 1 and 2).

Two real servers on loopback, a gunicorn and a granian process over ``cms.wsgi:application``,
share one SQLite database; the shared cache is the database cache (the default) or Redis
(``GOVSITE_CACHE_URL``). The servers trust 127.0.0.1 as their reverse proxy, so each request can
come from another citizen's address through ``X-Forwarded-For``.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers.servers import Server, call, govsite, shell_json
from tests.helpers.services import REDIS_URL, letter_payload, redis_or_skip

pytestmark = pytest.mark.slow
LOCK_SECONDS = 4


@pytest.fixture(scope="module", params=["database-cache", "redis"])
def servers(request, tmp_path_factory):
    data = tmp_path_factory.mktemp(f"shared-{request.param}")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GOVSITE_CACHE_URL")}
    env.update(GOVSITE_DATA_DIR=str(data), GOVSITE_SITE_DIR=str(data / "site"), DJANGO_SETTINGS_MODULE="cms.settings",
               GOVSITE_SERVE_SITE="0", GOVSITE_SERVICE_PAGES="0", GOVSITE_TRUSTED_PROXIES="127.0.0.1",
               GOVSITE_LOOKUP_LOCK_SECONDS=str(LOCK_SECONDS), GOVSITE_LOOKUP_FAILURES_PER_CLIENT="8",
               GOVSITE_SERVICES_RATE_LIMIT="3")
    redis_client, prefix = None, f"govsite-test-{uuid.uuid4().hex[:8]}"
    if request.param == "redis":
        redis_client = redis_or_skip()
        env.update(GOVSITE_CACHE_URL=REDIS_URL, GOVSITE_CACHE_PREFIX=prefix)
    govsite(env, "migrate", "-v0")
    pair = [Server(env, "gunicorn").start()]
    try:
        pair.append(Server(env, "granian").start())
        yield env, pair
    finally:
        for server in pair:
            server.stop()
        if redis_client is not None:
            for key in redis_client.scan_iter(match=f"{prefix}:*"):
                redis_client.delete(key)


def new_application(env: dict) -> tuple[str, str]:
    number = f"XK{uuid.uuid4().hex[:10].upper()}"
    return tuple(shell_json(env, (
        "import json; from services.status.models import Application; "
        f"a = Application.objects.create(number='{number}', applicant='许文华', item='建设工程规划许可', "
        "department='住建局', status='done'); print(json.dumps([a.number, a.query_code]))"
    )))


def lookup(server: Server, number: str, code: str, client: str):
    url = f"{server.base}/api/services/status/lookup?no={number}&code={code}"
    return call("GET", url, headers={"X-Forwarded-For": client})


def test_query_codes_are_long_and_have_no_look_alike_characters(servers):
    env, _ = servers
    _, code = new_application(env)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{10}", code), code  # 31**10 > 10**12, no 0/O/1/I/L


def test_brute_force_on_one_number_gets_429_within_10_tries_then_the_owner_gets_in(servers):
    env, pair = servers
    number, code = new_application(env)
    statuses, throttled = [], None
    for i in range(10):  # ten strangers' addresses, alternating between the two processes
        status, body, headers = lookup(pair[i % 2], number, f"WRONG{i:05d}", f"203.0.113.{i + 1}")
        statuses.append(status)
        if status == 429 and throttled is None:
            throttled = (body, headers)
    assert 429 in statuses, statuses
    first = statuses.index(429)
    assert set(statuses[:first]) == {404} and set(statuses[first:]) == {429}, statuses
    body, headers = throttled
    assert "查询码错误次数过多" in body["message"]
    retry_after = int(headers["Retry-After"])
    assert 1 <= retry_after <= LOCK_SECONDS
    # while locked, even the right code is refused on both processes: the answer tells nothing
    for server in pair:
        assert lookup(server, number, code, "198.51.100.7")[0] == 429
    time.sleep(retry_after + 0.5)
    for server in pair:
        status, body, _ = lookup(server, number, code.lower(), "198.51.100.7")  # typed in lower case
        assert status == 200, body
        assert body["number"] == number and body["applicant"] == "许文华"


def test_one_client_guessing_many_numbers_is_locked_out(servers):
    env, pair = servers
    number, code = new_application(env)
    client = f"192.0.2.{uuid.uuid4().int % 200 + 20}"
    statuses = [lookup(pair[i % 2], f"XKNONE{i:04d}{uuid.uuid4().hex[:4]}", "AAAAAAAAAA", client)[0]
                for i in range(10)]
    assert statuses[:8] == [404] * 8 and statuses[8:] == [429, 429], statuses
    assert lookup(pair[0], number, code, client)[0] == 429  # this client is locked out for every number
    assert lookup(pair[1], number, code, "198.51.100.99")[0] == 200  # another citizen is not


def challenge(server: Server, client: str) -> dict:
    status, body, _ = call("GET", server.base + "/api/services/letters/challenge",
                           headers={"X-Forwarded-For": client})
    assert status == 200, body
    return body


def submit(server: Server, payload: dict, client: str, key: str | None = None):
    return call("POST", server.base + "/api/services/letters/", payload,
                headers={"X-Forwarded-For": client, "Idempotency-Key": key or uuid.uuid4().hex})


def test_a_challenge_replayed_against_the_second_process_is_refused(servers):
    _, (a, b) = servers
    client = f"198.51.100.{uuid.uuid4().int % 200 + 20}"
    c = challenge(a, client)
    # the token is random: no answer, no signature, nothing to decode
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", c["token"]) and ":" not in c["token"]
    payload = letter_payload(c)
    status, body, _ = submit(b, payload, client)  # fetched on one process, answered on the other
    assert status == 201, body
    status, body, _ = submit(a, {**payload, "subject": "重放的验证题"}, client)
    assert status == 400 and "已使用" in body["message"]
    status, body, _ = submit(b, {**payload, "subject": "再次重放"}, client)
    assert status == 400 and "已使用" in body["message"]


def test_the_write_limit_counts_across_processes(servers):
    _, pair = servers
    client = f"192.0.2.{uuid.uuid4().int % 200 + 20}"
    results = [submit(pair[i % 2], letter_payload(challenge(pair[i % 2], client), subject=f"限流第{i}封"), client)
               for i in range(5)]
    assert [r[0] for r in results] == [201, 201, 201, 429, 429]
    assert "提交过于频繁" in results[3][1]["message"] and int(results[3][2]["Retry-After"]) > 0
    # another citizen behind the same proxy has a limit of his own
    other = "198.51.100.250"
    assert submit(pair[1], letter_payload(challenge(pair[1], other), subject="另一位市民"), other)[0] == 201


def test_an_idempotency_key_creates_one_case_across_processes(servers):
    env, pair = servers
    client = f"203.0.113.{uuid.uuid4().int % 200 + 20}"
    key = uuid.uuid4().hex
    payload = letter_payload(challenge(pair[0], client), subject="双击提交")
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda i: submit(pair[i % 2], payload, client, key), range(3)))
    assert sorted(r[0] for r in results) == [200, 200, 201], results
    assert len({r[1]["number"] for r in results}) == 1
    assert shell_json(env, "import json; from services.letters.models import Letter; "
                           f"print(json.dumps(Letter.objects.filter(idempotency_key='{key}').count()))") == 1
