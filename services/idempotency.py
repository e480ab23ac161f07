"""Idempotent creation: a retried or double-clicked write returns the case it created first.

The ``Idempotency-Key`` header is stored on the created row under a database UNIQUE constraint,
together with a fingerprint of the request body. Two concurrent requests with the same key both
try to insert; the loser gets an IntegrityError and returns the winner's row. The same key with a
different body is a client error (409), so a key cannot be used to read someone else's case.
"""

import hashlib
import re
from collections.abc import Callable
from typing import TypeVar

import orjson
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from cms.api.errors import ServiceError

M = TypeVar("M", bound=models.Model)
KEY_RE = re.compile(r"^[A-Za-z0-9_.:\-]{8,100}$")


def clean_key(raw: str | None) -> str:
    """Validate the header; raise 400 with a Chinese message naming it."""
    key = (raw or "").strip()
    if not key:
        raise ServiceError(400, _("缺少 Idempotency-Key 请求头（每次新提交生成一个随机值，重试时保持不变）"))
    if not KEY_RE.match(key):
        raise ServiceError(400, _("Idempotency-Key 请求头格式不正确：应为 8–100 个字母、数字或 -_.:"))
    return key


def fingerprint(payload: dict) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def find_existing(model: type[M], key: str, fp: str) -> M | None:
    row = model.objects.filter(idempotency_key=key).first()
    if row is not None and row.request_fingerprint != fp:
        raise ServiceError(409, _("该 Idempotency-Key 已用于另一份不同的提交"))
    return row


def create_once(model: type[M], key: str, fp: str, create: Callable[[], M], attempts: int = 5) -> tuple[M, bool]:
    """Run ``create()`` (which must set idempotency_key and request_fingerprint) at most once per key.

    Returns ``(row, created)``. A unique clash on another column (e.g. a random case number) is
    retried with a new ``create()`` call.
    """
    for _attempt in range(attempts):
        existing = find_existing(model, key, fp)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                return create(), True
        except IntegrityError:
            continue
    existing = find_existing(model, key, fp)
    if existing is not None:
        return existing, False
    raise ServiceError(503, _("系统繁忙，请稍后重试"))
