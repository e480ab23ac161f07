"""Turning records and build state into bytes: pages, list pages, feeds, sitemaps.

Every output here is a pure function of its inputs (no clock, no build order), which is what
makes an incremental build produce byte-identical files to a full build.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import orjson
from markupsafe import Markup

from content_models import vocabularies
from site_generator import docinfo
from site_generator.config import BuildConfig
from site_generator.theme import Themes

GENERATOR_VERSION = "1"


def record_hash(record: dict) -> str:
    return hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


class ListMeta:
    """Title, URL and breadcrumbs of a list, from its key (see docinfo.lists_of)."""

    def __init__(self, key: str, renderer: Renderer):
        self.key = key
        kind, _, rest = key.partition(":")
        self.kind = kind
        self.site: str | None = None
        self.crumbs: list[dict] = []
        self.feeds = kind in ("all", "s", "c")
        if kind == "all":
            self.title, self.base = "最新信息", "/list/"
        elif kind == "s":
            self.site = rest
            self.title, self.base = renderer.dept_name(rest), f"/{rest}/"
        elif kind == "sc":
            site, _, cat = rest.partition(":")
            self.site = site
            self.title = f"{renderer.dept_name(site)} · {cat}"
            self.base = f"/{site}/{docinfo.category_slug(cat)}/"
            self.crumbs = [{"name": renderer.dept_name(site), "url": f"/{site}/"}]
        elif kind == "c":
            self.title, self.base = rest, f"/category/{docinfo.category_slug(rest)}/"
        elif kind == "t":
            self.title, self.base = f"主题：{rest}", f"/topic/{docinfo.topic_slug(rest)}/"
        elif kind == "y":
            self.title, self.base = f"{rest}年", f"/year/{rest}/"
        else:
            raise ValueError(f"unknown list key {key!r}")

    def page_path(self, n: int) -> str:
        return f"{self.base.lstrip('/')}page/{n}.html"

    def index_path(self) -> str:
        return f"{self.base.lstrip('/')}index.html"


class Renderer:
    def __init__(self, cfg: BuildConfig, departments: list[tuple[str, str]]):
        self.cfg = cfg
        self.themes = Themes(cfg)
        self.portal = {k: cfg.portal.get(k, "") for k in ("name", "domain", "base_url", "site_id_code")}
        self.base_url = cfg.base_url
        self.departments = departments
        self._dept_names = dict(departments)
        self._chrome: dict[str | None, dict] = {}
        self._templates: dict[tuple[str | None, str], object] = {}

    # -- helpers ----------------------------------------------------------------------
    def dept_name(self, site: str) -> str:
        return self._dept_names.get(site, site)

    def fingerprint(self) -> str:
        data = orjson.dumps(
            [GENERATOR_VERSION, self.themes.fingerprint(), self.portal, self.departments, self.cfg.page_size,
             self.cfg.feed_size, self.cfg.sitemap_max, self.cfg.home_block_size, self.cfg.attachment_base_url,
             self.cfg.site_themes, self.cfg.theme, str(self.cfg.override_dir or ""), self.cfg.service_links]
        )
        return hashlib.sha256(data).hexdigest()

    def template(self, name: str, site: str | None = None):
        key = (site, name)
        tpl = self._templates.get(key)
        if tpl is None:
            tpl = self.themes.env(site).get_template(name)
            self._templates[key] = tpl
        return tpl

    def chrome(self, site: str | None = None) -> dict:
        """Header and footer rendered once per department theme and reused by every page."""
        c = self._chrome.get(site)
        if c is None:
            ctx = {"site": self.portal, "departments": self.dept_links(), "nav_categories": [],
                   "service_links": self.service_links()}
            c = {
                "site": self.portal,
                "header_html": Markup(self.template("partials/header.html", site).render(ctx)),
                "footer_html": Markup(self.template("partials/footer.html", site).render(ctx)),
            }
            self._chrome[site] = c
        return c

    def service_links(self) -> list[dict]:
        return [{"name": str(s["name"]), "url": str(s["url"])} for s in self.cfg.service_links or []]

    def dept_links(self) -> list[dict]:
        return [{"name": name, "url": f"/{slug}/", "slug": slug} for slug, name in self.departments]

    def asset_url(self, name: str, site: str | None = None) -> str:
        return self.themes.for_site(site).asset_url(name)

    def render_page(self, template: str, context: dict, site: str | None = None) -> bytes:
        ctx = dict(self.chrome(site))
        ctx.update(context)
        return self.template(template, site).render(ctx).encode("utf-8")

    # -- documents --------------------------------------------------------------------
    def doc_row(self, record: dict, b: dict | None = None) -> dict:
        """The state row of a document: what lists, feeds and sitemaps need from it."""
        b = b or docinfo.basics(record)
        validity = record.get("validity") or None
        view = {"url": b["url"], "title": b["title"], "doc_no": record.get("doc_no"), "validity": validity,
                "date": b["date"]}
        entry = self.template("partials/entry.html", b["site"]).render(doc=view).strip()
        updated = record.get("updated")
        lastmod = b["published"]
        if updated:
            try:
                lastmod = max(lastmod, docinfo.parse_published({"published": updated, "id": b["id"]}))
            except docinfo.RecordError:
                pass
        feed = {
            "t": b["title"], "u": b["url"], "p": b["published"].isoformat(), "up": lastmod.isoformat(),
            "s": (record.get("summary") or "")[:300], "c": b["category"] or "", "o": record.get("organ") or "",
        }
        return {
            "id": b["id"], "site": b["site"], "ts": b["ts"], "url": b["url"], "title": b["title"], "date": b["date"],
            "lists": orjson.dumps(docinfo.lists_of(b["site"], b["year"], b["category"], b["topic"])).decode(),
            "entry": entry, "feed": orjson.dumps(feed), "lastmod": lastmod.isoformat(),
            "interprets": b["interprets"], "replaced_by": b["replaced_by"], "rhash": record_hash(record),
        }

    def doc_page(self, record: dict, b: dict, related: dict) -> bytes:
        """The document's page; ``record`` is public (``docinfo.public_record``): its body is shown as it is."""
        site = b["site"]
        validity = record.get("validity") or None
        cat = b["category"]
        keywords = record.get("keywords") or []
        summary = record.get("summary") or ""
        doc = {
            "title": b["title"], "date": b["date"], "index_no": record.get("index_no"), "doc_no": record.get("doc_no"),
            "organ": record.get("organ") or "", "topic": b["topic"], "category": cat, "written": record.get("written"),
            "validity": validity, "withdrawn_notice": validity in (vocabularies.EXPIRED, vocabularies.REPEALED),
            "body": Markup(record.get("body_html") or ""),
            "attachments": [docinfo.attachment_view(a, self.cfg.attachment_base_url)
                            for a in record.get("attachments") or []],
        }
        meta = {
            "title": b["title"], "column": cat or self.dept_name(site), "article_title": b["title"],
            "pub_date": b["published"].strftime("%Y-%m-%d %H:%M"), "content_source": record.get("organ") or "",
            "keywords": ",".join(str(k) for k in keywords), "description": summary[:200], "canonical": b["url"],
        }
        return self.render_page("document.html", {
            "doc": doc, "meta": meta,
            "dept": {"name": self.dept_name(site), "url": f"/{site}/"},
            "cat": {"name": cat, "url": f"/{site}/{docinfo.category_slug(cat)}/"} if cat else None,
            "policy": related.get("policy"), "replacement": related.get("replacement"),
            "interpretations": related.get("interpretations") or [],
        }, site)

    # -- lists ------------------------------------------------------------------------
    def list_meta(self, key: str) -> ListMeta:
        return ListMeta(key, self)

    def list_page(self, lm: ListMeta, entries_oldest_first: list[str], *, page_no: int | None, last_page: int,
                  count: int | None = None, children: list[dict] | None = None) -> bytes:
        """``page_no`` None renders the list's index page (the newest items)."""
        p = lm.base
        if page_no is None:
            pager = {"older_url": f"{p}page/{last_page}.html" if last_page >= 1 else None,
                     "oldest_url": f"{p}page/1.html" if last_page > 1 else None, "newer_url": None, "index_url": None}
        else:
            pager = {"newer_url": f"{p}page/{page_no + 1}.html" if page_no < last_page else p,
                     "older_url": f"{p}page/{page_no - 1}.html" if page_no > 1 else None,
                     "oldest_url": None, "index_url": p}
        pager["show"] = any(pager.values())
        meta = {"title": lm.title + (f"（第 {page_no} 页）" if page_no else ""), "column": lm.title,
                "keywords": lm.title, "description": f"{self.portal['name']} {lm.title}",
                "canonical": p if page_no is None else f"{p}page/{page_no}.html"}
        lst = {"title": lm.title, "crumbs": lm.crumbs, "count": count, "children": children,
               "feed_url": f"{p}rss.xml" if lm.feeds else None, "atom_url": f"{p}atom.xml" if lm.feeds else None}
        return self.render_page("list.html", {
            "lst": lst, "page_no": page_no, "pager": pager, "meta": meta,
            "entries": Markup("\n".join(reversed(entries_oldest_first))),
        }, lm.site)

    # -- home and catalogue -----------------------------------------------------------
    def home(self, blocks: list[dict]) -> bytes:
        meta = {"title": None, "column": "首页", "keywords": "政府信息公开", "description": f"{self.portal['name']}政府信息公开",
                "canonical": "/"}
        return self.render_page("home.html", {"blocks": blocks, "departments": self.dept_links(), "meta": meta})

    def catalog(self, counts: dict[str, int]) -> bytes:
        tree = []
        for slug, name in self.departments:
            children = []
            for key in sorted((k for k in counts if k.startswith(f"sc:{slug}:")), key=_category_order):
                cat = key.split(":", 2)[2]
                children.append({"name": cat, "count": counts[key], "url": f"/{slug}/{docinfo.category_slug(cat)}/"})
            tree.append({"name": name, "url": f"/{slug}/", "count": counts.get(f"s:{slug}", 0), "children": children})
        meta = {"title": "信息公开目录", "column": "信息公开目录", "keywords": "信息公开目录",
                "description": "按部门和信息类别分列的政府信息公开目录", "canonical": "/catalog/"}
        return self.render_page("catalog.html", {"tree": tree, "total": counts.get("all", 0), "meta": meta})

    def not_found(self) -> bytes:
        return self.render_page("404.html", {"meta": {"title": "页面不存在", "column": "404"}})

    def standalone(self, name: str) -> bytes:
        return self.render_page(f"pages/{name}.html", {"meta": {"title": None, "column": name,
                                                                "canonical": f"/{name}/"}})

    def robots(self) -> bytes:
        return f"User-agent: *\nAllow: /\nDisallow: /admin/\nSitemap: {self.base_url}/sitemap.xml\n".encode()

    # -- feeds ------------------------------------------------------------------------
    def rss(self, lm: ListMeta, items_newest_first: list[dict]) -> bytes:
        base = self.base_url
        name = xml_escape(f"{self.portal['name']} - {lm.title}")
        out = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
               f"<channel><title>{name}</title><link>{xml_escape(base + lm.base)}</link>",
               f"<description>{name}</description><language>zh-cn</language>",
               f'<atom:link href={quoteattr(base + lm.base + "rss.xml")} rel="self" type="application/rss+xml"/>']
        if items_newest_first:
            newest = max(datetime.fromisoformat(i["up"]) for i in items_newest_first)
            out.append(f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate>")
        for i in items_newest_first:
            link = xml_escape(base + i["u"])
            out.append(
                f"<item><title>{xml_escape(i['t'])}</title><link>{link}</link>"
                f'<guid isPermaLink="true">{link}</guid>'
                f"<pubDate>{format_datetime(datetime.fromisoformat(i['p']))}</pubDate>"
                + (f"<category>{xml_escape(i['c'])}</category>" if i["c"] else "")
                + (f"<description>{xml_escape(i['s'])}</description>" if i["s"] else "")
                + "</item>"
            )
        out.append("</channel></rss>\n")
        return "".join(out).encode("utf-8")

    def atom(self, lm: ListMeta, items_newest_first: list[dict]) -> bytes:
        base = self.base_url
        updated = max((i["up"] for i in items_newest_first), key=datetime.fromisoformat,
                      default="1970-01-01T00:00:00+00:00")
        out = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-Hans">',
               f"<id>{xml_escape(base + lm.base)}</id>",
               f"<title>{xml_escape(self.portal['name'] + ' - ' + lm.title)}</title>",
               f"<updated>{updated}</updated>",
               f"<author><name>{xml_escape(self.portal['name'])}</name></author>",
               f'<link rel="self" type="application/atom+xml" href={quoteattr(base + lm.base + "atom.xml")}/>',
               f'<link rel="alternate" type="text/html" href={quoteattr(base + lm.base)}/>']
        for i in items_newest_first:
            link = base + i["u"]
            out.append(
                f"<entry><id>{xml_escape(link)}</id><title>{xml_escape(i['t'])}</title>"
                f'<link rel="alternate" type="text/html" href={quoteattr(link)}/>'
                f"<published>{i['p']}</published><updated>{i['up']}</updated>"
                + (f"<author><name>{xml_escape(i['o'])}</name></author>" if i["o"] else "")
                + (f"<category term={quoteattr(i['c'])}/>" if i["c"] else "")
                + (f"<summary>{xml_escape(i['s'])}</summary>" if i["s"] else "")
                + "</entry>"
            )
        out.append("</feed>\n")
        return "".join(out).encode("utf-8")

    # -- sitemaps ---------------------------------------------------------------------
    def sitemap(self, urls: list[tuple[str, str | None]]) -> bytes:
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for loc, lastmod in urls:
            out.append(f"<url><loc>{xml_escape(self.base_url + loc)}</loc>"
                       + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>")
        out.append("</urlset>\n")
        return "\n".join(out).encode("utf-8")

    def sitemap_index(self, parts: list[tuple[str, str | None]]) -> bytes:
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
               '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for loc, lastmod in parts:
            out.append(f"<sitemap><loc>{xml_escape(self.base_url + loc)}</loc>"
                       + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</sitemap>")
        out.append("</sitemapindex>\n")
        return "\n".join(out).encode("utf-8")


def _category_order(key: str) -> tuple[int, str]:
    cat = key.split(":", 2)[-1]
    return (vocabularies.CATEGORIES.index(cat) if cat in vocabularies.CATEGORIES else len(vocabularies.CATEGORIES), cat)


def category_order(name: str) -> tuple[int, str]:
    return _category_order(name)
