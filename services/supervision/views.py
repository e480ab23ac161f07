from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from cms.admin import permissions
from services.supervision import dashboard

VIEW_PERMISSION = "services_supervision.view_card"


def supervision_dashboard(request):
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    ids = permissions.department_ids_for_user(request.user)  # a department's supervisor: its own figures
    return render(request, "supervision/dashboard.html", {
        "today": today,
        "by_department": dashboard.open_cards_by_department(ids),
        "rates": dashboard.on_time_rates(today, department_ids=ids),
        "cards": dashboard.open_cards(department_ids=ids),
        "page_title": "电子监察",
        "header_title": "电子监察",
    })
