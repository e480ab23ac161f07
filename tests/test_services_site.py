"""The service modules on the static site: an answered public letter reaches the site through the
queued incremental build (no document changed: the modules' page sets did), only the pages that
changed are written, and the theme's header and footer link the enabled modules' pages."""

import datetime as dt
import io
import logging
import os
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone
from wagtail.models import Locale

from cms.build import jobs, signals
from cms.build.config import build_plugins, from_settings
from cms.demo.sample import generate_sample
from cms.models import PendingChange
from content_models.models import Department, DisclosureDocument
from publish.plugin import PublishPlugin
from search_index.plugin import SearchIndexPlugin
from services.letters import public
from services.letters.models import Letter
from services.letters.signals import SITE_FIELDS
from services.module import run_periodic
from services.ratings.models import Rating
from services.site import batched
from site_generator.build import build_site
from site_generator.config import BuildConfig
from tests.test_site_incremental import assert_same_as_full, config, new_doc, tree
from tests.test_site_queue import run_worker, waiting_tasks

pytestmark = pytest.mark.django_db(transaction=True)

ALL_SERVICES = ["status", "letters", "ratings", "supervision"]


@pytest.fixture()
def site_dir(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_SERVICES = list(ALL_SERVICES)
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin", "cms.publishing.auto_publish_plugin"]
    settings.GOVSITE_BUILD_PROCESSES = 1
    return settings.GOVSITE_SITE_DIR


@pytest.fixture()
def live_doc():
    Locale.objects.get_or_create(language_code="zh-hans")  # transactional tests flush migration data
    dept = Department.objects.create(
        slug="fgj", name="南安市发展和改革局", organ_code="113505830001", sort_order=1
    )
    return DisclosureDocument.objects.create(
        source_id="fgj-1",
        department=dept,
        organ=dept.name,
        title="关于第1批项目的通知",
        published_at=timezone.make_aware(dt.datetime(2025, 3, 1, 9, 0)),
        category="通知公告",
        topic="综合政务",
        body="<p>正文</p>",
        live=True,
    )


def live_release(site_dir) -> str:
    return os.path.basename(os.readlink(site_dir))


def read(site_dir, rel: str) -> str:
    return (site_dir / rel).read_text("utf-8")


def new_letter(**kw) -> Letter:
    fields = dict(
        name="王小明",
        phone="13800000000",
        subject="关于公交线路调整的建议",
        department="交通局",
        text="建议增加早高峰班次。",
        wants_public=True,
        publish_approved=True,  # staff reviewed it (the default is not public)
        kind=Letter.Kind.SUGGESTION,
    )
    fields.update(kw)
    return Letter.objects.create(**fields)


def test_an_answered_public_letter_reaches_the_site_through_the_queue(site_dir, live_doc):
    jobs.build_from_database(full=True)
    first = live_release(site_dir)
    search_before = {p: h for p, h in tree(site_dir).items() if p.startswith("search/")}
    assert search_before  # the search plugin ran on the full build

    letter = new_letter()
    letter.routed_department = "南安市交通运输局"
    letter.save()
    assert waiting_tasks() == 0 and not PendingChange.objects.exists()  # not public yet: nothing to build

    letter.answer = "已将您的建议转交公交公司研究，\n早高峰将加开班次。"
    letter.save()
    assert PendingChange.objects.get().kind == PendingChange.Kind.PAGES
    assert waiting_tasks() == 1
    run_worker()
    assert waiting_tasks() == 0 and not PendingChange.objects.exists()

    assert live_release(site_dir) != first  # a new release went live, though no document changed
    detail = read(site_dir, f"letters/{letter.number}/index.html")
    answered_on = f"{letter.answered_on}"
    for text in (
        "答复内容",
        "早高峰将加开班次",
        "答复部门",
        "南安市交通运输局",
        "答复日期",
        answered_on,
        "受理日期",
        "建议增加早高峰班次",
    ):
        assert text in detail
    listing = read(site_dir, "letters/index.html")
    assert "关于公交线路调整的建议" in listing and answered_on in listing and "南安市交通运输局" in listing
    stats = read(site_dir, "letters/stats/index.html")
    month = f"{timezone.localtime(letter.received_at):%Y年%m月}"
    assert re.search(
        rf"<td>{month}</td><td>1</td><td>0</td><td>0</td><td>1</td><td>1</td><td>1</td><td>100.0%</td>", stats
    ), stats
    assert "<td>南安市交通运输局</td><td>1</td>" in stats
    # the documents and the search index are as they were
    assert {p: h for p, h in tree(site_dir).items() if p.startswith("search/")} == search_before
    assert live_doc.title in read(site_dir, "fgj/2025/fgj-1.html")

    # Withdrawn from the site (no longer approved for publication): the page says so, the lists drop it.
    letter.publish_approved = False
    letter.save()
    assert waiting_tasks() == 1
    run_worker()
    detail = read(site_dir, f"letters/{letter.number}/index.html")
    assert "不再公开" in detail and "早高峰将加开班次" not in detail
    assert "关于公交线路调整的建议" not in read(site_dir, "letters/index.html")
    assert "南安市交通运输局" not in read(site_dir, "letters/stats/index.html")


def test_a_build_with_nothing_to_do_makes_no_release(site_dir, live_doc):
    jobs.build_from_database(full=True)
    release = live_release(site_dir)
    result = jobs.build_from_database()  # incremental, nothing changed, no plugin request
    assert not result.full and result.release == release and result.files_written == 0
    assert live_release(site_dir) == release
    result = jobs.build_changes(set())
    assert result.release == release and live_release(site_dir) == release
    assert jobs.run_pending() == {"documents": 0, "files": 0}
    assert live_release(site_dir) == release

    # A letter answered while nothing else changed: `govsite build_site` (incremental) takes it too.
    letter = new_letter(routed_department="交通局")
    letter.answer = "已答复。"
    letter.save()
    call_command("build_site", verbosity=0)
    assert live_release(site_dir) != release
    assert "已答复。" in read(site_dir, f"letters/{letter.number}/index.html")
    assert not PendingChange.objects.exists()


# -- links to the service pages in the theme ------------------------------------------------
LINKS = {"咨询投诉": "/letters/", "办件查询": "/status/", "好差评": "/ratings/"}


def nav_links(html: str) -> dict[str, str]:
    header = html.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]
    return {name: url for url, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', header) if name in LINKS}


def footer_links(html: str) -> dict[str, str]:
    footer = html.split("<footer", 1)[1]
    return {name: url for url, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', footer) if name in LINKS}


def test_header_and_footer_link_the_enabled_service_pages(site_dir, settings, live_doc):
    jobs.build_from_database(full=True)
    for rel in ("index.html", "fgj/2025/fgj-1.html", "list/index.html", "letters/index.html", "404.html"):
        html = read(site_dir, rel)
        assert nav_links(html) == LINKS and footer_links(html) == LINKS, rel
    for url in LINKS.values():  # every link has its page
        assert (site_dir / url.strip("/") / "index.html").is_file()

    # Ratings switched off: the next (incremental) build is a full one, without the link or the page.
    settings.GOVSITE_SERVICES = ["status", "letters", "supervision"]
    result = jobs.build_from_database()
    assert result.full
    want = {k: v for k, v in LINKS.items() if k != "好差评"}
    for rel in ("index.html", "fgj/2025/fgj-1.html", "letters/index.html"):
        html = read(site_dir, rel)
        assert nav_links(html) == want and footer_links(html) == want, rel
        assert 'href="/ratings/"' not in html
    assert not (site_dir / "ratings/index.html").exists()

    # No service pages on the site: no links to pages that would not exist, and the pages are gone.
    settings.GOVSITE_SERVICE_PAGES = False
    assert jobs.build_from_database().full
    html = read(site_dir, "index.html")
    assert nav_links(html) == {} and "政民互动：" not in html
    assert not (site_dir / "letters/index.html").exists() and not (site_dir / "status/index.html").exists()


def test_build_plugins_are_made_from_the_settings(settings, caplog):
    """GOVSITE_BUILD_PLUGINS names classes or factories; the generator gets the objects."""
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin", "cms.publishing.auto_publish_plugin"]
    settings.GOVSITE_AUTO_PUBLISH = "s3://bucket/site"
    plugins = from_settings().plugins
    assert [type(p) for p in plugins] == [SearchIndexPlugin, PublishPlugin]
    assert plugins[1].to == "s3://bucket/site"  # the publish plugin got the CMS's settings as arguments
    with caplog.at_level(logging.WARNING, logger="site_generator"):
        assert [type(p) for p in build_plugins(["no_such_plugin_module.Plugin", "search_index.plugin.SearchIndexPlugin"])] \
            == [SearchIndexPlugin]
    assert "no_such_plugin_module.Plugin" in caplog.text
    for wrong in ("search_index.plugin", "search_index.plugin.NoSuchPlugin", "search_index.plugin.log"):
        with pytest.raises(ImproperlyConfigured, match=wrong.replace(".", r"\.")):
            build_plugins([wrong])


def test_service_links_come_from_the_settings(settings):
    settings.GOVSITE_SERVICES = ["letters", "supervision", "status"]
    cfg = from_settings()
    assert cfg.service_links == [
        {"name": "咨询投诉", "url": "/letters/"},
        {"name": "办件查询", "url": "/status/"},
    ]
    # the build plugins have nothing to do with them (build_site --no-plugins)
    assert from_settings(plugins=[]).service_links == cfg.service_links
    settings.GOVSITE_SERVICE_PAGES = False
    assert from_settings().service_links == []


def test_full_and_incremental_builds_stay_identical_with_service_links(tmp_path):
    records = {r["id"]: dict(r) for r in generate_sample(docs=40, seed=9)}
    cfg = config(
        service_links=[{"name": "咨询投诉", "url": "/letters/"}, {"name": "好差评", "url": "/ratings/"}]
    )
    out = tmp_path / "site"
    build_site(iter(records.values()), out, full=True, config=cfg)
    template = next(iter(records.values()))
    added = new_doc(template, "svc-new-1", "2025-06-01T09:00:00+08:00")
    records[added["id"]] = added
    build_site(iter(records.values()), out, config=cfg)
    assert_same_as_full(tmp_path, out, records, cfg)
    assert 'href="/ratings/">好差评</a>' in (out / "index.html").read_text("utf-8")
    other = BuildConfig(**{**cfg.__dict__, "service_links": cfg.service_links[:1]})
    assert build_site(iter(records.values()), out, config=other).full  # a changed header: a full build


# -- review fixes -----------------------------------------------------------------------------
def answered_letter(**kw) -> Letter:
    letter = new_letter(routed_department="南安市交通运输局", **kw)
    letter.answer = "已答复。"
    letter.save()
    return letter


def page_rows() -> int:
    return PendingChange.objects.filter(kind=PendingChange.Kind.PAGES).count()


def test_build_site_no_plugins_skips_the_plugins_but_builds_the_service_pages(site_dir, live_doc):
    """The service pages are no build plugin: ``--no-plugins`` (no search index, no publishing) still
    builds them and takes the waiting requests."""
    jobs.build_from_database(full=True)
    kept = {p for p in tree(site_dir) if p.startswith(("search/", "letters/"))}
    assert any(p.startswith("search/idx/") for p in kept) and "letters/index.html" in kept
    letter = answered_letter()
    assert page_rows() == 1 and waiting_tasks() == 1
    live_doc.title = "关于第1批项目的通知（修订）"
    live_doc.save()

    call_command("build_site", "--no-plugins", verbosity=0)
    assert not PendingChange.objects.exists()  # the letter's request is built
    assert "（修订）" in read(site_dir, "fgj/2025/fgj-1.html")  # an incremental build happened
    assert kept <= set(tree(site_dir))  # search/ and letters/ pages are still live
    html = read(site_dir, "index.html")
    assert nav_links(html) == LINKS and footer_links(html) == LINKS
    assert "已答复。" in read(site_dir, f"letters/{letter.number}/index.html")

    # A full build without plugins is a fresh release without the search index (documented); the
    # command says so. The service pages are there.
    err = io.StringIO()
    call_command("build_site", "--full", "--no-plugins", verbosity=0, stderr=err)
    assert "--no-plugins" in err.getvalue()
    assert "已答复。" in read(site_dir, f"letters/{letter.number}/index.html")
    assert not any(p.startswith("search/idx/") for p in tree(site_dir))  # the index is gone


def test_service_links_do_not_depend_on_a_plugins_override(settings, site_dir):
    links = from_settings().service_links
    assert links and from_settings(plugins=[]).service_links == links


def test_run_pending_builds_a_document_row_and_a_pages_row_together(site_dir, live_doc):
    jobs.build_from_database(full=True)
    release = live_release(site_dir)
    live_doc.title = "关于第1批项目的通知（修订）"
    live_doc.save()
    signals.queue_change(live_doc.source_id)
    letter = answered_letter()
    assert {k for (k,) in PendingChange.objects.values_list("kind")} == {"document", "pages"}
    result = jobs.run_pending()
    assert result["documents"] == 1 and result["pages"] >= 1 and not result["full"]
    assert live_release(site_dir) != release
    assert "（修订）" in read(site_dir, "fgj/2025/fgj-1.html")
    assert "已答复。" in read(site_dir, f"letters/{letter.number}/index.html")
    assert not PendingChange.objects.exists()


def _late_row(pk: int):
    """A row whose transaction took a lower pk but committed after the worker read the queue."""
    PendingChange.objects.create(pk=pk, source_id="late", kind=PendingChange.Kind.PAGES)


def test_a_row_committed_late_with_a_lower_pk_is_not_lost(site_dir, live_doc, monkeypatch):
    jobs.build_from_database(full=True)
    PendingChange.objects.create(pk=10, source_id="a", kind=PendingChange.Kind.PAGES)
    PendingChange.objects.create(pk=20, source_id="b", kind=PendingChange.Kind.DOCUMENT)
    real_changes, real_build = jobs.build_changes, jobs.build_site

    def build_changes(ids, **kw):
        _late_row(15)
        return real_changes(ids, **kw)

    monkeypatch.setattr(jobs, "build_changes", build_changes)
    jobs.run_pending()
    assert list(PendingChange.objects.values_list("pk", flat=True)) == [15]

    # the same for a whole-database build (govsite build_site, build_from_database)
    PendingChange.objects.create(pk=30, source_id="c", kind=PendingChange.Kind.DOCUMENT)

    def build_site_(*a, **kw):
        _late_row(25)
        return real_build(*a, **kw)

    monkeypatch.setattr(jobs, "build_site", build_site_)
    jobs.build_from_database()
    assert list(PendingChange.objects.values_list("pk", flat=True)) == [25]


def test_statistics_pages_follow_ratings_the_daily_job_and_deleted_letters(site_dir, live_doc):
    letter = answered_letter()
    jobs.build_from_database(full=True)
    assert not PendingChange.objects.exists()

    # a rating changes ratings/stats/
    Rating.objects.create(module="status", number="XK1", level=5, department="市场监管局", item="食品经营许可")
    assert page_rows() == 1 and waiting_tasks() == 1
    run_worker()
    assert "食品经营许可" in read(site_dir, "ratings/stats/index.html")

    # a letter that is not public changes letters/stats/ (received): the daily job refreshes it
    new_letter(wants_public=False, kind=Letter.Kind.COMPLAINT)
    assert not PendingChange.objects.exists()
    lines = run_periodic(timezone.localdate())
    assert page_rows() >= 1 and waiting_tasks() == 1
    assert any("统计" in line for line in lines), lines
    run_worker()
    month = f"{timezone.localtime(letter.received_at):%Y年%m月}"
    assert f"<td>{month}</td><td>2</td>" in read(site_dir, "letters/stats/index.html")

    # a published letter deleted in the admin leaves the site
    Letter.objects.get(pk=letter.pk).delete()
    assert page_rows() == 1
    run_worker()
    detail = read(site_dir, f"letters/{letter.number}/index.html")
    assert "不再公开" in detail and "已答复。" not in detail


def test_default_ratings_of_the_daily_job_ask_for_one_refresh(site_dir):
    with batched("好差评：默认评价"):
        for n in range(3):
            Rating.objects.create(module="status", number=f"XK{n}", level=3, is_default=True,
                                  department="市场监管局", item="食品经营许可")
        assert not PendingChange.objects.exists()
    assert page_rows() == 1
    with batched("nothing"):
        pass
    assert page_rows() == 1


def test_only_a_change_the_site_shows_asks_for_a_refresh(site_dir):
    letter = answered_letter()
    PendingChange.objects.all().delete()
    letter = Letter.objects.get(pk=letter.pk)
    letter.phone = "13900000000"
    letter.handler_contact = "张工 0595-1234567"
    letter.save()
    assert not PendingChange.objects.exists()  # nothing public changed
    letter.answer = "已答复，并已加开班次。"
    letter.save()
    assert page_rows() == 1
    letter.save()
    assert page_rows() == 1
    letter.publish_approved = False  # withdrawn
    letter.save()
    assert page_rows() == 2

    rating = Rating.objects.create(module="status", number="XK1", level=1, department="市场监管局", item="许可")
    assert page_rows() == 3
    rating.verification = "已核实。"  # handling a bad rating: the statistics do not change
    rating.save()
    assert page_rows() == 3


def test_no_refresh_without_service_pages_on_the_site(site_dir, settings, live_doc):
    settings.GOVSITE_SERVICE_PAGES = False
    jobs.build_from_database(full=True)
    release = live_release(site_dir)
    answered_letter()
    assert not PendingChange.objects.exists() and waiting_tasks() == 0
    # a request left from before: the build makes no release for it
    PendingChange.objects.create(source_id="old request", kind=PendingChange.Kind.PAGES)
    jobs.run_pending()
    assert live_release(site_dir) == release


def test_a_rolled_back_letter_save_leaves_no_row_and_no_task(site_dir):
    with pytest.raises(RuntimeError), transaction.atomic():
        answered_letter()
        assert page_rows() == 1
        raise RuntimeError("rolled back")
    assert not PendingChange.objects.exists() and waiting_tasks() == 0 and not Letter.objects.exists()


def test_a_failing_refresh_request_does_not_break_the_letter_save(site_dir, monkeypatch):
    def broken(reason):
        PendingChange.objects.create(source_id=reason, kind=PendingChange.Kind.PAGES)
        raise DatabaseError("queue table is gone")

    monkeypatch.setattr(signals, "queue_pages_change", broken)
    with transaction.atomic():
        letter = answered_letter()
        assert Letter.objects.filter(pk=letter.pk).exists()  # the transaction is still usable
    assert Letter.objects.get(pk=letter.pk).status == Letter.Status.ANSWERED
    assert not PendingChange.objects.exists() and waiting_tasks() == 0


def test_the_letter_signal_watches_every_field_the_site_shows():
    assert set(public.FIELDS) <= set(SITE_FIELDS) and set(Letter.PUBLIC) <= set(SITE_FIELDS)


def test_one_answer_rewrites_only_the_pages_that_show_it(site_dir, live_doc):
    letters = [answered_letter(subject=f"关于第{n}路公交的建议") for n in range(3)]
    jobs.build_from_database(full=True)
    PendingChange.objects.all().delete()

    letter = answered_letter(subject="关于路灯维修的咨询")
    result = jobs.run_pending()
    detail = f"letters/{letter.number}/index.html"
    # the new letter's page, the list showing it, the statistics; no other letter's page
    assert result["pages"] == 3, result
    assert "关于路灯维修的咨询" in read(site_dir, "letters/index.html") and "已答复。" in read(site_dir, detail)

    # an edit of one answer: its page (and the list when it shows what changed), nothing else
    letter.answer = "已答复，路灯已修复。"
    letter.save()
    before = {p: h for p, h in tree(site_dir).items() if p.startswith("letters/")}
    result = jobs.run_pending()
    after = {p: h for p, h in tree(site_dir).items() if p.startswith("letters/")}
    changed = {p for p in after if after[p] != before.get(p)}
    assert detail in changed and changed <= {detail, "letters/index.html"}, changed
    assert result["pages"] <= 2 and all(f"letters/{x.number}/index.html" not in changed for x in letters)
