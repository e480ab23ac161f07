"""The self-inspection as the build worker's daily job (``GOVSITE_DAILY_JOBS``)."""

from __future__ import annotations

import datetime as dt

from cms.inspection.checks import run_inspection
from cms.inspection.report import save


def daily_report(today: dt.date) -> str:
    """Inspect the site (outside links not fetched) and keep the report for the admin."""
    report = run_inspection(today=today)
    save(report)
    return f"网站自查：{len(report.findings)} 项问题"
