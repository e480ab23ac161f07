"""民意征集: a consultation on a draft policy, the citizens' comments, and the 采纳情况 feedback report.

A consultation is open from ``start_date`` to ``end_date`` inclusive (local dates). Citizens
comment while it is open; staff moderate every comment (approve, reject with a reason, merge a
duplicate into another) and nothing a citizen wrote is public before that, and then only with the
name masked and the text as the moderator approved it (``public_text``). After the end the
department decides on each approved comment (adopted, partly, not adopted with a reason) and
publishes the feedback report, which links the draft and the final policy.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from content_models.models import Department, DisclosureDocument


def new_number() -> str:
    """ZJ + date + 6 random digits: the consultation's public identifier (URLs, API)."""
    return f"ZJ{timezone.localdate():%Y%m%d}{secrets.randbelow(10**6):06d}"


def new_comment_number() -> str:
    """YJ + date + 8 random digits: unguessable, so a comment cannot be looked up by counting."""
    return f"YJ{timezone.localdate():%Y%m%d}{secrets.randbelow(10**8):08d}"


class State(models.TextChoices):
    UPCOMING = "upcoming", _("未开始")
    OPEN = "open", _("征集中")
    CLOSED = "closed", _("已结束")
    REPORTED = "reported", _("已反馈")


class Consultation(models.Model):
    number = models.CharField(_("征集编号"), max_length=40, unique=True, default=new_number, editable=False)
    title = models.CharField(_("征集标题"), max_length=300)
    department = models.ForeignKey(Department, verbose_name=_("征集部门"), on_delete=models.PROTECT,
                                   related_name="+")
    summary = models.TextField(_("征集说明"), blank=True, help_text=_("征集的目的、重点和参与方式"))
    draft_document = models.ForeignKey(
        DisclosureDocument, verbose_name=_("征求意见稿（已发布文件）"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    draft_file = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("征求意见稿（上传文件）"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    draft_text = models.TextField(_("征求意见稿正文"), blank=True, help_text=_("可选：直接在网页上展示的草案文本"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("截止日期"), help_text=_("含当日"))
    contact = models.CharField(_("联系方式"), max_length=200, blank=True, help_text=_("征集部门的公开联系方式"))
    feedback_published = models.BooleanField(_("发布采纳情况"), default=False,
                                             help_text=_("征集结束后，完成对每条意见的采纳决定再发布"))
    feedback_date = models.DateField(_("反馈日期"), null=True, blank=True)
    feedback_summary = models.TextField(_("采纳情况说明"), blank=True)
    final_policy = models.ForeignKey(
        DisclosureDocument, verbose_name=_("正式文件"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("根据意见修改后正式发布的文件"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("意见征集")
        verbose_name_plural = _("意见征集")
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.title

    def state(self, today: dt.date | None = None) -> State:
        today = today or timezone.localdate()
        if self.feedback_published:
            return State.REPORTED
        if today < self.start_date:
            return State.UPCOMING
        if today > self.end_date:
            return State.CLOSED
        return State.OPEN

    def is_open(self, today: dt.date | None = None) -> bool:
        return self.state(today) == State.OPEN

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("截止日期不能早于开始日期")
        if not (self.draft_document_id or self.draft_file_id or self.draft_text.strip()):
            errors["draft_document"] = _("请选择征求意见稿：已发布的文件、上传的文件或草案正文，至少一项")
        if self.feedback_published:
            if self.end_date and timezone.localdate() <= self.end_date:
                errors["feedback_published"] = _("征集截止后才能发布采纳情况")
            elif self.pk and self.comments.filter(status=Comment.Status.PENDING).exists():
                errors["feedback_published"] = _("还有待审核的意见，审核完毕后才能发布采纳情况")
            elif self.pk and self.comments.filter(status=Comment.Status.APPROVED, adoption="").exists():
                errors["feedback_published"] = _("还有未作采纳决定的意见")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.feedback_published and self.feedback_date is None:
            self.feedback_date = timezone.localdate()
        super().save(*args, **kwargs)

    def boundaries(self) -> list[dt.datetime]:
        """The moments the site must change by itself: opening and closing (local midnight)."""
        tz = timezone.get_current_timezone()
        return [dt.datetime.combine(day, dt.time(), tzinfo=tz)
                for day in (self.start_date, self.end_date + dt.timedelta(days=1))]


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("不予采用（无效意见）")
        MERGED = "merged", _("已合并（重复意见）")

    class Adoption(models.TextChoices):
        ADOPTED = "adopted", _("采纳")
        PARTLY = "partly", _("部分采纳")
        NOT_ADOPTED = "not_adopted", _("未采纳")

    consultation = models.ForeignKey(Consultation, verbose_name=_("意见征集"), on_delete=models.CASCADE,
                                     related_name="comments")
    # the consultation's department, kept here so the admin scopes comments like every department's rows
    department = models.ForeignKey(Department, verbose_name=_("征集部门"), on_delete=models.PROTECT, related_name="+",
                                   null=True, editable=False)
    number = models.CharField(_("意见编号"), max_length=40, unique=True, default=new_comment_number, editable=False)
    name = models.CharField(_("姓名或单位"), max_length=100)
    contact = models.CharField(_("联系方式（不公开）"), max_length=100, blank=True)
    text = models.TextField(_("意见内容"))
    public_text = models.TextField(_("公开内容"), blank=True,
                                   help_text=_("公开前删去个人信息；留空则审核通过时取意见原文"))
    status = models.CharField(_("审核状态"), max_length=20, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    reject_reason = models.CharField(_("不予采用理由"), max_length=300, blank=True)
    merged_into = models.ForeignKey("self", verbose_name=_("合并到"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="duplicates")
    adoption = models.CharField(_("采纳情况"), max_length=20, choices=Adoption.choices, blank=True)
    adoption_reason = models.TextField(_("采纳情况说明"), blank=True, help_text=_("未采纳或部分采纳时必须说明理由"))
    received_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    client_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("征集意见")
        verbose_name_plural = _("征集意见")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="svc_consult_comment_idem_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:30]}"

    def clean(self) -> None:
        errors = {}
        if self.status == self.Status.REJECTED and not self.reject_reason.strip():
            errors["reject_reason"] = _("不予采用时必须填写理由")
        if self.status == self.Status.MERGED:
            target = self.merged_into
            if target is None:
                errors["merged_into"] = _("请选择要合并到的意见")
            elif target.pk == self.pk or target.consultation_id != self.consultation_id:
                errors["merged_into"] = _("只能合并到同一征集中的另一条意见")
            elif target.status != self.Status.APPROVED:
                errors["merged_into"] = _("只能合并到已审核通过的意见")
        if self.adoption in (self.Adoption.PARTLY, self.Adoption.NOT_ADOPTED) and not self.adoption_reason.strip():
            errors["adoption_reason"] = _("部分采纳或未采纳时必须说明理由")
        if self.adoption and self.status != self.Status.APPROVED:
            errors["adoption"] = _("只有审核通过的意见才作采纳决定（重复意见随合并到的意见）")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.department_id = self.consultation.department_id
        if self.status == self.Status.APPROVED and not self.public_text.strip():
            self.public_text = self.text
        if self.status != self.Status.MERGED:
            self.merged_into = None
        super().save(*args, **kwargs)

    # The moderation steps, as the tests and the demo use them: each validates and saves, or leaves
    # the comment as it was (the admin's edit form runs the same ``clean``).

    def _apply(self, **changes) -> None:
        before = {name: getattr(self, name) for name in changes}
        for name, value in changes.items():
            setattr(self, name, value)
        try:
            self.full_clean()
        except ValidationError:
            for name, value in before.items():
                setattr(self, name, value)
            raise
        self.save()

    def approve(self, public_text: str = "") -> None:
        self._apply(status=self.Status.APPROVED, public_text=public_text or self.public_text)

    def reject(self, reason: str) -> None:
        self._apply(status=self.Status.REJECTED, reject_reason=reason)

    def merge_into(self, other: Comment) -> None:
        self._apply(status=self.Status.MERGED, merged_into=other, adoption="")

    def decide(self, adoption: str, reason: str = "") -> None:
        self._apply(adoption=adoption, adoption_reason=reason)
