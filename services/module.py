"""The base of every service module's AppConfig: the hooks through which a module hands its parts in.

A module is one folder, a Django app whose ``apps.py`` subclasses :class:`ServiceModuleConfig`,
enabled by one line in ``GOVSITE_SERVICES``. Nothing outside the folder names it: the CMS reads
these hooks through its own contract (``cms.service_modules.ServiceModule``); the services
framework reads ``case_provider`` (ratings, supervision) and ``periodic`` (``govsite supervise``).

Each hook is the object or its dotted path, imported when used (after the apps are loaded, so
``apps.py`` imports no models)::

    class LettersConfig(ServiceModuleConfig):
        name = "services.letters"
        label = "services_letters"
        verbose_name = "网上咨询投诉建议"              # also its tag in the API documentation
        router = "services.letters.api.router"       # → /api/services/letters/
        site_pages = "services.letters.pages.site_pages"
        site_link = ("咨询投诉", "/letters/")
        case_provider = "services.letters.provider.cases"
        periodic = "services.letters.pages.refresh_statistics"

- ``router``: a Ninja ``Router``, mounted at ``/api/services/<service_name>/``; None: no API.
- ``site_pages``: a function returning the module's page sets (``cms.service_modules.PageSet`` of
  ``PageSpec``: output path, theme template, plain context, optional version), reading the
  module's own tables in the Django process before every build; the generator renders them.
- ``site_link``: ``(text, url)`` linked from every page's header and footer.
- ``site_templates``: a directory of the module's own page templates, searched after the theme's.
- ``case_provider``: a ``services.cases.CaseProvider``: the module's cases get ratings and
  supervision.
- ``periodic``: a function ``(today) -> str | None``, the module's daily job (a report line).
- ``item_catalogue``: a ``services.catalogue.ItemCatalogue``: the module keeps service items whose
  promised limits other modules' cases take (``services.catalogue.find_item``).
- ``fast_routes``: ``{path below the module's mount: cms.fastpath.FastRoute}``: GET endpoints
  citizens poll, or POST writes they send in bursts, answered on a server ahead of Django's routing
  (``cms.fastpath``) [0085, 0113].
- ``demo_data``: a function ``(stdout) -> None`` that loads the module's sample data when it has
  none (``govsite demo``).
- ``staff_permissions``: ``(app_label, model, codename)`` triples every department editors' group
  gets (``govsite setup_departments``, a new department), e.g. to keep the department's service
  items; the rows stay narrowed to the department by the module's admin views.
- ``document_links``: a function ``(document pks) -> {pk: [{"kind", "title", "url", "note"}]}``:
  the module's pages that disclosure documents' own pages link back to (a consultation on a
  draft), read with the documents' records for the site build and the documents API.

When data its pages show changes, the module calls ``services.site.request_site_refresh(reason)``
(which sends ``cms.service_modules.site_pages_changed``); when what ``document_links`` gives for
some documents changes, it names them: ``request_site_refresh(reason, documents=source_ids)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig, apps

from cms.service_modules import PageSet, resolve_hook
from services.cases import CaseProvider

if TYPE_CHECKING:
    from ninja import Router


class ServiceModuleConfig(AppConfig):
    """Subclass in ``<module>/apps.py``; set the hooks the module has (see the module docstring)."""

    # Django takes the one AppConfig subclass an apps.py holds: this base, imported there, must not
    # count (``default = False``), and each subclass is its app's default again (__init_subclass__).
    default = False
    default_auto_field = "django.db.models.BigAutoField"

    router: Router | str | None = None
    site_pages: Callable[[], Iterable[PageSet]] | str | None = None
    site_link: tuple[str, str] | None = None
    site_templates: Path | None = None
    case_provider: CaseProvider | str | None = None
    periodic: Callable[[dt.date], str | None] | str | None = None
    item_catalogue: Any = None
    demo_data: Callable[[Any], None] | str | None = None
    staff_permissions: tuple[tuple[str, str, str], ...] = ()
    document_links: Callable[[list[int]], dict[int, list[dict]]] | str | None = None
    fast_routes: dict[str, Any] | str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True

    @property
    def service_name(self) -> str:
        """The module's name in URLs, in ``GOVSITE_SERVICES`` and in ``CaseInfo.module``."""
        return self.name.rpartition(".")[2]


def service_modules() -> list[ServiceModuleConfig]:
    """The installed service modules, in ``INSTALLED_APPS`` order."""
    return [config for config in apps.get_app_configs() if isinstance(config, ServiceModuleConfig)]


def run_periodic(today: dt.date) -> list[str]:
    """Every module's daily job (e.g. ratings: a missing rating counts as 基本满意), in order."""
    lines = []
    for module in service_modules():
        job = resolve_hook(module.periodic)
        result = job(today) if job else None
        if result:
            lines.append(str(result))
    return lines
