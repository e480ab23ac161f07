"""Which objects travel, and in which order.

Readers must never follow a link to something that is not there yet, so a publish goes in
waves, each finished before the next starts:

0. content-hashed files (theme assets, search shards): nothing links to them until later waves;
1. other non-page files (images, attachments, unhashed search/meta files that name the shards);
2. new HTML pages;
3. changed HTML pages (lists and indexes that now link to the new pages);
4. feeds and sitemaps;
5. the home page and the sitemap index, which point at everything above;
then deletions, once nothing published links to the withdrawn objects any more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .headers import is_immutable
from .manifest import Manifest, Retired

WAVE_NAMES = ["hashed", "files", "new-pages", "changed-pages", "feeds", "entry-points"]
_FEED_EXT = (".xml", ".rss", ".atom")
_ENTRY_POINTS = {"index.html", "sitemap.xml", "sitemap_index.xml", "sitemap-index.xml", "sitemapindex.xml"}


@dataclass
class Plan:
    waves: list[list[str]] = field(default_factory=lambda: [[] for _ in WAVE_NAMES])
    deletes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    upload_bytes: int = 0

    @property
    def uploads(self) -> list[str]:
        return [rel for wave in self.waves for rel in wave]

    @property
    def empty(self) -> bool:
        return not self.deletes and not any(self.waves)


def wave_of(relpath: str, is_new: bool) -> int:
    if relpath in _ENTRY_POINTS:
        return 5
    lower = relpath.lower()
    if lower.endswith((".html", ".htm")):
        return 2 if is_new else 3
    if lower.endswith(_FEED_EXT):
        return 4
    return 0 if is_immutable(relpath) else 1


def make_plan(local: Manifest, remote: Manifest) -> Plan:
    """Compare what the build holds with what the target holds (bytes and headers)."""
    plan = Plan()
    unchanged = plan.unchanged
    get = remote.get
    for rel, entry in local.items():
        old = get(rel)
        if entry == old:
            unchanged.append(rel)
            continue
        plan.waves[wave_of(rel, old is None)].append(rel)
        plan.upload_bytes += entry.size
    for wave in plan.waves:
        wave.sort()
    plan.deletes = sorted(rel for rel in remote if rel not in local)
    return plan


def retire_hashed(plan: Plan, remote: Manifest, retired: Retired, *, now: float, grace: float) -> Retired:
    """Keep content-hashed files that left the site on the target for ``grace`` seconds.

    A page or search manifest cached by a browser or CDN (max-age 300 s) may still name the old
    asset or shard; deleting it at once would break that page for its readers. Returns the new
    retired set and leaves in ``plan.deletes`` only what goes now (other files, and hashed files
    retired longer than ``grace`` ago).
    """
    keep: Retired = {}
    now_deletes = []
    for rel in plan.deletes:
        if grace > 0 and is_immutable(rel):
            since = retired[rel][1] if rel in retired else now
            if now - since < grace:
                keep[rel] = (remote[rel], since)
                continue
        now_deletes.append(rel)
    plan.deletes = now_deletes
    return keep
