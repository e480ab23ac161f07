"""Pieces every service module's API uses: the challenge endpoint and the write guard."""

from collections.abc import Callable

from django.utils.translation import gettext as _
from ninja import Field, Header, Schema
from pydantic import field_validator

from services import antispam, idempotency

# Header parameter for writes; declared optional so a missing header gets our Chinese 400.
IdempotencyHeader = Header(None, alias="Idempotency-Key", description="每次新提交生成的随机值，重试时保持不变（必填）")


class Message(Schema):
    message: str


class CleanInput(Schema):
    """Base of every public input: no text field may carry a NUL character (PostgreSQL rejects
    it, which would otherwise surface as a server error)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(_("包含无效字符"))
        return value


class WriteGuard(CleanInput):
    """Fields of every public write: the answer to a challenge from ``GET …/challenge``."""

    challenge_token: str = Field(..., min_length=1, max_length=500)
    challenge_answer: str = Field(..., min_length=1, max_length=10)


def add_challenge_route(router, scope: str) -> None:
    @router.get("/challenge", response=antispam.Challenge, summary="获取提交验证题", operation_id=f"{scope}_challenge")
    def challenge(request):
        return antispam.new_challenge(request)


def begin_write(request, scope: str, model, raw_key: str | None, payload: dict, guard: WriteGuard,
                key_used: Callable[[str], bool] | None = None):
    """Validate the key; return the existing row for a retry, else check anti-spam and return
    ``(key, fingerprint, None)`` so the caller creates the row with :func:`idempotency.create_once`.
    ``key_used(key)``, a module's cheaper test that some row holds the key (a hot write's prepared
    statement), spares the ORM query when it is false, as it is for every first submission."""
    key = idempotency.clean_key(raw_key)
    fp = idempotency.fingerprint(payload)
    existing = idempotency.find_existing(model, key, fp) if key_used is None or key_used(key) else None
    if existing is None:
        antispam.guard_write(request, scope, guard.challenge_token, guard.challenge_answer, use=key)
    return key, fp, existing
