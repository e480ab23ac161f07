"""Mount the enabled service modules on the platform's one NinjaAPI.

Each module is the Django app ``services.<name>`` (listed in ``settings.GOVSITE_SERVICES``) with a
Ninja ``router`` in ``services/<name>/api.py``; it is mounted at ``/api/services/<name>/``, so all
modules share one OpenAPI document (``/api/openapi.json``, browsable at ``/api/docs``).
"""

import importlib
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def enabled_services() -> list[str]:
    return list(getattr(settings, "GOVSITE_SERVICES", ()))


def site_links() -> list[dict[str, str]]:
    """The static site's links to the enabled modules' pages, in ``GOVSITE_SERVICES`` order.

    A module's AppConfig may name its page with ``site_link = (text, url)``; the site generator
    puts these plain dicts into the theme's header and footer (``BuildConfig.service_links``).
    """
    from django.apps import apps

    links = []
    for name in enabled_services():
        try:
            config = apps.get_app_config(f"services_{name}")
        except LookupError:
            continue
        link = getattr(config, "site_link", None)
        if link:
            links.append({"name": str(link[0]), "url": str(link[1])})
    return links


def mount_service_routers(api) -> None:
    """Mount every enabled module's router on the platform's API (``cms.api``)."""
    for name in enabled_services():
        try:
            module = importlib.import_module(f"services.{name}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{name}.api" and exc.name != f"services.{name}":
                raise
            logger.info("service module %r has no api.py; nothing to mount", name)
            continue
        api.add_router(f"/services/{name}/", module.router, tags=[getattr(module, "TAG", name)])
