"""Shared test set-up.

Every test runs against an isolated GOVSITE_DATA_DIR. Tests that touch the database are marked
``database`` automatically, so ``run-tests`` can run them a second time on PostgreSQL
(DATABASE_URL=postgres://...) when 127.0.0.1:5432 answers.
"""

import os
import tempfile

import pytest

# Settings read the environment at import time: give the whole session a private data dir.
os.environ.setdefault("GOVSITE_DATA_DIR", tempfile.mkdtemp(prefix="govsite-test-"))
os.environ.setdefault("GOVSITE_SITE_DIR", os.path.join(os.environ["GOVSITE_DATA_DIR"], "site"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("django_db") or fixtures & {"db", "transactional_db", "django_db_setup"}:
            item.add_marker(pytest.mark.database)
