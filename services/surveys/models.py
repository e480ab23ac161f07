"""网上调查: questionnaires (single choice, multiple choice, scale, free text) open for a period,
one answer per person, results published as static pages.

One answer per person, as far as an anonymous site can: each answer carries a signed token the
API issued for this survey, and the database keeps one response per token (``UniqueConstraint``,
so two server processes cannot both accept it); a survey may also require a phone or e-mail code
(``verification``), then one response per verified contact (stored only as a keyed hash).
Free-text answers are public only after moderation (``TextAnswer.status``).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel

from content_models.models import Department

MAX_OPTIONS = 30
MAX_SCALE = 10


def new_number() -> str:
    """DC + date + 6 random digits: the survey's public identifier (URLs, API)."""
    return f"DC{timezone.localdate():%Y%m%d}{secrets.randbelow(10**6):06d}"


class State(models.TextChoices):
    UPCOMING = "upcoming", _("未开始")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")
    PUBLISHED = "published", _("已公布结果")


class Survey(ClusterableModel):
    class Verification(models.TextChoices):
        NONE = "", _("不验证（每个浏览器一次）")
        PHONE = "phone", _("手机短信验证码")
        EMAIL = "email", _("电子邮件验证码")

    number = models.CharField(_("调查编号"), max_length=40, unique=True, default=new_number, editable=False)
    title = models.CharField(_("调查标题"), max_length=300)
    department = models.ForeignKey(Department, verbose_name=_("调查部门"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("调查说明"), blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("截止日期"), help_text=_("含当日"))
    verification = models.CharField(_("身份验证"), max_length=10, choices=Verification.choices, blank=True,
                                    default=Verification.NONE, help_text=_("要求验证时，每个手机号或邮箱只能作答一次"))
    results_published = models.BooleanField(_("公布调查结果"), default=False, help_text=_("调查截止后才能公布"))
    results_date = models.DateField(_("结果公布日期"), null=True, blank=True)
    results_note = models.TextField(_("结果说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网上调查")
        verbose_name_plural = _("网上调查")
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.title

    def state(self, today: dt.date | None = None) -> State:
        today = today or timezone.localdate()
        if today < self.start_date:
            return State.UPCOMING
        if today <= self.end_date:
            return State.OPEN
        return State.PUBLISHED if self.results_published else State.CLOSED

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("截止日期不能早于开始日期")
        if self.results_published and self.end_date and timezone.localdate() <= self.end_date:
            errors["results_published"] = _("调查截止后才能公布结果")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.results_published and self.results_date is None:
            self.results_date = timezone.localdate()
        super().save(*args, **kwargs)

    def boundaries(self) -> list[dt.datetime]:
        """The moments the site must change by itself: opening and closing (local midnight)."""
        tz = timezone.get_current_timezone()
        return [dt.datetime.combine(day, dt.time(), tzinfo=tz)
                for day in (self.start_date, self.end_date + dt.timedelta(days=1))]


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("单选")
        MULTIPLE = "multiple", _("多选")
        SCALE = "scale", _("量表（打分）")
        TEXT = "text", _("文字")

    survey = ParentalKey(Survey, on_delete=models.CASCADE, related_name="questions")
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    kind = models.CharField(_("题型"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    text = models.CharField(_("题目"), max_length=500)
    required = models.BooleanField(_("必答"), default=True)
    options = models.TextField(_("选项"), blank=True, help_text=_("单选、多选题：每行一个选项"))
    scale_max = models.PositiveSmallIntegerField(_("量表最高分"), default=5, help_text=_("量表题：从 1 分到最高分"))
    scale_labels = models.CharField(_("量表两端说明"), max_length=100, blank=True,
                                    help_text=_("如：很不满意/很满意"))

    panels = [FieldPanel("kind"), FieldPanel("text"), FieldPanel("required"), FieldPanel("options"),
              FieldPanel("scale_max"), FieldPanel("scale_labels")]

    class Meta:
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.text

    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE):
            count = len(self.option_list())
            if count < 2:
                raise ValidationError({"options": _("选择题至少需要 2 个选项（每行一个）")})
            if count > MAX_OPTIONS:
                raise ValidationError({"options": _("选项不能超过 %(n)d 个") % {"n": MAX_OPTIONS}})
        if self.kind == self.Kind.SCALE and not 2 <= self.scale_max <= MAX_SCALE:
            raise ValidationError({"scale_max": _("量表最高分应在 2 到 %(n)d 之间") % {"n": MAX_SCALE}})
        if self.pk:
            before = Question.objects.filter(pk=self.pk).values("kind", "options", "scale_max").first()
            changed = before and (before["kind"], before["options"].strip(), before["scale_max"]) != (
                self.kind, self.options.strip(), self.scale_max)
            if changed and Response.objects.filter(survey_id=self.survey_id).exists():
                raise ValidationError(_("已有答卷，不能再修改题型、选项或量表，否则统计结果会失真"))


class Response(models.Model):
    """One person's answer to a survey (its answers are rows of :class:`Answer` and :class:`TextAnswer`)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    token_hash = models.CharField(max_length=64, editable=False)
    contact_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    client_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        constraints = [
            models.UniqueConstraint(fields=["survey", "token_hash"], name="svc_survey_one_per_token"),
            models.UniqueConstraint(fields=["survey", "contact_hash"], name="svc_survey_one_per_contact"),
        ]


class Answer(models.Model):
    """A chosen option (``choice``, 0-based; one row per option of a multiple choice) or a scale ``value``."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    choice = models.PositiveSmallIntegerField(null=True)
    value = models.PositiveSmallIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["question", "choice", "value"], name="svc_survey_answer_q_idx")]


class TextAnswer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("公开")
        REJECTED = "rejected", _("不公开")

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="texts")
    question = models.ForeignKey(Question, verbose_name=_("题目"), on_delete=models.CASCADE, related_name="+")
    # the survey's department, kept here so the admin scopes the answers like every department's rows
    department = models.ForeignKey(Department, verbose_name=_("调查部门"), on_delete=models.PROTECT, related_name="+",
                                   null=True, editable=False)
    text = models.TextField(_("回答"))
    public_text = models.TextField(_("公开内容"), blank=True, help_text=_("公开前删去个人信息；留空则取原文"))
    status = models.CharField(_("审核状态"), max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)

    class Meta:
        verbose_name = _("文字回答")
        verbose_name_plural = _("文字回答（审核后公开）")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:40]

    def save(self, *args, **kwargs):
        if self.department_id is None:
            self.department_id = Survey.objects.filter(questions=self.question_id).values_list(
                "department_id", flat=True).first()
        if self.status == self.Status.APPROVED and not self.public_text.strip():
            self.public_text = self.text
        super().save(*args, **kwargs)
