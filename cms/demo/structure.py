"""The demo's columns and standalone pages: a portal navigation and the usual 信息公开 pages."""

from __future__ import annotations

from django.db import transaction

from cms.models import Column, StandalonePage

PAGES = (
    ("gkzn", "政府信息公开指南", "<p>本指南说明本机关主动公开和依申请公开政府信息的范围、方式和程序。</p>"),
    ("gkzd", "政府信息公开制度", "<p>本机关依照《中华人民共和国政府信息公开条例》建立健全政府信息公开工作制度。</p>"),
    ("jgzn", "机构职能", "<p>本机关负责本行政区域内的政务公开工作。</p>"),
    ("ldxx", "领导信息", "<p>领导姓名、职务和分工。</p>"),
    ("lxwm", "联系我们", "<p>办公地址、办公时间、联系电话和电子邮箱。</p>"),
)


@transaction.atomic
def create_sample_structure() -> int:
    """The portal's columns and pages, unless the site already has columns; returns columns made."""
    if Column.objects.exists():
        return 0
    disclosure = Column.objects.create(name="政务公开", column_type="信息公开", link="/catalog/", sort_order=1,
                                       description="政府信息公开目录和公开文件", keywords="政务公开,信息公开")
    for order, (category, kind) in enumerate((("政策文件", "政策文件"), ("通知公告", "通知公告"),
                                              ("工作动态", "动态要闻")), start=2):
        Column.objects.create(name=category, column_type=kind, category=category, sort_order=order,
                              description=f"全市{category}", keywords=category)
    guide = Column.objects.create(name="公开指南", column_type="信息公开", sort_order=10, parent=disclosure,
                                  description="政府信息公开指南和制度", keywords="公开指南,公开制度")
    about = Column.objects.create(name="机构概况", column_type="机构概况", sort_order=11, description="机构职能和领导信息",
                                  keywords="机构职能,领导信息")
    for order, (slug, title, body) in enumerate(PAGES):
        column = guide if slug in ("gkzn", "gkzd") else about
        page = StandalonePage.objects.create(slug=slug, title=title, body=body, column=column, sort_order=order,
                                             live=False)
        page.save_revision().publish()
    return Column.objects.count()
