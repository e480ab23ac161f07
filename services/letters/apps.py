from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "services.letters"
    label = "services_letters"
    verbose_name = "网上咨询投诉建议"
    default_auto_field = "django.db.models.BigAutoField"
    # the static site's header and footer link here (services.plugin writes the page)
    site_link = ("咨询投诉", "/letters/")

    def ready(self) -> None:
        from services.letters import signals  # noqa: F401
        from services.letters.provider import LetterCases

        self.case_provider = LetterCases()
