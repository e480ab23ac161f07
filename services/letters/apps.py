from services.module import ServiceModuleConfig


class LettersConfig(ServiceModuleConfig):
    name = "services.letters"
    label = "services_letters"
    verbose_name = "网上咨询投诉建议"
    router = "services.letters.api.router"
    site_pages = "services.letters.pages.site_pages"
    site_link = ("咨询投诉", "/letters/")
    case_provider = "services.letters.provider.cases"
    periodic = "services.letters.pages.refresh_statistics"

    def ready(self) -> None:
        from services.letters import signals  # noqa: F401, PLC0415 - connects the receivers once the models are loaded
