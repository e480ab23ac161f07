"""Editors open consultations and publish the 采纳情况 report; moderators approve, reject (with a
reason) or merge each comment and record the department's decision on it (意见征集 in the admin)."""

from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from cms.admin import permissions
from services.admin_scope import DepartmentScopedViewSet
from services.consultations.models import Comment, Consultation


class ConsultationForm(WagtailAdminModelForm):
    """Offers only the departments the editor may edit."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "department" in self.fields:
            self.fields["department"].queryset = permissions.departments_for_user(self.for_user)


class CommentForm(WagtailAdminModelForm):
    """"Merge into" offers the approved comments of the same consultation only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "merged_into" in self.fields and self.instance.pk:
            self.fields["merged_into"].queryset = Comment.objects.filter(
                consultation_id=self.instance.consultation_id, status=Comment.Status.APPROVED).exclude(pk=self.instance.pk)


class ConsultationViewSet(DepartmentScopedViewSet):
    model = Consultation
    icon = "help"
    menu_label = "征集项目"
    list_display = ["title", "department", "start_date", "end_date", "feedback_published"]
    list_filter = ["department", "feedback_published"]
    search_fields = ["title", "number"]
    search_backend_name = None
    edit_handler = ObjectList(base_form_class=ConsultationForm, children=[
        MultiFieldPanel([FieldPanel("title"), FieldPanel("department"), FieldPanel("summary"),
                         FieldPanel("start_date"), FieldPanel("end_date"), FieldPanel("contact")], heading="征集"),
        MultiFieldPanel([FieldPanel("draft_document"), FieldPanel("draft_file"), FieldPanel("draft_text")],
                        heading="征求意见稿"),
        MultiFieldPanel([FieldPanel("feedback_summary"), FieldPanel("final_policy"), FieldPanel("feedback_published")],
                        heading="采纳情况反馈（征集截止后）"),
    ])


class CommentViewSet(DepartmentScopedViewSet):
    model = Comment
    icon = "comment"
    menu_label = "意见审核"
    list_display = ["number", "consultation", "name", "status", "adoption", "received_at"]
    list_filter = ["status", "adoption", "consultation"]
    search_fields = ["number", "text", "name"]
    search_backend_name = None
    edit_handler = ObjectList(base_form_class=CommentForm, children=[
        MultiFieldPanel([FieldPanel("consultation", read_only=True), FieldPanel("name", read_only=True),
                         FieldPanel("contact", read_only=True), FieldPanel("text", read_only=True),
                         FieldPanel("received_at", read_only=True)], heading="意见"),
        MultiFieldPanel([FieldPanel("status"), FieldPanel("public_text"), FieldPanel("reject_reason"),
                         FieldPanel("merged_into")], heading="审核"),
        MultiFieldPanel([FieldPanel("adoption"), FieldPanel("adoption_reason")], heading="采纳情况"),
    ])


class ConsultationGroup(SnippetViewSetGroup):
    items = (ConsultationViewSet, CommentViewSet)
    menu_icon = "help"
    menu_label = "意见征集"
    menu_order = 330


register_snippet(ConsultationGroup)
