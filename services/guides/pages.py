"""The catalogue's pages on the static site (``GuidesConfig.site_pages``), as plain data.

- ``guides/index.html``: the 办事服务 front: departments, topics, audiences (绿色通道), scenarios;
- ``guides/<code>/index.html``: one printable 办事指南 per published item, with its forms;
- ``guides/department/<slug>/``, ``guides/topic/<slug>/``, ``guides/audience/<slug>/``: item lists;
- ``guides/scenario/<slug>/``: the scenario window: its questions, each answer with the items it
  leads to (a plain list without JavaScript; the script turns it into one question at a time).

Every context is plain data, so the build versions each page by its content: one item changed
rewrites its guide and only the lists whose lines changed. Read in a handful of queries, as rows
(``Catalogue``): the whole catalogue is read before every build.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone
from django.utils.html import escape
from wagtail.documents import get_document_model

from cms.service_modules import FileLinks, PageFeed, PageSet, PageSpec, enabled_modules, page_files
from services.guides.models import Audience, Material, Scenario, ScenarioChoice, ServiceItem, Topic

COLUMN = "办事服务"
# The appointments module, linked from each guide (预约办理) when it is enabled.
APPOINTMENTS_LABEL = "services_appointments"


ITEM_FIELDS = ("id", "code", "name", "kind", "department__name", "department__slug", "legal_basis", "conditions",
               "statutory_days", "promised_days", "fees", "steps", "place", "hours", "phone", "online_url",
               "updated_at")
# The search index's category of a guide: its results can be filtered to 办事指南 alone.
SEARCH_CATEGORY = "办事指南"


def _document_files(ids: set[int]) -> dict[int, dict]:
    """The forms and samples as the pages link them: their static ``/files/...`` URLs (the files are
    published with the site, ``cms.service_modules.FileLinks``), read in one query."""
    files = FileLinks()
    try:
        return {doc.pk: files.link(doc) for doc in get_document_model().objects.filter(pk__in=ids)
                .only("id", "title", "file")}
    finally:
        files.close()


def _links(model, field: str, ids: set[int] | None) -> dict[int, list[int]]:
    """item id → the ids of its topics (audiences, scenarios), from the M2M table."""
    through = getattr(ServiceItem, field).through
    qs = through.objects.all() if ids is None else through.objects.filter(serviceitem_id__in=ids)
    out: dict[int, list[int]] = defaultdict(list)
    for item_id, other_id in qs.values_list("serviceitem_id", f"{model._meta.model_name}_id").order_by("id"):
        out[item_id].append(other_id)
    return out


class Catalogue:
    """The published catalogue as plain data, read with a handful of queries (no model objects per
    item: a catalogue of thousands of items is read before every build)."""

    def __init__(self, items=None) -> None:
        qs = items if items is not None else ServiceItem.objects.filter(published=True)
        self.rows = list(qs.order_by("department__sort_order", "department__slug", "code").values(*ITEM_FIELDS))
        self.channels = {name: {c["id"]: c for c in model.objects.values("id", "name", "slug")}
                         for name, model in (("topics", Topic), ("audiences", Audience), ("scenarios", Scenario))}
        ids = {row["id"] for row in self.rows}
        some = ids if items is not None else None
        self.links = {"topics": _links(Topic, "topics", some), "audiences": _links(Audience, "audiences", some),
                      "scenarios": _links(Scenario, "scenarios", some)}
        self.materials: dict[int, list[dict]] = defaultdict(list)
        docs: set[int] = set()
        for m in (Material.objects.filter(item_id__in=ids) if items is not None else Material.objects.all()).order_by(
                "item_id", "sort_order", "id").values("item_id", "name", "originals", "copies", "required", "note",
                                                      "blank_form_id", "sample_id"):
            self.materials[m["item_id"]].append(m)
            docs.update(d for d in (m["blank_form_id"], m["sample_id"]) if d)
        self.files = _document_files(docs)

    def channel_list(self, item_id: int, name: str) -> list[dict]:
        table = self.channels[name]
        return [{"name": table[c]["name"], "slug": table[c]["slug"]} for c in self.links[name].get(item_id, ())
                if c in table]


def line(row: dict) -> dict:
    """An item as a list shows it."""
    return {"code": row["code"], "name": row["name"], "kind": row["kind"], "department": row["department__name"],
            "promised_days": row["promised_days"]}


def guide(row: dict, cat: Catalogue) -> dict:
    """Every field of one item's 办事指南."""
    files = cat.files
    return {
        **line(row), "department_slug": row["department__slug"], "legal_basis": row["legal_basis"],
        "conditions": row["conditions"], "statutory_days": row["statutory_days"], "fees": row["fees"],
        "steps": [s.strip() for s in row["steps"].splitlines() if s.strip()], "place": row["place"],
        "hours": row["hours"], "phone": row["phone"], "online_url": row["online_url"],
        "topics": cat.channel_list(row["id"], "topics"), "audiences": cat.channel_list(row["id"], "audiences"),
        "scenarios": cat.channel_list(row["id"], "scenarios"),
        "materials": [{"name": m["name"], "originals": m["originals"], "copies": m["copies"], "required": m["required"],
                       "note": m["note"], "blank_form": files.get(m["blank_form_id"]), "sample": files.get(m["sample_id"])}
                      for m in cat.materials.get(row["id"], ())],
    }


def search_record(item: dict, updated: str) -> dict:
    """What search finds a guide by: its name and code, the materials and forms, conditions, basis,
    steps, place and channels (plain text escaped into the body the index reads)."""
    parts = [item["conditions"], item["legal_basis"], *item["steps"], item["fees"], item["place"], item["hours"]]
    for m in item["materials"]:
        parts.append(m["name"])
        parts += [f["title"] for f in (m["blank_form"], m["sample"]) if f]
        parts.append(m["note"])
    channels = [c["name"] for name in ("topics", "audiences", "scenarios") for c in item[name]]
    return {
        "title": item["name"], "organ": item["department"], "site": item["department_slug"],
        "category": SEARCH_CATEGORY, "published": updated, "keywords": [item["code"], item["kind"], *channels],
        "summary": f"{item['kind']} · {item['department']} · 承诺时限 {item['promised_days']} 个工作日",
        "body_html": "".join(f"<p>{escape(p)}</p>" for p in parts if p),
    }


def feed_entry(item: dict, updated: str) -> dict:
    return {"title": item["name"], "published": updated, "updated": updated, "category": item["kind"],
            "author": item["department"], "summary": item["conditions"][:300]}


def _booking_url() -> str | None:
    """The 预约办理 page's URL when the appointments module is enabled (its ``site_link``), else None:
    a guide never links a page the site does not have."""
    for module in enabled_modules():
        if getattr(module, "label", None) == APPOINTMENTS_LABEL and module.site_link:
            return module.site_link[1]
    return None


def _meta(title: str, url: str) -> dict:
    return {"title": title, "column": COLUMN, "canonical": url}


def _list_page(kind: str, slug: str, title: str, heading: str, items: list[dict], intro: str = "") -> PageSpec:
    url = f"/guides/{kind}/{slug}/"
    return PageSpec(f"guides/{kind}/{slug}/index.html", "guides/list.html", {
        "heading": heading, "kind": kind, "intro": intro, "items": items, "meta": _meta(title, url)})


def _scenario_questions(choices: list[ScenarioChoice], lines: dict[int, dict]) -> list[dict]:
    """The scenario's questions in order, each with its answers and the published items they need."""
    questions: dict[str, list[dict]] = {}
    for choice in choices:
        items = [lines[i.pk] for i in choice.items.all() if i.pk in lines]
        questions.setdefault(choice.question, []).append({"answer": choice.answer, "items": items})
    return [{"question": q, "answers": a} for q, a in questions.items()]


def site_pages() -> list[PageSet]:
    cat = Catalogue()
    lines = {row["id"]: line(row) for row in cat.rows}
    booking_url = _booking_url()
    pages = []
    for row in cat.rows:
        item = guide(row, cat)
        updated = timezone.localtime(row["updated_at"]).isoformat(timespec="seconds")
        pages.append(PageSpec(f"guides/{row['code']}/index.html", "guides/guide.html", {
            "item": item, "booking_url": booking_url,
            "meta": {**_meta(row["name"], f"/guides/{row['code']}/"), "description": row["conditions"][:120]},
        }, files=page_files(f for m in item["materials"] for f in (m["blank_form"], m["sample"])),
           search=search_record(item, updated), feed=feed_entry(item, updated)))

    by_department: dict[tuple, list[dict]] = defaultdict(list)
    for row in cat.rows:
        by_department[(row["department__slug"], row["department__name"])].append(lines[row["id"]])
    for (slug, name), rows in by_department.items():
        pages.append(_list_page("department", slug, f"{name} 办事指南", f"{name}", rows))
    by: dict[str, dict[int, list[dict]]] = {}
    for name in ("topics", "audiences", "scenarios"):
        by[name] = defaultdict(list)
        for row in cat.rows:
            for channel in cat.links[name].get(row["id"], ()):
                by[name][channel].append(lines[row["id"]])

    front: dict[str, list[dict]] = {"departments": [{"slug": s, "name": n, "count": len(r)}
                                                    for (s, n), r in by_department.items()]}
    for kind, model, label in (("topic", Topic, "主题"), ("audience", Audience, "绿色通道")):
        entries = []
        for channel in model.objects.all():
            rows = by[kind + "s"].get(channel.pk, [])
            entries.append({"slug": channel.slug, "name": channel.name, "count": len(rows)})
            pages.append(_list_page(kind, channel.slug, f"{channel.name} - {label}", f"{label}：{channel.name}", rows))
        front[kind + "s"] = entries
    choices: dict[int, list[ScenarioChoice]] = defaultdict(list)
    for choice in ScenarioChoice.objects.prefetch_related("items").order_by("scenario_id", "sort_order", "id"):
        choices[choice.scenario_id].append(choice)
    scenarios = []
    for scenario in Scenario.objects.all():
        rows = by["scenarios"].get(scenario.pk, [])
        scenarios.append({"slug": scenario.slug, "name": scenario.name, "count": len(rows)})
        url = f"/guides/scenario/{scenario.slug}/"
        pages.append(PageSpec(f"guides/scenario/{scenario.slug}/index.html", "guides/scenario.html", {
            "heading": scenario.name, "intro": scenario.intro, "items": rows,
            "questions": _scenario_questions(choices[scenario.pk], lines),
            "meta": _meta(f"{scenario.name} - 场景服务", url)}))
    front["scenarios"] = scenarios
    pages.append(PageSpec("guides/index.html", "guides/index.html", {
        **front, "count": len(cat.rows), "booking_url": booking_url, "meta": _meta("办事服务", "/guides/")}))
    return [PageSet("guides", pages, feed=PageFeed("guides/", "办事指南"))]
