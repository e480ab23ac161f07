from django.apps import AppConfig


class PublishConfig(AppConfig):
    name = "publish"
    verbose_name = "站点发布"
