"""Shared test set-up.

Every test runs against an isolated GOVSITE_DATA_DIR (set by ``tests.plugin``, which pytest
loads before Django's settings). Tests that touch the database are marked
``database`` automatically, so ``run-tests`` can run them a second time on PostgreSQL
(DATABASE_URL=postgres://...) when 127.0.0.1:5432 answers.
"""

import pytest
from django.conf import settings
from django.urls import get_resolver
from django.utils import translation


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("django_db") or fixtures & {"db", "transactional_db", "django_db_setup"}:
            item.add_marker(pytest.mark.database)


@pytest.fixture(scope="session", autouse=True)
def admin_views_built_with_the_projects_settings():
    """Load the URLconf before any test changes a setting. Wagtail builds each admin view's form
    class once, when the URLconf loads (a viewset hands ``form_class`` to ``as_view``): a test
    that swapped the rich-text editor for a textarea would otherwise fix the editors' form for every
    later test of its process, and which test loads it first depends on how xdist deals them out."""
    get_resolver().url_patterns  # noqa: B018 - imported for its effect


@pytest.fixture(autouse=True)
def site_language_afterwards():
    """Every test ends in the site's language: a request in English (``Accept-Language: en``)
    leaves English active in the test's thread, since LocaleMiddleware activates the browser's
    language and does not restore it, and later tests expect Chinese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
