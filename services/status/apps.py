from services.module import ServiceModuleConfig


class StatusConfig(ServiceModuleConfig):
    name = "services.status"
    label = "services_status"
    verbose_name = "办件查询"
    router = "services.status.api.router"
    site_pages = "services.status.pages.site_pages"
    site_link = ("办件查询", "/status/")
    case_provider = "services.status.provider.cases"
    fast_routes = "services.status.api.fast_routes"
