"""Short paths for hot endpoints: answered inside the project's middleware, without routing [0085].

A service module names the endpoints citizens poll (the status lookup) in its AppConfig's
``fast_routes``: ``{path below its mount: FastRoute(view, accepts)}``. ``cms.wsgi`` wraps Django's
WSGI application in :class:`FastPaths`: a ``GET`` to such a path whose query string ``accepts``
takes is answered by ``view(request)`` run through the project's own middleware stack (security
headers, HTTPS redirect, CORS, language, the one ``/api/`` error format: the answer is the same as
through Django's full handler; only middleware serving sessions, users, messages, CSRF and static
files is left out, see :data:`SKIPPED_MIDDLEWARE`), but without URL resolution, ninja's input and output validation
and, above all, without the ``request_started``/``request_finished`` signals, which with
``CONN_MAX_AGE = 0`` close the database connection after every request: on SQLite, opening it
again and running its PRAGMAs cost more than the whole lookup. Here each thread keeps its
connection; one that had an error and is no longer usable is closed after the request, as
Django's own check would.

A route may take ``POST`` instead (``method="POST"``: a public write citizens send in bursts, the
booking of an appointment): the body, announced by ``Content-Length`` and at most ``max_body``
bytes, is read first and ``accepts`` gets it; the body is kept, so whatever ``accepts`` refuses
goes to Django with the same body. What ``accepts`` returns (the parsed input) is handed to the
view as ``request.fast_input``, so the input is not parsed twice.

Everything a route does not accept (another method, a missing, repeated or oversized parameter, a
NUL, a body that is not what the endpoint takes) goes the whole way through Django, which answers
it as always. ``GOVSITE_FAST_PATHS = False`` turns the short paths off (the benchmark's baseline,
the equivalence tests).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIRequest, get_script_name, get_str_from_wsgi
from django.db import connections
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import set_script_prefix
from django.utils.module_loading import import_string

from cms.service_modules import enabled_modules, resolve_hook

API_SERVICES = "/api/services/"


@dataclass(frozen=True)
class FastRoute:
    """``view(request) -> HttpResponse`` for a GET whose parsed query ``accepts(query)`` is true,
    or (``method="POST"``) for a POST whose body (bytes, at most ``max_body``) ``accepts(body)``
    turns into a value that is not None (``request.fast_input`` in the view)."""

    view: Callable[[HttpRequest], HttpResponse]
    accepts: Callable[[Any], Any]
    method: str = "GET"
    max_body: int = 16 * 1024


# Middleware that acts only for views using the session, the user, messages or CSRF tokens, for
# unsafe methods or for static files: a short path's view uses none of these, so they are left out
# (every other middleware of settings.MIDDLEWARE, the project's own included, runs as usual).
SKIPPED_MIDDLEWARE = frozenset({
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
})


class _ShortHandler(BaseHandler):
    """The project's middleware around one view chosen by path (no URL resolution)."""

    def __init__(self, views: dict[str, Callable[[HttpRequest], HttpResponse]]) -> None:
        super().__init__()
        self.views = views
        self.load_middleware()

    def load_middleware(self, is_async: bool = False) -> None:
        """Like Django's, over ``settings.MIDDLEWARE`` less :data:`SKIPPED_MIDDLEWARE`; only the
        request/response and exception hooks are wired (there is no URL resolution, so no view
        or template-response hooks)."""
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.MIDDLEWARE):
            if path in SKIPPED_MIDDLEWARE:
                continue
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    def _get_response(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.views[request.path_info](request)
        except Exception as exc:  # the middleware's process_exception answers (JSON 500 under /api/)
            response = self.process_exception_by_middleware(exc, request)
            if response is None:
                raise
            return response


def _release_broken_connections() -> None:
    """What ``close_old_connections`` does at the end of a request, less closing healthy
    connections: one that had an error and no longer answers is closed (the next request opens a
    new one). A transaction opened outside the request (a test's) is left alone."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None or conn.in_atomic_block or not conn.errors_occurred:
            continue
        if conn.is_usable():
            conn.errors_occurred = False
        else:
            conn.close()


def _read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The request body when ``Content-Length`` announces 1 to ``limit`` bytes, else None (chunked,
    missing, malformed or larger: Django answers). The bytes read are put back as ``wsgi.input``,
    so Django gets the same body when the route does not take it."""
    raw = environ.get("CONTENT_LENGTH") or ""
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= limit:
        return None
    body = environ["wsgi.input"].read(int(raw))
    environ["wsgi.input"] = io.BytesIO(body)
    return body


class FastPaths:
    """WSGI application: the short routes first, everything else to ``app`` (Django's handler)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], routes: dict[str, FastRoute]) -> None:
        self.app = app
        self.routes = dict(routes)
        self.handler = _ShortHandler({path: route.view for path, route in self.routes.items()}) if routes else None

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        route = self.routes.get(environ.get("PATH_INFO", ""))
        if route is None or environ.get("REQUEST_METHOD") != route.method:
            return self.app(environ, start_response)
        if route.method == "GET":
            accepted = route.accepts(QueryDict(get_str_from_wsgi(environ, "QUERY_STRING", ""))) or None
        else:
            body = _read_body(environ, route.max_body)
            accepted = None if body is None else route.accepts(body)
        if accepted is None:
            return self.app(environ, start_response)
        set_script_prefix(get_script_name(environ))
        try:
            request = WSGIRequest(environ)
            request.fast_input = accepted
            response = self.handler.get_response(request)  # the middleware, and the log of a 4xx/5xx
            body = response.content
            headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
        finally:
            _release_broken_connections()
        # the response object is not handed to the server: its close() would send request_finished
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [body]


def routes_of_modules() -> dict[str, FastRoute]:
    """Every enabled service module's ``fast_routes``, by full path (``/api/services/<name>/<path>``)."""
    found: dict[str, FastRoute] = {}
    for module in enabled_modules():
        for path, route in (resolve_hook(getattr(module, "fast_routes", None)) or {}).items():
            found[f"{API_SERVICES}{module.service_name}/{path.lstrip('/')}"] = route
    return found


def wrap(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """``app`` with the modules' short paths in front, unless ``GOVSITE_FAST_PATHS`` is false."""
    if not getattr(settings, "GOVSITE_FAST_PATHS", True):
        return app
    routes = routes_of_modules()
    return FastPaths(app, routes) if routes else app
