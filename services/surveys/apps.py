from pathlib import Path

from services.module import ServiceModuleConfig


class SurveysConfig(ServiceModuleConfig):
    name = "services.surveys"
    label = "services_surveys"
    verbose_name = "网上调查"
    router = "services.surveys.api.router"
    site_pages = "services.surveys.pages.site_pages"
    site_link = ("网上调查", "/surveys/")
    site_templates = Path(__file__).resolve().parent / "site_templates"
    periodic = "services.surveys.pages.daily_refresh"
    demo_data = "services.surveys.demo.create_demo"

    def ready(self) -> None:
        from services.surveys import signals  # noqa: F401, PLC0415 - connects the receivers once the models are loaded
