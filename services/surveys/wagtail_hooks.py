"""Editors build questionnaires and publish results; moderators decide which free-text answers are
public (网上调查 in the admin)."""

from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from cms.admin import permissions
from services.admin_scope import DepartmentScopedViewSet
from services.surveys.models import Survey, TextAnswer


class SurveyForm(WagtailAdminModelForm):
    """Offers only the departments the editor may edit."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "department" in self.fields:
            self.fields["department"].queryset = permissions.departments_for_user(self.for_user)


class SurveyViewSet(DepartmentScopedViewSet):
    model = Survey
    icon = "list-ul"
    menu_label = "调查问卷"
    list_display = ["title", "department", "start_date", "end_date", "results_published"]
    list_filter = ["department", "results_published"]
    search_fields = ["title", "number"]
    search_backend_name = None
    edit_handler = ObjectList(base_form_class=SurveyForm, children=[
        MultiFieldPanel([FieldPanel("title"), FieldPanel("department"), FieldPanel("description"),
                         FieldPanel("start_date"), FieldPanel("end_date"), FieldPanel("verification")], heading="调查"),
        InlinePanel("questions", heading="题目", label="题目", min_num=1),
        MultiFieldPanel([FieldPanel("results_note"), FieldPanel("results_published")], heading="结果公布（截止后）"),
    ])


class TextAnswerViewSet(DepartmentScopedViewSet):
    model = TextAnswer
    icon = "comment"
    menu_label = "文字回答审核"
    list_display = ["text", "question", "status"]
    list_filter = ["status"]
    search_fields = ["text"]
    search_backend_name = None
    panels = [FieldPanel("question", read_only=True), FieldPanel("text", read_only=True), FieldPanel("public_text"),
              FieldPanel("status")]


class SurveyGroup(SnippetViewSetGroup):
    items = (SurveyViewSet, TextAnswerViewSet)
    menu_icon = "list-ul"
    menu_label = "网上调查"
    menu_order = 331


register_snippet(SurveyGroup)
