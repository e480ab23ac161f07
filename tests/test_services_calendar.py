"""The working-day calendar: chinese-calendar's years, the years administrators enter, and
deadlines marked provisional when they reach a year nobody has announced yet."""

import datetime as dt
import logging

import pytest
from django.contrib.auth import get_user_model

from services import workdays
from services.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def fresh_calendar():
    workdays.forget_admin_calendar()
    yield
    workdays.forget_admin_calendar()


def test_working_days_follow_the_chinese_calendar():
    # 2026 National Day: Oct 1–7 off; Sunday Sep 20 and Saturday Oct 10 are 调休 working days
    assert not workdays.is_workday(D(2026, 10, 1))
    assert workdays.is_workday(D(2026, 10, 10)) and workdays.is_workday(D(2026, 9, 20))
    # Wed Sep 30 + 3 working days: Oct 8 (Thu), 9 (Fri), 10 (Sat, 调休)
    assert workdays.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert workdays.workdays_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert not workdays.is_provisional(D(2026, 9, 30), D(2026, 10, 10))


def test_unknown_year_counts_monday_to_friday_is_provisional_and_warns(caplog):
    workdays._warned_years.discard(2031)
    with caplog.at_level(logging.WARNING, logger="services.workdays"):
        assert workdays.is_workday(D(2031, 1, 3)) is True  # a Friday
        assert workdays.is_workday(D(2031, 1, 4)) is False  # a Saturday
    assert "2031" in caplog.text and "provisional" in caplog.text
    assert workdays.add_workdays(D(2031, 1, 3), 1) == D(2031, 1, 6)
    assert workdays.is_provisional(D(2030, 12, 20), D(2031, 1, 6))


def enter_2027(days):
    year = CalendarYear.objects.create(year=2027, source="国务院办公厅关于2027年部分节假日安排的通知")
    for date, kind, name in days:
        CalendarDay.objects.create(calendar_year=year, date=date, kind=kind, name=name)
    year.save()  # as the admin form does: the year row changes with its days
    return year


def test_a_year_entered_by_the_administrator_moves_the_deadline_and_ends_provisional():
    received = D(2026, 12, 15)  # a Tuesday; 20 working days reach into 2027
    before = workdays.add_workdays(received, 20)
    assert before == D(2027, 1, 12)  # Jan 1 2027 (a Friday) counted as a working day: wrong
    assert workdays.is_provisional(received, before)

    enter_2027([(D(2027, 1, 1), "holiday", "元旦")])
    after = workdays.add_workdays(received, 20)
    assert after == D(2027, 1, 13)  # 元旦 no longer counts
    assert not workdays.is_provisional(received, after)
    assert workdays.is_known_year(2027)


def test_an_entered_adjusted_working_saturday_counts():
    enter_2027([(D(2027, 2, 6), "holiday", "春节"), (D(2027, 2, 20), "workday", "春节")])
    assert not workdays.is_workday(D(2027, 2, 6))  # a Saturday that is a holiday anyway
    assert workdays.is_workday(D(2027, 2, 20))  # a Saturday made a working day
    assert workdays.add_workdays(D(2027, 2, 19), 1) == D(2027, 2, 20)


def test_administrator_entries_override_the_package():
    year = CalendarYear.objects.create(year=2026)
    CalendarDay.objects.create(calendar_year=year, date=D(2026, 6, 1), kind="holiday", name="临时调整")
    year.save()
    assert not workdays.is_workday(D(2026, 6, 1))  # a Monday the package calls a working day
    # the days not entered still come from the package: 国庆 stays a holiday, the 调休 Saturday works
    assert not workdays.is_workday(D(2026, 10, 1))
    assert workdays.is_workday(D(2026, 10, 10))


def test_another_process_sees_a_change_on_its_next_check(monkeypatch):
    assert workdays.is_workday(D(2027, 1, 1))  # unknown year: a Friday works
    # written without this process's signals (as another server process would)
    year = CalendarYear.objects.bulk_create([CalendarYear(year=2027)])[0]
    CalendarDay.objects.bulk_create([CalendarDay(calendar_year=year, date=D(2027, 1, 1), kind="holiday")])
    assert workdays.is_workday(D(2027, 1, 1))  # still the kept answer within RELOAD_SECONDS
    monkeypatch.setattr(workdays, "RELOAD_SECONDS", 0.0)
    assert not workdays.is_workday(D(2027, 1, 1))


def test_administrator_enters_a_year_in_the_wagtail_admin(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    form = client.get("/admin/snippets/services/calendaryear/add/")
    assert form.status_code == 200 and "放假和调休上班日期" in form.content.decode()
    data = {
        "year": "2027", "source": "国办发明电〔2026〕7号",
        "days-TOTAL_FORMS": "2", "days-INITIAL_FORMS": "0", "days-MIN_NUM_FORMS": "0", "days-MAX_NUM_FORMS": "1000",
        "days-0-date": "2027-01-01", "days-0-kind": "holiday", "days-0-name": "元旦", "days-0-ORDER": "1",
        "days-0-id": "", "days-0-DELETE": "",
        "days-1-date": "2027-02-20", "days-1-kind": "workday", "days-1-name": "春节", "days-1-ORDER": "2",
        "days-1-id": "", "days-1-DELETE": "",
    }
    response = client.post("/admin/snippets/services/calendaryear/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not workdays.is_workday(D(2027, 1, 1))
    assert workdays.is_workday(D(2027, 2, 20))
    # a date outside the year is refused with a message, nothing saved
    data.update({"year": "2028", "days-0-date": "2027-05-01", "days-1-date": "2028-05-01"})
    response = client.post("/admin/snippets/services/calendaryear/add/", data)
    assert response.status_code == 200 and "日期应在 2028 年内" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2028).exists()
