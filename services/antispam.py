"""Anti-spam for public writes: a per-client write limit and an arithmetic challenge, both in the
shared cache so they hold across every server process [0080].

``GET …/challenge`` returns a question and an opaque random token; the answer is kept only on the
server (in the cache under the token, for ``GOVSITE_SERVICES_CHALLENGE_MAX_AGE`` seconds), so the
token tells nothing about it. A write carries the token and the answer. A wrong answer burns the
challenge; a right one marks it used with ``cache.add``, which only one request on any worker can
win (on Redis the whole check is one script, one round trip [0114]). The write limit counts per client address (services.throttle, behind
``GOVSITE_TRUSTED_PROXIES``).
"""

import re
import secrets

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext as _
from ninja import Schema

from cms.api.errors import ServiceError
from services import conf, throttle
from services.throttle import client_ip

__all__ = ["Challenge", "check_challenge", "check_rate_limit", "client_ip", "guard_write", "new_challenge"]

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
# challenges one client may fetch per write window, per allowed write (a form may be refreshed)
CHALLENGES_PER_WRITE = 3


def _cache():
    """The cache alias for counters and challenges (``GOVSITE_SERVICES_CACHE``, default "default")."""
    return caches[conf.get("GOVSITE_SERVICES_CACHE")]


class Challenge(Schema):
    token: str
    question: str


def _answer_key(token: str) -> str:
    return f"svc:challenge:{token}"


def _used_key(token: str) -> str:
    return f"svc:challenge-used:{token}"


def new_challenge(request=None) -> Challenge:
    """A small addition or subtraction question; its answer stays on the server under the token."""
    if request is not None:
        limit = conf.get("GOVSITE_SERVICES_RATE_LIMIT") * CHALLENGES_PER_WRITE
        key = f"svc:challenge-rate:{client_ip(request)}"
        if not throttle.count(key, limit, conf.get("GOVSITE_SERVICES_RATE_WINDOW")):
            wait = throttle.wait_seconds([key], limit)
            raise throttle.Throttled(_("获取验证题过于频繁，请稍后再试"), wait)
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2) and a >= b:
        question, answer = _("%(a)s 减 %(b)s 等于几？") % {"a": a, "b": b}, a - b
    else:
        question, answer = _("%(a)s 加 %(b)s 等于几？") % {"a": a, "b": b}, a + b
    token = secrets.token_urlsafe(24)  # 32 characters
    _cache().set(_answer_key(token), str(answer), timeout=conf.get("GOVSITE_SERVICES_CHALLENGE_MAX_AGE"))
    return Challenge(token=token, question=question)


def check_challenge(token: str, answer: str, use: str = "") -> None:
    """Raise a 400 with a Chinese message unless ``answer`` solves the unused challenge ``token``.

    ``use`` (the idempotency key) lets a concurrent double submit of the same form pass twice;
    the idempotency key then makes both return the same case."""
    token = (token or "").strip()
    outcome = _INVALID
    if TOKEN_RE.match(token):
        cache = _cache()
        check = _check_in_redis if isinstance(cache, RedisCache) else _check_in_cache
        outcome = check(cache, token, str(answer).strip(), use, conf.get("GOVSITE_SERVICES_CHALLENGE_MAX_AGE") + 60)
    if outcome == _INVALID:
        raise ServiceError(400, _("验证题无效或已过期，请刷新后重新作答"))
    if outcome == _USED:
        raise ServiceError(400, _("验证题已使用，请刷新后重新作答"))
    if outcome == _WRONG:
        raise ServiceError(400, _("验证题答案不正确"))


_OK, _INVALID, _USED, _WRONG = "ok", "invalid", "used", "wrong"


def _check_in_cache(cache, token: str, answer: str, use: str, used_for: int) -> str:
    """The challenge's rule on any cache: the outcome (:data:`_OK` or why not)."""
    # the answer and the used mark in one read
    found = cache.get_many([_answer_key(token), _used_key(token)])
    expected = found.get(_answer_key(token))
    if expected is None:
        return _INVALID
    used = found.get(_used_key(token))
    if used is not None and (not use or used != use):
        return _USED
    if answer != expected:
        cache.delete(_answer_key(token))  # one guess per challenge
        return _WRONG
    if not cache.add(_used_key(token), use or "-", timeout=used_for) and (not use or cache.get(_used_key(token)) != use):
        return _USED
    return _OK


# The same rule, step by step, as one Redis script: one round trip for every public write instead
# of two, and Redis runs a script alone, so marking the challenge used is as atomic as ``add``.
# Values are compared as the cache stores them (serialized by the cache's serializer).
_CHECK_SCRIPT = """
local expected = redis.call('GET', KEYS[1])
if not expected then return 'invalid' end
local used = redis.call('GET', KEYS[2])
if used and (ARGV[2] == '' or used ~= ARGV[2]) then return 'used' end
if ARGV[1] ~= expected then redis.call('DEL', KEYS[1]) return 'wrong' end
if not redis.call('SET', KEYS[2], ARGV[3], 'NX', 'EX', ARGV[4]) then
  if ARGV[2] == '' or redis.call('GET', KEYS[2]) ~= ARGV[2] then return 'used' end
end
return 'ok'
"""
_script = None


def _check_in_redis(cache: RedisCache, token: str, answer: str, use: str, used_for: int) -> str:
    """:func:`_check_in_cache` in one round trip to Redis (Django's Redis cache: its keys, its
    serializer, the client it writes with)."""
    global _script
    client = cache._cache.get_client(write=True)
    if _script is None:
        _script = client.register_script(_CHECK_SCRIPT)  # EVALSHA, loaded on first use by each server
    dumps = cache._cache._serializer.dumps
    keys = [cache.make_and_validate_key(_answer_key(token)), cache.make_and_validate_key(_used_key(token))]
    outcome = _script(keys=keys, args=[dumps(answer), dumps(use) if use else b"", dumps(use or "-"), used_for],
                      client=client)
    return outcome.decode() if isinstance(outcome, bytes) else outcome


def check_rate_limit(request, scope: str) -> None:
    """Raise 429 (with ``Retry-After``) when this client made the allowed writes in this window."""
    throttle.check_writes(request, scope)


def guard_write(request, scope: str, token: str, answer: str, use: str = "") -> None:
    """Both checks, rate limit first (cheap and not consuming the challenge)."""
    check_rate_limit(request, scope)
    check_challenge(token, answer, use)
