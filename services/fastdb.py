"""A persistent per-thread read connection for hot lookups.

The settings close SQLite connections after every request (``CONN_MAX_AGE = 0``); opening one and
running its PRAGMAs cost more than the lookup itself (measured: ~3 ms CPU per request in all, of
which connect + init is the largest part). Hot read-only endpoints run their one prepared SQL
statement on a connection kept per thread instead, made by Django's own backend (same settings,
same init commands, PostgreSQL or SQLite). Inside a transaction on the default connection (tests,
``ATOMIC_REQUESTS``) the normal connection is used so uncommitted rows stay visible.
"""

import threading
from typing import Any

from django.db import DatabaseError, connections

_local = threading.local()


def _wrapper(alias: str):
    wrapper = getattr(_local, alias, None)
    if wrapper is None:
        wrapper = connections.create_connection(alias)
        setattr(_local, alias, wrapper)
    return wrapper


def fetch_one(sql: str, params: tuple[Any, ...], alias: str = "default") -> dict[str, Any] | None:
    """Run ``sql`` (Django ``%s`` placeholders) and return the first row as a dict, or None."""
    default = connections[alias]
    if default.in_atomic_block:
        return _run(default, sql, params)
    for attempt in (1, 2):
        wrapper = _wrapper(alias)
        try:
            return _run(wrapper, sql, params)
        except DatabaseError:
            # a broken connection (database restarted): drop it and retry once on a new one
            try:
                wrapper.close()
            except DatabaseError:
                pass
            setattr(_local, alias, None)
            if attempt == 2:
                raise
    return None


def _run(wrapper, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    with wrapper.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cursor.description], row, strict=True))
