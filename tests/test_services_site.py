"""The service modules on the static site: an answered public letter reaches the site through the
queued incremental build (a "plugins only" build: no document changed), and the theme's header and
footer link the enabled modules' pages."""

import datetime as dt
import logging
import os
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from cms.build import jobs
from cms.build.config import build_plugins, from_settings
from cms.models import PendingChange
from content_models.models import Department, DisclosureDocument
from publish.plugin import PublishPlugin
from search_index.plugin import SearchIndexPlugin
from services.letters.models import Letter
from services.plugin import ServicePagesPlugin
from site_generator.build import build_site
from site_generator.config import BuildConfig
from site_generator.plugins import BasePlugin
from tests.test_site_incremental import assert_same_as_full, config, new_doc, tree
from tests.test_site_queue import run_worker, waiting_tasks

pytestmark = pytest.mark.django_db(transaction=True)

ALL_SERVICES = ["status", "letters", "ratings", "supervision"]


@pytest.fixture()
def site_dir(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_SERVICES = list(ALL_SERVICES)
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin", "services.plugin.ServicePagesPlugin", "cms.publishing.auto_publish_plugin"]
    settings.GOVSITE_BUILD_PROCESSES = 1
    return settings.GOVSITE_SITE_DIR


@pytest.fixture()
def live_doc():
    from wagtail.models import Locale

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
    assert PendingChange.objects.get().kind == PendingChange.Kind.PLUGINS
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
    from django.core.management import call_command

    call_command("build_site", verbosity=0)
    assert live_release(site_dir) != release
    assert "已答复。" in read(site_dir, f"letters/{letter.number}/index.html")
    assert not PendingChange.objects.exists()


def test_plugins_only_build_runs_the_plugins_with_an_empty_change_set(tmp_path):
    """build_site level (no Django): refresh_plugins makes a release and runs both events."""
    from cms.demo.sample import generate_sample

    calls = []
    builds = iter(range(1, 100))

    class RecordingPlugin(BasePlugin):
        def on_render(self, ctx):
            calls.append(("render", ctx.full, list(ctx.records), set(ctx.removed_ids)))
            ctx.write_file("extra/index.html", f"<p>{next(builds)}</p>".encode())

        def on_live(self, ctx):
            calls.append(("live", ctx.changed_paths))

    records = {r["id"]: r for r in generate_sample(docs=20, seed=4)}
    out = tmp_path / "site"
    cfg = config(plugins=[RecordingPlugin()])
    build_site(iter(records.values()), out, full=True, config=cfg)
    release = live_release(out)
    calls.clear()
    same = build_site(iter(records.values()), out, config=cfg)  # nothing changed, no request
    assert same.release == release and live_release(out) == release and calls == []
    same = build_site([], out, config=cfg, changed_ids=set())
    assert same.release == release and calls == []

    result = build_site([], out, config=cfg, changed_ids=set(), refresh_plugins=True)
    assert not result.full and result.release != release and live_release(out) == result.release
    assert calls == [("render", False, [], set()), ("live", ["extra/index.html"])]
    assert (out / "extra/index.html").read_text() == "<p>2</p>"
    # the whole-site incremental build takes the request as well
    calls.clear()
    result = build_site(iter(records.values()), out, config=cfg, refresh_plugins=True)
    assert [c[0] for c in calls] == ["render", "live"] and calls[0][2] == []
    # without plugins there is nothing to refresh: no release
    bare = build_site([], out, config=config(), changed_ids=set(), refresh_plugins=True)
    assert bare.release == result.release == live_release(out)


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

    # No services plugin in the build: no links to pages that would not exist.
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin"]
    jobs.build_from_database()
    html = read(site_dir, "index.html")
    assert nav_links(html) == {} and "政民互动：" not in html


def test_build_plugins_are_made_from_the_settings(settings, caplog):
    """GOVSITE_BUILD_PLUGINS names classes or factories; the generator gets the objects."""
    settings.GOVSITE_BUILD_PLUGINS = [
        "search_index.plugin.SearchIndexPlugin", "services.plugin.ServicePagesPlugin", "cms.publishing.auto_publish_plugin",
    ]
    settings.GOVSITE_AUTO_PUBLISH = "s3://bucket/site"
    plugins = from_settings().plugins
    assert [type(p) for p in plugins] == [SearchIndexPlugin, ServicePagesPlugin, PublishPlugin]
    assert plugins[2].to == "s3://bucket/site"  # the publish plugin got the CMS's settings as arguments
    with caplog.at_level(logging.WARNING, logger="site_generator"):
        assert [type(p) for p in build_plugins(["no_such_plugin_module.Plugin", "services.plugin.ServicePagesPlugin"])] \
            == [ServicePagesPlugin]
    assert "no_such_plugin_module.Plugin" in caplog.text
    for wrong in ("search_index.plugin", "services.plugin.NoSuchPlugin", "services.plugin.PAGE_SIZE"):
        with pytest.raises(ImproperlyConfigured, match=wrong.replace(".", r"\.")):
            build_plugins([wrong])


def test_service_links_come_from_the_settings(settings):
    settings.GOVSITE_SERVICES = ["letters", "supervision", "status"]
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin", "services.plugin.ServicePagesPlugin"]
    cfg = from_settings()
    assert cfg.service_links == [
        {"name": "咨询投诉", "url": "/letters/"},
        {"name": "办件查询", "url": "/status/"},
    ]
    # from GOVSITE_BUILD_PLUGINS, not from a plugins override (build_site --no-plugins)
    assert from_settings(plugins=[]).service_links == cfg.service_links
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin"]
    assert from_settings().service_links == []


def test_full_and_incremental_builds_stay_identical_with_service_links(tmp_path):
    from cms.demo.sample import generate_sample

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


def plugin_rows() -> int:
    return PendingChange.objects.filter(kind=PendingChange.Kind.PLUGINS).count()


def test_build_site_no_plugins_stays_incremental_and_keeps_the_letter_requests(site_dir, live_doc):
    from django.core.management import call_command

    jobs.build_from_database(full=True)
    kept = {p for p in tree(site_dir) if p.startswith(("search/", "letters/"))}
    assert any(p.startswith("search/idx/") for p in kept) and "letters/index.html" in kept
    letter = answered_letter()
    assert plugin_rows() == 1 and waiting_tasks() == 1
    live_doc.title = "关于第1批项目的通知（修订）"
    live_doc.save()

    call_command("build_site", "--no-plugins", verbosity=0)
    assert PendingChange.objects.filter(kind=PendingChange.Kind.PLUGINS).count() == 1  # not consumed
    assert "（修订）" in read(site_dir, "fgj/2025/fgj-1.html")  # an incremental build happened
    assert kept <= set(tree(site_dir))  # search/ and letters/ pages are still live
    html = read(site_dir, "index.html")
    assert nav_links(html) == LINKS and footer_links(html) == LINKS
    assert not (site_dir / f"letters/{letter.number}/index.html").exists()  # no plugin ran

    run_worker()  # the waiting request is built by the worker
    assert "已答复。" in read(site_dir, f"letters/{letter.number}/index.html")
    assert not PendingChange.objects.exists()

    # A full build without plugins is a fresh release without the plugins' pages (documented); the
    # command says so.
    import io

    err = io.StringIO()
    call_command("build_site", "--full", "--no-plugins", verbosity=0, stderr=err)
    assert "--no-plugins" in err.getvalue()
    assert not (site_dir / "letters/index.html").exists()
    assert not any(p.startswith("search/idx/") for p in tree(site_dir))  # the index is gone too


def test_service_links_do_not_depend_on_a_plugins_override(settings, site_dir):
    links = from_settings().service_links
    assert links and from_settings(plugins=[]).service_links == links
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin"]
    assert from_settings(plugins=[ServicePagesPlugin()]).service_links == []


def test_run_pending_builds_a_document_row_and_a_plugins_row_together(site_dir, live_doc):
    from cms.build.signals import queue_change

    jobs.build_from_database(full=True)
    release = live_release(site_dir)
    live_doc.title = "关于第1批项目的通知（修订）"
    live_doc.save()
    queue_change(live_doc.source_id)
    letter = answered_letter()
    assert {k for (k,) in PendingChange.objects.values_list("kind")} == {"document", "plugins"}
    result = jobs.run_pending()
    assert result["documents"] == 1 and result["plugins"] is True and not result["full"]
    assert live_release(site_dir) != release
    assert "（修订）" in read(site_dir, "fgj/2025/fgj-1.html")
    assert "已答复。" in read(site_dir, f"letters/{letter.number}/index.html")
    assert not PendingChange.objects.exists()


def _late_row(pk: int):
    """A row whose transaction took a lower pk but committed after the worker read the queue."""
    PendingChange.objects.create(pk=pk, source_id="late", kind=PendingChange.Kind.PLUGINS)


def test_a_row_committed_late_with_a_lower_pk_is_not_lost(site_dir, live_doc, monkeypatch):
    jobs.build_from_database(full=True)
    PendingChange.objects.create(pk=10, source_id="a", kind=PendingChange.Kind.PLUGINS)
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
    from services.ratings.models import Rating
    from services.supervision.checks import run_periodic_hooks

    letter = answered_letter()
    jobs.build_from_database(full=True)
    assert not PendingChange.objects.exists()

    # a rating changes ratings/stats/
    Rating.objects.create(module="status", number="XK1", level=5, department="市场监管局", item="食品经营许可")
    assert plugin_rows() == 1 and waiting_tasks() == 1
    run_worker()
    assert "食品经营许可" in read(site_dir, "ratings/stats/index.html")

    # a letter that is not public changes letters/stats/ (received): the daily job refreshes it
    new_letter(wants_public=False, kind=Letter.Kind.COMPLAINT)
    assert not PendingChange.objects.exists()
    lines = run_periodic_hooks(timezone.localdate())
    assert plugin_rows() >= 1 and waiting_tasks() == 1
    assert any("统计" in line for line in lines), lines
    run_worker()
    month = f"{timezone.localtime(letter.received_at):%Y年%m月}"
    assert f"<td>{month}</td><td>2</td>" in read(site_dir, "letters/stats/index.html")

    # a published letter deleted in the admin leaves the site
    Letter.objects.get(pk=letter.pk).delete()
    assert plugin_rows() == 1
    run_worker()
    detail = read(site_dir, f"letters/{letter.number}/index.html")
    assert "不再公开" in detail and "已答复。" not in detail


def test_default_ratings_of_the_daily_job_ask_for_one_refresh(site_dir):
    from services.ratings.models import Rating
    from services.site import batched

    with batched("好差评：默认评价"):
        for n in range(3):
            Rating.objects.create(module="status", number=f"XK{n}", level=3, is_default=True,
                                  department="市场监管局", item="食品经营许可")
        assert not PendingChange.objects.exists()
    assert plugin_rows() == 1
    with batched("nothing"):
        pass
    assert plugin_rows() == 1


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
    assert plugin_rows() == 1
    letter.save()
    assert plugin_rows() == 1
    letter.publish_approved = False  # withdrawn
    letter.save()
    assert plugin_rows() == 2

    from services.ratings.models import Rating

    rating = Rating.objects.create(module="status", number="XK1", level=1, department="市场监管局", item="许可")
    assert plugin_rows() == 3
    rating.verification = "已核实。"  # handling a bad rating: the statistics do not change
    rating.save()
    assert plugin_rows() == 3


def test_no_refresh_without_a_plugin_that_renders_service_data(site_dir, settings, live_doc):
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin", "cms.publishing.auto_publish_plugin"]
    jobs.build_from_database(full=True)
    release = live_release(site_dir)
    answered_letter()
    assert not PendingChange.objects.exists() and waiting_tasks() == 0
    # a request left from before: the build makes no release for it
    PendingChange.objects.create(source_id="old request", kind=PendingChange.Kind.PLUGINS)
    jobs.run_pending()
    assert live_release(site_dir) == release


def test_a_rolled_back_letter_save_leaves_no_row_and_no_task(site_dir):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        answered_letter()
        assert plugin_rows() == 1
        raise RuntimeError("rolled back")
    assert not PendingChange.objects.exists() and waiting_tasks() == 0 and not Letter.objects.exists()


def test_a_failing_refresh_request_does_not_break_the_letter_save(site_dir, monkeypatch):
    from django.db import DatabaseError, transaction

    def broken(reason):
        PendingChange.objects.create(source_id=reason, kind=PendingChange.Kind.PLUGINS)
        raise DatabaseError("queue table is gone")

    monkeypatch.setattr(jobs, "request_plugin_refresh", broken)
    with transaction.atomic():
        letter = answered_letter()
        assert Letter.objects.filter(pk=letter.pk).exists()  # the transaction is still usable
    assert Letter.objects.get(pk=letter.pk).status == Letter.Status.ANSWERED
    assert not PendingChange.objects.exists() and waiting_tasks() == 0


def test_the_letter_signal_watches_every_field_the_site_shows():
    from services.letters.api import PUBLIC_FIELDS
    from services.letters.signals import SITE_FIELDS

    assert set(PUBLIC_FIELDS) <= set(SITE_FIELDS)
