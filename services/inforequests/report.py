"""The 政府信息公开工作年度报告 in the national format (国办公开办函〔2021〕30号), computed from the
platform's own data: table 二 from the disclosure documents, table 三 from the requests, table 四
from the figures staff enter (``AnnualReport``). Totals are checked before anything is published.

Definitions (the one copy; ``docs/services.md``):

- 规章 / 行政规范性文件: documents whose 信息类别 is in ``GOVSITE_REPORT_RULE_CATEGORIES``
  (default 法规规章 → 规章, 政策文件 → 行政规范性文件). 本年制发: 成文日期 (else 发布日期) in the year;
  本年废止: 有效性 失效/废止 and last changed in the year; 现行有效: 有效性 有效 or blank, published
  by the end of the year.
- A request's date of receipt: the confirmed date, else the day it was submitted. 新收: received in
  the year; 上年结转: received before and not answered before the year; 办理结果: answered in the
  year, by outcome and reason; 结转下年度: received by the end of the year and not answered in it
  (counted on its own and checked against 新收 + 上年结转 − 办理结果).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join, linebreaks

from content_models import vocabularies
from content_models.models import Department, DisclosureDocument
from services import conf
from services.inforequests.models import AnnualReport, InfoRequest
from services.inforequests.outcomes import REASONS, ApplicantType, Outcome, Reason

COLUMNS = [str(t.label) for t in ApplicantType] + ["总计"]
TYPES = list(ApplicantType.values)
DEFAULT_RULE_CATEGORIES = {"规章": ["法规规章"], "行政规范性文件": ["政策文件"]}


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[tuple[str, list[int]]] = field(default_factory=list)


@dataclass
class Report:
    year: int
    department: Department | None
    issuer: str
    published: Table
    requests: Table
    reviews: Table
    problems: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.issuer}{self.year}年政府信息公开工作年度报告"


def _docs(department: Department | None):
    qs = DisclosureDocument.objects.filter(live=True)
    return qs.filter(department=department) if department else qs


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The year's first instant and the next year's, in the site's time zone: a timestamp's local
    date is in the year exactly when it lies between them. Comparing timestamps directly keeps
    the counts on the index, where ``__date`` would convert every row (on SQLite, in Python)."""
    zone = timezone.get_current_timezone()
    return (timezone.make_aware(dt.datetime(year, 1, 1), zone), timezone.make_aware(dt.datetime(year + 1, 1, 1), zone))


def _dated_in(date_field: str, stamp_field: str, start: dt.datetime, end: dt.datetime) -> Q:
    """``date_field``, or the local date of ``stamp_field`` when it is empty, within [start, end)."""
    return (Q(**{f"{date_field}__gte": start.date(), f"{date_field}__lt": end.date()})
            | Q(**{f"{date_field}__isnull": True, f"{stamp_field}__gte": start, f"{stamp_field}__lt": end}))


def _dated_before(date_field: str, stamp_field: str, end: dt.datetime) -> Q:
    """``date_field``, or the local date of ``stamp_field`` when it is empty, before ``end``."""
    return Q(**{f"{date_field}__lt": end.date()}) | Q(**{f"{date_field}__isnull": True, f"{stamp_field}__lt": end})


def published_table(year: int, department: Department | None) -> Table:
    start, end = _year_bounds(year)
    categories = conf.get("GOVSITE_REPORT_RULE_CATEGORIES", DEFAULT_RULE_CATEGORIES)
    table = Table("二、主动公开政府信息情况（第二十条第（一）项）", ["本年制发件数", "本年废止件数", "现行有效件数"])
    for label, cats in categories.items():
        docs = _docs(department).filter(category__in=cats)
        row = docs.aggregate(
            # made this year: its 成文日期, or the day it was published when it has none
            made_n=Count("id", filter=_dated_in("written", "published_at", start, end)),
            repealed=Count("id", filter=Q(validity__in=(vocabularies.EXPIRED, vocabularies.REPEALED),
                                          updated_at__gte=start, updated_at__lt=end)),
            in_force=Count("id", filter=Q(validity__in=(vocabularies.VALID, ""), published_at__lt=end)),
        )
        table.rows.append((label, [row["made_n"], row["repealed"], row["in_force"]]))
    return table


def _by_type(qs) -> list[int]:
    counts = dict(qs.values_list("applicant_type").annotate(n=Count("id")).order_by())
    values = [counts.get(t, 0) for t in TYPES]
    return [*values, sum(values)]


def requests_table(year: int, department: Department | None) -> tuple[Table, list[str]]:
    first, after = _year_bounds(year)
    start, end = first.date(), after.date() - dt.timedelta(days=1)
    qs = InfoRequest.objects.all()
    if department:
        qs = qs.filter(department=department)
    # received: the confirmed day of receipt, or the local day of submission when not yet confirmed
    new = _by_type(qs.filter(_dated_in("received_on", "submitted_at", first, after)))
    carried = _by_type(qs.filter(_dated_before("received_on", "submitted_at", first))
                       .filter(Q(answered_on__isnull=True) | Q(answered_on__gte=start)))
    forward = _by_type(qs.filter(_dated_before("received_on", "submitted_at", after))
                       .filter(Q(answered_on__isnull=True) | Q(answered_on__gt=end)))
    answered = qs.filter(status=InfoRequest.Status.ANSWERED, answered_on__gte=start, answered_on__lte=end)
    cells: dict[tuple[str, str, str], int] = {}
    for kind, outcome, reason, n in answered.values_list("applicant_type", "outcome", "reason").annotate(
            n=Count("id")).order_by():
        cells[(kind, outcome, reason)] = n

    def row(outcome: str, reason: str | None) -> list[int]:
        values = [sum(n for (k, o, r), n in cells.items() if k == t and o == outcome and (reason is None or r == reason))
                  for t in TYPES]
        return [*values, sum(values)]

    table = Table("三、收到和处理政府信息公开申请情况", COLUMNS)
    table.rows.append(("一、本年新收政府信息公开申请数量", new))
    table.rows.append(("二、上年结转政府信息公开申请数量", carried))
    handled_rows = []
    for number, outcome in zip("一二三四五六", Outcome, strict=True):
        if outcome in REASONS:
            table.rows.append((f"三、本年度办理结果（{number}）{outcome.label}", row(outcome, None)))
            for i, reason in enumerate(REASONS[outcome], 1):
                table.rows.append((f"　{i}．{Reason(reason).label}", row(outcome, reason)))
        else:
            table.rows.append((f"三、本年度办理结果（{number}）{outcome.label}", row(outcome, None)))
        handled_rows.append(table.rows[-1 - len(REASONS.get(outcome, ()))][1])
    handled = [sum(col) for col in zip(*handled_rows, strict=True)]
    table.rows.append(("三、本年度办理结果（七）总计", handled))
    table.rows.append(("四、结转下年度继续办理", forward))
    return table, check_requests(table)


def check_requests(table: Table) -> list[str]:
    """Every row's 总计 is the sum of its columns; each outcome is the sum of its reasons; 新收 +
    上年结转 = 办理结果总计 + 结转下年度 in every column."""
    problems = []
    rows = dict(table.rows)
    for label, values in table.rows:
        if sum(values[:-1]) != values[-1]:
            problems.append(f"{label.strip()}：各列之和 {sum(values[:-1])} ≠ 总计 {values[-1]}")
    labels = [label for label, _values in table.rows]
    for i, label in enumerate(labels):
        if label.startswith("三、本年度办理结果（") and "总计" not in label:
            parts = []
            for nxt in labels[i + 1:]:
                if not nxt.startswith("　"):
                    break
                parts.append(rows[nxt])
            if parts and [sum(c) for c in zip(*parts, strict=True)] != rows[label]:
                problems.append(f"{label}：各项理由之和与合计不符")
    new, carried = rows["一、本年新收政府信息公开申请数量"], rows["二、上年结转政府信息公开申请数量"]
    handled, forward = rows["三、本年度办理结果（七）总计"], rows["四、结转下年度继续办理"]
    for i, column in enumerate(table.columns):
        if new[i] + carried[i] != handled[i] + forward[i]:
            problems.append(f"{column}：新收 {new[i]} + 上年结转 {carried[i]} ≠ 办理 {handled[i]} + 结转下年度 {forward[i]}")
    return problems


def reviews_table(entered: AnnualReport | None) -> tuple[Table, list[str]]:
    table = Table("四、政府信息公开行政复议、行政诉讼情况", ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"])
    rows = entered.review_rows() if entered else [(g, [0, 0, 0, 0]) for g in
                                                  ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）")]
    for label, values in rows:
        table.rows.append((label, [*values, sum(values)]))
    return table, []


def compute(year: int, department: Department | None = None) -> Report:
    entered = AnnualReport.objects.filter(year=year, department=department).first()
    requests, problems = requests_table(year, department)
    reviews, review_problems = reviews_table(entered)
    issuer = department.name if department else conf.get("GOVSITE_REPORT_ISSUER", "本级人民政府")
    return Report(year, department, issuer, published_table(year, department), requests, reviews,
                  problems + review_problems)


# -- output -----------------------------------------------------------------------------------------

def table_html(table: Table) -> str:
    head = format_html_join("", "<th scope=\"col\">{}</th>", ((c,) for c in table.columns))
    body = format_html_join(
        "", "<tr><th scope=\"row\">{}</th>{}</tr>",
        ((label, format_html_join("", "<td>{}</td>", ((v,) for v in values))) for label, values in table.rows),
    )
    return format_html('<table class="annual-report"><caption>{}</caption><thead><tr><th scope="col">{}</th>{}</tr>'
                       "</thead><tbody>{}</tbody></table>", table.title, "项目", head, body)


def to_html(report: Report, entered: AnnualReport | None, csv_name: str = "") -> str:
    """The report's body: narrative sections and real tables (the sanitizer keeps both)."""
    parts = [f"<h2>一、总体情况</h2>{linebreaks(escape(entered.overview)) if entered and entered.overview else ''}"]
    for table in (report.published, report.requests, report.reviews):
        parts.append(f"<h2>{escape(table.title.split('（')[0])}</h2>{table_html(table)}")
    parts.append("<h2>五、存在的主要问题及改进情况</h2>" + (linebreaks(escape(entered.problems)) if entered else ""))
    parts.append("<h2>六、其他需要报告的事项</h2>" + (linebreaks(escape(entered.other_matters)) if entered else ""))
    if csv_name:
        parts.append(f"<p>表格数据下载见附件（{escape(csv_name)}）。</p>")
    return "\n".join(parts)


def to_csv(report: Report) -> bytes:
    """All tables in one CSV (UTF-8 with BOM, so spreadsheet programs open the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for table in (report.published, report.requests, report.reviews):
        writer.writerow([table.title])
        writer.writerow(["项目", *table.columns])
        for label, values in table.rows:
            writer.writerow([label.strip(), *values])
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
