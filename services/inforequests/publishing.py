"""Publish a computed annual report as a disclosure document (信息类别 年度报告) with its tables in
the body and the CSV as an attachment, through Wagtail's publish (so the build queue picks it up
like an editor's publish). Refused when the totals do not reconcile: nothing half-published."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale

from content_models.filestore import FileStore
from content_models.models import Attachment, Department, DisclosureDocument
from services.inforequests.models import AnnualReport
from services.inforequests.report import Report, to_csv, to_html

CATEGORY = "年度报告"


class ReportNotReconciled(Exception):
    """The tables do not add up; the message lists what."""


def _source_id(report: Report) -> str:
    return f"annual-report-{report.year}-{report.department.slug if report.department else 'all'}"


def publishing_department(report: Report) -> Department:
    """The report's own department, or for the whole government the first department site."""
    department = report.department or Department.objects.order_by("sort_order", "slug").first()
    if department is None:
        raise ReportNotReconciled("没有部门站点，无法发布年度报告")
    return department


@transaction.atomic
def publish(report: Report) -> DisclosureDocument:
    if report.problems:
        raise ReportNotReconciled("；".join(report.problems))
    entered = AnnualReport.objects.filter(year=report.year, department=report.department).first()
    csv_name = f"{report.year}年政府信息公开工作年度报告数据.csv"
    stored = FileStore(settings.GOVSITE_FILES_DIR).put_bytes(to_csv(report), csv_name)
    department = publishing_department(report)
    locale = Locale.get_default()
    source_id = _source_id(report)
    doc = DisclosureDocument.objects.filter(source_id=source_id, locale=locale).first()
    if doc is None:
        doc = DisclosureDocument(source_id=source_id, locale=locale, published_at=timezone.now())
    doc.department = department
    doc.organ = report.issuer
    doc.title = report.title
    doc.category = CATEGORY
    doc.written = timezone.localdate()
    doc.summary = f"{report.issuer}{report.year}年政府信息公开工作年度报告（按国家规定格式）"
    doc.body = to_html(report, entered, csv_name)
    doc.save()
    doc.attachments.all().delete()
    Attachment.objects.create(document=doc, title=csv_name, file=csv_name, sha256=stored.sha256,
                              size_bytes=stored.size, file_type=stored.kind, sort_order=0)
    doc.save_revision().publish()
    AnnualReport.objects.update_or_create(year=report.year, department=report.department,
                                          defaults={"document_source_id": source_id})
    return doc
