"""One answer per person: the signed answer token, the contact's keyed hash, and the one-time codes
of the optional phone or e-mail verification (kept in the shared cache, so any server process can
check a code another one sent).

- A token is ``signing.dumps({"s": survey, "n": nonce})``: it cannot be forged or moved to another
  survey; the database stores only ``sha256(nonce)`` and accepts one response per token.
- A verified contact is stored as ``HMAC(SECRET_KEY, survey + contact)``: one response per contact,
  and the list of hashes reveals nobody's phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.utils.translation import gettext as _

from cms.api.errors import ServiceError
from services import conf

SALT = "govsite.surveys.token"
CODE_TTL = 600  # seconds a verification code stays valid
CODE_TRIES = 5  # wrong codes before a new one must be asked for


def _cache():
    return caches[conf.get("GOVSITE_SERVICES_CACHE")]


def issue(survey_number: str) -> str:
    return signing.dumps({"s": survey_number, "n": secrets.token_urlsafe(16)}, salt=SALT, compress=False)


def token_hash(token: str, survey_number: str) -> str:
    """The stored form of a valid token for this survey; 400 with a Chinese message otherwise."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise ServiceError(400, _("答卷标识无效，请刷新页面后重新作答")) from None
    if not isinstance(data, dict) or data.get("s") != survey_number or not isinstance(data.get("n"), str):
        raise ServiceError(400, _("答卷标识不属于本调查，请刷新页面后重新作答"))
    return hashlib.sha256(data["n"].encode()).hexdigest()


def contact_hash(survey_number: str, contact: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{survey_number}\x00{contact.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def new_code(survey_number: str, contact: str) -> str:
    """A six-digit code for this contact and survey, replacing any earlier one."""
    code = f"{secrets.randbelow(10**6):06d}"
    key = "svc:survey:code:" + contact_hash(survey_number, contact)
    _cache().set(key, {"code": hashlib.sha256(code.encode()).hexdigest(), "tries": 0}, timeout=CODE_TTL)
    return code


def check_code(survey_number: str, contact: str, code: str) -> None:
    """400 unless ``code`` is the live code sent to ``contact``; used up when right, and after
    ``CODE_TRIES`` wrong guesses."""
    cache = _cache()
    key = "svc:survey:code:" + contact_hash(survey_number, contact)
    entry = cache.get(key)
    if not entry:
        raise ServiceError(400, _("验证码已过期或未获取，请重新获取验证码"))
    if not hmac.compare_digest(entry["code"], hashlib.sha256(code.strip().encode()).hexdigest()):
        entry["tries"] += 1
        if entry["tries"] >= CODE_TRIES:
            cache.delete(key)
        else:
            cache.set(key, entry, timeout=CODE_TTL)
        raise ServiceError(400, _("验证码不正确"))
    cache.delete(key)
