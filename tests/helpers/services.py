"""Helpers for tests and load generators: solve the arithmetic challenge, build a valid letter."""

import os
import re
import uuid

QUESTION_RE = re.compile(r"(\d+)\s*(加|减|plus|minus)\s*(\d+)")


def solve(question: str) -> str:
    """Answer a challenge question, Chinese or English."""
    a, op, b = QUESTION_RE.search(question).groups()
    return str(int(a) + int(b) if op in ("加", "plus") else int(a) - int(b))


def letter_payload(challenge: dict, **overrides) -> dict:
    data = {
        "name": "许文华", "phone": "13800138000", "subject": "关于小区路灯维修的咨询",
        "department": "住建局", "text": "我们小区的路灯坏了两周，请问由哪个部门负责维修？", "kind": "consult",
        "public": True, "challenge_token": challenge["token"], "challenge_answer": solve(challenge["question"]),
    }
    data.update(overrides)
    return data


def new_key() -> str:
    return uuid.uuid4().hex


def build_service_pages(out, state, *, full: bool = True, records=()):
    """Build a site of ``records`` (default none) with the enabled modules' pages, as the build
    queue does: page sets read from the database, rendered by the generator. Incremental when
    ``full`` is False (only pages that changed are written)."""
    from cms.build.config import from_settings
    from cms.build.jobs import page_sets
    from site_generator.build import build_site

    kwargs = {"full": True} if full else {"changed_ids": set()}
    return build_site(list(records), out, config=from_settings(plugins=[], processes=1), state_dir=state,
                      page_sets=page_sets(), **kwargs)


REDIS_URL = os.environ.get("GOVSITE_TEST_REDIS_URL", "redis://127.0.0.1:6379/4")


def redis_or_skip():
    """A client of the test Redis (``GOVSITE_TEST_REDIS_URL``), or the test is skipped: it does not answer."""
    import pytest  # here: the load generators import this module without pytest

    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    return client
