"""The one JSON API of the platform (Django Ninja): documents, search and the service modules.

A single NinjaAPI keeps one OpenAPI document for everything (``/api/openapi.json``, browsable at
``/api/docs``): ``documents.py`` and ``search.py`` here contribute their routers, each enabled
service module its own (its AppConfig's ``router``, ``cms.service_modules``), and ``errors.py``
gives every error answer the same Chinese format.

``api`` is built on first use (``from cms.api import api``, in ``cms/urls.py``), not when this
package is imported: the service modules import ``cms.api.errors``, which runs this file first,
and mounting their routers at that moment would import a module that is still being imported.
"""

from __future__ import annotations

import functools

from ninja import NinjaAPI

from cms.api import errors
from cms.service_modules import enabled_modules


@functools.cache
def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="政务公开平台 API",
        version="1",
        urls_namespace="api",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    errors.install(api)
    api.add_router("/documents", "cms.api.documents.router")
    api.add_router("/search", "cms.api.search.router")
    for module in enabled_modules():
        if module.router is not None:
            api.add_router(f"/services/{module.service_name}/", module.router, tags=[str(module.verbose_name)])
    return api


def __getattr__(name: str):
    if name == "api":
        return build_api()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
