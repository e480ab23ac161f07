"""The catalogue in JSONL, one item a line (``govsite import_guides`` / ``export_guides``).

Like the documents' exchange format: an item is created or updated by its ``code``; a bad line is
skipped whole and reported with its number (第 N 行), the others are imported; nothing of a bad
line is written (each line in its own transaction). Topics, audiences and scenarios are named and
created when new; the department is its 站点代号 or its name. A material's ``blank_form`` and
``sample`` are ``{"title", "file"}``: ``file`` is a stored document file (as exported) or a path
relative to the JSONL file's folder, uploaded on import. Format: ``docs/services.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.text import slugify
from wagtail.documents import get_document_model

from content_models.models import Department
from services.guides.models import CODE_RE, Audience, ItemKind, Material, Scenario, ServiceItem, Topic
from services.site import batched

TEXT_FIELDS = {"name": 200, "legal_basis": None, "conditions": None, "fees": None, "place": 300, "hours": 300,
               "phone": 100, "online_url": 500}
CHANNELS = {"topics": Topic, "audiences": Audience, "scenarios": Scenario}
KINDS = {choice.value for choice in ItemKind}


class BadLine(ValueError):
    """A line that cannot be imported (the message says why, in Chinese)."""


@dataclass
class ImportResult:
    lines: int = 0
    created: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def bad(self) -> int:
        return len(self.problems)

    def as_text(self) -> str:
        return f"导入完成：共 {self.lines} 行，新增 {self.created} 项，更新 {self.updated} 项，错误 {self.bad} 行"


def _text(record: dict, name: str, limit: int | None, *, required: bool = False) -> str:
    value = record.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadLine(f"字段 {name} 应为文本")
    value = value.strip()
    if "\x00" in value:
        raise BadLine(f"字段 {name} 包含无效字符")
    if required and not value:
        raise BadLine(f"缺少字段 {name}")
    if limit and len(value) > limit:
        raise BadLine(f"字段 {name} 超过 {limit} 个字符")
    return value


def _days(record: dict, name: str, *, required: bool) -> int | None:
    value = record.get(name)
    if value is None or value == "":
        if required:
            raise BadLine(f"缺少字段 {name}（工作日数）")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
        raise BadLine(f"字段 {name} 应为 0–3650 的整数（工作日数）")
    return value


def _names(record: dict, name: str) -> list[str]:
    value = record.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadLine(f"字段 {name} 应为名称列表")
    if any(len(v.strip()) > 50 for v in value):
        raise BadLine(f"字段 {name} 中的名称超过 50 个字符")
    return list(dict.fromkeys(v.strip() for v in value))


def _department(value: Any) -> Department:
    if not isinstance(value, str) or not value.strip():
        raise BadLine("缺少字段 department（部门站点代号或名称）")
    dept = Department.objects.filter(slug=value.strip()).first() or Department.objects.filter(name=value.strip()).first()
    if dept is None:
        raise BadLine(f"未知部门：{value}")
    return dept


def _channel(model, name: str):
    found = model.objects.filter(name=name).first()
    if found is not None:
        return found
    slug = slugify(name) or "c" + hashlib.blake2b(name.encode(), digest_size=4).hexdigest()
    base, n = slug, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return model.objects.create(name=name, slug=slug)


def _document(value: Any, base_dir: Path | None, where: str):
    """The stored document for ``{"title", "file"}``: one already stored under that file name, or
    the file at that path (relative to the JSONL's folder) uploaded now."""
    if value in (None, ""):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("file"), str) or not value["file"].strip():
        raise BadLine(f"{where}应为 {{\"title\", \"file\"}}")
    Document = get_document_model()
    name = value["file"].strip()
    title = str(value.get("title") or Path(name).name)[:255]
    existing = Document.objects.filter(file=name).first()
    if existing is not None:
        return existing
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if ".." in Path(name).parts or not path.is_file():
        raise BadLine(f"{where}的文件不存在：{name}")
    with path.open("rb") as fh:
        return Document.objects.create(title=title, file=File(fh, name=path.name))


def _materials(record: dict, base_dir: Path | None) -> list[dict]:
    value = record.get("materials") or []
    if not isinstance(value, list):
        raise BadLine("字段 materials 应为列表")
    out = []
    for i, m in enumerate(value, 1):
        if not isinstance(m, dict):
            raise BadLine(f"第 {i} 项材料应为对象")
        name = _text(m, "name", 300, required=True) if isinstance(m.get("name"), str) else None
        if not name:
            raise BadLine(f"第 {i} 项材料缺少名称（name）")
        counts = {}
        for key in ("originals", "copies"):
            n = m.get(key, 0)
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100:
                raise BadLine(f"第 {i} 项材料的 {key} 应为 0–100 的整数（份数）")
            counts[key] = n
        out.append({"name": name, **counts, "required": bool(m.get("required", True)),
                    "note": _text(m, "note", 500), "blank_form": m.get("blank_form"), "sample": m.get("sample")})
    return out


def parse(record: Any) -> dict:
    """Check one record; the cleaned values, or :class:`BadLine`."""
    if not isinstance(record, dict):
        raise BadLine("每行应为一个 JSON 对象")
    code = record.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code.strip()):
        raise BadLine("事项编码（code）缺失或格式不正确：只能包含字母、数字和 . _ -，不超过 64 个字符")
    values: dict[str, Any] = {"code": code.strip()}
    for name, limit in TEXT_FIELDS.items():
        values[name] = _text(record, name, limit, required=name == "name")
    if values["online_url"] and not values["online_url"].startswith(("http://", "https://")):
        raise BadLine("网上办理地址（online_url）应以 http:// 或 https:// 开头")
    kind = record.get("kind", ItemKind.PUBLIC_SERVICE.value)
    if kind not in KINDS:
        raise BadLine(f"事项类型（kind）应为 {'、'.join(sorted(KINDS))} 之一")
    values["kind"] = kind
    values["promised_days"] = _days(record, "promised_days", required=True)
    values["statutory_days"] = _days(record, "statutory_days", required=False)
    if values["statutory_days"] is not None and values["promised_days"] > values["statutory_days"]:
        raise BadLine("承诺时限（promised_days）不能超过法定时限（statutory_days）")
    steps = record.get("steps") or []
    if isinstance(steps, str):
        steps = steps.splitlines()
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise BadLine("字段 steps 应为步骤列表")
    values["steps"] = "\n".join(s.strip() for s in steps if s.strip())
    values["published"] = bool(record.get("published", True))
    values["department"] = record.get("department")
    for name in CHANNELS:
        values[name] = _names(record, name)
    values["materials_raw"] = record
    if not values["fees"]:
        values["fees"] = "不收费"
    return values


def save(values: dict, base_dir: Path | None) -> bool:
    """Write one checked record in the caller's transaction; True when the item is new."""
    department = _department(values.pop("department"))
    materials = _materials(values.pop("materials_raw"), base_dir)
    channels = {name: [_channel(model, n) for n in values.pop(name)] for name, model in CHANNELS.items()}
    item = ServiceItem.objects.filter(code=values["code"]).first()
    created = item is None
    item = item or ServiceItem(code=values["code"])
    for key, value in values.items():
        setattr(item, key, value)
    item.department = department
    try:
        item.full_clean(exclude=["topics", "audiences", "scenarios"])
    except ValidationError as exc:
        raise BadLine("；".join(f"{k}：{'，'.join(v)}" for k, v in exc.message_dict.items())) from None
    rows = []
    for i, m in enumerate(materials, 1):
        rows.append(Material(name=m["name"], originals=m["originals"], copies=m["copies"], required=m["required"],
                             note=m["note"], sort_order=i,
                             blank_form=_document(m["blank_form"], base_dir, f"第 {i} 项材料的空白表格"),
                             sample=_document(m["sample"], base_dir, f"第 {i} 项材料的示例样表")))
    item.materials = rows
    for name, objs in channels.items():
        setattr(item, name, objs)
    item.save()
    return created


def import_lines(lines: Iterable[tuple[int, bytes | str]], *, base_dir: Path | None = None,
                 on_problem: Callable[[str], None] | None = None) -> ImportResult:
    """Import ``(line number, JSONL line)`` pairs (``content_models.record.iter_jsonl_lines``); each
    good line in its own transaction, each bad one reported by its number."""
    result = ImportResult()
    with batched("服务事项导入"):
        for lineno, line in lines:
            if isinstance(line, bytes | bytearray):
                line = line.decode("utf-8", errors="replace")
            if not line.strip():
                continue
            result.lines += 1
            code = ""
            try:
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise BadLine(f"不是有效的 JSON（{exc.msg}）") from None
                code = record.get("code", "") if isinstance(record, dict) else ""
                values = parse(record)
                with transaction.atomic():
                    created = save(values, base_dir)
            except BadLine as exc:
                message = f"第 {lineno} 行" + (f"（{code}）" if isinstance(code, str) and code else "") + f"：{exc}"
                result.problems.append(message)
                if on_problem:
                    on_problem(message)
                continue
            if created:
                result.created += 1
            else:
                result.updated += 1
    return result


def _file(doc) -> dict | None:
    return {"title": doc.title, "file": doc.file.name} if doc is not None else None


def export_records(queryset=None) -> Iterator[dict]:
    """Every item as one record of the import format (so export → import changes nothing)."""
    qs = (queryset if queryset is not None else ServiceItem.objects.all()).select_related("department")
    qs = qs.prefetch_related("topics", "audiences", "scenarios", "materials__blank_form", "materials__sample")
    for item in qs.order_by("code").iterator(chunk_size=500):
        yield {
            "code": item.code, "name": item.name, "department": item.department.slug, "kind": item.kind,
            "legal_basis": item.legal_basis, "conditions": item.conditions,
            "statutory_days": item.statutory_days, "promised_days": item.promised_days, "fees": item.fees,
            "steps": item.step_list(), "place": item.place, "hours": item.hours, "phone": item.phone,
            "online_url": item.online_url,
            "topics": [t.name for t in item.topics.all()], "audiences": [a.name for a in item.audiences.all()],
            "scenarios": [s.name for s in item.scenarios.all()],
            "materials": [{"name": m.name, "originals": m.originals, "copies": m.copies, "required": m.required,
                           "note": m.note, "blank_form": _file(m.blank_form), "sample": _file(m.sample)}
                          for m in item.materials.all()],
            "published": item.published,
        }
