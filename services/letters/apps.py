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

    def periodic(self, today):
        """Daily: the monthly statistics (``letters/stats/``) count every letter, public or not, so
        the static site's statistics are refreshed once a day (one "plugins only" build)."""
        from services.site import request_site_refresh

        if request_site_refresh(f"来信统计 {today}"):
            return "咨询投诉：已请求更新网站上的来信统计页面"
        return None
