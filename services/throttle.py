"""Throttling in shared state: every server process and machine counts in the same cache [0079].

Counters live in Django's cache (the database cache by default, Redis with ``GOVSITE_CACHE_URL``),
never in a process. A counter of limit N is N *slots*: counting one more takes the first free slot
with ``cache.add``, which is atomic on every backend (a UNIQUE key in the database, SET NX in
Redis), so two workers never both take the same slot and concurrent requests cannot slip past the
limit the way a read-modify-write ``incr`` lets them. The counter is full when its last slot is
taken; that one key is all a check reads. Each slot holds the time it expires, which becomes the
``Retry-After`` of a refused request.

Lookups by case number and query code count *failures* twice: per case number (a stranger
guessing one number is stopped after a few codes, whatever addresses he uses) and per client
(one address guessing many numbers). While either is full, every lookup of that number or from
that client answers 429, a right code included (else the answer would still tell a guess right);
the case's owner gets in again once the lock expires.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from django.core.cache import caches
from django.utils.translation import gettext as _

from cms.api.errors import Throttled
from services import conf

T = TypeVar("T")


def _cache():
    return caches[conf.get("GOVSITE_SERVICES_CACHE")]


# --- client address -------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_ip(request) -> str:
    """The citizen's address. ``X-Forwarded-For`` counts only when the peer is one of the proxies in
    ``GOVSITE_TRUSTED_PROXIES`` (addresses or networks): then the rightmost address that is not
    itself a trusted proxy is the client (the left part of the header is whatever the client sent).
    Without trusted proxies the header is ignored, so nobody picks his own address."""
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    networks = _networks(tuple(conf.get("GOVSITE_TRUSTED_PROXIES")))
    if not networks or not _trusted(peer, networks):
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if not _trusted(address, networks):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return peer  # a malformed hop: fall back to the proxy rather than trust garbage
    return peer


# --- slot counters --------------------------------------------------------------------------------

def _slot(key: str, n: int) -> str:
    return f"{key}:{n}"


def wait_seconds(keys: list[str], limit: int) -> int:
    """Seconds until the first full counter among ``keys`` (limit ``limit``) frees up, else 0."""
    return _wait([(key, limit) for key in keys])


def _wait(counters: list[tuple[str, int]]) -> int:
    """Seconds until every full counter among ``(key, limit)`` frees up, else 0: one cache read."""
    slots = [_slot(key, limit) for key, limit in counters if limit > 0]
    found = _cache().get_many(slots) if slots else {}
    if not found:
        return 0
    return max(1, math.ceil(max(float(v) for v in found.values()) - time.time()))


def count(key: str, limit: int, window: int) -> bool:
    """Count one event on ``key``; False when all ``limit`` slots were already taken."""
    if limit <= 0:
        return True
    cache = _cache()
    slots = [_slot(key, n) for n in range(1, limit + 1)]
    taken = cache.get_many(slots)
    for slot in slots:
        if slot in taken:
            continue
        if cache.add(slot, time.time() + window, timeout=window):
            return True
    return False


def _minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return _("%(n)s 分钟") % {"n": minutes}


# --- lookups by number and query code --------------------------------------------------------------

def _number_key(module: str, number: str) -> str:
    digest = hashlib.sha256(number.strip().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"svc:lookup:n:{module}:{digest}"


def _client_key(request) -> str:
    return f"svc:lookup:c:{client_ip(request)}"


def _lookup_limits() -> tuple[int, int, int]:
    return (conf.get("GOVSITE_LOOKUP_FAILURES_PER_NUMBER"), conf.get("GOVSITE_LOOKUP_FAILURES_PER_CLIENT"),
            conf.get("GOVSITE_LOOKUP_LOCK_SECONDS"))


def check_lookup(request, module: str, number: str) -> None:
    """Raise 429 (with ``Retry-After``) while the number or the client is locked out."""
    per_number, per_client, _window = _lookup_limits()
    wait = _wait([(_number_key(module, number), per_number), (_client_key(request), per_client)])
    if wait:
        raise Throttled(_("查询码错误次数过多，请 %(t)s后再试") % {"t": _minutes(wait)}, wait)


def lookup_failed(request, module: str, number: str) -> None:
    """Count a wrong number/code pair against the number and against the client."""
    per_number, per_client, window = _lookup_limits()
    count(_number_key(module, number), per_number, window)
    count(_client_key(request), per_client, window)


def find_by_code(request, module: str, number: str, find: Callable[[str], T | None],
                 code_ok: Callable[[T], bool]) -> T | None:
    """The one way a module looks a case up by number and query code, throttled.

    Raises :class:`Throttled` (429, ``Retry-After``) while ``number`` or the client is locked;
    else ``find(number)`` gives the case (or None) and ``code_ok(case)`` says whether the code the
    citizen typed is its code. A miss, no case or a wrong code alike, counts against the number
    and the client and returns None, so the caller gives one answer for both and never tells which
    numbers exist. Every lookup by code goes through here: a module cannot forget to count."""
    check_lookup(request, module, number)
    case = find(number)
    if case is None or not code_ok(case):
        lookup_failed(request, module, number)
        return None
    return case


# --- writes ---------------------------------------------------------------------------------------

def check_writes(request, scope: str) -> None:
    """Count one write by this client in ``scope``; 429 once it made the allowed number this window."""
    limit = conf.get("GOVSITE_SERVICES_RATE_LIMIT")
    window = conf.get("GOVSITE_SERVICES_RATE_WINDOW")
    key = f"svc:write:{scope}:{client_ip(request)}"
    if not count(key, limit, window):
        wait = wait_seconds([key], limit) or window
        raise Throttled(_("提交过于频繁，请 %(t)s后再试") % {"t": _minutes(wait)}, wait)
