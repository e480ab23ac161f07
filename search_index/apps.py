from django.apps import AppConfig


class SearchIndexConfig(AppConfig):
    name = "search_index"
    verbose_name = "站内搜索"
