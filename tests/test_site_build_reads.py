"""An incremental build reads the changed documents, not the site (issue 19, item 1).

Counted, not timed: the records the queue's build takes from the database, and every query it
sends to the documents table, after a Wagtail publish, an unpublish and an import of one document.
"""

from __future__ import annotations

import json
import re

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.build import jobs
from cms.demo.sample import generate_sample
from cms.exchange.importer import import_records
from content_models.models import DisclosureDocument
from search_index.plugin import SearchIndexPlugin
from tests.test_site_queue import dept, draft, publish, site_dir  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = 40
# The changed document, the policy it interprets or the one it replaced: a handful, whatever the site's size.
BOUND = 4


def _document_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if re.search(r'FROM "content_models_disclosuredocument"', q["sql"])
            and q["sql"].lstrip().upper().startswith("SELECT")]


def _run_counted():
    with CaptureQueriesContext(connection) as ctx:
        result = jobs.run_pending()
    return result, _document_queries(ctx.captured_queries)


def _keyed(sql: str) -> bool:
    """A query of the documents table narrowed to given keys (source ids or primary keys)."""
    return bool(re.search(r'"content_models_disclosuredocument"\."(source_id|id)" IN \(', sql))


@pytest.fixture()
def with_index(settings):
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin"]
    return SearchIndexPlugin


def test_publish_and_unpublish_of_one_document_read_only_that_document(site_dir, dept, with_index):  # noqa: F811
    docs = [draft(dept, n % 28 + 1, source_id=f"fgj-{n}", title=f"关于第{n}批建设项目的通知") for n in range(DOCS)]
    for d in docs:
        publish(d)
    first = jobs.run_pending()
    assert first["full"] and first["records"] == DOCS  # no build state yet: one full build reads everything

    doc = DisclosureDocument.objects.get(pk=docs[7].pk)
    doc.title = "关于第7批建设项目的通知（修订）"
    publish(doc)
    result, queries = _run_counted()
    assert not result["full"] and result["documents"] == 1
    assert result["records"] <= BOUND, result
    assert queries and all(_keyed(q) for q in queries), queries
    assert "（修订）" in (site_dir / "fgj" / "2025" / "fgj-7.html").read_text("utf-8")
    # the index took it as a delta, inline in its manifest (ADR 0161)
    assert json.loads((site_dir / "search" / "idx" / "manifest.json").read_bytes())["delta"]["inline"]

    DisclosureDocument.objects.get(pk=docs[9].pk).unpublish()
    result, queries = _run_counted()
    assert not result["full"] and result["records"] <= BOUND, result
    assert all(_keyed(q) for q in queries), queries
    assert not (site_dir / "fgj" / "2025" / "fgj-9.html").exists()


def test_an_import_of_one_changed_document_reads_only_that_document(site_dir, with_index):  # noqa: F811
    from wagtail.models import Locale

    Locale.objects.get_or_create(language_code="zh-hans")
    records = [r for r in generate_sample(docs=DOCS, seed=9) if "op" not in r]
    import_records([orjson.dumps(r) for r in records])
    assert jobs.run_pending()["records"] == len(records)

    changed = dict(records[3], title=records[3]["title"] + "（修订）")
    import_records([orjson.dumps(changed)])
    result, queries = _run_counted()
    assert not result["full"] and result["documents"] == 1 and result["records"] <= BOUND, result
    assert queries and all(_keyed(q) for q in queries), queries
