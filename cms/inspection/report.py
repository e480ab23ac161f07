"""Findings and the report: plain data, JSON for ``--json`` and the admin, kept as the latest report."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from django.conf import settings

from content_models.atomic import atomic_write

# What each kind of finding is called (the checklist's words), in the report's order.
KINDS = {
    "home_stale": "首页不更新",
    "stale_column": "栏目不更新",
    "empty_column": "空白栏目",
    "unanswered": "互动回应超期",
    "late_disclosure": "主动公开不及时",
    "broken_link": "链接不可用",
    "missing_metadata": "元数据缺失",
    "word": "错别字和严重表述错误",
}


@dataclass(frozen=True)
class Finding:
    kind: str  # a key of KINDS
    subject: str  # the column, document, page or case concerned
    detail: str  # what is wrong, in a sentence
    link: str  # where to fix it (the admin's edit page), or the page on the site

    @property
    def label(self) -> str:
        return KINDS[self.kind]


@dataclass
class Report:
    generated: str
    home_latest: str | None  # the newest item on the home page (ISO date), the checklist's 首页 check
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # checks that could not run, and why
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        found = Counter(f.kind for f in self.findings)
        return {kind: found.get(kind, 0) for kind in KINDS}

    def as_dict(self) -> dict:
        return {"generated": self.generated, "home_latest": self.home_latest, "seconds": round(self.seconds, 2),
                "counts": self.counts(), "notes": self.notes,
                "findings": [{"kind": f.kind, "subject": f.subject, "detail": f.detail, "link": f.link,
                              "label": KINDS[f.kind]} for f in self.findings]}

    def as_text(self) -> str:
        lines = [f"网站自查报告（{self.generated}）", f"首页最近更新：{self.home_latest or '无'}"]
        for kind, label in KINDS.items():
            found = [f for f in self.findings if f.kind == kind]
            lines.append(f"\n{label}：{len(found)} 项")
            lines += [f"  - {f.subject}：{f.detail}  {f.link}" for f in found]
        lines += [f"\n说明：{n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        findings = [Finding(f["kind"], f["subject"], f["detail"], f["link"]) for f in data.get("findings", [])
                    if f.get("kind") in KINDS]
        return cls(generated=data.get("generated", ""), home_latest=data.get("home_latest"), findings=findings,
                   notes=list(data.get("notes", [])), seconds=float(data.get("seconds", 0)))


def report_path() -> Path:
    return Path(settings.DATA_DIR) / "inspection" / "latest.json"


def save(report: Report) -> Path:
    """Keep the report as the latest (atomically: the admin never reads half a file)."""
    path = report_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2))
    return path


def latest() -> Report | None:
    try:
        return Report.from_dict(orjson.loads(report_path().read_bytes()))
    except (OSError, ValueError):
        return None


def now_text() -> str:
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
