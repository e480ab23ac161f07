"""Anti-spam for public writes: a per-client write limit and an arithmetic challenge, both in the
shared cache so they hold across every server process [0080].

``GET …/challenge`` returns a question and an opaque random token; the answer is kept only on the
server (in the cache under the token, for ``GOVSITE_SERVICES_CHALLENGE_MAX_AGE`` seconds), so the
token tells nothing about it. A write carries the token and the answer. A wrong answer burns the
challenge; a right one marks it used with ``cache.add``, which only one request on any worker can
win. The write limit counts per client address (services.throttle, behind
``GOVSITE_TRUSTED_PROXIES``).
"""

import re
import secrets

from django.core.cache import caches
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
    cache = _cache()
    # the answer and the used mark in one read (one round trip to Redis on the hot writes)
    found = cache.get_many([_answer_key(token), _used_key(token)]) if TOKEN_RE.match(token) else {}
    expected = found.get(_answer_key(token))
    if expected is None:
        raise ServiceError(400, _("验证题无效或已过期，请刷新后重新作答"))
    used = found.get(_used_key(token))
    if used is not None and (not use or used != use):
        raise ServiceError(400, _("验证题已使用，请刷新后重新作答"))
    if str(answer).strip() != expected:
        cache.delete(_answer_key(token))  # one guess per challenge
        raise ServiceError(400, _("验证题答案不正确"))
    max_age = conf.get("GOVSITE_SERVICES_CHALLENGE_MAX_AGE")
    if not cache.add(_used_key(token), use or "-", timeout=max_age + 60) and (not use or cache.get(_used_key(token)) != use):
        raise ServiceError(400, _("验证题已使用，请刷新后重新作答"))


def check_rate_limit(request, scope: str) -> None:
    """Raise 429 (with ``Retry-After``) when this client made the allowed writes in this window."""
    throttle.check_writes(request, scope)


def guard_write(request, scope: str, token: str, answer: str, use: str = "") -> None:
    """Both checks, rate limit first (cheap and not consuming the challenge)."""
    check_rate_limit(request, scope)
    check_challenge(token, answer, use)
