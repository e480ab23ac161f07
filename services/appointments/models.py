"""Windows (办事窗口), their daily periods, the slots of each working day, and the bookings.

A slot's ``booked`` counter is only ever changed by one conditional UPDATE
(``booked = booked + 1 WHERE booked < capacity``) in the transaction that creates the booking
(``services.appointments.booking``), and a CHECK constraint backs it: a slot is never over-booked,
whatever the number of processes or threads.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from content_models.models import Department


class Window(ClusterableModel):
    department = models.ForeignKey(Department, verbose_name=_("所属部门"), on_delete=models.PROTECT,
                                   related_name="appointment_windows")
    name = models.CharField(_("窗口名称"), max_length=100)
    place = models.CharField(_("办理地点"), max_length=300)
    items = models.TextField(_("可预约事项"), blank=True, help_text=_("每行一个事项名称；空表示不限"))
    days_ahead = models.PositiveSmallIntegerField(_("可提前预约天数"), default=14)
    notice = models.TextField(_("预约须知"), blank=True)
    active = models.BooleanField(_("开放预约"), default=True)

    class Meta:
        verbose_name = _("预约窗口")
        verbose_name_plural = _("预约窗口")
        ordering = ["department__sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.department.name} {self.name}"

    def item_list(self) -> list[str]:
        return [line.strip() for line in self.items.splitlines() if line.strip()]


class Period(Orderable):
    """A period of every working day (上午 9:00–10:00, 5 人) from which each day's slots are made."""

    window = ParentalKey(Window, related_name="periods", on_delete=models.CASCADE)
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("可预约人数"))

    class Meta(Orderable.Meta):
        verbose_name = _("每日时段")
        verbose_name_plural = _("每日时段")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class Slot(models.Model):
    """One period of one working day, made when first asked for (see ``booking.slots_of_day``)."""

    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="slots")
    day = models.DateField(_("日期"))
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("可预约人数"))
    booked = models.PositiveIntegerField(_("已预约"), default=0)

    class Meta:
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        ordering = ["day", "start"]
        constraints = [
            models.UniqueConstraint(fields=["window", "day", "start"], name="svc_appt_slot_once"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="svc_appt_slot_not_over"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.start:%H:%M}–{self.end:%H:%M}"

    wagtail_reference_index_ignore = True

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.booked)

    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.day, self.start)


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("已预约")
        CANCELLED = "cancelled", _("已取消")
        ARRIVED = "arrived", _("已到场")
        NO_SHOW = "no_show", _("未到场")

    class Channel(models.TextChoices):
        WEB = "web", _("网上预约")
        PHONE = "phone", _("电话预约（工作人员代约）")

    number = models.CharField(_("预约号"), max_length=40, unique=True)
    code_hash = models.CharField(max_length=64, editable=False)
    slot = models.ForeignKey(Slot, verbose_name=_("时段"), on_delete=models.PROTECT, related_name="bookings")
    window = models.ForeignKey(Window, verbose_name=_("窗口"), on_delete=models.PROTECT, related_name="bookings")
    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("预约日期"), db_index=True)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20)
    email = models.EmailField(_("电子邮箱"), blank=True)
    item = models.CharField(_("办理事项"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.BOOKED)
    channel = models.CharField(_("预约方式"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["day", "slot__start", "id"]
        indexes = [models.Index(fields=["window", "day"], name="svc_appt_booking_day_idx")]

    # Wagtail's reference index would add two queries to every booking for nothing: bookings are
    # never "used" by pages.
    wagtail_reference_index_ignore = True

    def __str__(self) -> str:
        return f"{self.number} {self.name}"
