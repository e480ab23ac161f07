"""Contributed pages: plain data that the caller hands to the build, rendered like every page.

The documents are not the only pages of the site: the CMS gathers the service modules' pages
(public letters, statistics, the pages holding the citizen widgets) in its own process and passes
them to ``build_site(..., page_sets=[...])`` as plain data; the generator never asks anyone for
them. A ``PageSet`` is a named group of ``PageSpec`` (output path, theme template, context,
version)::

    PageSet("letters", [PageSpec("letters/index.html", "partials/services/letters_list.html", {...}), ...],
            tombstone=withdrawn_page)

What the build does with a set (``plan`` below, ``site_generator.build`` writes):

- renders each page with the theme, so it gets the site's header, footer and meta tags;
- keeps each page's version in the build state (table ``pages``), committed with the release, so
  an incremental build renders only the pages whose version changed (O(changed), not O(set));
  a page without a version is versioned by a hash of its template and context;
- a page that was in the set and is not any more is replaced by the set's ``tombstone(path)``
  page when that returns one (kept from then on, like any page), else its file is deleted;
- a set that is not passed to a build is left as it is (its files and its state);
- the stored files a page links (``PageSpec.files``: ``{"sha256", "file", "type"}`` like a
  document's attachment, e.g. a guide's blank form) are placed under ``files/`` with the page, by
  hash, never read; a file no page or document links any more leaves the site.

Search and feeds: a page may carry its search record (``PageSpec.search``: the fields of a
document record the search index reads, e.g. title, summary, body_html, organ, category,
published, keywords) and its feed entry (``PageSpec.feed``: title, published, updated, summary,
category, author). Both are part of the page's version. The build gives each search record the
page's URL and the id ``page:<path>`` and hands the records of the pages it renders to the
plugins (``BuildContext.page_records``) with the ids of those that lost theirs
(``BuildContext.page_removed_ids``), so the search index of an incremental build equals a full
one. A set with a ``feed`` (``PageFeed``: directory and title) gets ``<dir>rss.xml`` and
``<dir>atom.xml`` holding its newest entries, rewritten by every build that renders a page of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

Context = Mapping[str, Any]


class PageSetError(ValueError):
    """A contributed page that cannot be built (the message is shown to users)."""


def _check_path(path: str) -> str:
    parts = path.split("/")
    if not path or path.startswith("/") or path.endswith("/") or any(p in ("", ".", "..") for p in parts):
        raise PageSetError(f"页面路径无效：{path!r}（应为站点内的相对文件路径，如 letters/index.html）")
    return path


@dataclass(frozen=True)
class PageSpec:
    """One page: ``path`` is the output file (``letters/index.html``), ``template`` a theme template.

    ``context`` is a mapping of plain data (what the template shows) or a function returning one,
    called only when the page is rendered; a lazy context needs a ``version`` that changes whenever
    the page would (e.g. the row's update time). Without a version the build hashes the template
    and the context, so the context must then be plain data (str, numbers, dates, lists, dicts).
    A full build renders the pages of a plain context in its worker processes (forked): only a lazy
    context may read the CMS's database, and it is called in the build's own process.

    ``files``: the stored files the page links (``{"sha256", "file", "type"}``, as the CMS gives
    them: ``cms.service_modules.FileLinks``), placed at ``docinfo.attachment_path`` with the page.
    """

    path: str
    template: str
    context: Context | Callable[[], Context]
    version: str | None = None
    files: tuple[Mapping[str, Any], ...] = ()
    search: Context | None = None  # the page's search record (plain data), see the module docstring
    feed: Context | None = None  # the page's feed entry (plain data): title, published, updated, ...

    def __post_init__(self) -> None:
        _check_path(self.path)
        if callable(self.context) and self.version is None:
            raise PageSetError(f"页面 {self.path} 的内容是延迟计算的，必须给出 version")

    def resolved_version(self) -> str:
        files = [[str(f.get("sha256") or ""), str(f.get("file") or ""), str(f.get("type") or "")] for f in self.files]
        extra = [self.search, self.feed] if self.search is not None or self.feed is not None else []
        try:
            if self.version is not None:
                if not extra:
                    if not files:
                        return str(self.version)
                    digest = hashlib.blake2b(orjson.dumps(files), digest_size=8).hexdigest()
                    return f"{self.version}+{digest}"
                data = orjson.dumps([self.version, files, *extra], option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
                return hashlib.blake2b(data, digest_size=16).hexdigest()
            data = orjson.dumps([self.template, self.context, *([files] if files else []), *extra],
                                option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        except TypeError as exc:
            raise PageSetError(f"页面 {self.path} 的内容不是纯数据（{exc}）：请给出 version") from None
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    def resolved_context(self) -> Context:
        return self.context() if callable(self.context) else self.context

    @property
    def url(self) -> str:
        """The page's URL on the site (``letters/index.html`` → ``/letters/``)."""
        return "/" + (self.path[:-len("index.html")] if self.path.endswith("index.html") else self.path)

    def search_record(self) -> dict | None:
        """The record the search index gets for this page (its id and URL are the page's)."""
        if self.search is None:
            return None
        return {**self.search, "id": search_id(self.path), "url": self.url}


def search_id(path: str) -> str:
    """The search record id of a contributed page: never a document's (those have no ``/``)."""
    return f"page:{path}"


@dataclass(frozen=True)
class PageFeed:
    """A set's feed: ``<path>rss.xml`` and ``<path>atom.xml`` (``path`` a directory such as
    ``guides/``) with the newest entries of its pages, titled "<portal> - <title>"."""

    path: str
    title: str

    def __post_init__(self) -> None:
        if not self.path.endswith("/"):
            raise PageSetError(f"订阅源目录应以 / 结尾：{self.path!r}")
        _check_path(self.path + "atom.xml")


@dataclass(frozen=True)
class PageSet:
    """A named group of pages, e.g. one service module's (its name keys the pages' build state).

    ``pages`` is iterated once per build. ``tombstone(path)`` gives the page that replaces a page
    which left the set (a letter no longer public: "该信件不再公开"), or None to delete it.
    """

    name: str
    pages: Iterable[PageSpec]
    tombstone: Callable[[str], PageSpec | None] | None = None
    feed: PageFeed | None = None


@dataclass
class PagePlan:
    """What a build writes for the contributed pages, and the state rows it then commits."""

    render: list[PageSpec] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    upsert: list[tuple[str, str, str]] = field(default_factory=list)  # (set, path, version)
    drop: list[tuple[str, str]] = field(default_factory=list)  # (set, path)
    total: int = 0  # pages of the given sets after this build
    # The feeds to write: each with every entry of its set (plain dicts with the page's URL as "url").
    feeds: list[tuple[PageFeed, list[dict]]] = field(default_factory=list)

    def search_changes(self) -> tuple[list[dict], set[str]]:
        """The search records of the pages rendered, and the ids of the pages that have none now."""
        records, removed = [], {search_id(path) for path in self.delete}
        for spec in self.render:
            record = spec.search_record()
            if record is None:
                removed.add(search_id(spec.path))
            else:
                records.append(record)
        return records, removed

    def __bool__(self) -> bool:
        return bool(self.render or self.delete or self.upsert or self.drop)


def materialize(page_sets: Iterable[PageSet] | None) -> list[tuple[PageSet, list[PageSpec]]]:
    """Each set with its pages read once (a build may plan twice: incremental, then full)."""
    out = []
    names: set[str] = set()
    for page_set in page_sets or ():
        if page_set.name in names:
            raise PageSetError(f"页面集 {page_set.name} 重复")
        names.add(page_set.name)
        out.append((page_set, list(page_set.pages)))
    return out


def plan(sets: list[tuple[PageSet, list[PageSpec]]], stored: Callable[[str], Mapping[str, str]], *,
         full: bool) -> PagePlan:
    """Compare the sets with their stored versions (``stored(set name) -> {path: version}``).

    A full build renders every page (its release is empty) but still reads what the sets held
    before, so a page that left one gets its tombstone there too.
    """
    result = PagePlan()
    owner: dict[str, str] = {}
    for page_set, specs in sets:
        before = stored(page_set.name)
        current: dict[str, PageSpec] = {}
        for spec in specs:
            if spec.path in owner or spec.path in current:
                other = owner.get(spec.path, page_set.name)
                raise PageSetError(f"页面 {spec.path} 在页面集 {other} 和 {page_set.name} 中重复")
            current[spec.path] = spec
        for path in before:
            if path in current or path in owner:
                continue
            replacement = page_set.tombstone(path) if page_set.tombstone else None
            if replacement is None:
                result.delete.append(path)
                result.drop.append((page_set.name, path))
            elif replacement.path != path:
                raise PageSetError(f"页面集 {page_set.name} 为 {path} 给出的替代页面路径不同：{replacement.path}")
            else:
                current[path] = replacement
        touched = False
        for path, spec in current.items():
            owner[path] = page_set.name
            version = spec.resolved_version()
            if full or before.get(path) != version:
                result.render.append(spec)
                result.upsert.append((page_set.name, path, version))
                touched = True
        touched = touched or any(path not in current for path in before)
        if page_set.feed is not None and (full or touched):
            result.feeds.append((page_set.feed, [{**spec.feed, "url": spec.url} for spec in current.values()
                                                 if spec.feed is not None]))
        result.total += len(current)
    return result
