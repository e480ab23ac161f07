"""Turning records and build state into bytes: pages, list pages, feeds, sitemaps.

Every output here is a pure function of its inputs (no clock, no build order), which is what
makes an incremental build produce byte-identical files to a full build.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import orjson
from markupsafe import Markup

from content_models import vocabularies
from content_models.files import file_type
from site_generator import docinfo
from site_generator.columns import ColumnIndex
from site_generator.config import BuildConfig
from site_generator.identity import identity
from site_generator.theme import Themes

GENERATOR_VERSION = "5"  # 3: archived list pages keep their key ranges (ADR 0143); 4: Atom feeds only,
# the catalogue without counts, the sitemap index without lastmod (ADR 0156); 5: no "共 N 条" on a
# list's index page but a department's, feeds for the site and each department only (ADR 0161)
# Column names of the theme's own standalone pages (``pages/<name>.html``).
_PAGE_NAMES = {"search": "站内搜索"}
# The share image of a page (meta Image): the first image of its body, else the site's logo.
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc=["']([^"']+)["']""", re.IGNORECASE)


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
        # The site's and each department's list have an Atom feed; a category's across departments
        # has not: a new document then rewrites two feeds, not three (ADR 0161).
        self.feeds = kind in ("all", "s")
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
        self.portal["identity"] = identity(cfg.portal)
        self.base_url = cfg.base_url
        self.columns = ColumnIndex(cfg.columns)
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
             self.cfg.feed_size, self.cfg.sitemap_max, self.cfg.home_block_size, str(self.cfg.files_dir or ""),
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
            # No column in the header: the menu's columns come from the site's shared nav file (ADR 0135).
            dept = {"name": self.dept_name(site), "url": f"/{site}/"} if site in self._dept_names else None
            ctx = {"site": self.portal, "departments": self.dept_links(), "nav_columns": None, "dept_nav": dept,
                   "nav_src": "/" + self.nav_path(site), "service_links": self.service_links(),
                   "logo_url": self.asset_url("img/logo.svg", site)}
            c = {
                "site": self.portal,
                "header_html": Markup(self.template("partials/header.html", site).render(ctx)),
                "footer_html": Markup(self.template("partials/footer.html", site).render(ctx)),
            }
            self._chrome[site] = c
        return c

    def nav_path(self, site: str | None) -> str:
        """The shared file holding the column menu of a site's pages (the portal's or a department's)."""
        return f"_nav/dept/{site}.htm" if site in self._dept_names else "_nav/portal.htm"

    def nav_files(self) -> dict[str, bytes]:
        """Every site's column menu (``partials/nav.html`` with the editors' columns), by output path."""
        out = {}
        for site in [None, *self._dept_names]:
            ctx = {"nav_columns": self.columns.nav(""), "dept_nav": self.dept_nav(site),
                   "service_links": self.service_links()}
            out[self.nav_path(site)] = self.template("partials/nav.html", site).render(ctx).encode("utf-8")
        return out

    def columns_json(self) -> str:
        """The column tree as the build state keeps it (an incremental build compares it)."""
        return orjson.dumps(self.columns.tree).decode()

    def with_columns(self, tree: list[dict]) -> Renderer:
        """This renderer resolving columns from another tree (what a page showed before an edit)."""
        other = copy.copy(self)
        other.columns = ColumnIndex(tree)
        return other

    def dept_nav(self, site: str | None) -> dict | None:
        """A department site's own navigation (its columns), shown under the portal's on its pages."""
        if not site or site not in self._dept_names:
            return None
        return {"name": self.dept_name(site), "url": f"/{site}/", "columns": self.columns.nav(site)}

    def site_column(self, site: str) -> dict:
        """The column of a department's own site (its home list)."""
        name = self.dept_name(site)
        return self.columns.for_url(f"/{site}/", site) or {
            "name": name, "type": vocabularies.COLUMN_DISCLOSURE, "description": f"{name}政府信息公开",
            "keywords": name}

    def page_meta(self, meta: dict | None, site: str | None = None) -> dict:
        """The meta tags of a page: the caller's values completed with the column's, the page's
        absolute URL and its share image (so a page carries every tag of the 指引 it has data for)."""
        m = dict(meta or {})
        canonical = m.get("canonical")
        # The column: the caller's (a document's, a list's), else an editor's column at this URL;
        # its values win over the page's own defaults.
        col = m.pop("column_info", None) or (self.columns.for_url(canonical, site or "") if canonical else None) or {}
        for key, field_name in (("column", "name"), ("column_type", "type"), ("column_description", "description"),
                                ("column_keywords", "keywords")):
            if col.get(field_name):
                m[key] = col[field_name]
        name = m.get("column") or ""
        m["column"] = name
        m["column_type"] = m.get("column_type") or (vocabularies.COLUMN_OTHER if name else "")
        m["column_description"] = m.get("column_description") or (f"{self.portal['name']}{name}" if name else "")
        m["column_keywords"] = m.get("column_keywords") or name
        if canonical and not m.get("url"):
            m["url"] = self.base_url + canonical
        if not m.get("image"):
            m["image"] = self.base_url + self.asset_url("img/logo.png", site)
        elif m["image"].startswith("/"):
            m["image"] = self.base_url + m["image"]
        return m

    def service_links(self) -> list[dict]:
        return [{"name": str(s["name"]), "url": str(s["url"])} for s in self.cfg.service_links or []]

    def dept_links(self) -> list[dict]:
        return [{"name": name, "url": f"/{slug}/", "slug": slug} for slug, name in self.departments]

    def asset_url(self, name: str, site: str | None = None) -> str:
        return self.themes.for_site(site).asset_url(name)

    def render_page(self, template: str, context: dict, site: str | None = None) -> bytes:
        ctx = dict(self.chrome(site))
        ctx.update(context)
        ctx["meta"] = self.page_meta(ctx.get("meta"), site)
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
            "files": [rel for rel, _src in self.attachment_files(record)],
        }

    def attachment_files(self, record: dict) -> list[tuple[str, Path]]:
        """``(path on the site, stored file)`` of the record's attachments the store may hold."""
        store = self.cfg.files_dir
        out = []
        for att in [*(record.get("attachments") or []), *(record.get("body_files") or [])]:
            sha, file = str(att.get("sha256") or ""), str(att.get("file") or "")
            if sha and store is not None and not docinfo.is_outside_link(file):
                kind = str(att.get("type") or "") or file_type(file)
                out.append((docinfo.attachment_path(sha, file, kind), store / sha[:2] / sha))
        return out

    def place_attachments(self, writer, record: dict) -> list[dict]:
        """Link the record's stored files into the release and return what the page lists.

        A stored file is hard-linked by its hash (never read); one the store does not hold is
        listed as 暂缺, so the page never links to a file that is not on the site.
        """
        placed = {rel: writer.link(rel, source) for rel, source in self.attachment_files(record)}
        views = []
        for att in record.get("attachments") or []:
            sha, file = str(att.get("sha256") or ""), str(att.get("file") or "")
            kind = str(att.get("type") or "") or file_type(file)
            available = bool(sha) and placed.get(docinfo.attachment_path(sha, file, kind), False)
            views.append(docinfo.attachment_view(att, available))
        return views

    def doc_page(self, record: dict, b: dict, related: dict, attachments: list[dict] | None = None) -> bytes:
        """The document's page; ``record`` is public (``docinfo.public_record``): its body is shown as it is.

        ``attachments``: the views ``place_attachments`` returned (none placed: every stored file 暂缺).
        """
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
            "attachments": attachments if attachments is not None else [
                docinfo.attachment_view(a, False) for a in record.get("attachments") or []],
        }
        column = self.columns.for_category(site, cat, self.dept_name(site)) if cat else self.site_column(site)
        image = _IMG_SRC.search(doc["body"])
        organ = record.get("organ") or self.dept_name(site)
        meta = {
            "title": b["title"], "column_info": column, "article_title": b["title"],
            "pub_date": b["published"].strftime("%Y-%m-%d %H:%M"), "content_source": organ, "author": organ,
            "keywords": ",".join(str(k) for k in keywords) or column["keywords"],
            "description": summary[:200] or b["title"], "canonical": b["url"],
            "image": image.group(1) if image else "",
        }
        return self.render_page("document.html", {
            "doc": doc, "meta": meta,
            "dept": {"name": self.dept_name(site), "url": f"/{site}/"},
            "cat": {"name": cat, "url": f"/{site}/{docinfo.category_slug(cat)}/"} if cat else None,
            "policy": related.get("policy"), "replacement": related.get("replacement"),
            "interpretations": related.get("interpretations") or [],
            "related_links": docinfo.related_links(record),
        }, site)

    # -- lists ------------------------------------------------------------------------
    def list_meta(self, key: str) -> ListMeta:
        return ListMeta(key, self)

    def list_column(self, lm: ListMeta) -> dict:
        """The column a list is the page of: an editor's column at its URL, else the category's."""
        found = self.columns.for_url(lm.base, lm.site or "")
        if found:
            return found
        if lm.kind == "s":
            return self.site_column(lm.site or "")
        if lm.kind in ("sc", "c"):
            cat = lm.key.rsplit(":", 1)[-1]
            return self.columns.for_category(lm.site or "", cat, self.dept_name(lm.site) if lm.site else self.portal["name"])
        return {"name": lm.title, "type": vocabularies.COLUMN_DISCLOSURE, "description": f"{self.portal['name']}{lm.title}",
                "keywords": lm.title}

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
        meta = {"title": lm.title + (f"（第 {page_no} 页）" if page_no else ""), "column_info": self.list_column(lm),
                "keywords": lm.title, "description": f"{self.portal['name']} {lm.title}",
                "canonical": p if page_no is None else f"{p}page/{page_no}.html"}
        lst = {"title": lm.title, "crumbs": lm.crumbs, "count": count, "children": children,
               "atom_url": f"{p}atom.xml" if lm.feeds else None}
        return self.render_page("list.html", {
            "lst": lst, "page_no": page_no, "pager": pager, "meta": meta,
            "entries": Markup("\n".join(reversed(entries_oldest_first))),
        }, lm.site)

    # -- home and catalogue -----------------------------------------------------------
    def home(self, blocks: list[dict]) -> bytes:
        meta = {"title": None, "column": "首页", "column_type": "首页", "column_description": f"{self.portal['name']}首页",
                "column_keywords": "首页", "keywords": "政府信息公开", "description": f"{self.portal['name']}政府信息公开",
                "canonical": "/"}
        return self.render_page("home.html", {"blocks": blocks, "departments": self.dept_links(), "meta": meta})

    def catalog(self, lists: Iterable[str]) -> bytes:
        """The 信息公开目录: each department and the categories it has documents in.

        It names the lists, not how many documents they hold: the counts are on each department's
        page and each list's, which a new document rewrites anyway, so the catalogue changes only
        when a list comes or goes (ADR 0156)."""
        keys = set(lists)
        tree = []
        for slug, name in self.departments:
            children = []
            for key in sorted((k for k in keys if k.startswith(f"sc:{slug}:")), key=_category_order):
                cat = key.split(":", 2)[2]
                children.append({"name": cat, "url": f"/{slug}/{docinfo.category_slug(cat)}/"})
            tree.append({"name": name, "url": f"/{slug}/", "children": children})
        meta = {"title": "信息公开目录", "column": "信息公开目录", "column_type": vocabularies.COLUMN_DISCLOSURE,
                "column_description": "按部门和信息类别分列的政府信息公开目录", "column_keywords": "信息公开目录",
                "keywords": "信息公开目录", "description": "按部门和信息类别分列的政府信息公开目录", "canonical": "/catalog/"}
        return self.render_page("catalog.html", {"tree": tree, "meta": meta})

    def site_map(self) -> bytes:
        """The human-readable 网站地图: the portal's columns and each department's."""
        tree = self.columns.tree
        depts = [{"name": name, "url": f"/{slug}/", "columns": [c for c in tree if c["site"] == slug]}
                 for slug, name in self.departments]
        meta = {"title": "网站地图", "column": "网站地图", "column_type": vocabularies.COLUMN_OTHER,
                "column_description": f"{self.portal['name']}网站地图", "column_keywords": "网站地图",
                "keywords": "网站地图", "description": f"{self.portal['name']}各栏目和部门网站的导航",
                "canonical": "/sitemap/"}
        return self.render_page("sitemap.html", {"portal_columns": [c for c in tree if not c["site"]],
                                                 "dept_trees": depts, "meta": meta})

    def not_found(self) -> bytes:
        return self.render_page("404.html", {"meta": {"title": "页面不存在", "column": "404",
                                                      "description": "您访问的页面不存在"}})

    def standalone(self, name: str) -> bytes:
        return self.render_page(f"pages/{name}.html", {"meta": {"title": None, "column": _PAGE_NAMES.get(name, name),
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

    def sitemap_index(self, parts: list[str]) -> bytes:
        """The sitemap index: the parts' URLs without ``<lastmod>`` (optional in the protocol; each
        URL in the parts carries its own), so it changes only when a part comes or goes (ADR 0156)."""
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
               '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for loc in parts:
            out.append(f"<sitemap><loc>{xml_escape(self.base_url + loc)}</loc></sitemap>")
        out.append("</sitemapindex>\n")
        return "\n".join(out).encode("utf-8")


def _category_order(key: str) -> tuple[int, str]:
    cat = key.split(":", 2)[-1]
    return (vocabularies.CATEGORIES.index(cat) if cat in vocabularies.CATEGORIES else len(vocabularies.CATEGORIES), cat)


def category_order(name: str) -> tuple[int, str]:
    return _category_order(name)
