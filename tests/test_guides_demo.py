"""``govsite demo`` loads a sample catalogue with forms and open appointment slots, once."""

import io
import zipfile

import pytest

from content_models.models import Department
from services.appointments.demo import load_demo as load_windows
from services.appointments.models import Window
from services.guides.demo import load_demo as load_catalogue
from services.guides.models import Audience, Material, Scenario, ScenarioChoice, ServiceItem, Topic

pytestmark = pytest.mark.django_db


def test_demo_catalogue_and_windows(tmp_path):
    for i, (slug, name) in enumerate([("zrzyj", "自然资源局"), ("rsj", "人社局"), ("mzj", "民政局")]):
        Department.objects.create(slug=slug, name=name, sort_order=i)
    out = io.StringIO()
    load_catalogue(out)
    load_windows(out)
    assert ServiceItem.objects.count() >= 30
    assert ServiceItem.objects.values("department").distinct().count() == 3
    assert Topic.objects.filter(name__in=["教育", "社保", "医疗", "住房", "就业", "纳税"]).count() == 6
    assert Audience.objects.filter(name__in=["学生", "农民", "退役军人", "残疾人", "低保人员", "进城务工人员"]).count() == 6
    assert Scenario.objects.count() == 4 and ScenarioChoice.objects.filter(items__isnull=False).exists()
    form = Material.objects.exclude(blank_form=None).first().blank_form
    with zipfile.ZipFile(form.file.open("rb")) as z:  # a real Word file
        assert "申请人" in z.read("word/document.xml").decode()
    assert Window.objects.count() == 3 and all(w.periods.count() == 4 for w in Window.objects.all())
    assert "服务事项" in out.getvalue() and "预约窗口" in out.getvalue()
    load_catalogue(out)
    load_windows(out)
    assert ServiceItem.objects.count() == len(set(ServiceItem.objects.values_list("code", flat=True)))
    assert Window.objects.count() == 3
