from pathlib import Path

from services.module import ServiceModuleConfig


class GuidesConfig(ServiceModuleConfig):
    """办事指南: the catalogue of service items (事项) and their static guide pages."""

    name = "services.guides"
    label = "services_guides"
    verbose_name = "办事指南"
    router = "services.guides.api.router"
    site_pages = "services.guides.pages.site_pages"
    site_link = ("办事服务", "/guides/")
    site_templates = Path(__file__).resolve().parent / "site_templates"
    item_catalogue = "services.guides.catalogue.limits"
    demo_data = "services.guides.demo.load_demo"
    # department staff keep their own department's rows (the admin views narrow them)
    staff_permissions = (("services_guides", "serviceitem", "add_serviceitem"),
                         ("services_guides", "serviceitem", "change_serviceitem"))

    def ready(self) -> None:
        from services.guides import signals  # noqa: F401, PLC0415 - connects the receivers once the models are loaded
