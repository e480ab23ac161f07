"""The day before: a reminder to everyone booked for tomorrow, by SMS and e-mail (services.notify)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from services.appointments.models import Booking
from services.notify import Notification, notify

logger = logging.getLogger(__name__)


def reminder(booking: Booking) -> Notification:
    slot = booking.slot
    return Notification(
        subject="预约提醒",
        body=(f"{booking.name}，您预约了{slot.day:%m月%d日} {slot.start:%H:%M}-{slot.end:%H:%M}在{booking.window.place}"
              f"（{booking.window}）办理{booking.item or '业务'}，预约号 {booking.number}。请携带相关材料按时到场；"
              "如不能前往，请凭预约号和预约码提前取消。"),
        recipients=tuple(r for r in (booking.phone, booking.email) if r),
    )


def send_reminders(today: dt.date) -> str | None:
    """Remind each booking of ``today + 1`` once (a second run the same day sends nothing)."""
    tomorrow = today + dt.timedelta(days=1)
    due = (Booking.objects.filter(day=tomorrow, status=Booking.Status.BOOKED, reminded_at__isnull=True)
           .select_related("slot", "window", "window__department"))
    sent = failed = 0
    for booking in due.iterator(chunk_size=500):
        try:
            notify(reminder(booking))
        except Exception:  # one unreachable recipient must not stop the others
            logger.exception("appointment reminder for %s failed", booking.number)
            failed += 1
            continue
        Booking.objects.filter(pk=booking.pk).update(reminded_at=timezone.now())
        sent += 1
    if not sent and not failed:
        return None
    return f"预约办理：已发送 {sent} 条明日预约提醒" + (f"，{failed} 条发送失败" if failed else "")
