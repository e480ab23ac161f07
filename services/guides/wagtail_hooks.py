"""The catalogue in the Wagtail admin (办事服务 › 服务事项, 主题, 对象, 场景); a department's editors
see and edit only their department's items (the documents' department policy)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from cms.admin import permissions
from services.admin_scope import DepartmentScopedViewSet
from services.guides.models import Audience, Scenario, ServiceItem, Topic


class ItemForm(WagtailAdminModelForm):
    """Offers only the departments the editor may edit."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "department" in self.fields:
            self.fields["department"].queryset = permissions.departments_for_user(self.for_user)


class ServiceItemViewSet(DepartmentScopedViewSet):
    model = ServiceItem
    icon = "list-ul"
    menu_label = _("服务事项")
    list_display = ["name", "code", "kind", "department", "promised_days", "published"]
    list_filter = ["kind", "department", "published"]
    search_fields = ["name", "code"]
    search_backend_name = None
    copy_view_enabled = False
    edit_handler = ObjectList([
        MultiFieldPanel([FieldPanel("department"), FieldPanel("name"), FieldRowPanel([FieldPanel("code"), FieldPanel("kind")]),
                         FieldPanel("published")], heading=_("基本信息")),
        MultiFieldPanel([FieldPanel("legal_basis"), FieldPanel("conditions"),
                         FieldRowPanel([FieldPanel("statutory_days"), FieldPanel("promised_days")]),
                         FieldPanel("fees")], heading=_("依据、条件、时限与收费")),
        InlinePanel("materials", heading=_("申请材料"), label=_("材料")),
        MultiFieldPanel([FieldPanel("steps"), FieldPanel("place"), FieldPanel("hours"), FieldPanel("phone"),
                         FieldPanel("online_url")], heading=_("办理流程与地点")),
        MultiFieldPanel([FieldPanel("topics"), FieldPanel("audiences"), FieldPanel("scenarios")],
                        heading=_("主题、对象与场景")),
    ], base_form_class=ItemForm)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


class ChannelViewSet(SnippetViewSet):
    list_display = ["name", "slug", "sort_order"]
    search_backend_name = None
    search_fields = ["name"]


class TopicViewSet(ChannelViewSet):
    model = Topic
    icon = "tag"
    menu_label = _("办事主题")


class AudienceViewSet(ChannelViewSet):
    model = Audience
    icon = "group"
    menu_label = _("服务对象")


class ScenarioViewSet(ChannelViewSet):
    model = Scenario
    icon = "help"
    menu_label = _("办事场景")
    panels = [FieldPanel("name"), FieldRowPanel([FieldPanel("slug"), FieldPanel("sort_order")]), FieldPanel("intro"),
              InlinePanel("choices", heading=_("场景引导问题"), label=_("选项"),
                          panels=[FieldPanel("question"), FieldPanel("answer"), FieldPanel("items")])]


class GuidesGroup(SnippetViewSetGroup):
    items = (ServiceItemViewSet, TopicViewSet, AudienceViewSet, ScenarioViewSet)
    menu_icon = "list-ul"
    menu_label = _("办事服务")
    menu_name = "service-guides"
    menu_order = 300


register_snippet(GuidesGroup)
