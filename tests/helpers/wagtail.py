"""Wagtail's own rows that migrations create and a transactional test's flush removes."""

from pathlib import Path

from wagtail.models import Collection, Locale


def ensure_wagtail_roots() -> None:
    """The default locale and the root collection, which documents, files and pages need.

    A transactional test (``django_db(transaction=True)``) flushes the tables after each test, and
    with them what the migrations made; the next test in the same database then finds neither.
    """
    Locale.objects.get_or_create(language_code="zh-hans")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


def interaction_site(settings, tmp_path: Path) -> Path:
    """The 互动交流 modules on, and the site built in the test's process without plugins: the
    set-up of the consultation and survey site tests. Returns the site directory."""
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_SERVICES = ["consultations", "surveys"]
    settings.GOVSITE_BUILD_PLUGINS = []
    settings.GOVSITE_BUILD_PROCESSES = 1
    return settings.GOVSITE_SITE_DIR
