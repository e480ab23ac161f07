"""办事指南: the catalogue of service items, its JSONL exchange and its static pages."""

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import unquote

import orjson
import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.documents import get_document_model

from cms.admin import permissions
from content_models.models import Department
from services.guides.exchange import export_records, import_lines
from services.guides.models import Audience, Scenario, ScenarioChoice, ServiceItem, Topic
from tests.helpers.links import broken_links
from tests.helpers.services import build_service_pages

pytestmark = pytest.mark.django_db


def tree(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def record(code="XK001", **kw) -> dict:
    data = {
        "code": code, "name": "建设工程规划许可证核发", "department": "zrzyj", "kind": "行政许可",
        "legal_basis": "《中华人民共和国城乡规划法》第四十条", "conditions": "已取得建设用地使用权",
        "statutory_days": 20, "promised_days": 7, "fees": "不收费", "steps": ["申请", "受理", "审查", "决定"],
        "place": "市民服务中心二楼 12 号窗口", "hours": "工作日 9:00–12:00，13:30–17:00", "phone": "0595-86380000",
        "online_url": "https://zwfw.example.gov.cn/item/XK001", "topics": ["住房"], "audiences": ["企业"],
        "scenarios": ["企业开办"],
        "materials": [{"name": "建设工程规划许可申请表", "originals": 1, "copies": 0, "required": True,
                       "blank_form": {"title": "申请表（空白）", "file": "form.docx"},
                       "sample": {"title": "申请表（样表）", "file": "sample.pdf"}},
                      {"name": "营业执照", "originals": 1, "copies": 2, "required": True, "note": "核原件收复印件"}],
    }
    data.update(kw)
    return data


def lines(*records) -> list[tuple[int, bytes]]:
    return [(i, r if isinstance(r, bytes) else orjson.dumps(r)) for i, r in enumerate(records, 1)]


@pytest.fixture()
def forms(tmp_path):
    (tmp_path / "form.docx").write_bytes(b"PK\x03\x04 blank form " * 20)
    (tmp_path / "sample.pdf").write_bytes(b"%PDF-1.4 sample " * 20)
    return tmp_path


@pytest.fixture()
def dept():
    return Department.objects.create(slug="zrzyj", name="自然资源局", sort_order=1)


def test_import_creates_items_and_reports_bad_lines_by_number(dept, forms):
    result = import_lines(lines(
        record(),
        b"{not json",
        record("XK002", promised_days=30, statutory_days=20),
        record("XK003", department="nope"),
        record("bad code/1"),
        record("XK004", name="社会保障卡申领", kind="公共服务", topics=["社保"], audiences=["退役军人", "残疾人"],
               materials=[{"name": "身份证", "blank_form": {"title": "x", "file": "missing.doc"}}]),
        record("XK005", name="城乡居民养老保险参保登记", kind="行政确认", topics=["社保"], materials=[]),
    ), base_dir=forms)
    assert result.created == 2 and result.updated == 0
    assert [p.split("：")[0] for p in result.problems] == [
        "第 2 行", "第 3 行（XK002）", "第 4 行（XK003）", "第 5 行（bad code/1）", "第 6 行（XK004）"]
    assert "不是有效的 JSON" in result.problems[0]
    assert "承诺时限" in result.problems[1]
    assert "未知部门：nope" in result.problems[2]
    assert "missing.doc" in result.problems[4]
    # nothing of a bad line is written: no item, and no topic or audience created by it alone
    assert set(ServiceItem.objects.values_list("code", flat=True)) == {"XK001", "XK005"}
    assert not Audience.objects.filter(name="退役军人").exists()
    item = ServiceItem.objects.get(code="XK001")
    assert item.promised_days == 7 and item.statutory_days == 20 and item.kind == "行政许可"
    assert [m.name for m in item.materials.all()] == ["建设工程规划许可申请表", "营业执照"]
    form = item.materials.first().blank_form
    assert form.title == "申请表（空白）" and form.file.read().startswith(b"PK")


def test_export_then_import_changes_nothing(dept, forms):
    import_lines(lines(record(), record("XK009", materials=[], topics=["教育", "社保"])), base_dir=forms)
    first = list(export_records())
    docs = get_document_model().objects.count()
    result = import_lines(lines(*first), base_dir=None)
    assert result.problems == [] and result.updated == 2
    assert list(export_records()) == first
    assert get_document_model().objects.count() == docs  # forms are found again, not uploaded twice


def test_import_command_reports_line_numbers_and_strict_exit_code(dept, forms, capsys):
    path = forms / "items.jsonl"
    path.write_bytes(orjson.dumps(record()) + b"\n\n" + orjson.dumps(record("X2", promised_days=-1)) + b"\n")
    call_command("import_guides", str(path))
    captured = capsys.readouterr()
    assert "新增 1 项" in captured.out
    assert "第 3 行（X2）" in captured.err
    with pytest.raises(CommandError) as exc:
        call_command("import_guides", str(path), "--strict")
    assert exc.value.returncode == 2
    out = forms / "out.jsonl"
    call_command("export_guides", str(out))
    assert orjson.loads(out.read_bytes().splitlines()[0])["code"] == "XK001"


def test_promised_limit_cannot_exceed_statutory_limit_in_the_admin(dept, admin_client):
    r = admin_client.post("/admin/snippets/services_guides/serviceitem/add/", {
        "department": dept.pk, "name": "测试事项", "code": "T1", "kind": "公共服务", "promised_days": 30,
        "statutory_days": 10, "fees": "不收费", "materials-TOTAL_FORMS": 0, "materials-INITIAL_FORMS": 0,
        "materials-MIN_NUM_FORMS": 0, "materials-MAX_NUM_FORMS": 1000,
    })
    assert r.status_code == 200 and "承诺时限不能超过法定时限" in r.content.decode()
    assert not ServiceItem.objects.exists()


def test_department_editor_sees_only_own_items(dept, client, django_user_model):
    other = Department.objects.create(slug="jyj", name="教育局")
    import_lines(lines(record("A1", materials=[]), record("B1", department="jyj", materials=[])))
    group = permissions.ensure_department_group(dept)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="services_guides"))
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user("editor", password="x")
    user.groups.add(group)
    client.force_login(user)
    listing = client.get("/admin/snippets/services_guides/serviceitem/").content.decode()
    assert "A1" in listing and "B1" not in listing
    theirs = ServiceItem.objects.get(code="B1")
    assert client.get(f"/admin/snippets/services_guides/serviceitem/edit/{theirs.pk}/").status_code in (302, 403, 404)
    assert other.pk  # the other department exists, its item is just not the editor's


def channels_and_scenario():
    scenario = Scenario.objects.get(name="企业开办")
    ScenarioChoice.objects.create(scenario=scenario, question="您要开办哪类企业？", answer="有限责任公司", sort_order=0)
    choice = ScenarioChoice.objects.create(scenario=scenario, question="是否涉及建设工程？", answer="是", sort_order=1)
    choice.items.set([ServiceItem.objects.get(code="XK001")])
    choice.save()
    ScenarioChoice.objects.create(scenario=scenario, question="是否涉及建设工程？", answer="否", sort_order=2)
    return scenario


def test_guide_page_shows_every_field_and_its_forms_link_to_real_files(dept, forms, tmp_path):
    import_lines(lines(record()), base_dir=forms)
    out, state = tmp_path / "site", tmp_path / "state"
    build_service_pages(out, state)
    html = (out / "guides/XK001/index.html").read_text()
    rec = record()
    for value in ("建设工程规划许可证核发", "XK001", "行政许可", "自然资源局", rec["legal_basis"], rec["conditions"],
                  "20 个工作日", "7 个工作日", "不收费", rec["place"], rec["hours"], rec["phone"], rec["online_url"],
                  "建设工程规划许可申请表", "营业执照", "核原件收复印件", "审查", "主题：住房", "绿色通道：企业",
                  "场景：企业开办", "window.print()"):
        assert value in html, value
    hrefs = re.findall(r'class="form-download" href="([^"]+)"', html)
    assert len(hrefs) == 2
    # published with the site at stable content-named URLs, not the CMS's /documents/ URL
    assert all(h.startswith("/files/") for h in hrefs), hrefs
    bodies = [(out / unquote(h).lstrip("/")).read_bytes() for h in hrefs]
    assert bodies[0].startswith(b"PK\x03\x04") and bodies[1].startswith(b"%PDF")
    assert broken_links(out) == {}


def test_topic_audience_department_and_scenario_lists(dept, forms, tmp_path):
    import_lines(lines(record(), record("SB01", name="社会保障卡申领", kind="公共服务", topics=["社保"],
                                         audiences=["退役军人", "残疾人"], scenarios=[], materials=[]),
                       record("HIDDEN", name="未公开事项", published=False, materials=[])), base_dir=forms)
    channels_and_scenario()
    out = tmp_path / "site"
    build_service_pages(out, tmp_path / "state")
    front = (out / "guides/index.html").read_text()
    for text in ("按主题", "绿色通道", "场景服务", "自然资源局"):
        assert text in front
    social = Topic.objects.get(name="社保")
    topic = (out / f"guides/topic/{social.slug}/index.html").read_text()
    assert "社会保障卡申领" in topic and "建设工程规划许可证核发" not in topic
    veteran = Audience.objects.get(name="退役军人")
    assert "社会保障卡申领" in (out / f"guides/audience/{veteran.slug}/index.html").read_text()
    dept_page = (out / "guides/department/zrzyj/index.html").read_text()
    assert "建设工程规划许可证核发" in dept_page and "未公开事项" not in dept_page
    assert not (out / "guides/HIDDEN/index.html").exists()
    scenario = Scenario.objects.get(name="企业开办")
    window = (out / f"guides/scenario/{scenario.slug}/index.html").read_text()
    # without JavaScript: every question, every answer and the items it leads to, as links
    assert "您要开办哪类企业？" in window and "是否涉及建设工程？" in window
    assert re.search(r'data-items="XK001"[^>]*> 是</label>：\s*<a href="/guides/XK001/">建设工程规划许可证核发</a>', window)
    assert "无需另外办理事项" in window


def test_one_item_changed_incremental_build_equals_full_build(dept, forms, tmp_path):
    import_lines(lines(record(), *[record(f"GG{i:03d}", name=f"公共服务事项{i}", topics=["社保"], materials=[])
                                   for i in range(30)]), base_dir=forms)
    channels_and_scenario()
    out, state = tmp_path / "site", tmp_path / "state"
    build_service_pages(out, state)
    item = ServiceItem.objects.get(code="GG007")
    item.fees = "按国家标准收取工本费 20 元"
    item.save()
    result = build_service_pages(out, state, full=False)
    assert result.pages_rendered == 1  # only its guide: no list shows the fees
    item.name = "公共服务事项七（更名）"
    item.save()
    result = build_service_pages(out, state, full=False)
    # its guide and the lists it is on (department, topic 社保, audience 企业, scenario 企业开办)
    assert result.pages_rendered == 5
    ref = tmp_path / "ref"
    build_service_pages(ref, tmp_path / "ref-state")
    got, want = tree(out), tree(ref)
    assert sorted(set(got) ^ set(want)) == []
    assert sorted(p for p in got if got[p] != want[p]) == []


def test_guide_api(dept, forms, client):
    import_lines(lines(record()), base_dir=forms)
    r = client.get("/api/services/guides/items", {"department": "zrzyj"})
    assert r.status_code == 200 and r.json()[0]["code"] == "XK001"
    one = client.get("/api/services/guides/items/XK001").json()
    assert one["promised_days"] == 7 and one["materials"][0]["blank_form"]["title"] == "申请表（空白）"
    assert client.get("/api/services/guides/items/NOPE").status_code == 404


def test_form_file_upload_in_admin_is_a_wagtail_document(dept):
    doc = get_document_model().objects.create(title="空白表", file=ContentFile(b"x" * 10, name="t.doc"))
    import_lines(lines(record(materials=[{"name": "表", "blank_form": {"title": "空白表", "file": doc.file.name}}])))
    assert ServiceItem.objects.get().materials.get().blank_form == doc


@pytest.mark.parametrize("url", [
    "/admin/snippets/services_guides/serviceitem/", "/admin/snippets/services_guides/serviceitem/add/",
    "/admin/snippets/services_guides/topic/add/", "/admin/snippets/services_guides/audience/add/",
    "/admin/snippets/services_guides/scenario/", "/admin/snippets/services_guides/scenario/add/",
    "/admin/snippets/services_appointments/window/add/", "/admin/snippets/services_appointments/booking/",
    "/admin/appointments/day/", "/admin/appointments/phone/",
])
def test_staff_admin_pages_open(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_scenario_questions_are_edited_in_one_form(dept, admin_client):
    import_lines(lines(record(materials=[])))
    item = ServiceItem.objects.get()
    r = admin_client.post("/admin/snippets/services_guides/scenario/add/", {
        "name": "不动产登记", "slug": "budongchan", "sort_order": 0, "intro": "买房、卖房、继承",
        "choices-TOTAL_FORMS": 2, "choices-INITIAL_FORMS": 0, "choices-MIN_NUM_FORMS": 0, "choices-MAX_NUM_FORMS": 1000,
        "choices-0-question": "是否新建房屋？", "choices-0-answer": "是", "choices-0-items": [item.pk], "choices-0-ORDER": 1,
        "choices-1-question": "是否新建房屋？", "choices-1-answer": "否", "choices-1-ORDER": 2,
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    scenario = Scenario.objects.get(slug="budongchan")
    assert [(c.answer, [i.code for i in c.items.all()]) for c in scenario.choices.order_by("sort_order")] == [
        ("是", ["XK001"]), ("否", [])]


def build_with_search(out, state, *, full: bool = True):
    """As the build queue does it, with the search index plugin on."""
    from cms.build.config import from_settings
    from cms.build.jobs import page_sets
    from search_index.plugin import SearchIndexPlugin
    from site_generator.build import build_site

    kwargs = {"full": True} if full else {"changed_ids": set()}
    return build_site([], out, config=from_settings(plugins=[SearchIndexPlugin()], processes=1), state_dir=state,
                      page_sets=page_sets(), **kwargs)


def found(out, q: str, **kw) -> list[str]:
    from search_index.query import Query, SearchIndex

    return [r["url"] for r in SearchIndex(out).search(Query(q=q, **kw)).results]


def test_guides_are_found_by_search_and_one_item_changed_updates_it_like_a_full_build(dept, forms, tmp_path):
    import_lines(lines(record(), record("SB01", name="社会保障卡申领", kind="公共服务", topics=["社保"], materials=[
        {"name": "居民户口簿", "originals": 1, "copies": 1, "required": True}])), base_dir=forms)
    out, state = tmp_path / "site", tmp_path / "state"
    build_with_search(out, state)
    assert found(out, "建设工程规划许可证核发")[0] == "/guides/XK001/"  # by its name
    assert found(out, "居民户口簿") == ["/guides/SB01/"]  # by a material
    assert found(out, "申请表（样表）") == ["/guides/XK001/"]  # by a form's title
    assert found(out, "XK001") == ["/guides/XK001/"]  # by its code
    assert sorted(found(out, "", category="办事指南")) == ["/guides/SB01/", "/guides/XK001/"]

    item = ServiceItem.objects.get(code="SB01")
    item.name = "第三代社会保障卡申领"
    item.save()
    ServiceItem.objects.filter(code="XK001").update(published=False)
    result = build_with_search(out, state, full=False)
    assert not result.full
    assert found(out, "第三代社会保障卡") == ["/guides/SB01/"]
    assert found(out, "建设工程规划许可证核发") == []  # no longer published: out of the index
    ref = tmp_path / "ref"
    build_with_search(ref, tmp_path / "ref-state")
    for q in ("第三代社会保障卡", "居民户口簿", "建设工程规划许可证核发", "社保", "申请表"):
        assert found(out, q) == found(ref, q), q
    assert (out / "guides/atom.xml").read_bytes() == (ref / "guides/atom.xml").read_bytes()


def test_the_guides_feed_holds_the_items_and_validates(dept, forms, tmp_path):
    import feedparser
    from lxml import etree

    from tests.test_site_build import SCHEMAS, _check_atom_schematron

    import_lines(lines(record(), record("SB01", name="社会保障卡申领", materials=[])), base_dir=forms)
    out = tmp_path / "site"
    build_service_pages(out, tmp_path / "state")
    rng = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    root = etree.parse(str(out / "guides/atom.xml"))
    assert rng.validate(root), rng.error_log.last_error
    _check_atom_schematron(root.getroot())
    for name in ("atom.xml", "rss.xml"):
        parsed = feedparser.parse((out / "guides" / name).read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert sorted(e.link.rsplit("/guides/", 1)[1] for e in parsed.entries) == ["SB01/", "XK001/"]
        assert {e.title for e in parsed.entries} == {"建设工程规划许可证核发", "社会保障卡申领"}
    assert 'href="/guides/atom.xml"' in (out / "guides/index.html").read_text()


def test_guides_link_appointments_only_when_the_module_is_enabled(dept, forms, tmp_path, settings):
    import_lines(lines(record()), base_dir=forms)
    build_service_pages(tmp_path / "with", tmp_path / "s1")
    assert 'href="/appointments/"' in (tmp_path / "with/guides/XK001/index.html").read_text()
    settings.GOVSITE_SERVICES = [s for s in settings.GOVSITE_SERVICES if s != "appointments"]
    build_service_pages(tmp_path / "without", tmp_path / "s2")
    for page in ("guides/XK001/index.html", "guides/index.html"):
        html = (tmp_path / "without" / page).read_text()
        assert "/appointments/" not in html and "预约" not in html, page
    assert not (tmp_path / "without/appointments").exists()


def test_setup_departments_gives_department_staff_the_catalogue_and_appointments(dept, client, django_user_model):
    from services.appointments.models import Window

    import_lines(lines(record(materials=[])))
    window = Window.objects.create(department=dept, name="规划许可窗口", place="二楼")
    group = dept.editors
    group.permissions.clear()  # as on a database made before the modules were enabled
    call_command("setup_departments", stdout=open(os.devnull, "w"))  # noqa: SIM115
    user = django_user_model.objects.create_user("zr", password="x")
    user.groups.add(group)
    client.force_login(user)
    item = ServiceItem.objects.get()
    for url in ("/admin/snippets/services_guides/serviceitem/", f"/admin/snippets/services_guides/serviceitem/edit/{item.pk}/",
                "/admin/snippets/services_guides/serviceitem/add/", "/admin/snippets/services_appointments/window/",
                f"/admin/snippets/services_appointments/window/edit/{window.pk}/", "/admin/appointments/day/",
                "/admin/appointments/phone/", "/admin/snippets/services_appointments/booking/"):
        assert client.get(url).status_code == 200, url
    # the catalogue's channels stay with the platform administrators
    assert client.get("/admin/snippets/services_guides/topic/add/").status_code in (302, 403)
    assert not user.has_perm("services_guides.delete_serviceitem")
