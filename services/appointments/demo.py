"""``govsite demo``'s appointments: a few windows with morning and afternoon slots on working days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from content_models.models import Department
from services.appointments.models import Period, Window

WINDOWS = [
    ("综合受理窗口", "南安市民服务中心一楼 1–6 号窗口", "企业设立登记\n居住证办理\n社会保障卡申领"),
    ("不动产登记窗口", "南安市民服务中心二楼 12 号窗口", "不动产首次登记\n不动产转移登记"),
    ("社会保障窗口", "南安市民服务中心三楼 20 号窗口", "城乡居民基本养老保险参保登记\n医疗费用报销"),
]
PERIODS = [(dt.time(9), dt.time(10)), (dt.time(10), dt.time(11)), (dt.time(15), dt.time(16)), (dt.time(16), dt.time(17))]


def load_demo(stdout: Any) -> None:
    if Window.objects.exists():
        return
    departments = list(Department.objects.order_by("sort_order", "slug")[:3])
    if not departments:
        return
    for i, (name, place, items) in enumerate(WINDOWS):
        window = Window.objects.create(department=departments[i % len(departments)], name=name, place=place,
                                       items=items, days_ahead=14, notice="请携带身份证件和申请材料原件，提前 10 分钟到达。")
        Period.objects.bulk_create([Period(window=window, start=s, end=e, capacity=5, sort_order=n)
                                    for n, (s, e) in enumerate(PERIODS)])
    stdout.write(f"  预约办理：{len(WINDOWS)} 个预约窗口，每个工作日 {len(PERIODS)} 个时段")
