"""Staff record and update applications in the Wagtail admin (办件查询 › 办件).

Each department's staff see and act on their own department's applications only
(``services.admin_scope``); the platform administrators see all, open ones first and the
earliest (overdue) deadline first, and route the ones whose department is not yet a record.
"""

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.snippets.models import register_snippet

from cms.admin import permissions
from services.admin_scope import DepartmentScopedViewSet, DepartmentStaffPolicy
from services.status.models import Application


class ApplicationForm(WagtailAdminModelForm):
    """A department's staff record applications of their own department only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("handling_department")
        if field is not None and self.for_user is not None:
            field.queryset = permissions.departments_for_user(self.for_user)
            if not permissions.user_sees_all_departments(self.for_user):
                field.required = True
                field.empty_label = None


class ApplicationViewSet(DepartmentScopedViewSet):
    model = Application
    department_field = "handling_department"
    icon = "doc-full"
    menu_label = _("办件管理")
    menu_order = 310
    add_to_admin_menu = True
    list_display = ["number", "applicant", "item", "department", "accepted_on", "deadline", "deadline_provisional",
                    "status"]
    list_filter = ["status", "handling_department"]
    search_fields = ["number", "applicant", "item"]
    search_backend_name = None
    copy_view_enabled = False
    ordering = ["queue_rank", "deadline", "-accepted_on"]
    edit_handler = ObjectList([FieldPanel(name) for name in (
        "number", "query_code", "applicant", "item_code", "item", "handling_department", "department", "accepted_on",
        "deadline_days", "status", "result", "handler_contact", "is_public")], base_form_class=ApplicationForm)

    @property
    def permission_policy(self):
        return DepartmentStaffPolicy(self.model, self.department_field)

    def get_queryset(self, request):
        closed_last = Case(When(closed_on__isnull=False, then=Value(1)), default=Value(0), output_field=IntegerField())
        return (super().get_queryset(request).select_related("handling_department")
                .annotate(queue_rank=closed_last))


register_snippet(ApplicationViewSet)
