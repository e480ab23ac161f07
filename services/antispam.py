"""Anti-spam for public writes: a per-IP rate limit and a signed arithmetic challenge.

The challenge needs no server state: ``GET …/challenge`` returns a question and a token that is
the answer's HMAC (Django's signing, salted, timestamped). A write carries the token and the answer;
the token is single-use (remembered in the cache until it expires). The rate limit counts writes per
client IP in Django's cache; production should configure a cache shared by all server processes
(database or Redis), the default local-memory cache counts per process.
"""

import hashlib
import secrets
import time

from django.core import signing
from django.core.cache import caches
from django.utils.translation import gettext as _
from ninja import Schema

from cms.api.errors import ServiceError
from services import conf

SALT = "govsite.services.challenge"


def _cache():
    """The cache alias for counters and used challenges (``GOVSITE_SERVICES_CACHE``, default "default")."""
    return caches[conf.get("GOVSITE_SERVICES_CACHE")]


class Challenge(Schema):
    token: str
    question: str


def new_challenge() -> Challenge:
    """A small addition or subtraction question and its signed token."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2) and a >= b:
        question, answer = _("%(a)s 减 %(b)s 等于几？") % {"a": a, "b": b}, a - b
    else:
        question, answer = _("%(a)s 加 %(b)s 等于几？") % {"a": a, "b": b}, a + b
    token = signing.dumps({"a": answer, "n": secrets.token_hex(8)}, salt=SALT, compress=False)
    return Challenge(token=token, question=question)


def check_challenge(token: str, answer: str, use: str = "") -> None:
    """Raise a 400 with a Chinese message unless ``answer`` solves the unused challenge ``token``.

    ``use`` (the idempotency key) lets a concurrent double submit of the same form pass twice;
    the idempotency key then makes both return the same case."""
    max_age = conf.get("GOVSITE_SERVICES_CHALLENGE_MAX_AGE")
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ServiceError(400, _("验证题已过期，请刷新后重新作答")) from None
    except signing.BadSignature:
        raise ServiceError(400, _("验证题无效，请刷新后重新作答")) from None
    if str(answer).strip() != str(data.get("a")):
        raise ServiceError(400, _("验证题答案不正确"))
    used_key = "svc:challenge:" + hashlib.sha256(token.encode()).hexdigest()
    cache = _cache()
    if not cache.add(used_key, use or "-", timeout=max_age + 60) and (not use or cache.get(used_key) != use):
        raise ServiceError(400, _("验证题已使用，请刷新后重新作答"))


def client_ip(request) -> str:
    """The peer address; behind a proxy, the deployment sets REMOTE_ADDR (e.g. via the server's
    forwarded-allow-ips) rather than us trusting X-Forwarded-For from anyone."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def check_rate_limit(request, scope: str) -> None:
    """Raise 429 when this IP made more than the allowed writes in the current window."""
    limit = conf.get("GOVSITE_SERVICES_RATE_LIMIT")
    window = conf.get("GOVSITE_SERVICES_RATE_WINDOW")
    if limit <= 0:
        return
    cache = _cache()
    bucket = int(time.time() // window)
    key = f"svc:rate:{scope}:{client_ip(request)}:{bucket}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        raise ServiceError(429, _("提交过于频繁，请稍后再试"))


def guard_write(request, scope: str, token: str, answer: str, use: str = "") -> None:
    """Both checks, rate limit first (cheap and not consuming the challenge)."""
    check_rate_limit(request, scope)
    check_challenge(token, answer, use)
