"""A bulk import reaches the static site through the same job queue as a publish in the admin."""

from __future__ import annotations

import orjson
import pytest
from django.core.management import call_command

from cms.build import jobs
from cms.demo.sample import generate_sample
from cms.exchange.importer import import_records
from cms.models import PendingChange
from tests.test_site_queue import run_worker, site_dir, waiting_tasks  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _lines(records):
    return [orjson.dumps(r) for r in records]


@pytest.fixture()
def locale():
    from wagtail.models import Locale

    Locale.objects.get_or_create(language_code="zh-hans")  # transactional tests flush migration data


def _page(site_dir, record):  # noqa: F811
    return site_dir / record["site"] / record["published"][:4] / f"{record['id']}.html"


def test_import_queues_a_build_that_shows_new_updated_and_withdrawn_documents(site_dir, locale):  # noqa: F811
    records = list(generate_sample(docs=60, seed=5))
    import_records(_lines(records[:50]))
    assert waiting_tasks() == 1
    run_worker()
    assert _page(site_dir, records[0]).exists()
    assert PendingChange.objects.count() == 0

    changed = dict(records[1], title=records[1]["title"] + "（修订）")
    gone = records[2]
    import_records(_lines([*records[50:], changed, {"op": "withdraw", "id": gone["id"]}]))
    assert waiting_tasks() == 1
    run_worker()
    assert _page(site_dir, records[55]).exists()
    assert "（修订）" in _page(site_dir, changed).read_text("utf-8")
    assert not _page(site_dir, gone).exists()


def test_a_large_import_becomes_one_full_build(site_dir, locale, monkeypatch):  # noqa: F811
    monkeypatch.setattr(jobs, "FULL_BUILD_ABOVE", 10)
    records = list(generate_sample(docs=30, seed=6))
    import_records(_lines(records))
    result = jobs.run_pending()
    assert result["full"] is True and result["documents"] == 30
    assert all(_page(site_dir, r).exists() for r in records if r.get("op") is None)
    assert PendingChange.objects.count() == 0


def test_a_whole_site_build_clears_the_changes_it_covered(site_dir, locale):  # noqa: F811
    import_records(_lines(generate_sample(docs=20, seed=7)))
    assert PendingChange.objects.count() == 20
    call_command("build_site", verbosity=0)
    assert PendingChange.objects.count() == 0
    assert jobs.run_pending() == {"documents": 0, "files": 0}
