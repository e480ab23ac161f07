from pathlib import Path

from services.module import ServiceModuleConfig


class InfoRequestsConfig(ServiceModuleConfig):
    name = "services.inforequests"
    label = "services_inforequests"
    verbose_name = "依申请公开"
    router = "services.inforequests.api.router"
    site_pages = "services.inforequests.pages.site_pages"
    site_link = ("依申请公开", "/inforequests/")
    case_provider = "services.inforequests.provider.cases"
    demo_data = "services.inforequests.demo.load_demo"
    site_templates = Path(__file__).resolve().parent / "site_templates"

    def ready(self) -> None:
        from services.inforequests import signals  # noqa: F401, PLC0415 - connects the receivers once the models are loaded
