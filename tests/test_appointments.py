"""预约办理: slots per working day, booking by number and code, never over-booked."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from content_models.models import Department
from services.appointments import booking as svc
from services.appointments.models import Booking, Period, Slot, Window
from services.appointments.reminders import send_reminders
from tests.helpers.services import new_key, solve

MONDAY = dt.date(2026, 9, 21)
NATIONAL_DAY = dt.date(2026, 10, 1)  # a Thursday, holiday
ADJUSTED_SATURDAY = dt.date(2026, 10, 10)  # 调休: a working Saturday
SUNDAY = dt.date(2026, 9, 27)


@pytest.fixture()
def clock(monkeypatch):
    """The module's one clock set to a Monday morning before the National Day holiday."""
    monkeypatch.setattr(svc, "now", lambda: dt.datetime(2026, 9, 21, 8, 0))


@pytest.fixture()
def window(clock):
    dept = Department.objects.create(slug="bdc", name="不动产登记中心")
    w = Window.objects.create(department=dept, name="不动产登记窗口", place="市民服务中心一楼 3 号窗口",
                              items="不动产首次登记\n不动产转移登记", days_ahead=30)
    Period.objects.create(window=w, start=dt.time(9), end=dt.time(10), capacity=5, sort_order=0)
    Period.objects.create(window=w, start=dt.time(14), end=dt.time(15), capacity=300, sort_order=1)
    return w


@pytest.fixture()
def no_rate_limit(settings):
    settings.GOVSITE_SERVICES_RATE_LIMIT = 0


def payload(client, window, day, start="09:00", **kw):
    challenge = client.get("/api/services/appointments/challenge").json()
    data = {"window": window.pk, "day": day.isoformat(), "start": start, "name": "许文华", "phone": "13800138000",
            "item": "不动产转移登记", "challenge_token": challenge["token"], "challenge_answer": solve(challenge["question"])}
    data.update(kw)
    return data


def post(client, path, data, key=None):
    return client.post(path, data, content_type="application/json", headers={"Idempotency-Key": key or new_key()})


@pytest.mark.django_db
def test_book_get_number_and_code_look_up_change_and_cancel(window, client, no_rate_limit):
    r = post(client, "/api/services/appointments/bookings", payload(client, window, MONDAY + dt.timedelta(days=1)))
    assert r.status_code == 201, r.content
    receipt = r.json()
    number, code = receipt["number"], receipt["code"]
    assert number.startswith("YY20260922") and len(code) == 10 and receipt["name"] == "许*华"
    assert Slot.objects.get(day=MONDAY + dt.timedelta(days=1), start=dt.time(9)).booked == 1
    stored = Booking.objects.get(number=number)
    assert code not in (stored.code_hash, stored.number)  # the code is kept only as a hash

    wrong = client.get(f"/api/services/appointments/bookings/{number}", {"code": "AAAAAAAAAA"})
    unknown = client.get("/api/services/appointments/bookings/YY00000000000000", {"code": code})
    assert wrong.status_code == unknown.status_code == 404 and wrong.json() == unknown.json()
    assert client.get(f"/api/services/appointments/bookings/{number}", {"code": code.lower()}).json()["status"] == "booked"

    moved = post(client, f"/api/services/appointments/bookings/{number}/change",
                 {"code": code, "day": ADJUSTED_SATURDAY.isoformat(), "start": "14:00"})
    assert moved.status_code == 200 and moved.json()["day"] == "2026-10-10"
    assert Slot.objects.get(day=MONDAY + dt.timedelta(days=1), start=dt.time(9)).booked == 0
    assert Slot.objects.get(day=ADJUSTED_SATURDAY, start=dt.time(14)).booked == 1

    cancelled = post(client, f"/api/services/appointments/bookings/{number}/cancel", {"code": code})
    assert cancelled.status_code == 200 and cancelled.json()["status_label"] == "已取消"
    assert Slot.objects.get(day=ADJUSTED_SATURDAY, start=dt.time(14)).booked == 0
    again = post(client, f"/api/services/appointments/bookings/{number}/cancel", {"code": code})
    assert again.status_code == 409 and "已取消" in again.json()["message"]


@pytest.mark.django_db
def test_a_booking_number_locks_after_wrong_codes_even_for_the_right_code(window, client, no_rate_limit):
    r = post(client, "/api/services/appointments/bookings", payload(client, window, MONDAY + dt.timedelta(days=1)))
    number, code = r.json()["number"], r.json()["code"]
    url = f"/api/services/appointments/bookings/{number}"
    statuses = [client.get(url, {"code": f"WRONG{i}"}).status_code for i in range(6)]
    assert statuses == [404] * 5 + [429]
    locked = client.get(url, {"code": code})
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "错误次数过多" in locked.json()["message"]
    cancel = post(client, f"{url}/cancel", {"code": code})
    assert cancel.status_code == 429  # nor can it be cancelled by guessing
    assert Booking.objects.get(number=number).status == "booked"


@pytest.mark.django_db
def test_holiday_refused_adjusted_saturday_accepted_sunday_refused(window, client, no_rate_limit):
    holiday = post(client, "/api/services/appointments/bookings", payload(client, window, NATIONAL_DAY))
    assert holiday.status_code == 400
    assert "2026-10-01 是法定节假日或休息日，不办理预约" in holiday.json()["message"]
    sunday = post(client, "/api/services/appointments/bookings", payload(client, window, SUNDAY))
    assert sunday.status_code == 400
    saturday = post(client, "/api/services/appointments/bookings", payload(client, window, ADJUSTED_SATURDAY))
    assert saturday.status_code == 201
    days = client.get(f"/api/services/appointments/windows/{window.pk}/days", {"days": 14}).json()
    listed = [d["day"] for d in days]
    assert "2026-10-10" in listed and "2026-10-01" not in listed and "2026-09-27" not in listed
    assert not Booking.objects.filter(day__in=[NATIONAL_DAY, SUNDAY]).exists()


@pytest.mark.django_db
def test_bad_input_gets_chinese_messages_and_nothing_is_stored(window, client, no_rate_limit):
    r = post(client, "/api/services/appointments/bookings", payload(client, window, MONDAY, phone="123"))
    assert r.status_code == 422 and "手机号" in r.json()["message"]
    r = post(client, "/api/services/appointments/bookings", payload(client, window, MONDAY, start="11:00"))
    assert r.status_code == 400 and "没有 11:00 开始的时段" in r.json()["message"]
    r = post(client, "/api/services/appointments/bookings", payload(client, window, MONDAY - dt.timedelta(days=1)))
    assert r.status_code == 400 and "已经过去" in r.json()["message"]
    r = post(client, "/api/services/appointments/bookings", payload(client, window, MONDAY + dt.timedelta(days=60)))
    assert r.status_code == 400 and "30 天以内" in r.json()["message"]
    r = post(client, "/api/services/appointments/bookings", {**payload(client, window, MONDAY), "challenge_answer": "99"})
    assert r.status_code == 400 and "验证题" in r.json()["message"]
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_a_retry_with_the_same_key_books_once(window, client, no_rate_limit):
    data, key = payload(client, window, MONDAY), new_key()
    first, second = post(client, "/api/services/appointments/bookings", data, key), post(
        client, "/api/services/appointments/bookings", data, key)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["number"] == second.json()["number"] and second.json()["code"] is None
    assert Booking.objects.count() == 1 and Slot.objects.get(day=MONDAY, start=dt.time(9)).booked == 1


@pytest.mark.django_db(transaction=True)
def test_300_concurrent_bookings_for_the_last_5_places(window, no_rate_limit):
    """Real threads, each with its own database connection (SQLite file or PostgreSQL), through the
    whole API: exactly 5 bookings and 295 clear refusals."""
    day = MONDAY + dt.timedelta(days=2)
    slot = svc.slots_of_day(window, day)[0]
    Slot.objects.filter(pk=slot.pk).update(capacity=10, booked=5)  # 5 places left
    warm = Client()
    bodies = [payload(warm, window, day, name=f"群众{i}") for i in range(300)]
    workers = 50  # PostgreSQL's default max_connections is 100: 50 connections, 6 requests each
    barrier = threading.Barrier(workers)

    def run(chunk):
        client = Client()
        barrier.wait()
        try:
            return [post(client, "/api/services/appointments/bookings", body) for body in chunk]
        finally:
            connection.close()

    with ThreadPoolExecutor(workers) as pool:
        results = [r for rs in pool.map(run, [bodies[i::workers] for i in range(workers)]) for r in rs]
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 5 and codes.count(409) == 295, codes
    assert {r.json()["message"] for r in results if r.status_code == 409} == {"该时段已约满，请选择其他时段"}
    slot.refresh_from_db()
    assert (slot.booked, slot.capacity) == (10, 10)
    assert Booking.objects.filter(slot=slot).count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_clash_on_the_number_or_the_key_gives_the_place_back(window, no_rate_limit, monkeypatch):
    """Outside any transaction, as on a server (on PostgreSQL the place and the booking are one
    statement there): a drawn number that is taken is drawn again, and a twin request that stored
    the same Idempotency-Key first gets its booking back; neither keeps a second place."""
    client, bookings = Client(), "/api/services/appointments/bookings"
    first_data, first_key = payload(client, window, MONDAY), new_key()
    first = post(client, bookings, first_data, first_key)
    assert first.status_code == 201
    numbers = iter([first.json()["number"], "YY20260921000002", "YY20260921000003"])
    monkeypatch.setattr(svc, "new_number", lambda day: next(numbers))
    second = post(client, bookings, payload(client, window, MONDAY, name="王芳"))
    assert second.status_code == 201 and second.json()["number"] == "YY20260921000002"
    # the twin: the key read as unused (the first request had not committed yet), then the insert clashes
    read = svc.read_for_booking
    monkeypatch.setattr(svc, "read_for_booking", lambda *a: read(*a)._replace(key_used=False))
    twin = post(client, bookings, first_data, first_key)
    assert twin.status_code == 200 and twin.json()["number"] == first.json()["number"] and twin.json()["code"] is None
    slot = Slot.objects.get(day=MONDAY, start=dt.time(9))
    assert slot.booked == 2 == Booking.objects.filter(slot=slot).count()
    connection.close()


@pytest.mark.django_db
def test_reminders_the_day_before_through_the_notifiers(window, caplog, settings):
    settings.GOVSITE_NOTIFIERS = ["services.notify.EmailNotifier", "services.notify.LoggingSmsGateway"]
    day = MONDAY + dt.timedelta(days=1)
    slot = svc.slots_of_day(window, day)[0]
    b, _code = svc.book(slot, name="李明", phone="13900000000", email="liming@example.cn", item="不动产首次登记")
    other, _ = svc.book(slot, name="王五", phone="13700000000")
    svc.cancel(other)
    assert send_reminders(MONDAY - dt.timedelta(days=1)) is None  # nobody booked for the 21st
    report = send_reminders(MONDAY)
    assert report == "预约办理：已发送 1 条明日预约提醒"
    assert mail.outbox[-1].to == ["liming@example.cn"] and b.number in mail.outbox[-1].body
    assert "SMS to 13900000000" in caplog.text and "13700000000" not in caplog.text
    assert send_reminders(MONDAY) is None  # once only


@pytest.mark.django_db
def test_staff_day_list_marks_arrivals_and_no_shows(window, admin_client):
    slot = svc.slots_of_day(window, MONDAY)[0]
    came, _ = svc.book(slot, name="李明", phone="13900000000")
    away, _ = svc.book(slot, name="王五", phone="13700000000")
    page = admin_client.get("/admin/appointments/day/", {"window": window.pk, "day": MONDAY.isoformat()})
    assert page.status_code == 200 and "李明" in page.content.decode() and "2/5" in page.content.decode()
    admin_client.post(f"/admin/appointments/day/?window={window.pk}", {"booking": came.pk, "status": "arrived"})
    admin_client.post(f"/admin/appointments/day/?window={window.pk}", {"booking": away.pk, "status": "no_show"})
    assert dict(Booking.objects.values_list("name", "status")) == {"李明": "arrived", "王五": "no_show"}


@pytest.mark.django_db
def test_staff_book_for_a_phone_caller_and_a_full_slot_is_refused(window, admin_client):
    Period.objects.filter(window=window, start=dt.time(9)).update(capacity=1)
    form = {"window": window.pk, "day": MONDAY.isoformat(), "start": "09:00", "name": "赵六", "phone": "13600000000",
            "item": "不动产首次登记"}
    r = admin_client.post("/admin/appointments/phone/", form)
    assert r.status_code == 200
    booking = Booking.objects.get()
    assert booking.channel == "phone" and booking.number in r.content.decode()
    full = admin_client.post("/admin/appointments/phone/", {**form, "name": "钱七"})
    assert "该时段已约满" in full.content.decode() and Booking.objects.count() == 1
    holiday = admin_client.post("/admin/appointments/phone/", {**form, "day": NATIONAL_DAY.isoformat()})
    assert "法定节假日" in holiday.content.decode()


@pytest.mark.django_db
def test_department_staff_see_only_their_windows(window, client, django_user_model):
    from django.contrib.auth.models import Permission

    from cms.admin import permissions
    other = Department.objects.create(slug="sbj", name="社保局")
    theirs = Window.objects.create(department=other, name="社保窗口", place="二楼")
    group = permissions.ensure_department_group(other)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="services_appointments"),
                          Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user("sb", password="x")
    user.groups.add(group)
    client.force_login(user)
    listing = client.get("/admin/snippets/services_appointments/window/").content.decode()
    assert "社保窗口" in listing and "不动产登记窗口" not in listing
    assert client.get(f"/admin/snippets/services_appointments/window/edit/{window.pk}/").status_code == 404
    assert client.get(f"/admin/snippets/services_appointments/window/edit/{theirs.pk}/").status_code == 200


@pytest.mark.django_db
def test_the_static_page_lists_the_windows_and_holds_the_booking_form(window, tmp_path):
    from tests.helpers.services import build_service_pages

    out = tmp_path / "site"
    build_service_pages(out, tmp_path / "state")
    html = (out / "appointments/index.html").read_text()
    assert "不动产登记窗口" in html and "市民服务中心一楼 3 号窗口" in html and "不动产转移登记" in html
    assert 'data-action="book"' in html and 'data-action="manage"' in html and "<noscript>" in html


@pytest.mark.django_db
def test_a_value_too_long_for_its_column_is_refused_never_cut(window):
    """PostgreSQL inserts a booking with the place in one statement: a cast there must not cut a long
    value to the column's length (a cut Idempotency-Key could match another client's booking)."""
    from django.db import DataError

    slot = svc.slots_of_day(window, MONDAY)[0]
    long_name = "欧阳" * 40  # 80 characters, the column holds 50
    try:
        b, _code = svc.book(slot, name=long_name, phone="13900000000")
    except DataError:  # PostgreSQL: refused, and the place is not kept
        assert Slot.objects.get(pk=slot.pk).booked == 0 and not Booking.objects.filter(slot=slot).exists()
    else:  # SQLite keeps any length
        assert connection.vendor == "sqlite" and Booking.objects.get(pk=b.pk).name == long_name


@pytest.mark.django_db
def test_a_receipt_of_a_status_no_choice_names_shows_the_raw_status(window):
    from services.appointments.api import receipt

    slot = svc.slots_of_day(window, MONDAY)[0]
    b, _code = svc.book(slot, name="李明", phone="13900000000")
    Booking.objects.filter(pk=b.pk).update(status="archived")  # e.g. a status of an older version
    shown = receipt(Booking.objects.select_related("slot", "window").get(pk=b.pk))
    assert shown["status"] == shown["status_label"] == "archived"
    assert receipt(b)["status_label"] == str(Booking.Status(b.status).label)
