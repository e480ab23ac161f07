"""Satisfaction ratings (好差评, GB/T 39734-2020): one per case, bad ones verified, rectified, answered."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Rating(models.Model):
    class Level(models.IntegerChoices):
        VERY_SATISFIED = 5, _("非常满意")
        SATISFIED = 4, _("满意")
        BASIC = 3, _("基本满意")
        DISSATISFIED = 2, _("不满意")
        VERY_DISSATISFIED = 1, _("非常不满意")

    class Handling(models.TextChoices):
        NONE = "", _("无需处理")
        VERIFYING = "verifying", _("待核实")
        RECTIFYING = "rectifying", _("整改中")
        ANSWERED = "answered", _("已回复")
        APPEALED = "appealed", _("申诉中")
        CLOSED = "closed", _("已办结")

    BAD = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)

    module = models.CharField(_("模块"), max_length=40)
    number = models.CharField(_("编号"), max_length=40)
    level = models.PositiveSmallIntegerField(_("评价"), choices=Level.choices)
    comment = models.TextField(_("评价内容"), blank=True)
    is_default = models.BooleanField(_("超期未评价默认"), default=False)
    department = models.CharField(_("部门"), max_length=100, db_index=True)
    item = models.CharField(_("事项"), max_length=200, db_index=True)
    rated_at = models.DateTimeField(_("评价时间"), auto_now_add=True)
    handling = models.CharField(_("差评处理状态"), max_length=20, choices=Handling.choices, blank=True, default="")
    reply_deadline = models.DateField(_("整改回复期限"), null=True, blank=True)
    verification = models.TextField(_("核实情况"), blank=True)
    rectification = models.TextField(_("整改情况"), blank=True)
    reply = models.TextField(_("回复内容"), blank=True)
    replied_on = models.DateField(_("回复日期"), null=True, blank=True)
    appeal = models.TextField(_("申诉内容"), blank=True)
    appealed_on = models.DateField(_("申诉日期"), null=True, blank=True)
    appeal_decision = models.TextField(_("申诉处理结果"), blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["-rated_at"]
        constraints = [
            models.UniqueConstraint(fields=["module", "number"], name="svc_rating_once_per_case"),
            models.UniqueConstraint(fields=["idempotency_key"], name="svc_rating_idempotency_key_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.module}:{self.number} {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        return self.level in self.BAD

    def save(self, *args, **kwargs):
        """Staff filling in the form moves a bad rating along: 核实 → 整改 → 回复; a decided appeal closes it."""
        if self.is_bad:
            if self.handling == self.Handling.VERIFYING and self.verification.strip():
                self.handling = self.Handling.RECTIFYING
            if self.handling in (self.Handling.VERIFYING, self.Handling.RECTIFYING) and self.reply.strip():
                self.handling = self.Handling.ANSWERED
                self.replied_on = self.replied_on or timezone.localdate()
            if self.handling == self.Handling.APPEALED and self.appeal_decision.strip():
                self.handling = self.Handling.CLOSED
        super().save(*args, **kwargs)
