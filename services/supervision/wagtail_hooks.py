"""Supervisor dashboard and rule editing in the Wagtail admin (电子监察)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from services.supervision.models import Card, Rule
from services.supervision.views import VIEW_PERMISSION, supervision_dashboard


@hooks.register("register_admin_urls")
def register_dashboard_url():
    return [path("supervision/", supervision_dashboard, name="services_supervision_dashboard")]


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(VIEW_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return DashboardMenuItem("电子监察", reverse("services_supervision_dashboard"), icon_name="warning", order=330)


class RuleViewSet(SnippetViewSet):
    model = Rule
    icon = "cog"
    menu_label = "监察规则"
    list_display = ["department", "item", "warn_days_left", "red_after_days"]
    search_backend_name = None


class CardViewSet(SnippetViewSet):
    model = Card
    icon = "warning"
    menu_label = "监察牌"
    list_display = ["level", "department", "number", "title", "deadline", "issued_on", "resolved_on"]
    list_filter = ["level", "department"]
    search_fields = ["number", "title"]
    search_backend_name = None


register_snippet(RuleViewSet)
register_snippet(CardViewSet)
