"""Applications (许可/依申请公开 办件) recorded by staff and looked up by the public."""


from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from content_models.models import Department
from services.cases import new_query_code
from services.catalogue import find_item
from services.departments import DepartmentNames
from services.workdays import add_workdays, calendar_changed, is_provisional


class Application(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("已受理")
        IN_PROGRESS = "in_progress", _("办理中")
        SUSPENDED = "suspended", _("暂停计时")
        DONE = "done", _("已办结")
        REJECTED = "rejected", _("不予受理")

    CLOSED = (Status.DONE, Status.REJECTED)

    number = models.CharField(_("办件编号"), max_length=40, unique=True)
    query_code = models.CharField(_("查询码"), max_length=12, default=new_query_code,
                                  help_text=_("告知申请人，用于凭编号查询"))
    applicant = models.CharField(_("申请人"), max_length=200)
    item_code = models.CharField(_("事项编码"), max_length=64, blank=True,
                                 help_text=_("服务事项目录中的编码：填写后，办结期限按该事项的承诺时限计算"))
    item = models.CharField(_("事项名称"), max_length=200, db_index=True, blank=True)
    # the name the public lookup shows; set from ``handling_department`` when that is chosen
    department = models.CharField(_("受理部门"), max_length=100, db_index=True, blank=True,
                                  help_text=_("选择承办部门后自动填写"))
    handling_department = models.ForeignKey(
        Department, verbose_name=_("承办部门（部门站点）"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="applications", help_text=_("该部门的工作人员在其待办中看到并办理本办件"))
    accepted_on = models.DateField(_("受理日期"), default=timezone.localdate)
    deadline_days = models.PositiveSmallIntegerField(_("法定时限（工作日）"), default=20,
                                                     help_text=_("填写事项编码时按事项的承诺时限自动计算"))
    deadline = models.DateField(_("办结期限"), editable=False)
    deadline_provisional = models.BooleanField(_("期限暂定"), default=False, editable=False,
                                               help_text=_("期限跨入尚未公布节假日安排的年份，公布后自动重算"))
    status = models.CharField(_("办理状态"), max_length=20, choices=Status.choices, default=Status.ACCEPTED)
    result = models.TextField(_("办理结果"), blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    handler_contact = models.CharField(_("承办人联系方式"), max_length=200, blank=True,
                                       help_text=_("电子邮箱或手机号，多个用逗号分隔；用于电子监察提醒"))
    is_public = models.BooleanField(_("在公开列表中显示"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-accepted_on", "-id"]
        indexes = [models.Index(fields=["is_public", "-accepted_on"], name="svc_status_public_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.item}"

    def clean(self) -> None:
        super().clean()
        self.item_code = self.item_code.strip()
        if self.item_code and find_item(self.item_code) is None:
            raise ValidationError({"item_code": _("服务事项目录中没有这个事项编码")})
        if not self.item_code and not self.item.strip():
            raise ValidationError({"item": _("请填写事项名称或事项编码")})
        if not self.item_code and not self.department.strip() and self.handling_department_id is None:
            raise ValidationError({"handling_department": _("请选择承办部门或填写事项编码")})

    def take_limits_from_catalogue(self) -> None:
        """A case linked to a catalogue item takes its promised limit (and its name and department
        when left empty): the deadline, and the supervision built on it, follow the catalogue."""
        found = find_item(self.item_code) if self.item_code else None
        if found is None:
            return
        self.deadline_days = found.promised_days
        self.item = self.item or found.name
        self.department = self.department or found.department

    def route_department(self) -> None:
        """The department record decides: its name is what the public sees. A name without a record
        (typed, or from the catalogue) is matched to one by ``services.departments``; a name that
        matches none stays as typed, and the case waits in the administrators' queue."""
        if self.handling_department_id:
            self.department = self.handling_department.name[:100]
        elif self.department.strip():
            self.handling_department_id = DepartmentNames(Department.objects.all()).match(self.department)

    def save(self, *args, **kwargs):
        self.take_limits_from_catalogue()
        self.route_department()
        self.deadline = add_workdays(self.accepted_on, self.deadline_days)
        self.deadline_provisional = is_provisional(self.accepted_on, self.deadline)
        if self.status in self.CLOSED and self.closed_on is None:
            self.closed_on = timezone.localdate()
        elif self.status not in self.CLOSED:
            self.closed_on = None
        super().save(*args, **kwargs)

    @classmethod
    def recount_deadlines(cls, years: frozenset[int]) -> int:
        """Count again the open applications' deadlines that reach ``years`` (their holidays were
        just entered or changed); return how many moved or lost their 暂定 mark."""
        changed = 0
        rows = cls.objects.filter(closed_on__isnull=True).filter(
            models.Q(deadline_provisional=True) | models.Q(deadline__year__gte=min(years)))
        for app in rows.only("pk", "accepted_on", "deadline_days", "deadline", "deadline_provisional"):
            deadline = add_workdays(app.accepted_on, app.deadline_days)
            provisional = is_provisional(app.accepted_on, deadline)
            if (deadline, provisional) != (app.deadline, app.deadline_provisional):
                cls.objects.filter(pk=app.pk).update(deadline=deadline, deadline_provisional=provisional)
                changed += 1
        return changed


def _recount(years: frozenset[int], **kwargs) -> None:
    Application.recount_deadlines(years)


calendar_changed.connect(_recount, dispatch_uid="status-recount-deadlines")
