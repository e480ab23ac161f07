from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "services.status"
    label = "services_status"
    verbose_name = "办件查询"
    default_auto_field = "django.db.models.BigAutoField"
    # the static site's header and footer link here (services.plugin writes the page)
    site_link = ("办件查询", "/status/")

    def ready(self) -> None:
        from services.status.provider import StatusCases

        self.case_provider = StatusCases()
