"""Framework of the service modules: calendar, masking, CORS, Chinese errors, anti-spam, idempotency."""


import uuid

import pytest
from django.core.cache import cache, caches
from django.test import override_settings

from cms.api.errors import ServiceError
from services import antispam, throttle
from services.masking import mask_name
from tests.helpers.services import REDIS_URL, letter_payload, new_key, redis_or_skip, solve

LETTERS = "/api/services/letters/"


@pytest.fixture(autouse=True)
def fresh_cache(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(params=["database-cache", "redis"])
def shared_cache(request, settings):
    """The shared cache the challenges live in: the database cache (the default), or Redis
    (``GOVSITE_CACHE_URL``), where a challenge is checked by one script (services.antispam)."""
    if request.param == "database-cache":
        yield
        return
    client = redis_or_skip()
    prefix = f"govsite-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                      "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    assert type(caches["default"]).__name__ == "RedisCache"
    yield
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def challenge(client, module="letters"):
    r = client.get(f"/api/services/{module}/challenge")
    assert r.status_code == 200
    return r.json()


@pytest.mark.parametrize(
    "name,masked",
    [("许文华", "许*华"), ("李明", "李*"), ("欧阳文华", "欧阳*华"), ("南安市某某建材有限公司", "南安市某某建材有限公司"),
     ("某某商行", "某某商行")],
)
def test_public_names_are_masked_but_companies_are_not(name, masked):
    assert mask_name(name) == masked


@override_settings(GOVSITE_CORS_ORIGINS=["https://www.nanan.gov.cn"])
def test_cors_allows_only_the_configured_origin(client):
    ok = client.options(LETTERS, HTTP_ORIGIN="https://www.nanan.gov.cn", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,idempotency-key")
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == "https://www.nanan.gov.cn"
    assert "Idempotency-Key" in ok["Access-Control-Allow-Headers"]
    bad = client.options(LETTERS, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in bad
    get = client.get("/api/services/letters/challenge", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in get
    get = client.get("/api/services/letters/challenge", HTTP_ORIGIN="https://www.nanan.gov.cn")
    assert get["Access-Control-Allow-Origin"] == "https://www.nanan.gov.cn"


@pytest.mark.django_db
def test_validation_errors_are_chinese_and_name_the_field(client):
    data = letter_payload(challenge(client), phone="12345", name="")
    r = client.post(LETTERS, data, content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 422
    body = r.json()
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields["phone"].startswith("联系电话：") and "格式不正确" in fields["phone"]
    assert fields["name"].startswith("姓名：")
    assert "联系电话" in body["message"]


@pytest.mark.django_db
def test_malformed_json_is_a_clear_422_not_a_500(client):
    r = client.post(LETTERS, b"{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code in (400, 422)
    assert "message" in r.json()


@pytest.mark.django_db
def test_write_needs_a_solved_unused_challenge(client, shared_cache):
    c = challenge(client)
    wrong = letter_payload(c, challenge_answer="99")
    r = client.post(LETTERS, wrong, content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 400 and r.json()["message"].startswith("验证题答案不正确")
    # a wrong answer burns the challenge: no trying every answer on one question
    r = client.post(LETTERS, letter_payload(c), content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 400 and "无效" in r.json()["message"]
    c = challenge(client)
    r = client.post(LETTERS, letter_payload(c), content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 201
    # the same challenge cannot be reused for a different submission
    r = client.post(LETTERS, letter_payload(c, subject="另一封"), content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 400 and "已使用" in r.json()["message"]
    forged = letter_payload(c, challenge_token="abc:def")
    r = client.post(LETTERS, forged, content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 400 and "无效" in r.json()["message"]


@pytest.mark.django_db
def test_a_challenge_passes_twice_only_for_the_same_idempotency_key(shared_cache):
    """A form submitted twice at once (the same key) passes both times; any other use is refused,
    and a wrong answer burns the challenge even for its own key."""
    c = antispam.new_challenge()
    antispam.check_challenge(c.token, solve(c.question), use="key-one-0001")
    antispam.check_challenge(c.token, f" {solve(c.question)} ", use="key-one-0001")
    for use in ("key-two-0002", ""):
        with pytest.raises(ServiceError, match="已使用"):
            antispam.check_challenge(c.token, solve(c.question), use=use)
    with pytest.raises(ServiceError, match="不正确"):
        antispam.check_challenge(c.token, "99", use="key-one-0001")
    with pytest.raises(ServiceError, match="无效"):
        antispam.check_challenge(c.token, solve(c.question), use="key-one-0001")
    fresh = antispam.new_challenge()
    antispam.check_challenge(fresh.token, solve(fresh.question))
    with pytest.raises(ServiceError, match="已使用"):
        antispam.check_challenge(fresh.token, solve(fresh.question))


@pytest.mark.django_db
@override_settings(GOVSITE_SERVICES_RATE_LIMIT=3)
def test_rate_limit_per_ip(client):
    codes = []
    for i in range(5):
        r = client.post(LETTERS, letter_payload(challenge(client), subject=f"第{i}封"), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=new_key())
        codes.append(r.status_code)
    assert codes == [201, 201, 201, 429, 429]
    assert client.post(LETTERS, letter_payload(challenge(client)), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=new_key(), REMOTE_ADDR="10.0.0.9").status_code == 201


@pytest.mark.django_db
def test_idempotency_key_returns_the_same_case(client):
    from services.letters.models import Letter

    key = new_key()
    data = letter_payload(challenge(client))
    first = client.post(LETTERS, data, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(LETTERS, data, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json() == again.json()
    assert Letter.objects.count() == 1
    # the same key with another body is refused, so a key cannot fetch someone else's query code
    other = client.post(LETTERS, {**data, "subject": "别的"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 409
    missing = client.post(LETTERS, letter_payload(challenge(client)), content_type="application/json")
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json()["message"]


@pytest.mark.django_db
def test_idempotency_is_enforced_by_the_database():
    from django.db import IntegrityError, transaction

    from services.letters.models import Letter

    Letter.objects.create(name="李明", phone="13800138000", subject="a", text="xxxxx", idempotency_key="k" * 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.create(name="李明", phone="13800138000", subject="a", text="xxxxx", idempotency_key="k" * 10)


def test_one_openapi_document_lists_every_module(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in ("/api/services/status/lookup", "/api/services/letters/", "/api/services/ratings/"):
        assert p in paths
    assert client.get("/api/docs").status_code == 200


@pytest.mark.django_db
def test_messages_are_translated_for_english_clients(client):
    c = challenge(client)
    r = client.post(LETTERS, letter_payload(c, challenge_answer="99"), content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=new_key(), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and r.json()["message"] == "Wrong answer to the question"
    question = client.get("/api/services/letters/challenge", HTTP_ACCEPT_LANGUAGE="en").json()["question"]
    assert "plus" in question or "minus" in question


@pytest.mark.django_db
def test_english_validation_errors_name_the_field_in_english(client):
    r = client.post(LETTERS, letter_payload(challenge(client), phone="1"), content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=new_key(), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"].startswith("Phone: has a wrong format")


@pytest.mark.parametrize("trusted,peer,forwarded,expected", [
    ([], "10.0.0.5", "1.2.3.4", "10.0.0.5"),  # no trusted proxy: the header is ignored
    (["10.0.0.0/8"], "198.51.100.1", "1.2.3.4", "198.51.100.1"),  # a peer that is not a trusted proxy
    (["10.0.0.0/8"], "10.0.0.5", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client cannot pick his own address
    (["10.0.0.0/8"], "10.0.0.5", "1.2.3.4, 10.0.0.9", "1.2.3.4"),  # two proxies in a row
    (["10.0.0.0/8"], "10.0.0.5", "garbage", "10.0.0.5"),
])
def test_client_address_comes_from_x_forwarded_for_only_behind_trusted_proxies(rf, trusted, peer, forwarded,
                                                                                expected):
    request = rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(GOVSITE_TRUSTED_PROXIES=trusted):
        assert throttle.client_ip(request) == expected


@pytest.mark.django_db
def test_lookups_lock_after_wrong_codes_even_for_the_right_code(client):
    from services.status.models import Application

    app = Application.objects.create(number="XK-LOCK-1", applicant="许文华", item="许可", department="住建局")
    url = "/api/services/status/lookup"
    statuses = [client.get(url, {"no": app.number, "code": f"WRONG{i}"}).status_code for i in range(6)]
    assert statuses == [404] * 5 + [429]
    locked = client.get(url, {"no": app.number, "code": app.query_code})
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "查询码错误次数过多" in locked.json()["message"]
