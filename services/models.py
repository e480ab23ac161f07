"""Models of the services framework: the working-day calendar administrators keep.

The State Council announces each year's holidays and adjusted working days (调休) in the autumn
before; ``chinese-calendar`` learns them only with a package release. An administrator enters an
announced year here (``services.workdays`` consults it before the package), so deadlines are right
the day the announcement is out.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable


class CalendarYear(ClusterableModel):
    """One announced year: its statutory holidays and 调休 working days, as listed in its days.

    Once a year is entered, every day of it not listed is a working day from Monday to Friday and
    a rest day on Saturday and Sunday; the listed days say otherwise.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("依据"), max_length=200, blank=True,
                              help_text=_("例如：国务院办公厅关于2027年部分节假日安排的通知"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}"

    def clean(self) -> None:
        super().clean()
        if self.year is not None and not 2000 <= self.year <= 2100:
            raise ValidationError({"year": _("年份应在 2000–2100 之间")})


class CalendarDay(Orderable):
    """A day that differs from the Monday–Friday week: a holiday or an adjusted working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    calendar_year = ParentalKey(CalendarYear, related_name="days", on_delete=models.CASCADE)
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(_("节日"), max_length=50, blank=True, help_text=_("例如：春节、国庆节"))

    class Meta(Orderable.Meta):
        verbose_name = _("节假日或调休日")
        verbose_name_plural = _("节假日和调休日")
        constraints = [models.UniqueConstraint(fields=["date"], name="svc_calendar_day_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
