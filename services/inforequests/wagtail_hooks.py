"""Staff handle disclosure requests in the Wagtail admin (依申请公开): each department's staff see
and act on their own department's queue only (``services.admin_scope``), the platform
administrators on all, open requests first, earliest (overdue) deadline first.

The edit form is the workflow [0072]: the applicant's data above, the log of every step below,
and one "办理" step per save (confirm receipt, 补正, extension with its approver, consultation,
transfer, answer with outcome, reason, legal basis and reply), checked by ``workflow``.
"""

from __future__ import annotations

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList, Panel
from wagtail.admin.widgets import AdminDateInput
from wagtail.snippets.models import register_snippet

from cms.admin import permissions
from content_models.models import Department
from services.admin_scope import DepartmentScopedViewSet
from services.inforequests import workflow
from services.inforequests.api import deadline_note
from services.inforequests.models import AnnualReport, InfoRequest, RequestEvent
from services.inforequests.outcomes import Outcome, Reason

Action = RequestEvent.Action
STEPS = [("", _("——（只保存上面的修改）")), *[(a.value, a.label) for a in Action if a != Action.SUBMITTED]]


class StaffPolicy(permissions.DepartmentPermissionPolicy):
    """A department's staff (its editors' group) handle its requests without extra model
    permissions; the administrators everything; nobody but a superuser deletes one."""

    def user_has_permission(self, user, action) -> bool:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        if user.is_superuser:
            return True
        if action == "delete":
            return False
        return permissions.user_sees_all_departments(user) or bool(permissions.department_ids_for_user(user))

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, a) for a in actions)


class RequestForm(WagtailAdminModelForm):
    step = forms.ChoiceField(label=_("办理操作"), choices=STEPS, required=False)
    step_date = forms.DateField(label=_("日期"), required=False, widget=AdminDateInput,
                                help_text=_("确认收到、告知补正、收到补正、延期、征求意见或意见返回、答复的日期；空则为今天"))
    step_days = forms.IntegerField(label=_("延长工作日"), required=False, min_value=1, max_value=20)
    approver = forms.CharField(label=_("延期批准人"), required=False, max_length=100)
    transfer_to = forms.ModelChoiceField(label=_("转办至"), queryset=Department.objects.all(), required=False)
    step_outcome = forms.ChoiceField(label=_("处理结果"), choices=[("", "——"), *Outcome.choices], required=False)
    step_reason = forms.ChoiceField(label=_("理由"), choices=[("", "——"), *Reason.choices], required=False)
    step_legal_basis = forms.CharField(label=_("法律依据"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    step_reply_text = forms.CharField(label=_("答复内容"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    step_reply_file = forms.FileField(label=_("答复书文件"), required=False)
    step_note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "department" in self.fields:
            self.fields["department"].queryset = permissions.departments_for_user(self.for_user)

    def _step(self) -> workflow.Step | None:
        data = self.cleaned_data
        if not data.get("step"):
            return None
        return workflow.Step(
            action=data["step"], on=data.get("step_date") or timezone.localdate(), days=data.get("step_days") or 0,
            note=data.get("step_note") or "", approver=data.get("approver") or "", department=data.get("transfer_to"),
            outcome=data.get("step_outcome") or "", reason=data.get("step_reason") or "",
            legal_basis=data.get("step_legal_basis") or "", reply_text=data.get("step_reply_text") or "",
            reply_file=data.get("step_reply_file"),
        )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "department" in self.changed_data:
            self.add_error("department", _("请用办理操作“转办”更换部门（转办会被记录）"))
        step = self._step()
        if step is None:
            return cleaned
        if self.instance.pk is None:
            if step.action != Action.RECEIVE:
                self.add_error("step", _("登记新申请时只能同时“确认收到”"))
            return cleaned
        if step.action == Action.EXTEND and not step.days:
            self.add_error("step_days", _("请填写延长的工作日数"))
            return cleaned
        try:
            workflow.check(self.instance, step)
        except workflow.WorkflowError as exc:
            self.add_error("step", str(exc))
        return cleaned

    def save(self, commit=True):
        created = self.instance.pk is None
        if created:
            self.instance.channel = self.cleaned_data.get("channel") or InfoRequest.Channel.COUNTER
        instance = super().save(commit=commit)
        if not commit:
            return instance
        if created:
            workflow.record_submission(instance)
        step = self._step()
        if step is not None:
            workflow.take(instance.pk, step, self.for_user)
            instance.refresh_from_db()
        return instance


class EventsPanel(Panel):
    """The request's clock and every logged step (who, when), read-only."""

    class BoundPanel(Panel.BoundPanel):
        def render_html(self, parent_context=None):
            request = self.instance
            if request is None or request.pk is None:
                return format_html("<p>{}</p>", _("保存后显示办理记录"))
            deadline = request.deadline.isoformat() if request.deadline else "—"
            head = format_html(
                "<p><strong>{}</strong>：{} · {}：{}{} · {}</p>", _("状态"), request.get_status_display(),
                _("答复期限"), deadline, "（暂定）" if request.deadline_provisional else "", deadline_note(request),
            )
            rows = format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((e.on, e.get_action_display(), e.note, e.actor_name, timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"))
                 for e in request.events.all()),
            )
            return format_html(
                '{}<table class="listing"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
                "<tbody>{}</tbody></table>",
                head, _("日期"), _("操作"), _("说明"), _("操作人"), _("记录时间"), rows,
            )


class InfoRequestViewSet(DepartmentScopedViewSet):
    model = InfoRequest
    icon = "doc-full-inverse"
    menu_label = _("依申请公开")
    menu_order = 305
    add_to_admin_menu = True
    list_display = ["number", "name", "department", "status", "received_on", "deadline", "deadline_provisional"]
    list_filter = ["status", "department", "applicant_type", "outcome"]
    search_fields = ["number", "name"]
    search_backend_name = None
    copy_view_enabled = False
    ordering = ["queue_rank", "deadline", "-submitted_at"]
    edit_handler = ObjectList([
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("department"), FieldPanel("channel")]),
            FieldRowPanel([FieldPanel("applicant_type"), FieldPanel("name"), FieldPanel("representative")]),
            FieldRowPanel([FieldPanel("credential_type"), FieldPanel("credential_no")]),
            FieldRowPanel([FieldPanel("phone"), FieldPanel("email")]),
            FieldRowPanel([FieldPanel("address"), FieldPanel("postcode")]),
            FieldPanel("description"),
            FieldRowPanel([FieldPanel("form"), FieldPanel("delivery")]),
            FieldPanel("handler_contact"),
        ], heading=_("申请")),
        EventsPanel(heading=_("期限与办理记录")),
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("step"), FieldPanel("step_date")]),
            FieldRowPanel([FieldPanel("step_days"), FieldPanel("approver")]),
            FieldPanel("transfer_to"),
            FieldRowPanel([FieldPanel("step_outcome"), FieldPanel("step_reason")]),
            FieldPanel("step_legal_basis"), FieldPanel("step_reply_text"), FieldPanel("step_reply_file"),
            FieldPanel("step_note"),
        ], heading=_("办理")),
    ], base_form_class=RequestForm)

    @property
    def permission_policy(self):
        return StaffPolicy(self.model)

    def get_queryset(self, request):
        open_first = Case(When(status=InfoRequest.Status.ANSWERED, then=Value(1)), default=Value(0),
                          output_field=IntegerField())
        return super().get_queryset(request).select_related("department").annotate(queue_rank=open_first)


register_snippet(InfoRequestViewSet)


class AnnualReportViewSet(DepartmentScopedViewSet):
    """Narrative sections and 行政复议/诉讼 figures of a year's report; ``govsite annual_report``
    computes the rest and publishes it."""

    model = AnnualReport
    icon = "table"
    menu_label = _("年度报告")
    menu_order = 306
    add_to_admin_menu = True
    list_display = ["year", "department", "document_source_id", "updated_at"]
    search_backend_name = None
    copy_view_enabled = False

    @property
    def permission_policy(self):
        return StaffPolicy(self.model)


register_snippet(AnnualReportViewSet)
