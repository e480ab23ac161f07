"""Everything the generator derives from one record: stable URL, sort key, list memberships.

Plain Python (no Django): runs inside the render loop and in worker processes.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from content_models import vocabularies
from content_models.files import file_type, human_size, type_label
from content_models.sanitizer import public_html

CHINA_TZ = timezone(timedelta(hours=8))
# Top-level names the generator uses itself; a department slug may not take them.
RESERVED = frozenset(
    {"list", "category", "topic", "year", "catalog", "static", "sitemap", "sitemaps", "search", "files", "api", "admin",
     "media", "documents", "page", "services", "404", "index"}
)
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_SAFE_SITE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class RecordError(ValueError):
    """A record the generator cannot place on the site; the message is shown to users."""


def _short_hash(text: str, n: int = 10) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def slugify_id(doc_id: str) -> str:
    """A file-name-safe, stable slug for a document id (never changes when others change)."""
    if _SAFE_ID.fullmatch(doc_id):
        return doc_id
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", doc_id).strip("-_")[:60]
    return f"{cleaned}-{_short_hash(doc_id)}" if cleaned else f"d-{_short_hash(doc_id)}"


def site_slug(site: str) -> str:
    if _SAFE_SITE.fullmatch(site) and site not in RESERVED:
        return site
    cleaned = re.sub(r"[^a-z0-9_-]+", "-", site.lower()).strip("-_")[:40]
    return f"site-{cleaned}-{_short_hash(site, 6)}" if cleaned else f"site-{_short_hash(site, 8)}"


def category_slug(name: str) -> str:
    if name in vocabularies.CATEGORIES:
        return f"c{vocabularies.CATEGORIES.index(name) + 1:02d}"
    return f"c-{_short_hash(name, 8)}"


def topic_slug(name: str) -> str:
    if name in vocabularies.TOPICS:
        return f"t{vocabularies.TOPICS.index(name) + 1:02d}"
    return f"t-{_short_hash(name, 8)}"


def parse_published(record: dict) -> datetime:
    raw = record.get("published")
    try:
        value = datetime.fromisoformat(str(raw))
    except (TypeError, ValueError):
        raise RecordError(f"文件 {record.get('id')!r} 的发布日期无效：{raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TZ)
    return value


def lists_of(site: str, year: int, category: str | None, topic: str | None) -> list[str]:
    """The list keys a document appears in (its position in each is by (published, id))."""
    keys = ["all", f"s:{site}", f"y:{year}"]
    if category:
        keys += [f"c:{category}", f"sc:{site}:{category}"]
    if topic:
        keys.append(f"t:{topic}")
    return keys


def doc_url(site: str, year: int, doc_id: str) -> str:
    return f"/{site}/{year}/{slugify_id(doc_id)}.html"


def basics(record: dict) -> dict:
    """The small facts about a record that other pages need (title, URL, sort key, relations)."""
    for key in ("id", "site", "title"):
        if not record.get(key):
            raise RecordError(f"文件 {record.get('id')!r} 缺少必填字段 {key}")
    published = parse_published(record)
    site = site_slug(str(record["site"]))
    year = published.year
    return {
        "id": str(record["id"]),
        "site": site,
        "year": year,
        "ts": int(published.timestamp()),
        "published": published,
        "url": doc_url(site, year, str(record["id"])),
        "title": str(record["title"]),
        "date": published.strftime("%Y-%m-%d"),
        "category": record.get("category") or None,
        "topic": record.get("topic") or None,
        "interprets": record.get("interprets") or None,
        "replaced_by": record.get("replaced_by") or None,
    }


# Characters a file name on the site may not carry: path and URL syntax, shell and Windows trouble.
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|#%&+,;=\[\]{}^`\s]+')
FILES_DIR = "files"


def related_links(record: dict) -> list[dict]:
    """The pages of this site that link to the document and that its page links back to (the
    record's ``related_links``, e.g. a consultation on a draft): paths on the site only."""
    out = []
    for link in record.get("related_links") or []:
        url = str(link.get("url") or "")
        if url.startswith("/") and not url.startswith("//") and "\\" not in url:
            out.append({key: str(link.get(key) or "") for key in ("kind", "title", "url", "note")})
    return out


def is_outside_link(file: str) -> bool:
    """An attachment given as an absolute http(s) URL: linked as it is, never copied."""
    return file.lower().startswith(("http://", "https://"))


def attachment_name(file: str, kind: str) -> str:
    """The readable last part of an attachment's URL: its file name, made safe, with the right extension.

    The extension follows the type read from the bytes (a PDF named ``.doc`` is served as PDF).
    """
    base = re.split(r"[/\\]", file)[-1]
    base = _UNSAFE_NAME.sub("_", base).strip("._ ")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    if kind and ext.lower() != kind:
        stem, ext = (stem if dot else base), kind
    stem = stem[:100] or "attachment"
    return f"{stem}.{ext.lower()}" if ext else stem


def attachment_path(sha256: str, file: str, kind: str) -> str:
    """Where a stored file appears on the site: ``files/<2 hex>/<14 hex>/<name>``.

    Stable (the same bytes under the same name always get the same URL), readable (the file keeps
    its name when saved), and named by content, so a changed file is a new URL, cached for good.
    """
    return f"{FILES_DIR}/{sha256[:2]}/{sha256[2:16]}/{attachment_name(file, kind)}"


def attachment_view(att: dict, available: bool) -> dict:
    """What a reader sees of one attachment: a link with type and size, or its title and 暂缺.

    ``available``: the stored file was placed in the release (``attachment_path``). A relative
    path with no stored file has nothing to link to: it is listed, never linked (no dead link).
    """
    file = str(att.get("file") or "")
    kind = str(att.get("type") or "") or file_type(file)
    view = {"title": att.get("title") or file.rsplit("/", 1)[-1], "type": type_label(kind),
            "size": human_size(att.get("bytes")), "href": None, "outside": False}
    if is_outside_link(file):
        view.update(href=file, outside=True)
    elif available and att.get("sha256"):
        view["href"] = "/" + quote(attachment_path(str(att["sha256"]), file, kind))
    return view


def public_record(record: dict) -> dict:
    """The record as citizens get it: its body in the published form of the one sanitizer.

    Every record the build renders, and every record it hands to a plugin (the search index), goes
    through here, whether it came from the database or from a JSONL file, so nothing the allow-list
    rejects (scripts, handlers, ``javascript:`` links, Word's ``<xml>`` text) is ever published.
    Returns ``record`` itself when its body is already public.
    """
    body = record.get("body_html")
    public = public_html(body)
    return record if public == body else {**record, "body_html": public}

