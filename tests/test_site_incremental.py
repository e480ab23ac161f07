"""Incremental builds: identical to a full build, few files per change, withdrawals vanish
everywhere, and a failed build leaves the live site untouched."""

import hashlib
import os
import re
from pathlib import Path

import pytest

from cms.demo.sample import generate_sample
from content_models import vocabularies
from site_generator.build import build_site, default_state_dir, seals_due
from site_generator.config import BuildConfig
from site_generator.output import BuildLocked, build_lock
from site_generator.plugins import BasePlugin

PORTAL = {"name": "中国·南安", "domain": "www.nanan.gov.cn", "base_url": "https://www.nanan.gov.cn",
          "site_id_code": "3505830001"}


def config(**kw) -> BuildConfig:
    cfg = BuildConfig(portal=dict(PORTAL), page_size=5, feed_size=10, sitemap_max=30, processes=1, plugins=[])
    for k, v in kw.items():
        setattr(cfg, k, v)
    return cfg


def tree(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def url_of(rec) -> str:
    return f"/{rec['site']}/{rec['published'][:4]}/{rec['id']}.html"


@pytest.fixture()
def base():
    recs = {r["id"]: dict(r) for r in generate_sample(docs=120, seed=5)}
    # The changes below need a 失效 policy whose successor is in the site; the sample links one only
    # when chance gives a later policy of the same department, so make sure of one.
    if not any(r.get("replaced_by") in recs for r in recs.values()):
        policies = sorted((r for r in recs.values() if r["category"] in ("政策文件", "法规规章")),
                          key=lambda r: r["published"])
        old, new = policies[0], policies[-1]
        old.update(replaced_by=new["id"], validity=vocabularies.EXPIRED)
    return recs


def new_doc(template: dict, doc_id: str, published: str, **kw) -> dict:
    rec = dict(template, id=doc_id, published=published, index_no=None, interprets=None, replaced_by=None)
    rec.update(kw)
    rec["title"] = f"新发布文件 {doc_id}"
    return rec


PAGE = re.compile(r"^(.*?)page/(\d+)\.html$")
ENTRY = re.compile(r'<li class="entry"><a href="([^"]+)"')
PAGER = re.compile(r'\s*<nav class="pager".*?</nav>\s*', re.S)


def list_reading(root: Path, base: str) -> list[str]:
    """The documents of a list as a reader sees them: every archived page from the oldest on, then
    the index page's newest items (which may repeat the last page's), oldest first."""
    seen: list[str] = []
    n = 1
    while (root / f"{base}page/{n}.html").is_file():
        seen += reversed(ENTRY.findall((root / f"{base}page/{n}.html").read_text("utf-8")))
        n += 1
    index = (root / f"{base}index.html").read_text("utf-8")
    seen += [u for u in reversed(ENTRY.findall(index)) if u not in set(seen)]
    return seen


def assert_same_as_full(tmp_path: Path, out: Path, records: dict, cfg: BuildConfig) -> None:
    """What "equals a full build" means since archived pages keep their key ranges (ADR 0143):
    every file is the full build's byte for byte, except a list's archived pages and its index
    page's pager, which a full build cuts afresh: the list reads the same documents in the same
    order from its newest to its oldest page, the index page is the same but for its pager, and
    no page file is left over that the list's pager does not reach."""
    ref = tmp_path / "reference" / "site"
    build_site(iter(records.values()), ref, full=True, config=cfg)
    got, want = tree(out), tree(ref)
    lists = {m.group(1) for p in set(got) | set(want) if (m := PAGE.match(p))}
    paged = {p for p in set(got) | set(want) if PAGE.match(p)}
    assert sorted((set(got) ^ set(want)) - paged) == []
    differing = sorted(p for p in set(got) & set(want) if got[p] != want[p] and p not in paged)
    assert [p for p in differing if p.removesuffix("index.html") not in lists] == []
    for base in sorted(lists):
        assert list_reading(out, base) == list_reading(ref, base), base
        index = [" ".join(PAGER.sub(" ", (root / f"{base}index.html").read_text("utf-8")).split())
                 for root in (out, ref)]
        assert index[0] == index[1], base
        pages = sorted(int(PAGE.match(p).group(2)) for p in got if p.startswith(base) and PAGE.match(p)
                       and PAGE.match(p).group(1) == base)
        assert pages == list(range(1, len(pages) + 1)), base


def test_incremental_equals_full_through_many_kinds_of_change(tmp_path, base):
    cfg = config()
    out = tmp_path / "live" / "site"
    build_site(iter(base.values()), out, full=True, config=cfg)
    recs = dict(base)
    ids = sorted(recs, key=lambda i: recs[i]["published"])

    # Round 1 (compare-all mode): title edit, body edit, new newest docs, an old-dated doc,
    # a withdrawn policy that has interpretations, a category move, a date move.
    policy_id = next(r["interprets"] for r in recs.values() if r.get("interprets") and r["interprets"] in recs)
    recs[ids[3]]["title"] = "修改后的标题"
    recs[ids[40]]["body_html"] = "<p>新的正文</p>"
    for n in range(3):
        recs[f"new-{n}"] = new_doc(recs[ids[-1]], f"new-{n}", f"2030-01-0{n + 1}T09:00:00+08:00")
    recs["old-insert"] = new_doc(recs[ids[10]], "old-insert", recs[ids[10]]["published"])
    del recs[policy_id]
    moved = next(i for i in ids[20:] if i in recs and recs[i].get("category") != "通知公告")
    recs[moved]["category"] = "通知公告"
    recs[ids[60]]["published"] = "2011-06-01T08:00:00+08:00"
    r1 = build_site(iter(recs.values()), out, config=cfg)
    assert not r1.full and r1.changed_paths
    assert_same_as_full(tmp_path / "r1", out, recs, cfg)

    # Round 2 (targeted mode, as the job queue runs it): only the changed ids and a fetch callback.
    interp = next(r for r in recs.values() if r.get("interprets") in recs)
    expired = next(r for r in recs.values() if r.get("replaced_by") in recs)
    recs[expired["replaced_by"]]["title"] = "新的替代文件标题"
    withdrawn = interp["id"]
    del recs[withdrawn]
    recs["new-3"] = new_doc(recs["new-0"], "new-3", "2030-02-01T09:00:00+08:00")
    changed = {expired["replaced_by"], withdrawn, "new-3"}
    r2 = build_site([recs[i] for i in changed if i in recs], out, config=cfg, changed_ids=changed,
                    fetch=lambda wanted: [recs[i] for i in wanted if i in recs])
    assert not r2.full
    page = (out / url_of(expired).lstrip("/")).read_text("utf-8")
    assert "新的替代文件标题" in page
    assert_same_as_full(tmp_path / "r2", out, recs, cfg)

    # Round 3: withdraw everything of one small list, then republish one document of it.
    r3 = build_site(iter(recs.values()), out, config=cfg)
    assert r3.changed_paths == []  # nothing changed: no new release
    assert_same_as_full(tmp_path / "r3", out, recs, cfg)


def test_withdrawn_document_disappears_everywhere(tmp_path, base):
    cfg = config()
    out = tmp_path / "site"
    build_site(iter(base.values()), out, full=True, config=cfg)
    newest = max(base.values(), key=lambda r: (r["published"], r["id"]))
    url = url_of(newest)
    assert (out / url.lstrip("/")).is_file()
    assert any(url in (out / p).read_text("utf-8") for p in ("list/index.html", "list/atom.xml"))
    remaining = {k: v for k, v in base.items() if k != newest["id"]}
    result = build_site([], out, config=cfg, changed_ids={newest["id"]}, fetch=lambda ids: [remaining[i] for i in ids])
    assert url.lstrip("/") in result.changed_paths
    assert not (out / url.lstrip("/")).exists()
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml"):
            text = path.read_text("utf-8")
            assert url not in text and newest["title"] not in text, path
    assert_same_as_full(tmp_path, out, remaining, cfg)


@pytest.mark.parametrize("seal", [False, True])
def test_publishing_one_document_rewrites_few_files(tmp_path, base, seal):
    """A new document (the newest, as editors publish them) rewrites 11 files (ADR 0156, 0161):
    its page; the index page of each of its six lists (site, department, department x category,
    category, topic, year); the Atom feeds of the site and the department; its department's sitemap
    part; the home page. Not the catalogue, the sitemap index, a category's feed or a second feed
    format. An editor's build (``seal`` False) writes the same when a list's newest page fills up:
    the index page shows the whole open tail, and the next build with ``seal`` cuts it into the new
    archived page (and the "newer" link of the one before). A build that seals inline writes two
    more per list that fills up."""
    cfg = config()
    out = tmp_path / "site"
    build_site(iter(base.values()), out, full=True, config=cfg)
    newest = max(base.values(), key=lambda r: r["published"])
    published = newest["published"][:11] + "23:59:59+08:00"  # the newest day: no new year list
    filled = 0
    for n in range(2 * cfg.page_size + 1):  # enough in a row that every list fills a page
        rec = new_doc(newest, f"fresh-{n:02d}", published)  # ids sort as they come (same date)
        rec["title"] = f"新发布文件 {n}"
        result = build_site([rec], out, config=cfg, changed_ids={rec["id"]}, fetch=lambda ids: [], seal=seal)
        paths = result.changed_paths
        assert url_of(rec).lstrip("/") in paths
        sealed = {m.group(1) for p in paths if (m := PAGE.match(p))}
        assert not {"catalog/index.html", "sitemap.xml"} & set(paths), paths
        assert sorted(p for p in paths if p.endswith(("atom.xml", "rss.xml"))) == sorted(["list/atom.xml", f"{rec['site']}/atom.xml"])
        assert all(not p.startswith("list/page/1.") for p in paths)
        if seal:
            # the new page and the one before it (a list's first page has none)
            assert 11 + len(sealed) <= len(paths) <= 11 + 2 * len(sealed), paths
        else:
            assert sealed == set() and len(paths) == 11, " ".join(paths)
            filled += bool(seals_due(default_state_dir(out)))
        base[rec["id"]] = rec
        # every new document is on its lists' index pages, whatever waits to be sealed
        for lst in ("list/", f"{rec['site']}/"):
            assert url_of(rec) in (out / lst / "index.html").read_text("utf-8")
    if not seal:
        assert filled, "no list filled a page: the test would not show the deferred seal"
        before = tree(out)
        result = build_site([], out, config=cfg, changed_ids=set(), fetch=lambda ids: [])  # the worker's own build
        pages = [p for p in result.changed_paths if PAGE.match(p)]
        assert pages and all(p.endswith("index.html") or PAGE.match(p) for p in result.changed_paths), result.changed_paths
        assert not seals_due(default_state_dir(out))
        assert tree(out) != before
    assert_same_as_full(tmp_path, out, base, cfg)


def list_families(paths: list[str]) -> dict[str, int]:
    """Changed paths per kind of output: archived pages and index pages per list, feeds, the rest."""
    out: dict[str, int] = {}
    for p in paths:
        if m := PAGE.match(p):
            kind = f"pages {m.group(1)}"
        elif p.endswith(("rss.xml", "atom.xml")):
            kind = "feeds"
        elif p.startswith("sitemap"):
            kind = "sitemaps"
        else:
            kind = p if p.endswith("index.html") else "documents"
        out[kind] = out.get(kind, 0) + 1
    return out


@pytest.mark.parametrize("change", ["withdraw-oldest", "back-dated", "title-of-oldest", "newest"])
def test_one_change_rewrites_at_most_two_archived_pages_per_list(tmp_path, base, change):
    """Archived pages keep their key ranges (ADR 0143): withdrawing the oldest document of every
    list, or publishing one dated before all of them, rewrites the one page it falls in, not every
    later page; a new document seals at most one new page. The lists still read whole and the
    site equals a full build (as assert_same_as_full defines it)."""
    cfg = config()
    out = tmp_path / "site"
    build_site(iter(base.values()), out, full=True, config=cfg)
    recs = dict(base)
    by_date = sorted(recs.values(), key=lambda r: (r["published"], r["id"]))
    oldest, newest = by_date[0], by_date[-1]
    if change == "withdraw-oldest":
        del recs[oldest["id"]]
        changed = {oldest["id"]}
    elif change == "back-dated":
        recs["early"] = new_doc(oldest, "early", "2001-01-01T08:00:00+08:00")
        changed = {"early"}
    elif change == "title-of-oldest":
        recs[oldest["id"]] = dict(oldest, title="改过标题的最早文件")
        changed = {oldest["id"]}
    else:
        recs["latest"] = new_doc(newest, "latest", "2031-01-01T08:00:00+08:00")
        changed = {"latest"}
    result = build_site([recs[i] for i in changed if i in recs], out, config=cfg, changed_ids=changed,
                        fetch=lambda wanted: [recs[i] for i in wanted if i in recs])
    families = list_families(result.changed_paths)
    pages = {k: v for k, v in families.items() if k.startswith("pages ")}
    assert pages, families  # the oldest document's (or the new one's) pages did change
    assert max(pages.values()) <= (2 if change == "newest" else 1), families
    assert "list/page/2.html" not in result.changed_paths
    assert families.get("feeds", 0) <= 2 and families.get("documents", 0) <= 1, families
    # was 1 + 6 x (pages after the oldest) + ...; the newest (of 2031) starts a year list, which the
    # sitemap of lists names
    assert len(result.changed_paths) <= 12 + 2 * len(pages) + (change == "newest"), families
    assert_same_as_full(tmp_path / "ref", out, recs, cfg)


def test_failed_build_leaves_live_site_intact(tmp_path, base):
    cfg = config()
    out = tmp_path / "site"
    build_site(iter(base.values()), out, full=True, config=cfg)
    before, target_before = tree(out), os.readlink(out)

    class FailingPlugin(BasePlugin):
        def on_render(self, ctx):
            ctx.write_file("half-written.txt", b"x")
            raise RuntimeError("plugin failure")

    changed = dict(base)
    some = sorted(changed)[0]
    changed[some] = dict(changed[some], title="不应出现的标题")
    for full in (False, True):
        with pytest.raises(RuntimeError, match="plugin failure"):
            build_site(iter(changed.values()), out, full=full, config=config(plugins=[FailingPlugin()]))
        assert os.readlink(out) == target_before
        assert tree(out) == before
    # The next good build recovers (the half-written release is rebuilt) and is correct.
    build_site(iter(changed.values()), out, config=cfg)
    assert "不应出现的标题" in (out / url_of(changed[some]).lstrip("/")).read_text("utf-8")
    assert_same_as_full(tmp_path, out, changed, cfg)


def test_site_dir_is_an_atomically_switched_symlink(tmp_path, base):
    cfg = config()
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.txt").write_text("an earlier plain directory")
    build_site(iter(base.values()), out, full=True, config=cfg)
    assert out.is_symlink()
    first = os.readlink(out)
    rec = dict(next(iter(base.values())), title="再次发布")
    build_site([rec], out, config=cfg, changed_ids={rec["id"]}, fetch=lambda ids: [base[i] for i in ids])
    assert os.readlink(out) != first and Path(first).is_dir()  # the previous release is still readable
    assert any(p.name.startswith("previous-") for p in (tmp_path / ".site.build" / "releases").iterdir())


def test_two_builds_never_run_at_once(tmp_path):
    with build_lock(tmp_path), pytest.raises(BuildLocked):
        with build_lock(tmp_path, wait=False):
            pass


@pytest.mark.parametrize("seed", [int(s) for s in os.environ.get("GOVSITE_TEST_SEEDS", "11,12").split(",")])
def test_random_change_sequences_match_full_builds(tmp_path, base, seed):
    import random

    rng = random.Random(seed)
    cfg = config(page_size=4, sitemap_max=25)
    out = tmp_path / "site"
    recs = dict(base)
    build_site(iter(recs.values()), out, full=True, config=cfg)
    categories = ["政策文件", "政策解读", "通知公告", "工作动态", "自定义栏目"]
    for round_no in range(3):
        changed: set[str] = set()
        for _ in range(rng.randint(1, 8)):
            op = rng.choice(["add", "delete", "title", "category", "date", "validity"])
            ids = sorted(recs)
            pick = rng.choice(ids)
            if op == "add":
                new_id = f"r{seed}-{round_no}-{len(changed)}"
                year = rng.randint(2010, 2032)
                recs[new_id] = new_doc(recs[pick], new_id, f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T08:00:00+08:00",
                                       interprets=rng.choice([None, pick]))
                changed.add(new_id)
            elif op == "delete" and len(recs) > 10:
                del recs[pick]
            elif op == "title":
                recs[pick] = dict(recs[pick], title=f"第{round_no}轮修改 {pick}")
            elif op == "category":
                recs[pick] = dict(recs[pick], category=rng.choice(categories))
            elif op == "date":
                recs[pick] = dict(recs[pick], published=f"20{rng.randint(10, 31)}-05-05T12:00:00+08:00")
            elif op == "validity":
                recs[pick] = dict(recs[pick], validity="废止", replaced_by=rng.choice(ids))
            changed.add(pick)
        if round_no % 2:
            build_site(iter(recs.values()), out, config=cfg)
        else:
            build_site([recs[i] for i in changed if i in recs], out, config=cfg, changed_ids=changed,
                       fetch=lambda wanted: [recs[i] for i in wanted if i in recs])
        assert_same_as_full(tmp_path / f"round{round_no}", out, recs, cfg)
