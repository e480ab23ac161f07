"""Appointments in the admin (预约办理): windows and their daily periods, the bookings, the day's
list where staff mark arrivals and no-shows, and booking for phone callers. A department's staff
see only their department's windows and bookings."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from cms.admin import permissions
from cms.api.errors import ServiceError
from services.admin_scope import DepartmentScopedViewSet
from services.appointments import booking as svc
from services.appointments.models import Booking, Slot, Window


class WindowViewSet(DepartmentScopedViewSet):
    model = Window
    icon = "date"
    menu_label = _("预约窗口")
    list_display = ["name", "department", "place", "days_ahead", "active"]
    search_backend_name = None
    search_fields = ["name", "place"]
    panels = [FieldPanel("department"), FieldPanel("name"), FieldPanel("place"), FieldPanel("items"),
              FieldRowPanel([FieldPanel("days_ahead"), FieldPanel("active")]), FieldPanel("notice"),
              InlinePanel("periods", heading=_("每个工作日的时段"), label=_("时段"), min_num=1)]


class BookingViewSet(DepartmentScopedViewSet):
    model = Booking
    icon = "user"
    menu_label = _("预约记录")
    list_display = ["number", "name", "phone", "day", "slot", "window", "status", "channel"]
    list_filter = ["status", "channel", "day"]
    search_backend_name = None
    search_fields = ["number", "name", "phone"]
    add_view_enabled = False  # bookings are made through the booking rule (web, or 电话预约 below)
    copy_view_enabled = False
    panels = [FieldPanel("number", read_only=True), FieldPanel("slot", read_only=True), FieldPanel("name"),
              FieldPanel("phone"), FieldPanel("email"), FieldPanel("item"),
              FieldPanel("status", read_only=True), FieldPanel("channel", read_only=True)]


class AppointmentsGroup(SnippetViewSetGroup):
    items = (WindowViewSet, BookingViewSet)
    menu_icon = "date"
    menu_label = _("预约办理")
    menu_name = "appointments"
    menu_order = 305


register_snippet(AppointmentsGroup)


def _windows(user):
    return permissions.filter_documents_for_user(Window.objects.select_related("department"), user)


def _check(request) -> None:
    if not request.user.has_perm("services_appointments.change_booking"):
        raise PermissionDenied


def day_list(request):
    """今日预约: the bookings of one day and window, with 到场 / 未到 buttons."""
    _check(request)
    windows = list(_windows(request.user))
    try:
        day = dt.date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else svc.today()
    except ValueError:
        day = svc.today()
    window = next((w for w in windows if str(w.pk) == request.GET.get("window")), windows[0] if windows else None)
    if request.method == "POST":
        booking = get_object_or_404(Booking, pk=request.POST.get("booking"), window__in=windows)
        status = request.POST.get("status")
        if status in (Booking.Status.ARRIVED, Booking.Status.NO_SHOW, Booking.Status.BOOKED):
            svc.mark(booking, status)
        return redirect(f"{reverse('appointments_day')}?window={booking.window_id}&day={booking.day}")
    bookings = (Booking.objects.filter(window=window, day=day).select_related("slot").order_by("slot__start", "id")
                if window else [])
    slots = Slot.objects.filter(window=window, day=day).order_by("start") if window else []
    return TemplateResponse(request, "appointments/day_list.html", {
        "windows": windows, "window": window, "day": day, "bookings": bookings, "slots": slots,
        "prev": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1)})


class PhoneBookingForm(forms.Form):
    window = forms.ModelChoiceField(queryset=Window.objects.none(), label=_("窗口"))
    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("时段开始时间"), widget=forms.TimeInput(attrs={"type": "time"}))
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.RegexField(label=_("手机号"), regex=r"^1[3-9]\d{9}$", error_messages={"invalid": _("应为 11 位手机号")})
    item = forms.CharField(label=_("办理事项"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = _windows(user).filter(active=True)


def phone_booking(request):
    """电话预约: staff book for a caller through the same rule as the web (never over-booked)."""
    if not request.user.has_perm("services_appointments.add_booking"):
        raise PermissionDenied
    form = PhoneBookingForm(request.POST or None, user=request.user)
    done = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            slot = svc.find_slot(data["window"], data["day"], data["start"].replace(second=0))
            booking, code = svc.book(slot, name=data["name"], phone=data["phone"], item=data["item"],
                                     channel=Booking.Channel.PHONE)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            done = {"booking": booking, "code": code}
            messages.success(request, _("已为 %(name)s 预约，预约号 %(number)s，预约码 %(code)s（请告知来电群众）") % {
                "name": booking.name, "number": booking.number, "code": code})
            form = PhoneBookingForm(user=request.user)
    return TemplateResponse(request, "appointments/phone_booking.html", {"form": form, "done": done})


@hooks.register("register_admin_urls")
def urls():
    return [path("appointments/day/", day_list, name="appointments_day"),
            path("appointments/phone/", phone_booking, name="appointments_phone")]


class PermMenuItem(MenuItem):
    def __init__(self, *args, perm: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.perm = perm

    def is_shown(self, request):
        return request.user.has_perm(self.perm)


@hooks.register("register_admin_menu_item")
def day_menu():
    return PermMenuItem(_("今日预约"), reverse("appointments_day"), icon_name="list-ul", order=306,
                        perm="services_appointments.change_booking")


@hooks.register("register_admin_menu_item")
def phone_menu():
    return PermMenuItem(_("电话预约"), reverse("appointments_phone"), icon_name="mail", order=307,
                        perm="services_appointments.add_booking")
