from pathlib import Path

from services.module import ServiceModuleConfig


class ConsultationsConfig(ServiceModuleConfig):
    name = "services.consultations"
    label = "services_consultations"
    verbose_name = "意见征集"
    router = "services.consultations.api.router"
    site_pages = "services.consultations.pages.site_pages"
    site_link = ("意见征集", "/consultations/")
    site_templates = Path(__file__).resolve().parent / "site_templates"
    periodic = "services.consultations.pages.daily_refresh"
    demo_data = "services.consultations.demo.create_demo"
    document_links = "services.consultations.public.document_links"

    def ready(self) -> None:
        from services.consultations import signals  # noqa: F401, PLC0415 - connects the receivers once the models are loaded
