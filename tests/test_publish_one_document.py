"""The automatic publish after a one-document change (issue 19, item 3): a Wagtail publish, the
queue's incremental build with the search index, then the auto-publish to a bucket (moto in
server mode on loopback). The write requests are counted by the server, which records them."""

from __future__ import annotations

import json
import logging
import re

import pytest

from cms.build import jobs
from content_models.models import DisclosureDocument
from search_index import format as fmt
from tests.test_publish_sites import bucket, s3, s3_endpoint  # noqa: F401
from tests.test_site_queue import dept, draft, publish, site_dir  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = 80
WRITES = ("PUT", "POST", "DELETE")


class ServerRecording(logging.Handler):
    """The requests the moto server answered, from its own access log (werkzeug's, one line a request)."""

    LINE = re.compile(r"(PUT|POST|DELETE|GET|HEAD) (/\S*) HTTP")

    def __init__(self):
        super().__init__(logging.INFO)
        self.requests: list[tuple[str, str]] = []

    def emit(self, record):
        if m := self.LINE.search(record.getMessage()):
            self.requests.append((m.group(1), m.group(2)))

    def __enter__(self):
        self.requests = []
        log = logging.getLogger("werkzeug")
        self._level = log.level
        log.setLevel(logging.INFO)
        log.addHandler(self)
        return self

    def __exit__(self, *exc):
        log = logging.getLogger("werkzeug")
        log.removeHandler(self)
        log.setLevel(self._level)

    def writes(self, bucket: str) -> list[str]:  # noqa: F811
        return [f"{method} {path}" for method, path in self.requests
                if method in WRITES and path.startswith(f"/{bucket}/")]


@pytest.fixture()
def auto_publish(settings, s3_endpoint, bucket):  # noqa: F811
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin", "cms.publishing.auto_publish_plugin"]
    settings.GOVSITE_AUTO_PUBLISH = f"s3://{bucket}/www"
    settings.GOVSITE_PUBLISH = {"endpoint_url": s3_endpoint}


def test_one_document_create_update_withdrawal_send_under_20_writes(
        site_dir, dept, auto_publish, s3, s3_endpoint, bucket, tmp_path):  # noqa: F811
    docs = [draft(dept, n % 28 + 1, source_id=f"fgj-{n}", title=f"关于第{n}批建设项目的通知") for n in range(DOCS)]
    for d in docs:
        publish(d)
    assert jobs.run_pending()["full"]
    assert s3.head_object(Bucket=bucket, Key="www/search/idx/manifest.json")

    recording = ServerRecording()
    new = draft(dept, 28, source_id="fgj-new", title="关于深海养殖装备试点的通知")  # the newest, as a new one is
    edited = DisclosureDocument.objects.get(pk=docs[7].pk)
    edited.title = "关于第7批建设项目的通知（修订）"
    steps = [("create", lambda: publish(new)), ("update", lambda: publish(edited)),
             ("withdraw", lambda: DisclosureDocument.objects.get(pk=docs[9].pk).unpublish())]
    counts = {}
    for name, change in steps:
        change()
        with recording:
            result = jobs.run_pending()
        writes = recording.writes(bucket)
        assert not result["full"] and writes, name
        counts[name] = len(writes)
        # the delta is inline in the index's manifest: one index file, whatever the size of the index
        assert [w for w in writes if "/search/idx/" in w] == [f"PUT /{bucket}/www/{fmt.PREFIX}manifest.json"], writes
        # at most 12 files changed in all, the site's and the index's (issue 19, ADR 0161)
        assert result["changed"] <= 12, (name, writes)
        # the build's changed files, then the lock, the journal, the manifest and the unlock
        assert len(writes) <= result["changed"] + 4, (name, writes)
        # of the manifest, only its head: the entries changed since its base (ADR 0157)
        assert [w for w in writes if "/.govsite/manifest" in w] == [f"PUT /{bucket}/www/.govsite/manifest.json.gz"]
    # A changed title (the document outside the feeds' newest 50): its page, the list pages that
    # show it, the sitemap, the index's delta, and publish's own four requests.
    assert counts["update"] < 20, counts
    # A new document: its page, six list pages, two Atom feeds, its sitemap part, the home page
    # (ADR 0156, 0161), the index manifest with the delta inline (ADR 0161), and publish's four:
    # lock, journal, the manifest's head (ADR 0157), unlock.
    assert counts["create"] < 20 and counts["withdraw"] < 20, counts

    page = s3.get_object(Bucket=bucket, Key="www/fgj/2025/fgj-7.html")["Body"].read().decode()
    assert "（修订）" in page
    assert s3.get_object(Bucket=bucket, Key="www/fgj/2025/fgj-new.html")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="www/fgj/2025/fgj-9.html")
    manifest = json.loads(s3.get_object(Bucket=bucket, Key="www/search/idx/manifest.json")["Body"].read())
    assert manifest["delta"] and manifest["docs"] == DOCS  # one created, one withdrawn
