"""The contract between the CMS and the service modules, owned by the CMS.

Dependency direction: ``services → cms → content_models``. The CMS never imports a service module
nor the services framework; a module is a Django app whose ``AppConfig`` satisfies
:class:`ServiceModule` (``services.module.ServiceModuleConfig`` implements it with defaults) and is
listed in ``settings.GOVSITE_SERVICES``. The CMS reads these attributes and nothing else (each hook
is the object itself or its dotted path, imported when it is used, after the apps are loaded):

- ``router`` — mounted at ``/api/services/<service_name>/`` on the one NinjaAPI (``cms.api``);
- ``site_pages`` — a function returning the module's page sets (:class:`PageSet` of
  :class:`PageSpec`), called in the Django process before every build (``cms.build.jobs``) and
  rendered by the generator;
- ``site_link`` — the link in every page's header and footer; ``site_templates`` — the directory
  of the module's own page templates (found after the theme's);
- ``case_provider`` and ``periodic`` (a function of ``today``) complete the contract and are read
  by the services framework (ratings and supervision work on any module's cases; ``govsite
  supervise`` runs the daily jobs).
- ``demo_data`` — a function ``(stdout)`` loading the module's sample data when it has none,
  called by ``govsite demo`` (:func:`load_demo_data`).
- ``document_links`` — a function ``(document pks) -> {pk: [link, ...]}``: the module's pages a
  disclosure document's own page links back to (a consultation on a draft, its feedback report),
  each link ``{"kind", "title", "url", "note"}`` (:func:`related_links`). They are carried in the
  document's record (``related_links``) to the generator and the documents API.
- ``fast_routes`` (optional) — ``{path below the module's mount: cms.fastpath.FastRoute}``, GET
  endpoints citizens poll or POST writes they send in bursts, answered by ``cms.wsgi`` ahead of
  Django's routing (``cms.fastpath``).

What a module uses from here: :data:`site_pages_changed`, the signal it sends when data its pages
show changed (``cms.build.signals`` records a ``pages`` change for the build queue; with
``documents``, the source ids of documents whose ``document_links`` changed, those documents'
pages are built again too), the page types, and :class:`FileLinks` with :func:`page_files` for the
Wagtail documents its pages link (published with the site under ``files/``, never the CMS's
``/documents/`` URL). Like MkDocs's plugins, the modules import the host's contract, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import Signal, receiver
from django.utils import timezone
from django.utils.module_loading import import_string

from cms.document_files import FileLinks, page_files
from site_generator.docinfo import doc_url, site_slug
from site_generator.pages import PageFeed, PageSet, PageSpec

__all__ = ["FileLinks", "OpenCases", "PageFeed", "PageSet", "PageSpec", "ServiceModule", "document_link", "enabled_modules",
           "load_demo_data", "page_files", "related_links", "resolve_hook", "server_started",
           "service_pages_enabled", "site_pages_changed"]

# Sent by a service module (sender: its AppConfig or model) when data shown on its static pages
# changed, with ``reason`` (a short text kept in the queue row) and optionally ``documents`` (source
# ids of documents whose related links changed). Receivers return True when a build was asked for.
# Sent inside the module's transaction: the build runs after it commits.
site_pages_changed = Signal()

# Sent once by ``cms.wsgi`` when a server process (runserver, ``govsite demo``, gunicorn, granian)
# has loaded the application, never by management commands: what a module says at server start.
server_started = Signal()


@runtime_checkable
class ServiceModule(Protocol):
    """A service module's AppConfig as the CMS reads it (see the module docstring)."""

    name: str  # the Django app, e.g. "services.letters"
    verbose_name: str  # also the module's tag in the API documentation
    service_name: str  # its name in URLs and GOVSITE_SERVICES, e.g. "letters"
    router: Any  # a Ninja Router or its dotted path; None: no API
    site_pages: Callable[[], Iterable[PageSet]] | str | None
    site_link: tuple[str, str] | None  # (text, URL) in every page's header and footer
    site_templates: Path | None
    case_provider: Any  # a services.cases.CaseProvider or its dotted path
    periodic: Callable[[date], str | None] | str | None
    demo_data: Callable[[Any], None] | str | None  # loads the module's sample data (govsite demo)
    document_links: Callable[[list[int]], dict[int, list[dict]]] | str | None  # links back from documents


def document_link(document: Any) -> dict[str, str] | None:
    """``{"title", "url"}`` of a disclosure document's page on the static site, or None when it has
    no page (not live). The generator's URL rule, for the pages a module contributes."""
    if document is None or not getattr(document, "live", False):
        return None
    year = timezone.localtime(document.published_at).year
    return {"title": document.title, "url": doc_url(site_slug(document.department.slug), year, document.source_id)}


class CaseInfoLike(Protocol):
    """What the CMS reads of a module's case (``services.cases.CaseInfo`` has it)."""

    module: str
    number: str
    title: str
    department: str
    deadline: date


@runtime_checkable
class OpenCases(Protocol):
    """What the CMS reads of a module's ``case_provider``: its open cases, for the self-inspection's
    "unanswered past the limit" check (``cms.inspection``). A provider may also offer
    ``admin_url(number) -> str``, the staff page of a case, which the finding then links to."""

    module: str

    def iter_open(self) -> Iterable[CaseInfoLike]: ...


def resolve_hook(value: Any) -> Any:
    """A hook given as a dotted path (``"services.letters.pages.site_pages"``) is imported now."""
    return import_string(value) if isinstance(value, str) else value


_enabled: tuple[tuple[str, ...], tuple[ServiceModule, ...]] | None = None  # (GOVSITE_SERVICES, modules)


def enabled_modules() -> list[ServiceModule]:
    """The installed service modules listed in ``GOVSITE_SERVICES``, in that order.

    An entry is a module's ``service_name`` (``letters``: the app ``services.letters``) or the
    dotted name of its app (a module outside ``services/``); an entry that is not an installed
    module is skipped.

    Kept for its ``GOVSITE_SERVICES`` (compared on each call) until the installed apps change
    (``_forget_modules``): each call tested every app config
    against the ``ServiceModule`` protocol (0.5-0.9 ms), and a full build asks once per 200
    documents. One tuple, replaced whole, so a thread never sees half of an update.
    """
    global _enabled
    services = tuple(getattr(settings, "GOVSITE_SERVICES", ()))
    cached = _enabled
    if cached is None or cached[0] != services:
        cached = _enabled = (services, tuple(_find_modules(services)))
    return list(cached[1])


def _find_modules(services: tuple[str, ...]) -> list[ServiceModule]:
    found: dict[str, ServiceModule] = {}
    for config in apps.get_app_configs():
        if isinstance(config, ServiceModule):
            found.setdefault(config.name, config)
            found.setdefault(config.service_name, config)
    modules: list[ServiceModule] = []
    for entry in services:
        module = found.get(entry)
        if module is not None and module not in modules:
            modules.append(module)
    return modules


@receiver(setting_changed)
def _forget_modules(*, setting: str, **kwargs: Any) -> None:
    """``override_settings`` changed the installed apps (``enabled_modules`` compares the list itself)."""
    global _enabled
    if setting == "INSTALLED_APPS":
        _enabled = None


def load_demo_data(stdout: Any) -> None:
    """Every enabled module's sample data (``govsite demo``); a module loads only when it has none."""
    for module in enabled_modules():
        loader = resolve_hook(getattr(module, "demo_data", None))
        if loader is not None:
            loader(stdout)


RELATED_LINK_KEYS = ("kind", "title", "url", "note")


def related_links(document_pks: list[int]) -> dict[int, list[dict[str, str]]]:
    """The enabled modules' links back from these documents' pages (``document_links``), by pk, in
    module order; none when the site has no service pages (the links would lead nowhere).

    One call per module per batch of documents (the site build reads them with the records), so a
    module answers with one query, never one per document.
    """
    out: dict[int, list[dict[str, str]]] = {}
    if not document_pks or not service_pages_enabled():
        return out
    for module in enabled_modules():
        hook = resolve_hook(getattr(module, "document_links", None))
        if hook is None:
            continue
        for pk, links in hook(document_pks).items():
            out.setdefault(pk, []).extend({key: str(link.get(key) or "") for key in RELATED_LINK_KEYS}
                                          for link in links)
    return out


def service_pages_enabled() -> bool:
    """Whether the static site has the modules' pages (``GOVSITE_SERVICE_PAGES``, default on): their
    page sets, their header/footer links and the refresh builds when their data changes."""
    return bool(getattr(settings, "GOVSITE_SERVICE_PAGES", True))
