"""Staff record and update applications in the Wagtail admin (办件查询 › 办件)."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from services.status.models import Application


class ApplicationViewSet(SnippetViewSet):
    model = Application
    icon = "doc-full"
    menu_label = "办件管理"
    menu_order = 310
    add_to_admin_menu = True
    list_display = ["number", "applicant", "item", "department", "accepted_on", "deadline", "status"]
    list_filter = ["status", "department"]
    search_fields = ["number", "applicant", "item"]
    search_backend_name = None
    form_fields = ["number", "query_code", "applicant", "item_code", "item", "department", "accepted_on", "deadline_days",
                   "status", "result", "handler_contact", "is_public"]


register_snippet(ApplicationViewSet)
