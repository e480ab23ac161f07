"""The catalogue's pages on the static site (``GuidesConfig.site_pages``), as plain data.

- ``guides/index.html``: the 办事服务 front: departments, topics, audiences (绿色通道), scenarios;
- ``guides/<code>/index.html``: one printable 办事指南 per published item, with its forms;
- ``guides/department/<slug>/``, ``guides/topic/<slug>/``, ``guides/audience/<slug>/``: item lists;
- ``guides/scenario/<slug>/``: the scenario window: its questions, each answer with the items it
  leads to (a plain list without JavaScript; the script turns it into one question at a time).

Every context is plain data, so the build versions each page by its content: one item changed
rewrites its guide and only the lists whose lines changed. Read in a handful of queries.
"""

from __future__ import annotations

from collections import defaultdict

from cms.service_modules import PageSet, PageSpec
from content_models.files import file_type, human_size, type_label
from services import conf
from services.guides.models import Audience, Scenario, ScenarioChoice, ServiceItem, Topic

COLUMN = "办事服务"


def _file(doc) -> dict | None:
    if doc is None:
        return None
    size = doc.file_size  # stored by Wagtail at upload: no file system access per build
    base = conf.get("GOVSITE_GUIDES_FILES_BASE", "").rstrip("/")
    kind = file_type(doc.file.name)
    return {"title": doc.title, "url": base + doc.url, "size": human_size(size) if size else "",
            "type": type_label(kind)}


def line(item: ServiceItem) -> dict:
    """An item as a list shows it."""
    return {"code": item.code, "name": item.name, "kind": item.kind, "department": item.department.name,
            "promised_days": item.promised_days}


def guide(item: ServiceItem) -> dict:
    return {
        **line(item), "department_slug": item.department.slug, "legal_basis": item.legal_basis,
        "conditions": item.conditions, "statutory_days": item.statutory_days, "fees": item.fees,
        "steps": item.step_list(), "place": item.place, "hours": item.hours, "phone": item.phone,
        "online_url": item.online_url,
        "topics": [{"name": t.name, "slug": t.slug} for t in item.topics.all()],
        "audiences": [{"name": a.name, "slug": a.slug} for a in item.audiences.all()],
        "scenarios": [{"name": s.name, "slug": s.slug} for s in item.scenarios.all()],
        "materials": [{"name": m.name, "originals": m.originals, "copies": m.copies, "required": m.required,
                       "note": m.note, "blank_form": _file(m.blank_form), "sample": _file(m.sample)}
                      for m in item.materials.all()],
    }


def _meta(title: str, url: str) -> dict:
    return {"title": title, "column": COLUMN, "canonical": url}


def _list_page(kind: str, slug: str, title: str, heading: str, items: list[dict], intro: str = "") -> PageSpec:
    url = f"/guides/{kind}/{slug}/"
    return PageSpec(f"guides/{kind}/{slug}/index.html", "guides/list.html", {
        "heading": heading, "kind": kind, "intro": intro, "items": items, "meta": _meta(title, url)})


def _scenario_questions(scenario: Scenario, choices: list[ScenarioChoice], lines: dict[int, dict]) -> list[dict]:
    """The scenario's questions in order, each with its answers and the published items they need."""
    questions: dict[str, list[dict]] = {}
    for choice in choices:
        items = [lines[i.pk] for i in choice.items.all() if i.pk in lines]
        questions.setdefault(choice.question, []).append({"answer": choice.answer, "items": items})
    return [{"question": q, "answers": a} for q, a in questions.items()]


def site_pages() -> list[PageSet]:
    items = list(ServiceItem.objects.filter(published=True).select_related("department")
                 .prefetch_related("topics", "audiences", "scenarios", "materials__blank_form", "materials__sample")
                 .order_by("department__sort_order", "department__slug", "code"))
    lines = {item.pk: line(item) for item in items}
    pages = [PageSpec(f"guides/{item.code}/index.html", "guides/guide.html", {
        "item": guide(item), "meta": {**_meta(item.name, f"/guides/{item.code}/"), "description": item.conditions[:120]},
    }) for item in items]

    by_department: dict[tuple, list[dict]] = defaultdict(list)
    by: dict[str, dict[int, list[dict]]] = {"topic": defaultdict(list), "audience": defaultdict(list),
                                            "scenario": defaultdict(list)}
    for item in items:
        by_department[(item.department.slug, item.department.name)].append(lines[item.pk])
        for kind, related in (("topic", item.topics), ("audience", item.audiences), ("scenario", item.scenarios)):
            for channel in related.all():
                by[kind][channel.pk].append(lines[item.pk])
    for (slug, name), rows in by_department.items():
        pages.append(_list_page("department", slug, f"{name} 办事指南", f"{name}", rows))

    front: dict[str, list[dict]] = {"departments": [{"slug": s, "name": n, "count": len(r)}
                                                    for (s, n), r in by_department.items()]}
    for kind, model, label in (("topic", Topic, "主题"), ("audience", Audience, "绿色通道")):
        entries = []
        for channel in model.objects.all():
            rows = by[kind].get(channel.pk, [])
            entries.append({"slug": channel.slug, "name": channel.name, "count": len(rows)})
            pages.append(_list_page(kind, channel.slug, f"{channel.name} - {label}", f"{label}：{channel.name}", rows))
        front[kind + "s"] = entries
    choices: dict[int, list[ScenarioChoice]] = defaultdict(list)
    for choice in ScenarioChoice.objects.prefetch_related("items").order_by("scenario_id", "sort_order", "id"):
        choices[choice.scenario_id].append(choice)
    scenarios = []
    for scenario in Scenario.objects.all():
        rows = by["scenario"].get(scenario.pk, [])
        scenarios.append({"slug": scenario.slug, "name": scenario.name, "count": len(rows)})
        url = f"/guides/scenario/{scenario.slug}/"
        pages.append(PageSpec(f"guides/scenario/{scenario.slug}/index.html", "guides/scenario.html", {
            "heading": scenario.name, "intro": scenario.intro, "items": rows,
            "questions": _scenario_questions(scenario, choices[scenario.pk], lines),
            "meta": _meta(f"{scenario.name} - 场景服务", url)}))
    front["scenarios"] = scenarios
    pages.append(PageSpec("guides/index.html", "guides/index.html", {
        **front, "count": len(items), "meta": _meta("办事服务", "/guides/")}))
    return [PageSet("guides", pages)]
