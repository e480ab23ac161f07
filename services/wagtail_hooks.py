"""Administrators enter each announced year's holidays and 调休 days (设置 › 节假日安排)."""

from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from services.models import CalendarYear


class CalendarYearForm(WagtailAdminModelForm):
    """Every listed day must fall in the year being entered."""

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("year")
        for form in self.formsets["days"].forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            date = form.cleaned_data.get("date")
            if year and date and date.year != year:
                form.add_error("date", _("日期应在 %(year)s 年内") % {"year": year})
                self.add_error(None, _("有日期不在 %(year)s 年内，请修改后再保存") % {"year": year})
        return cleaned


class CalendarYearViewSet(SnippetViewSet):
    model = CalendarYear
    icon = "date"
    menu_label = "节假日安排"
    menu_order = 900
    add_to_settings_menu = True
    list_display = ["year", "source", "updated_at"]
    search_backend_name = None
    edit_handler = ObjectList(
        [FieldPanel("year"), FieldPanel("source"), InlinePanel("days", heading="放假和调休上班日期", label="日期")],
        base_form_class=CalendarYearForm,
    )


register_snippet(CalendarYearViewSet)
