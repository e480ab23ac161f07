"""人大代表建议 and 政协委员提案 (NPC deputies' suggestions, CPPCC members' proposals).

Registered with the proposer and the number given by the congress or the CPPCC committee,
assigned (交办) to a lead department (主办单位) with co-handlers (协办单位), answered within three
months of assignment (《全国人民代表大会代表建议、批评和意见办理办法》, the CPPCC's 提案办理 rules), and
a reply marked public is published as a disclosure document in its own category.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from content_models.models import Department

REPLY_MONTHS = 3
DOCUMENT_CATEGORY = "建议提案办理"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter: Nov 30 + 3 → Feb 28)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Proposal(models.Model):
    class Kind(models.TextChoices):
        NPC = "npc", _("人大代表建议")
        CPPCC = "cppcc", _("政协委员提案")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("待交办")
        ASSIGNED = "assigned", _("办理中")
        ANSWERED = "answered", _("已答复")

    class Result(models.TextChoices):
        A = "a", _("A类：所提问题已经解决或基本解决")
        B = "b", _("B类：所提问题正在解决或已列入计划逐步解决")
        C = "c", _("C类：所提问题因条件限制或其他原因需以后解决或留作参考")

    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    session = models.CharField(_("会议届次"), max_length=100, blank=True, help_text=_("例如：市十七届人大三次会议"))
    serial = models.CharField(_("建议或提案号"), max_length=20, help_text=_("例如：第0123号"))
    title = models.CharField(_("标题"), max_length=300)
    proposer = models.CharField(_("领衔代表或委员"), max_length=100)
    co_proposers = models.CharField(_("联名代表或委员"), max_length=500, blank=True)
    content = models.TextField(_("内容"))
    department = models.ForeignKey(Department, verbose_name=_("主办单位"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="proposals_led")
    co_departments = models.ManyToManyField(Department, verbose_name=_("协办单位"), blank=True,
                                            related_name="proposals_assisted")
    assigned_on = models.DateField(_("交办日期"), null=True, blank=True)
    deadline = models.DateField(_("答复期限"), null=True, blank=True, editable=False)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.REGISTERED,
                              editable=False, db_index=True)
    handler_contact = models.CharField(_("承办人联系方式"), max_length=200, blank=True,
                                       help_text=_("电子邮箱或手机号，多个用逗号分隔；用于电子监察提醒"))
    reply = models.TextField(_("答复内容"), blank=True)
    result = models.CharField(_("办理结果类别"), max_length=2, choices=Result.choices, blank=True)
    answered_on = models.DateField(_("答复日期"), null=True, blank=True)
    reply_public = models.BooleanField(_("答复公开"), default=False,
                                       help_text=_("勾选后答复作为公开文件发布在“建议提案办理”类别"))
    published_source_id = models.CharField(max_length=128, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("建议提案")
        verbose_name_plural = _("建议提案")
        ordering = ["-year", "kind", "serial"]
        constraints = [models.UniqueConstraint(fields=["kind", "year", "serial"], name="svc_proposal_number_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year}年{self.serial} {self.title}"

    @property
    def number(self) -> str:
        """The case number used by supervision: kind, year and serial."""
        return f"{self.kind.upper()}{self.year}-{self.serial}"

    def save(self, *args, **kwargs):
        """The plain edit form is the workflow: a lead department and a date assign, a reply answers."""
        if self.department_id and self.assigned_on is None:
            self.assigned_on = timezone.localdate()
        self.deadline = add_months(self.assigned_on, REPLY_MONTHS) if self.assigned_on else None
        if self.reply.strip():
            self.status = self.Status.ANSWERED
            self.answered_on = self.answered_on or timezone.localdate()
        else:
            self.status = self.Status.ASSIGNED if self.department_id else self.Status.REGISTERED
            self.answered_on = None
        super().save(*args, **kwargs)


class ProposalEvent(models.Model):
    """Assignment, transfer, reply, publication: who and when (never edited)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=40)
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(_("操作人"), max_length=150)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
