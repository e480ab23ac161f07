from services.module import ServiceModuleConfig


class RatingsConfig(ServiceModuleConfig):
    name = "services.ratings"
    label = "services_ratings"
    verbose_name = "好差评"
    router = "services.ratings.api.router"
    site_pages = "services.ratings.pages.site_pages"
    site_link = ("好差评", "/ratings/")
    case_provider = "services.ratings.provider.cases"
    periodic = "services.ratings.workflow.daily_defaults"

    def ready(self) -> None:
        from services.ratings import signals  # noqa: F401, PLC0415 - connects the receivers once the models are loaded
