"""建议提案办理 in the Wagtail admin: the administrators register and assign; the lead department's
staff see and answer their own (``services.admin_scope``); assignments, transfers and replies are
logged; a public reply is published as a document when saved."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList, Panel
from wagtail.snippets.models import register_snippet

from cms.admin import permissions
from services.admin_scope import DepartmentScopedViewSet, scope
from services.notify import Notification, notify
from services.proposals import publishing
from services.proposals.models import Proposal, ProposalEvent


def _actor(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "系统"


class ProposalForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        user = self.for_user
        if self.instance.pk and "department" in self.changed_data and not permissions.user_sees_all_departments(user):
            # a department hands a proposal back; only the administrators (交办单位) reassign
            self.add_error("department", _("主办单位由交办单位调整，请联系平台管理员"))
        return cleaned

    def save(self, commit=True):
        before = None
        if self.instance.pk:
            before = Proposal.objects.filter(pk=self.instance.pk).values("department__name", "status").first()
        proposal = super().save(commit=commit)
        if not commit:
            return proposal
        log = []
        new_department = proposal.department.name if proposal.department else ""
        if before is None and proposal.department_id:
            log.append(("交办", f"主办单位：{new_department}"))
        elif before and before["department__name"] != (new_department or None):
            log.append(("转办" if before["department__name"] else "交办",
                        f"{before['department__name'] or '—'} → {new_department}"))
        if proposal.status == Proposal.Status.ANSWERED and (before is None or before["status"] != "answered"):
            log.append(("答复", proposal.get_result_display()))
        for action, note in log:
            ProposalEvent.objects.create(proposal=proposal, action=action, note=note, actor=self.for_user,
                                         actor_name=_actor(self.for_user))
        if any(a in ("交办", "转办") for a, _n in log):
            transaction.on_commit(lambda: tell_departments(proposal))
        publishing.sync(proposal)
        return proposal


def tell_departments(proposal: Proposal) -> None:
    """The lead and co-handling departments' staff hear of an assignment."""
    emails = []
    departments = [proposal.department, *proposal.co_departments.all()]
    for department in filter(None, departments):
        if department.editors_id:
            emails += [e for e in department.editors.user_set.values_list("email", flat=True) if e]
    if emails:
        notify(Notification(f"交办{proposal.get_kind_display()} {proposal.year}年{proposal.serial}",
                            f"《{proposal.title}》已交办，主办单位 {proposal.department.name}，请于 {proposal.deadline} 前答复。",
                            tuple(dict.fromkeys(emails))))


class EventsPanel(Panel):
    class BoundPanel(Panel.BoundPanel):
        def render_html(self, parent_context=None):
            if self.instance is None or self.instance.pk is None:
                return ""
            rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                                    ((e.at.strftime("%Y-%m-%d %H:%M"), e.action, e.note, e.actor_name)
                                     for e in self.instance.events.all()))
            return format_html('<p>{}：{} · {}：{}</p><table class="listing"><tbody>{}</tbody></table>',
                               _("状态"), self.instance.get_status_display(), _("答复期限"),
                               self.instance.deadline or "—", rows)


class StaffPolicy(permissions.DepartmentPermissionPolicy):
    """The lead department's staff work on their proposals; the co-handling departments' staff
    (协办单位) see them, read-only (their opinion goes to the lead department, which answers);
    the administrators work on all."""

    def user_has_permission_for_instance(self, user, action, instance) -> bool:
        if super().user_has_permission_for_instance(user, action, instance):
            return True
        if action != "view" or not self.user_has_permission(user, action) or instance.pk is None:
            return False
        ids = permissions.department_ids_for_user(user)
        return bool(ids) and instance.co_departments.filter(pk__in=ids).exists()

    def user_has_permission(self, user, action) -> bool:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        if user.is_superuser:
            return True
        if permissions.user_sees_all_departments(user):
            return action != "delete"
        return action in ("change", "view") and bool(permissions.department_ids_for_user(user))

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, a) for a in actions)


class ProposalViewSet(DepartmentScopedViewSet):
    model = Proposal
    icon = "group"
    menu_label = _("建议提案办理")
    menu_order = 307
    add_to_admin_menu = True
    list_display = ["serial", "title", "kind", "year", "department", "status", "deadline"]
    list_filter = ["kind", "year", "status", "department"]
    search_fields = ["serial", "title", "proposer"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["kind", "year", "session", "serial", "title", "proposer", "co_proposers", "content",
                           "department", "assigned_on", "co_departments", "deadline", "status", "reply", "result",
                           "answered_on"]
    ordering = ["status", "deadline"]
    edit_handler = ObjectList([
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("kind"), FieldPanel("year"), FieldPanel("session"), FieldPanel("serial")]),
            FieldPanel("title"), FieldRowPanel([FieldPanel("proposer"), FieldPanel("co_proposers")]),
            FieldPanel("content"),
        ], heading=_("建议提案")),
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("department"), FieldPanel("assigned_on")]),
            FieldPanel("co_departments"), FieldPanel("handler_contact"),
        ], heading=_("交办")),
        EventsPanel(heading=_("办理记录")),
        MultiFieldPanel([
            FieldPanel("reply"), FieldRowPanel([FieldPanel("result"), FieldPanel("answered_on")]),
            FieldPanel("reply_public"),
        ], heading=_("答复")),
    ], base_form_class=ProposalForm)

    @property
    def permission_policy(self):
        return StaffPolicy(self.model)

    def visible_to(self, queryset, user):
        """The lead department's proposals and those it co-handles (协办)."""
        ids = permissions.department_ids_for_user(user)
        if ids is None:
            return queryset
        return queryset.filter(Q(department_id__in=ids) | Q(co_departments__in=ids)).distinct()

    def openable_by(self, view_class, queryset, user):
        """Co-handlers open the read-only page only; editing, history and deletion stay the lead's."""
        if issubclass(view_class, self.inspect_view_class):
            return self.visible_to(queryset, user)
        return scope(queryset, user, self.department_field)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


register_snippet(ProposalViewSet)
