"""Editors build questionnaires and publish results; moderators decide which free-text answers are
public (网上调查 in the admin)."""

from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from services.surveys.models import Survey, TextAnswer


class SurveyViewSet(SnippetViewSet):
    model = Survey
    icon = "list-ul"
    menu_label = "调查问卷"
    list_display = ["title", "department", "start_date", "end_date", "results_published"]
    list_filter = ["department", "results_published"]
    search_fields = ["title", "number"]
    search_backend_name = None
    panels = [
        MultiFieldPanel([FieldPanel("title"), FieldPanel("department"), FieldPanel("description"),
                         FieldPanel("start_date"), FieldPanel("end_date"), FieldPanel("verification")], heading="调查"),
        InlinePanel("questions", heading="题目", label="题目", min_num=1),
        MultiFieldPanel([FieldPanel("results_note"), FieldPanel("results_published")], heading="结果公布（截止后）"),
    ]


class TextAnswerViewSet(SnippetViewSet):
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
