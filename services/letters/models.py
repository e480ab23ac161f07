"""Citizen letters (网上咨询/投诉/建议): submitted by citizens, routed and answered by staff."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from content_models.models import Department
from services import conf
from services.cases import new_query_code
from services.workdays import add_workdays, calendar_changed, is_provisional


def deadline_days() -> int:
    """Working days to answer a letter (``GOVSITE_LETTERS_DEADLINE_DAYS``)."""
    return conf.get("GOVSITE_LETTERS_DEADLINE_DAYS", 15)


def new_number() -> str:
    """XJ + date + 6 random digits: no shared counter to contend on; the UNIQUE index catches clashes."""
    return f"XJ{timezone.localdate():%Y%m%d}{secrets.randbelow(10**6):06d}"


class LetterQuerySet(models.QuerySet):
    def public(self) -> LetterQuerySet:
        """The letters the public sees (API, static pages, statistics by department): ``Letter.PUBLIC``."""
        return self.filter(**Letter.PUBLIC)


class Letter(models.Model):
    class Kind(models.TextChoices):
        CONSULT = "consult", _("咨询")
        COMPLAINT = "complaint", _("投诉")
        SUGGESTION = "suggestion", _("建议")

    class Status(models.TextChoices):
        RECEIVED = "received", _("待登记")
        ROUTED = "routed", _("办理中")
        ANSWERED = "answered", _("已答复")
        REOPENED = "reopened", _("重新办理")
        REJECTED = "rejected", _("不予受理")

    OPEN = (Status.RECEIVED, Status.ROUTED, Status.REOPENED)
    # "A letter is public": answered, its writer agreed, staff approved. The one definition: the
    # queryset (``Letter.objects.public()``) and the check on loaded values (``is_public``) use it.
    PUBLIC = {"status": Status.ANSWERED, "wants_public": True, "publish_approved": True}

    number = models.CharField(_("信件编号"), max_length=40, unique=True, default=new_number)
    query_code = models.CharField(_("查询码"), max_length=12, default=new_query_code)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices, default=Kind.CONSULT)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20)
    subject = models.CharField(_("标题"), max_length=200)
    department = models.CharField(_("写信对象（部门）"), max_length=100, blank=True)
    text = models.TextField(_("信件内容"))
    wants_public = models.BooleanField(_("同意公开"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED,
                              db_index=True)
    received_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    accepted_on = models.DateField(_("受理日期"), default=timezone.localdate)
    deadline = models.DateField(_("答复期限"), null=True, blank=True)
    # the day the counted deadline runs from (receipt, or the reopening); empty when staff set the
    # deadline by hand: only counted deadlines are counted again when a year's holidays are entered
    deadline_from = models.DateField(_("期限起算日"), null=True, blank=True, editable=False)
    deadline_provisional = models.BooleanField(_("期限暂定"), default=False, editable=False)
    routed_department = models.CharField(_("承办部门"), max_length=100, blank=True,
                                         help_text=_("分流：选择承办部门后保存"))
    handling_department = models.ForeignKey(
        Department, verbose_name=_("承办部门（部门站点）"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="letters", help_text=_("分流或转办：选择承办部门后保存；该部门的工作人员在其待办中看到本信件"))
    routing_log = models.TextField(_("分流和转办记录"), blank=True, editable=False)
    routed_on = models.DateField(_("分流日期"), null=True, blank=True)
    handler_contact = models.CharField(_("承办人联系方式"), max_length=200, blank=True)
    answer = models.TextField(_("答复内容"), blank=True)
    answer_department = models.CharField(_("答复部门"), max_length=100, blank=True)
    answered_on = models.DateField(_("答复日期"), null=True, blank=True)
    earlier_answers = models.TextField(_("此前答复（被评为不满意）"), blank=True, editable=False)
    # off until a staff member has read the letter and its answer: nothing a citizen wrote is
    # public before a review (personal numbers are also masked, services.masking)
    publish_approved = models.BooleanField(_("审核通过可公开"), default=False,
                                           help_text=_("仅在来信人同意公开且审核通过时在网站公开"))
    reopen_count = models.PositiveSmallIntegerField(_("重新办理次数"), default=0)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    client_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LetterQuerySet.as_manager()

    class Meta:
        verbose_name = _("来信")
        verbose_name_plural = _("来信")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="svc_letter_idempotency_key_uniq"),
        ]
        indexes = [models.Index(fields=["status", "-answered_on"], name="svc_letter_status_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @classmethod
    def is_public(cls, values: dict) -> bool:
        """Whether a letter with these field values is public (``PUBLIC``)."""
        return all(values[name] == wanted for name, wanted in cls.PUBLIC.items())

    @property
    def is_published(self) -> bool:
        return self.is_public({name: getattr(self, name) for name in self.PUBLIC})

    def save(self, *args, **kwargs):
        """Derive the workflow state from what staff filled in, so the plain edit form is the workflow:
        a department routes the letter, an answer answers it."""
        if self.deadline is None:
            self.count_deadline(self.accepted_on)
        if self.handling_department_id:
            self.routed_department = self.handling_department.name
        if self.routed_department and self.routed_on is None:
            self.routed_on = timezone.localdate()
        if self.status == self.Status.RECEIVED and self.routed_department:
            self.status = self.Status.ROUTED
        if self.answer.strip() and self.status in (self.Status.RECEIVED, self.Status.ROUTED, self.Status.REOPENED):
            self.status = self.Status.ANSWERED
            self.answered_on = timezone.localdate()
            self.answer_department = self.answer_department or self.routed_department or self.department
        super().save(*args, **kwargs)

    def reopen(self) -> None:
        """A bad rating sends the letter back to the department with a new deadline."""
        today = timezone.localdate()
        self.status = self.Status.REOPENED
        self.reopen_count += 1
        self.earlier_answers += f"[{self.answered_on} {self.answer_department}] {self.answer}\n"
        self.answer = ""
        self.answered_on = None
        self.count_deadline(today)
        self.save()

    def count_deadline(self, start) -> None:
        """``deadline_days()`` working days from ``start``; 暂定 while it reaches an unknown year."""
        self.deadline_from = start
        self.deadline = add_workdays(start, deadline_days())
        self.deadline_provisional = is_provisional(start, self.deadline)

    @classmethod
    def recount_deadlines(cls, years: frozenset[int]) -> int:
        """Count again the open letters' deadlines that reach ``years`` (their holidays were just
        entered or changed); return how many moved or lost their 暂定 mark."""
        changed = 0
        first = min(years)
        rows = cls.objects.filter(status__in=cls.OPEN, deadline_from__isnull=False).filter(
            models.Q(deadline_provisional=True) | models.Q(deadline__year__gte=first))
        for letter in rows.only("pk", "deadline", "deadline_from", "deadline_provisional"):
            before = (letter.deadline, letter.deadline_provisional)
            letter.count_deadline(letter.deadline_from)
            if (letter.deadline, letter.deadline_provisional) != before:
                cls.objects.filter(pk=letter.pk).update(deadline=letter.deadline,
                                                        deadline_provisional=letter.deadline_provisional)
                changed += 1
        return changed


def _recount(years: frozenset[int], **kwargs) -> None:
    Letter.recount_deadlines(years)


calendar_changed.connect(_recount, dispatch_uid="letters-recount-deadlines")
