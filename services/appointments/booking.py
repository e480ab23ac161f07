"""Booking, changing and cancelling, with the one rule that matters: a slot is never over-booked.

The counter of a slot moves only by a conditional UPDATE in the booking's transaction: a booking
takes a place with ``UPDATE … SET booked = booked + 1 WHERE id = %s AND booked < capacity``; when
no row is updated the slot is full and nothing is written. SQLite serializes writers (BEGIN
IMMEDIATE); PostgreSQL locks the row and re-checks the condition on the committed row, so of any
number of concurrent requests for the last N places exactly N succeed (tests/test_appointments.py).
A CHECK constraint on the table stops anything else that would break it.

Slots are made from the window's daily periods the first time a working day is asked for; a day
that is not a working day on the Chinese calendar (services.workdays: holidays, 调休 Saturdays
counted as working) has no slots and is refused with a clear message.

A web booking is the hot write (bursts of citizens when a window opens its days), without the
ORM's query compiler: the slot, its window and department are read in one statement together
with the Idempotency-Key's use (:func:`read_for_booking`); on PostgreSQL the place is taken and
the booking inserted by one statement, its own transaction (:func:`_take_and_insert`), so a
booking is two round trips to the database; the refusals and their order are those of
:func:`find_slot` [0113, 0114].
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.api.errors import ServiceError
from content_models.models import Department
from services import idempotency
from services.appointments.models import Booking, Slot, Window
from services.cases import new_query_code, normalize_code
from services.workdays import is_workday

NUMBER_DIGITS = 6


def new_code() -> str:
    """The booking code: the services' query code rule (services.cases: 10 characters, 31**10) [0079]."""
    return new_query_code()


def hash_code(code: str) -> str:
    """Only a hash is stored: whoever reads the table cannot cancel someone's booking."""
    return hashlib.sha256(normalize_code(code).encode("utf-8", "surrogatepass")).hexdigest()


def code_matches(booking: Booking, code: str) -> bool:
    return hmac.compare_digest(booking.code_hash, hash_code(code or ""))


def new_number(day: dt.date) -> str:
    """YY + the booking's date + random digits: unique (a clash is retried), says nothing of others."""
    return f"YY{day:%Y%m%d}{secrets.randbelow(10**NUMBER_DIGITS):0{NUMBER_DIGITS}d}"


def now() -> dt.datetime:
    """The local wall-clock time (naive, Asia/Shanghai): the one clock of this module."""
    return timezone.localtime().replace(tzinfo=None)


def today() -> dt.date:
    return now().date()


def check_day(window: Window, day: dt.date) -> None:
    """Refuse a day that cannot be booked, saying why."""
    if not window.active:
        raise ServiceError(400, _("该窗口暂停预约"))
    if day < today():
        raise ServiceError(400, _("不能预约已经过去的日期"))
    if day > today() + dt.timedelta(days=window.days_ahead):
        raise ServiceError(400, _("只能预约 %(n)d 天以内的日期") % {"n": window.days_ahead})
    if not is_workday(day):
        raise ServiceError(400, _("%(day)s 是法定节假日或休息日，不办理预约，请选择工作日") % {"day": day.isoformat()})


def slots_of_day(window: Window, day: dt.date) -> list[Slot]:
    """The day's slots, made from the window's periods when first asked for (none on a day off)."""
    if not is_workday(day):
        return []
    slots = list(Slot.objects.filter(window=window, day=day).order_by("start"))
    if slots or not window.periods.exists():
        return slots
    Slot.objects.bulk_create([Slot(window=window, day=day, start=p.start, end=p.end, capacity=p.capacity)
                              for p in window.periods.all()], ignore_conflicts=True)
    return list(Slot.objects.filter(window=window, day=day).order_by("start"))


def active_window(window_id: int) -> Window:
    """The window open for booking (with its department), or 404."""
    window = Window.objects.filter(pk=window_id, active=True).select_related("department").first()
    if window is None:
        raise ServiceError(404, _("未找到该预约窗口"))
    return window


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _statements(vendor: str) -> dict[str, str]:
    """The hot statements, built once per database vendor (quoting follows the vendor)."""
    s, w, d, b = (_q(m._meta.db_table) for m in (Slot, Window, Department, Booking))
    fields = [f for f in Booking._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(_q(f.column) for f in fields)
    slot = (f"SELECT s.id, s.{_q('end')}, s.capacity, s.booked, w.name, w.place, w.days_ahead, w.department_id, d.name"
            f"{{}} FROM {s} s JOIN {w} w ON w.id = s.window_id JOIN {d} d ON d.id = w.department_id "
            f"WHERE s.window_id = %s AND s.day = %s AND s.start = %s AND w.active")
    take = f"UPDATE {s} SET booked = booked + 1 WHERE id = %s AND booked < capacity"
    return {
        "slot": slot.format(""),
        # the key's test rides along as the last column: a key is a parameter of the first placeholder
        "slot_and_key": slot.format(f", EXISTS (SELECT 1 FROM {b} WHERE idempotency_key = %s)"),
        "key_used": f"SELECT 1 FROM {b} WHERE idempotency_key = %s",
        "take": take,
        "release": f"UPDATE {s} SET booked = booked - 1 WHERE id = %s AND booked > 0",
        "insert": f"INSERT INTO {b} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",
        # PostgreSQL: the place taken and the booking inserted by one statement, its own transaction
        # in autocommit (no BEGIN and COMMIT round trips). No place taken (the slot is full): nothing
        # inserted, no row returned. A unique clash fails the whole statement, the place with it.
        "take_and_insert": (
            f"WITH taken AS ({take} RETURNING id) INSERT INTO {b} ({columns}) "
            f"SELECT {', '.join(f'CAST(%s AS {_base_type(f)})' for f in fields)} FROM taken RETURNING id"),
    }


def _base_type(field) -> str:
    """The column's type without its length or precision (``varchar(50)`` → ``varchar``): a cast to
    ``varchar(50)`` cuts a longer value silently, where the column itself refuses it (DataError)."""
    return re.sub(r"\s*\([\d\s,]+\)", "", field.cast_db_type(connection))


def _sql(name: str) -> str:
    return _statements(connection.vendor)[name]


def _as_time(value) -> dt.time:
    return dt.time.fromisoformat(value) if isinstance(value, str) else value  # SQLite gives text


class Found(NamedTuple):
    """What :func:`read_for_booking` read: whether a booking holds the key, and the slot's row (None:
    no slot of an open window starts then, or the day's slots are not made yet)."""

    key_used: bool
    slot_row: tuple | None


def read_for_booking(key: str, window_id: int, day: dt.date, start: dt.time) -> Found:
    """The two reads a booking needs before it writes, in one round trip: is the Idempotency-Key
    taken (:func:`key_used`), and the slot with its window and department (:func:`slot_to_book`)."""
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(_sql("slot_and_key"),
                       [key, window_id, ops.adapt_datefield_value(day), ops.adapt_timefield_value(start)])
        row = cursor.fetchone()
    if row is None:
        return Found(key_used(key), None)
    return Found(bool(row[-1]), row[:-1])


_UNREAD = object()


def slot_to_book(window_id: int, day: dt.date, start: dt.time, row=_UNREAD) -> Slot:
    """The slot of an open window starting at ``start`` on ``day``, with its window and department,
    or the refusal :func:`find_slot` gives. One query when the day's slots exist (the usual case;
    none when ``row`` was read already by :func:`read_for_booking`); otherwise the window is read
    and the day's slots are made by :func:`find_slot`."""
    if row is _UNREAD:
        ops = connection.ops
        with connection.cursor() as cursor:
            cursor.execute(_sql("slot"), [window_id, ops.adapt_datefield_value(day), ops.adapt_timefield_value(start)])
            row = cursor.fetchone()
    if row is None:
        return find_slot(active_window(window_id), day, start)
    slot_id, end, capacity, booked, name, place, days_ahead, department_id, department_name = row
    window = Window(id=window_id, name=name, place=place, days_ahead=days_ahead, active=True,
                    department_id=department_id)
    window.department = Department(id=department_id, name=department_name)
    slot = Slot(id=slot_id, window=window, day=day, start=start, end=_as_time(end), capacity=capacity, booked=booked)
    check_day(window, day)
    if slot.starts_at() <= now():
        raise ServiceError(400, _("该时段已经开始，请选择其他时段"))
    return slot


def find_slot(window: Window, day: dt.date, start: dt.time) -> Slot:
    check_day(window, day)
    for slot in slots_of_day(window, day):
        if slot.start == start:
            slot.window = window  # the caller's window (with its department): no second read
            if slot.starts_at() <= now():
                raise ServiceError(400, _("该时段已经开始，请选择其他时段"))
            return slot
    raise ServiceError(400, _("该窗口当天没有 %(t)s 开始的时段") % {"t": f"{start:%H:%M}"})


def key_used(key: str) -> bool:
    """Whether a booking holds this Idempotency-Key (one indexed read, no ORM)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("key_used"), [key])
        return cursor.fetchone() is not None


def take_place(slot_id: int) -> None:
    """Take one place of the slot in the caller's transaction, or refuse: the slot is full."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("take"), [slot_id])
        if cursor.rowcount != 1:
            raise ServiceError(409, _("该时段已约满，请选择其他时段"))


def release_place(slot_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_sql("release"), [slot_id])


def _values(booking: Booking) -> list:
    """The booking's column values, prepared by its fields as the ORM does (created_at and
    updated_at set), in the order of the statements' columns."""
    return [f.get_db_prep_save(f.pre_save(booking, True), connection)
            for f in Booking._meta.concrete_fields if not f.primary_key]


def _inserted(booking: Booking, booking_id: int) -> None:
    booking.id = booking_id
    booking._state.adding, booking._state.db = False, connection.alias


def _insert(booking: Booking) -> None:
    """INSERT the booking and set its id."""
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(_sql("insert") + " RETURNING id", _values(booking))
            _inserted(booking, cursor.fetchone()[0])
        else:
            cursor.execute(_sql("insert"), _values(booking))
            _inserted(booking, cursor.lastrowid)


def _take_and_insert(booking: Booking) -> None:
    """Take a place of the booking's slot and insert the booking, or refuse (409): the slot is full.

    PostgreSQL does both in one statement (:func:`_statements`), SQLite, which has no writing
    WITH, in two; the caller holds the transaction where one is needed (:func:`book`)."""
    if connection.vendor != "postgresql":
        take_place(booking.slot_id)
        _insert(booking)
        return
    with connection.cursor() as cursor:
        cursor.execute(_sql("take_and_insert"), [booking.slot_id, *_values(booking)])
        row = cursor.fetchone()
    if row is None:
        raise ServiceError(409, _("该时段已约满，请选择其他时段"))
    _inserted(booking, row[0])


def book(slot: Slot, *, name: str, phone: str, email: str = "", item: str = "",
         channel: str = Booking.Channel.WEB, key: str | None = None, fingerprint: str = "") -> tuple[Booking, str | None]:
    """Book one place; return the booking and its code (None when an idempotent retry returned the
    booking made before: the code was shown then and is not kept)."""
    code = new_code()
    window = slot.window

    def create() -> Booking:
        booking = Booking(
            number=new_number(slot.day), code_hash=hash_code(code), slot=slot, window=window,
            department_id=window.department_id, day=slot.day, name=name, phone=phone, email=email, item=item,
            channel=channel, idempotency_key=key, request_fingerprint=fingerprint)
        _take_and_insert(booking)
        return booking

    # One statement in autocommit is its own transaction (PostgreSQL, no caller's transaction):
    # atomic() would only add BEGIN and COMMIT round trips. Otherwise the place and the insert
    # share one (and a savepoint in a caller's transaction keeps it usable after a clash).
    one_statement = connection.vendor == "postgresql" and not connection.in_atomic_block

    # The caller has looked the key up already (services.api_common.begin_write), so the insert is
    # tried first; a clash on the key is a concurrent retry (its booking is returned, as
    # services.idempotency.create_once does), a clash on the random number is tried again.
    for _attempt in range(5):
        try:
            if one_statement:
                return create(), code
            with transaction.atomic():
                return create(), code
        except IntegrityError:
            existing = idempotency.find_existing(Booking, key, fingerprint) if key else None
            if existing is not None:
                return existing, None
    raise ServiceError(503, _("系统繁忙，请稍后重试"))


def _check_open(booking: Booking) -> None:
    if booking.status != Booking.Status.BOOKED:
        raise ServiceError(409, _("该预约已%(s)s，不能再修改") % {"s": booking.get_status_display().removeprefix("已")})
    if booking.slot.starts_at() <= now():
        raise ServiceError(409, _("预约时间已到，不能再取消或改约"))


def cancel(booking: Booking) -> Booking:
    """Cancel and give the place back (once: a second cancel is refused)."""
    _check_open(booking)
    with transaction.atomic():
        if not Booking.objects.filter(pk=booking.pk, status=Booking.Status.BOOKED).update(
                status=Booking.Status.CANCELLED, updated_at=timezone.now()):
            raise ServiceError(409, _("该预约已取消"))
        release_place(booking.slot_id)
    booking.refresh_from_db()
    return booking


def change(booking: Booking, new_slot: Slot) -> Booking:
    """Move to another slot of the same window: the new place is taken first, then the old given back."""
    _check_open(booking)
    if new_slot.window_id != booking.window_id:
        raise ServiceError(400, _("只能改约同一窗口的其他时段"))
    if new_slot.pk == booking.slot_id:
        return booking
    old = booking.slot_id
    with transaction.atomic():
        take_place(new_slot.pk)
        if not Booking.objects.filter(pk=booking.pk, status=Booking.Status.BOOKED, slot_id=old).update(
                slot=new_slot, day=new_slot.day, reminded_at=None, updated_at=timezone.now()):
            raise ServiceError(409, _("该预约已变更，请刷新后重试"))
        release_place(old)
    booking.refresh_from_db()
    return booking


def mark(booking: Booking, status: str) -> None:
    """Staff mark an arrival or a no-show (only of a booking still open)."""
    if status not in (Booking.Status.ARRIVED, Booking.Status.NO_SHOW, Booking.Status.BOOKED):
        raise ValueError(status)
    Booking.objects.filter(pk=booking.pk).exclude(status=Booking.Status.CANCELLED).update(
        status=status, updated_at=timezone.now())
