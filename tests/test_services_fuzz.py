"""Fuzz the service endpoints of the OpenAPI schema in-process (WSGI): no input gives a server error.

Schemathesis generates valid and invalid inputs from ``/api/openapi.json``; every answer must be
below 500, and every 4xx answer of the service API must carry a Chinese ``message``. Bounded by
``max_examples`` to keep the run well under a minute.
"""

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings

from cms.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(path_regex="^/api/services/")


@pytest.fixture(autouse=True)
def keep_the_test_transaction():
    """Like Django's test client: requests must not close the test's connection (on PostgreSQL,
    close_old_connections closes a connection inside a transaction, losing the test database state)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def has_chinese_message(response) -> bool:
    try:
        message = response.json().get("message", "")
    except (ValueError, AttributeError):
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in message)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    cache.clear()  # keep the per-IP rate limit out of the way
    response = case.call()
    assert response.status_code < 500, response.text[:500]
    if 400 <= response.status_code < 500 and response.status_code != 405:
        assert has_chinese_message(response), (response.status_code, response.text[:300])
