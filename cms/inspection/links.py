"""Links in bodies and attachments: internal ones checked against the live site's files; outside
ones (only with ``--external``) checked over HTTP, bounded and polite (HEAD, one request at a time
per host with a pause, a cap on how many, a short timeout)."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

_LINK = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"'<>]+)["']""", re.IGNORECASE)
_SKIP = ("mailto:", "tel:", "javascript:", "data:", "#")
USER_AGENT = "govsite-inspect/1 (+self-inspection of a government website)"


def links_in(html: str | None) -> Iterator[str]:
    if html and ("href" in html or "src" in html):
        for match in _LINK.finditer(html):
            link = match.group(1).strip()
            if link and not link.lower().startswith(_SKIP):
                yield link


def is_outside(link: str, base_url: str) -> bool:
    lower = link.lower()
    return lower.startswith(("http://", "https://", "//")) and not (base_url and lower.startswith(base_url.lower()))


class SiteFiles:
    """Answers "does this site URL exist?" from the live release's files (cached by path)."""

    def __init__(self, root: Path, base_url: str):
        self.root = root.resolve() if root.exists() else root
        self.base_url = base_url.rstrip("/")
        self._seen: dict[str, bool] = {}

    def available(self) -> bool:
        return (self.root / "index.html").is_file()

    def exists(self, link: str, page_url: str = "/") -> bool:
        if self.base_url and link.lower().startswith(self.base_url.lower()):
            link = link[len(self.base_url):] or "/"
        path = unquote(urlsplit(urljoin(page_url, link)).path)
        found = self._seen.get(path)
        if found is None:
            found = self._seen[path] = self._lookup(path)
        return found

    def _lookup(self, path: str) -> bool:
        rel = path.lstrip("/")
        if any(part == ".." for part in rel.split("/")):
            return False
        target = self.root / rel
        if path.endswith("/") or not rel:
            return (target / "index.html").is_file()
        return target.is_file() or (target / "index.html").is_file()


def check_outside(urls: Iterable[str], *, limit: int, timeout: float = 10.0, pause: float = 1.0,
                  workers: int = 4) -> dict[str, str]:
    """Check at most ``limit`` outside URLs; returns {url: problem} for those that failed.

    Polite: HEAD first (GET when the server refuses HEAD), one request at a time per host with
    ``pause`` seconds between them, ``workers`` hosts at once.
    """
    by_host: dict[str, list[str]] = defaultdict(list)
    for n, url in enumerate(dict.fromkeys(urls)):
        if n >= limit:
            break
        by_host[urlsplit(url).netloc.lower()].append(url)
    problems: dict[str, str] = {}
    lock = threading.Lock()

    def host_worker(urls_of_host: list[str]) -> None:
        for i, url in enumerate(urls_of_host):
            if i:
                time.sleep(pause)
            problem = _probe(url if not url.startswith("//") else "https:" + url, timeout)
            if problem:
                with lock:
                    problems[url] = problem

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(host_worker, by_host.values()))
    return problems


def _probe(url: str, timeout: float) -> str:
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
                if method == "GET":
                    response.read(1024)
                return ""
        except urllib.error.HTTPError as exc:
            if method == "HEAD" and exc.code in (403, 405, 501):
                continue  # some servers refuse HEAD: ask with GET
            return f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            return f"无法访问（{getattr(exc, 'reason', exc)}）"
    return ""
