"""Supervisor dashboard and rule editing in the Wagtail admin (电子监察).

A department's staff see their own department's cards (read-only: cards are issued by the
check); the platform administrators see all, open red cards first.
"""

from django.db.models import Case, IntegerField, Value, When
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from services.admin_scope import DepartmentScopedViewSet, DepartmentStaffPolicy
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
    list_filter = ["unit"]
    search_backend_name = None
    edit_handler = ObjectList([
        FieldRowPanel([FieldPanel("unit"), FieldPanel("department", read_only=True)]),
        FieldPanel("item"),
        FieldRowPanel([FieldPanel("warn_days_left"), FieldPanel("red_after_days")]),
        FieldPanel("section_head_contact"), FieldPanel("leader_contact"),
    ])

    def get_queryset(self, request):
        return Rule.objects.select_related("unit")


class CardViewSet(DepartmentScopedViewSet):
    model = Card
    department_field = "unit"
    icon = "warning"
    menu_label = "监察牌"
    list_display = ["level", "department", "number", "title", "deadline", "issued_on", "resolved_on"]
    list_filter = ["level", "unit"]
    search_fields = ["number", "title"]
    search_backend_name = None
    copy_view_enabled = False
    ordering = ["open_rank", "level_rank", "deadline"]

    @property
    def permission_policy(self):
        return DepartmentStaffPolicy(self.model, self.department_field, staff_actions=("view",))

    def get_queryset(self, request):
        level_rank = Case(When(level=Card.Level.RED, then=Value(0)), When(level=Card.Level.YELLOW, then=Value(1)),
                          default=Value(2), output_field=IntegerField())
        open_rank = Case(When(resolved_on__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
        return super().get_queryset(request).annotate(level_rank=level_rank, open_rank=open_rank)


register_snippet(RuleViewSet)
register_snippet(CardViewSet)
