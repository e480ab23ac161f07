from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "services.ratings"
    label = "services_ratings"
    verbose_name = "好差评"
    default_auto_field = "django.db.models.BigAutoField"
    # the static site's header and footer link here (services.plugin writes the page)
    site_link = ("好差评", "/ratings/")

    def ready(self) -> None:
        from services.ratings import signals  # noqa: F401
        from services.ratings.provider import BadRatingCases

        self.case_provider = BadRatingCases()

    def periodic(self, today):
        """Daily: closed cases not rated within the configured days count as 基本满意."""
        from services.ratings.workflow import apply_default_ratings
        from services.site import batched

        with batched("好差评：超期未评价默认为基本满意"):  # one site build for all of them
            n = apply_default_ratings(today)
        return f"好差评：{n} 件超期未评价，默认为基本满意"
