"""``govsite demo``'s catalogue: a few dozen items across the departments, topics, audiences and
scenarios, with blank forms and samples (small Word files made here), imported through the same
JSONL path as an operator's catalogue; scenario windows with their questions."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import orjson

from content_models.models import Department
from services.guides.exchange import import_lines
from services.guides.models import Audience, Scenario, ScenarioChoice, ServiceItem, Topic

TOPICS = ["教育", "社保", "医疗", "住房", "就业", "纳税", "婚育", "交通"]
AUDIENCES = ["学生", "农民", "退役军人", "残疾人", "低保人员", "进城务工人员", "老年人", "企业"]
SCENARIOS = {
    "企业开办": "开办一家企业需要办理的事项，一次告知、一窗受理。",
    "交通出行": "机动车、驾驶证和公交出行相关事项。",
    "证件办理": "身份证、户口、社保卡等常用证件的办理。",
    "社区服务": "居住证明、养老、救助等社区常办事项。",
}
# name, kind, promised, statutory, topics, audiences, scenarios, materials (name, originals, copies, form?)
ITEMS = [
    ("企业设立登记", "行政许可", 1, 3, ["纳税"], ["企业"], ["企业开办"], [("公司登记（备案）申请书", 1, 0, True), ("公司章程", 1, 0, False), ("法定代表人身份证件", 1, 1, False)]),
    ("公章刻制备案", "公共服务", 0, None, [], ["企业"], ["企业开办"], [("营业执照", 1, 1, False), ("印章刻制申请表", 1, 0, True)]),
    ("发票申领", "行政确认", 1, 5, ["纳税"], ["企业"], ["企业开办"], [("发票领用申请表", 1, 0, True)]),
    ("员工参保登记", "公共服务", 1, 5, ["社保", "就业"], ["企业", "进城务工人员"], ["企业开办"], [("社会保险登记表", 1, 0, True), ("劳动合同", 0, 1, False)]),
    ("住房公积金单位缴存登记", "公共服务", 3, 5, ["住房"], ["企业"], ["企业开办"], [("单位缴存登记表", 1, 0, True)]),
    ("食品经营许可", "行政许可", 10, 20, ["医疗"], ["企业"], ["企业开办"], [("食品经营许可申请书", 1, 0, True), ("经营场所平面图", 1, 0, False)]),
    ("建设工程规划许可证核发", "行政许可", 7, 20, ["住房"], ["企业"], [], [("建设工程规划许可申请表", 1, 0, True), ("建设用地使用权证明", 1, 1, False)]),
    ("不动产首次登记", "行政确认", 5, 30, ["住房"], [], [], [("不动产登记申请书", 1, 0, True), ("权属来源材料", 1, 1, False)]),
    ("不动产转移登记", "行政确认", 3, 30, ["住房"], ["老年人"], [], [("不动产登记申请书", 1, 0, True), ("买卖合同", 1, 0, False)]),
    ("公共租赁住房申请", "行政给付", 15, 20, ["住房"], ["低保人员", "进城务工人员", "残疾人"], ["社区服务"], [("公共租赁住房申请表", 1, 0, True), ("收入证明", 1, 0, False)]),
    ("居民身份证申领", "行政确认", 20, 60, [], ["学生"], ["证件办理"], [("户口簿", 1, 0, False)]),
    ("居住证办理", "行政确认", 10, 15, ["就业"], ["进城务工人员"], ["证件办理", "社区服务"], [("居住证申领登记表", 1, 0, True), ("居住证明", 1, 0, False)]),
    ("户口迁移", "行政确认", 5, 20, ["教育"], ["学生", "进城务工人员"], ["证件办理"], [("户口迁移申请表", 1, 0, True)]),
    ("社会保障卡申领", "公共服务", 5, 10, ["社保", "医疗"], ["老年人", "学生"], ["证件办理"], [("社会保障卡申领登记表", 1, 0, True), ("居民身份证", 1, 1, False)]),
    ("城乡居民基本养老保险参保登记", "公共服务", 1, 5, ["社保"], ["农民", "残疾人"], ["社区服务"], [("参保登记表", 1, 0, True)]),
    ("城乡居民基本医疗保险参保登记", "公共服务", 1, 5, ["社保", "医疗"], ["学生", "农民"], [], [("医保参保登记表", 1, 0, True)]),
    ("医疗费用报销", "行政给付", 10, 20, ["医疗"], ["老年人", "低保人员"], [], [("医疗费用报销申请表", 1, 0, True), ("医疗费用发票", 1, 0, False)]),
    ("最低生活保障审核确认", "行政给付", 20, 30, ["社保"], ["低保人员", "残疾人", "农民"], ["社区服务"], [("最低生活保障申请书", 1, 0, True), ("家庭收入财产声明", 1, 0, True)]),
    ("临时救助", "行政给付", 5, 15, ["社保"], ["低保人员"], ["社区服务"], [("临时救助申请表", 1, 0, True)]),
    ("残疾人证办理", "行政确认", 15, 30, ["医疗"], ["残疾人"], ["证件办理"], [("残疾人证申请表", 1, 0, True), ("近期照片", 0, 2, False)]),
    ("困难残疾人生活补贴", "行政给付", 15, 20, ["社保"], ["残疾人", "低保人员"], [], [("补贴申请审批表", 1, 0, True)]),
    ("退役军人优待证申领", "公共服务", 10, 20, [], ["退役军人"], ["证件办理"], [("优待证申领表", 1, 0, True), ("退役证件", 1, 1, False)]),
    ("退役士兵自主就业一次性经济补助", "行政给付", 10, 30, ["就业"], ["退役军人"], [], [("经济补助申请表", 1, 0, True)]),
    ("就业登记", "公共服务", 1, 5, ["就业"], ["进城务工人员", "学生", "退役军人"], [], [("就业登记表", 1, 0, True)]),
    ("失业登记", "公共服务", 1, 5, ["就业", "社保"], ["进城务工人员"], [], [("失业登记表", 1, 0, True)]),
    ("创业担保贷款申请", "行政给付", 10, 20, ["就业"], ["退役军人", "学生", "农民"], ["企业开办"], [("创业担保贷款申请表", 1, 0, True), ("创业计划书", 1, 0, False)]),
    ("职业技能培训补贴", "行政给付", 10, 20, ["就业", "教育"], ["进城务工人员", "农民"], [], [("培训补贴申请表", 1, 0, True)]),
    ("义务教育入学登记", "公共服务", 5, 10, ["教育"], ["学生", "进城务工人员"], ["社区服务"], [("入学登记表", 1, 0, True), ("户口簿或居住证", 1, 1, False)]),
    ("学生资助申请", "行政给付", 10, 20, ["教育"], ["学生", "低保人员"], [], [("学生资助申请表", 1, 0, True)]),
    ("教师资格认定", "行政许可", 20, 30, ["教育"], [], [], [("教师资格认定申请表", 1, 0, True), ("学历证书", 1, 1, False)]),
    ("个人所得税专项附加扣除", "公共服务", 0, None, ["纳税"], ["进城务工人员"], [], [("专项附加扣除信息表", 1, 0, True)]),
    ("结婚登记", "行政确认", 0, None, ["婚育"], [], ["证件办理"], [("申请结婚登记声明书", 1, 0, True)]),
    ("生育登记", "公共服务", 0, 5, ["婚育", "医疗"], [], ["社区服务"], [("生育登记表", 1, 0, True)]),
    ("机动车驾驶证换证", "行政许可", 1, 5, ["交通"], ["老年人"], ["交通出行", "证件办理"], [("机动车驾驶人身体条件证明", 1, 0, True)]),
    ("机动车注册登记", "行政确认", 1, 5, ["交通"], [], ["交通出行"], [("机动车注册登记申请表", 1, 0, True), ("购车发票", 1, 0, False)]),
    ("老年人公交优惠卡办理", "公共服务", 3, 10, ["交通"], ["老年人", "残疾人"], ["交通出行", "社区服务"], [("优惠卡申请表", 1, 0, True)]),
    ("农村宅基地建房审批", "行政许可", 15, 20, ["住房"], ["农民"], [], [("宅基地和建房（规划许可）申请表", 1, 0, True)]),
    ("耕地地力保护补贴", "行政给付", 10, 30, [], ["农民"], [], [("补贴面积确认表", 1, 0, True)]),
]
QUESTIONS = {
    "企业开办": [("您是否要雇用员工？", [("是", ["员工参保登记", "住房公积金单位缴存登记"]), ("否", [])]),
                ("是否经营食品？", [("是", ["食品经营许可"]), ("否", [])])],
    "证件办理": [("您要办理哪类证件？", [("身份证件", ["居民身份证申领", "居住证办理"]), ("社保卡", ["社会保障卡申领"]),
                                        ("优待证或残疾人证", ["退役军人优待证申领", "残疾人证办理"])])],
    "交通出行": [("您要办理的是？", [("车辆", ["机动车注册登记"]), ("驾驶证", ["机动车驾驶证换证"]), ("公交优惠", ["老年人公交优惠卡办理"])])],
    "社区服务": [("您家庭是否有困难？", [("是", ["最低生活保障审核确认", "临时救助", "公共租赁住房申请"]), ("否", [])]),
                ("家中是否有适龄儿童入学？", [("是", ["义务教育入学登记"]), ("否", [])])],
}


def blank_docx(title: str, rows: list[str]) -> bytes:
    """A small Word document (a table form) made with the standard library."""
    cells = "".join(
        f'<w:tr><w:tc><w:p><w:r><w:t>{escape(r)}</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc></w:tr>' for r in rows)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        f'<w:p><w:r><w:t>{escape(title)}</w:t></w:r></w:p><w:tbl>{cells}</w:tbl></w:body></w:document>')
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>')
    with tempfile.SpooledTemporaryFile() as buf:
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", types)
            z.writestr("_rels/.rels", rels)
            z.writestr("word/document.xml", document)
        buf.seek(0)
        return buf.read()


def demo_records(departments: list[str], forms_dir: Path) -> list[dict]:
    records = []
    for n, (name, kind, promised, statutory, topics, audiences, scenarios, materials) in enumerate(ITEMS, 1):
        mats = []
        for m, (mname, originals, copies, has_form) in enumerate(materials, 1):
            entry: dict[str, Any] = {"name": mname, "originals": originals, "copies": copies, "required": True}
            if has_form:
                blank, sample = forms_dir / f"{n:03d}-{m}.docx", forms_dir / f"{n:03d}-{m}-sample.docx"
                blank.write_bytes(blank_docx(mname, ["申请人", "联系电话", "申请事项", "申请日期"]))
                sample.write_bytes(blank_docx(f"{mname}（填写示例）", ["申请人：许文华", "联系电话：13800138000",
                                                                      f"申请事项：{name}", "申请日期：2026年10月12日"]))
                entry["blank_form"] = {"title": f"{mname}（空白）", "file": blank.name}
                entry["sample"] = {"title": f"{mname}（示例）", "file": sample.name}
            mats.append(entry)
        records.append({
            "code": f"DEMO{n:04d}", "name": name, "kind": kind, "department": departments[n % len(departments)],
            "legal_basis": "《中华人民共和国行政许可法》及相关法律法规" if kind == "行政许可" else "国家和省有关规定",
            "conditions": f"符合{name}相关规定的申请人均可申请。", "promised_days": promised, "statutory_days": statutory,
            "fees": "不收费", "steps": ["申请", "受理", "审核", "办结", "送达"], "place": "南安市民服务中心",
            "hours": "工作日 上午 8:30–12:00，下午 14:30–17:30（法定节假日除外）", "phone": "0595-86300000",
            "online_url": "https://zwfw.fujian.gov.cn/", "topics": topics, "audiences": audiences, "scenarios": scenarios,
            "materials": mats,
        })
    return records


def _order_channels() -> None:
    for model, names in ((Topic, TOPICS), (Audience, AUDIENCES), (Scenario, list(SCENARIOS))):
        for i, name in enumerate(names):
            model.objects.filter(name=name).update(sort_order=i)
    for name, intro in SCENARIOS.items():
        scenario = Scenario.objects.filter(name=name).first()
        if scenario is None:
            continue
        Scenario.objects.filter(pk=scenario.pk).update(intro=intro)
        order = 0
        for question, answers in QUESTIONS.get(name, []):
            for answer, items in answers:
                choice = ScenarioChoice.objects.create(scenario=scenario, question=question, answer=answer, sort_order=order)
                choice.items.set(ServiceItem.objects.filter(name__in=items))
                choice.save()  # a ParentalManyToManyField is written when its owner is saved
                order += 1


def load_demo(stdout: Any) -> None:
    """The sample catalogue, when the catalogue is empty."""
    if ServiceItem.objects.exists():
        return
    departments = list(Department.objects.order_by("sort_order", "slug").values_list("slug", flat=True)[:8])
    if not departments:
        return
    with tempfile.TemporaryDirectory() as tmp:
        records = demo_records(departments, Path(tmp))
        result = import_lines(((i, orjson.dumps(r)) for i, r in enumerate(records, 1)), base_dir=Path(tmp))
    _order_channels()
    stdout.write(f"  办事指南：{result.created} 个服务事项（含空白表格和示例样表）")
