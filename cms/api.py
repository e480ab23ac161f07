"""The one JSON API of the platform (Django Ninja): documents, search and the service modules.

A single NinjaAPI keeps one OpenAPI document for everything (``/api/openapi.json``, browsable at
``/api/docs``); each area contributes a router from its own app.
"""

from ninja import NinjaAPI

from services.registry import mount_service_routers

api = NinjaAPI(
    title="政务公开平台 API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/documents", "content_models.api.router")
api.add_router("/search", "search_index.api.router")
mount_service_routers(api)
