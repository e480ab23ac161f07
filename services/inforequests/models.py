"""Disclosure requests (依申请公开, 《政府信息公开条例》2019, Articles 27–33) and their logged events.

A request belongs to a department (``content_models.Department``, the same departments as the
document sites); that department's staff see and handle it. Its clock is recomputed from its
events (``clock.compute``); ``deadline`` and ``deadline_provisional`` are stored copies for
listings, supervision and the report, refreshed by every event (``workflow``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from content_models.models import Department
from services.cases import new_query_code
from services.inforequests.outcomes import ApplicantType, Outcome, Reason


def new_number() -> str:
    """YS + date + 8 random digits: no shared counter; the UNIQUE index catches a clash."""
    return f"YS{timezone.localdate():%Y%m%d}{secrets.randbelow(10**8):08d}"


def reply_upload_to(instance: InfoRequest, filename: str) -> str:
    # a random directory: reply files are served only through the API with the query code
    return f"inforequests/replies/{secrets.token_hex(16)}/{filename}"


class InfoRequest(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待确认收到")
        ACCEPTED = "accepted", _("办理中")
        SUPPLEMENT = "supplement", _("待补正")
        CONSULTING = "consulting", _("征求第三方意见")
        ANSWERED = "answered", _("已答复")

    class Form(models.TextChoices):
        PAPER = "paper", _("纸质")
        ELECTRONIC = "electronic", _("电子数据")
        OTHER = "other", _("其他")

    class Delivery(models.TextChoices):
        MAIL = "mail", _("邮寄")
        EMAIL = "email", _("电子邮件")
        PICKUP = "pickup", _("当面领取")
        ONLINE = "online", _("网上查询下载")

    class Channel(models.TextChoices):
        ONLINE = "online", _("网上申请")
        LETTER = "letter", _("信函")
        COUNTER = "counter", _("当面")
        FAX = "fax", _("传真")

    OPEN = (Status.SUBMITTED, Status.ACCEPTED, Status.SUPPLEMENT, Status.CONSULTING)

    number = models.CharField(_("申请编号"), max_length=40, unique=True, default=new_number)
    query_code = models.CharField(_("查询码"), max_length=16, default=new_query_code)
    department = models.ForeignKey(Department, verbose_name=_("受理机关（部门）"), on_delete=models.PROTECT,
                                   related_name="disclosure_requests")
    channel = models.CharField(_("申请方式"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    applicant_type = models.CharField(_("申请人类型"), max_length=12, choices=ApplicantType.choices,
                                      default=ApplicantType.NATURAL)
    name = models.CharField(_("申请人姓名或名称"), max_length=200)
    representative = models.CharField(_("法定代表人或联系人"), max_length=100, blank=True)
    credential_type = models.CharField(_("身份证件或证照名称"), max_length=40)
    credential_no = models.CharField(_("证件号码"), max_length=64)
    phone = models.CharField(_("联系电话"), max_length=20)
    email = models.EmailField(_("电子邮箱"), blank=True)
    address = models.CharField(_("通信地址"), max_length=300, blank=True)
    postcode = models.CharField(_("邮政编码"), max_length=10, blank=True)
    description = models.TextField(_("所需政府信息的名称、文号或便于查询的其他特征性描述"))
    form = models.CharField(_("获取信息的载体形式"), max_length=12, choices=Form.choices, default=Form.ELECTRONIC)
    delivery = models.CharField(_("获取信息的方式"), max_length=12, choices=Delivery.choices,
                                default=Delivery.ONLINE)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    received_on = models.DateField(_("收到申请日期"), null=True, blank=True, editable=False,
                                   help_text=_("网上申请以双方确认之日为收到申请之日"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED,
                              db_index=True)
    deadline = models.DateField(_("答复期限"), null=True, blank=True, editable=False, db_index=True)
    deadline_provisional = models.BooleanField(_("期限暂定"), default=False, editable=False)
    extended_days = models.PositiveSmallIntegerField(_("延长工作日"), default=0, editable=False)
    extension_approver = models.CharField(_("延期批准人"), max_length=100, blank=True, editable=False)
    outcome = models.CharField(_("处理结果"), max_length=16, choices=Outcome.choices, blank=True, editable=False)
    reason = models.CharField(_("理由"), max_length=20, choices=Reason.choices, blank=True, editable=False)
    legal_basis = models.TextField(_("法律依据"), blank=True, editable=False)
    reply_text = models.TextField(_("答复内容"), blank=True, editable=False)
    reply_file = models.FileField(_("答复书文件"), upload_to=reply_upload_to, blank=True, editable=False)
    answered_on = models.DateField(_("答复日期"), null=True, blank=True, editable=False, db_index=True)
    handler_contact = models.CharField(_("承办人联系方式"), max_length=200, blank=True,
                                       help_text=_("电子邮箱或手机号，多个用逗号分隔；用于电子监察提醒"))
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    client_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("依申请公开申请")
        verbose_name_plural = _("依申请公开申请")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="svc_inforeq_idempotency_uniq"),
        ]
        indexes = [
            models.Index(fields=["department", "status", "deadline"], name="svc_inforeq_queue_idx"),
            models.Index(fields=["submitted_at"], name="svc_inforeq_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class RequestEvent(models.Model):
    """One state change or clock event, with who did it and when (never edited, never deleted)."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("提交申请")
        RECEIVE = "receive", _("确认收到")
        SUPPLEMENT_REQUESTED = "supplement_requested", _("告知补正")
        SUPPLEMENT_RECEIVED = "supplement_received", _("收到补正")
        EXTEND = "extend", _("延长答复期限")
        CONSULT_START = "consult_start", _("征求第三方意见")
        CONSULT_END = "consult_end", _("第三方意见返回")
        TRANSFER = "transfer", _("转办")
        ANSWER = "answer", _("答复")

    request = models.ForeignKey(InfoRequest, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=24, choices=Action.choices)
    on = models.DateField(_("日期"))
    days = models.PositiveSmallIntegerField(_("天数"), default=0)
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("操作人"), max_length=150)
    at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.on} {self.get_action_display()} {self.actor_name}"


class AnnualReport(models.Model):
    """What the platform cannot count for a year's 政府信息公开工作年度报告: the narrative sections and the
    行政复议 / 行政诉讼 figures (table 四), entered by staff; the rest is computed (``report``)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    department = models.ForeignKey(Department, verbose_name=_("部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   help_text=_("留空表示本级政府（全部部门合计）"))
    overview = models.TextField(_("一、总体情况"), blank=True)
    problems = models.TextField(_("五、存在的主要问题及改进情况"), blank=True)
    other_matters = models.TextField(_("六、其他需要报告的事项"), blank=True)
    review_maintained = models.PositiveIntegerField(_("行政复议：结果维持"), default=0)
    review_corrected = models.PositiveIntegerField(_("行政复议：结果纠正"), default=0)
    review_other = models.PositiveIntegerField(_("行政复议：其他结果"), default=0)
    review_pending = models.PositiveIntegerField(_("行政复议：尚未审结"), default=0)
    direct_maintained = models.PositiveIntegerField(_("未经复议直接起诉：结果维持"), default=0)
    direct_corrected = models.PositiveIntegerField(_("未经复议直接起诉：结果纠正"), default=0)
    direct_other = models.PositiveIntegerField(_("未经复议直接起诉：其他结果"), default=0)
    direct_pending = models.PositiveIntegerField(_("未经复议直接起诉：尚未审结"), default=0)
    after_maintained = models.PositiveIntegerField(_("复议后起诉：结果维持"), default=0)
    after_corrected = models.PositiveIntegerField(_("复议后起诉：结果纠正"), default=0)
    after_other = models.PositiveIntegerField(_("复议后起诉：其他结果"), default=0)
    after_pending = models.PositiveIntegerField(_("复议后起诉：尚未审结"), default=0)
    document_source_id = models.CharField(_("已发布的报告文件"), max_length=128, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("政府信息公开年度报告")
        verbose_name_plural = _("政府信息公开年度报告")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["year", "department"], name="svc_annual_report_once"),
            models.UniqueConstraint(fields=["year"], condition=models.Q(department__isnull=True),
                                    name="svc_annual_report_once_whole"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.department or '本级政府'}"

    def review_rows(self) -> list[tuple[str, list[int]]]:
        """Table 四's three groups: 维持, 纠正, 其他, 尚未审结 (总计 added by the report)."""
        return [
            ("行政复议", [self.review_maintained, self.review_corrected, self.review_other, self.review_pending]),
            ("行政诉讼（未经复议直接起诉）",
             [self.direct_maintained, self.direct_corrected, self.direct_other, self.direct_pending]),
            ("行政诉讼（复议后起诉）", [self.after_maintained, self.after_corrected, self.after_other, self.after_pending]),
        ]
