"""The project's own sample documents: a deterministic county portal (南安市) for the demo and tests.

Same ``docs``/``seed``/``edits`` give the same records. The corpus covers what the platform must
handle: many departments and a township, all 22 topics, every category, 发文字号 on formal
documents (some typed the legacy way, e.g. ``南政办[2024]12号``), 政策解读 pointing at their policy,
失效/废止 policies pointing at what replaced them, a few records without 索引号 (the platform
numbers them), attachments, and dirty legacy HTML (scripts, iframes, event handlers,
``javascript:`` links, Word markup, inline styles, unclosed tags). Plain Python, no Django, and
it never reads /work/shared: users do not have it.
"""

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from content_models import vocabularies
from content_models.record import DocumentRecord
from site_generator.docinfo import CHINA_TZ

PORTAL = "南安市"
ORGAN_PREFIX = "11350583"

# (site slug, name, 发文机关代字, sort) — a county government's departments and one township.
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("zfb", "南安市人民政府办公室", "南政办"),
    ("fgj", "南安市发展和改革局", "南发改"),
    ("jyj", "南安市教育局", "南教"),
    ("kjj", "南安市科学技术局", "南科"),
    ("gxj", "南安市工业和信息化局", "南工信"),
    ("mzj", "南安市民政局", "南民"),
    ("czj", "南安市财政局", "南财"),
    ("rsj", "南安市人力资源和社会保障局", "南人社"),
    ("zrj", "南安市自然资源局", "南自然资源"),
    ("zjj", "南安市住房和城乡建设局", "南建"),
    ("jtj", "南安市交通运输局", "南交"),
    ("slj", "南安市水利局", "南水"),
    ("nyj", "南安市农业农村局", "南农"),
    ("wjj", "南安市卫生健康局", "南卫"),
    ("scj", "南安市市场监督管理局", "南市监"),
    ("tjj", "南安市统计局", "南统"),
    ("yjj", "南安市应急管理局", "南应急"),
    ("lcjd", "南安市柳城街道办事处", "柳街"),
)


def organ_code(index: int) -> str:
    """The 13-character organ code of the department at ``index`` in DEPARTMENTS."""
    return f"{ORGAN_PREFIX}{index + 1:05d}"


# Subjects per topic (主题分类), used in titles and bodies.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "综合政务": ("政务服务“一网通办”", "营商环境优化", "政务公开标准化"),
    "国民经济管理、国有资产监管": ("国有资产管理", "重点项目建设", "国民经济和社会发展计划"),
    "财政、金融、审计": ("财政预算管理", "普惠金融服务", "政府采购"),
    "国土资源、能源": ("耕地保护", "国土空间规划", "节能降碳"),
    "农业、林业、水利": ("乡村振兴", "高标准农田建设", "森林防火"),
    "工业、交通": ("制造业高质量发展", "农村公路建设", "公共交通"),
    "商贸、海关、旅游": ("外贸稳增长", "全域旅游", "农村电商"),
    "市场监管、安全生产监管": ("食品安全", "安全生产专项整治", "特种设备安全"),
    "城乡建设、环境保护": ("老旧小区改造", "生活垃圾分类", "大气污染防治"),
    "科技、教育": ("义务教育招生", "科技创新平台", "校外培训治理"),
    "文化、广电、新闻出版": ("文物保护", "公共文化服务", "传统村落保护"),
    "卫生、体育": ("基层医疗卫生服务", "全民健身", "疫苗接种"),
    "人口与计划生育、妇女儿童工作": ("托育服务", "妇女儿童权益保障", "生育支持"),
    "劳动、人事、监察": ("就业创业补贴", "农民工工资支付", "事业单位公开招聘"),
    "公安、安全、司法": ("扫黑除恶", "法律援助", "道路交通安全"),
    "民政、扶贫、救灾": ("城乡最低生活保障", "养老服务", "防汛救灾"),
    "民族、宗教": ("民族团结进步", "宗教活动场所管理"),
    "对外事务": ("友好城市交流", "外事接待"),
    "港澳台侨工作": ("侨务服务", "台胞台企服务"),
    "国防": ("征兵工作", "国防教育"),
    "统计": ("经济普查", "人口抽样调查", "统计数据发布"),
    "其他": ("志愿服务", "档案管理"),
}
assert set(SUBJECTS) == set(vocabularies.TOPICS)

FORMAL = {"政策文件", "法规规章", "规划计划", "应急管理"}  # these carry a 发文字号
PLACES = ("溪美街道", "柳城街道", "美林街道", "省新镇", "仑苍镇", "东田镇", "英都镇", "翔云镇", "金淘镇", "诗山镇")
NAMES = ("陈建华", "黄丽萍", "林志强", "王晓燕", "李国平", "张海燕", "吴文杰", "蔡雅琴")
ATTACHMENT_TYPES = ("pdf", "docx", "xlsx", "ofd")  # the kinds cms.demo.files writes as real files


def _title(rng: random.Random, category: str, dept: str, subject: str, year: int) -> str:
    short = dept.removeprefix(PORTAL)
    match category:
        case "政策文件":
            return rng.choice(
                (
                    f"{dept}关于印发《{PORTAL}{subject}实施方案》的通知",
                    f"{dept}关于进一步加强{subject}工作的意见",
                    f"{PORTAL}{subject}若干措施",
                )
            )
        case "法规规章":
            return f"{PORTAL}{subject}管理办法"
        case "规划计划":
            return rng.choice((f"{PORTAL}{subject}三年行动计划（{year}—{year + 2}年）", f"{year}年{subject}工作要点"))
        case "通知公告":
            return rng.choice((f"关于{subject}有关事项的公告", f"关于{rng.choice(PLACES)}{subject}项目的批前公示"))
        case "工作动态":
            return rng.choice((f"{short}召开{subject}工作推进会", f"{rng.choice(PLACES)}扎实推进{subject}工作"))
        case "财政资金":
            return f"{year}年{subject}专项资金分配情况公示"
        case "人事信息":
            return f"{dept}{year}年公开招聘编外工作人员公告"
        case "行政许可":
            return f"关于{subject}行政许可事项办理结果的公示"
        case "应急管理":
            return f"{PORTAL}{subject}突发事件应急预案"
        case "统计信息":
            return f"{year}年{rng.randint(1, 12)}月{PORTAL}{subject}统计数据"
        case "年度报告":
            return f"{dept}{year}年政府信息公开工作年度报告"
    return f"关于{subject}的通知"


def _paragraphs(rng: random.Random, dept: str, subject: str, year: int) -> list[str]:
    pool = (
        f"为进一步做好{subject}工作，根据有关法律法规和上级部署，结合我市实际，制定本文件。",
        f"{dept}高度重视{subject}工作，成立了以主要负责同志为组长的工作领导小组，统筹推进各项任务落实。",
        f"截至{rng.randint(1, 12)}月底，全市已累计完成{subject}项目{rng.randint(20, 900)}个，"
        f"完成投资{rng.randint(100, 9000)}万元，同比增长{rng.randint(2, 40)}%。",
        f"{rng.choice(PLACES)}结合{subject}工作实际，创新工作方法，探索形成了一批可复制、可推广的经验做法。",
        f"各乡镇（街道）、市直有关单位要把{subject}摆上重要议事日程，明确责任分工，确保各项措施落到实处。",
        f"联系电话：0595-{rng.randint(22000000, 26999999)}，联系人：{rng.choice(NAMES)}。",
        f"本文件自印发之日起施行，有效期{rng.choice((3, 5))}年。此前有关规定与本文件不一致的，以本文件为准。",
        f"下一步，{dept}将继续聚焦{subject}，持续深化改革，切实提升群众获得感、幸福感、安全感。",
    )
    return rng.sample(pool, rng.randint(3, 6))


def _clean_body(rng: random.Random, paragraphs: list[str], subject: str, doc_id: str) -> str:
    parts = []
    headings = ("一、总体要求", "二、主要任务", "三、保障措施")
    for i, text in enumerate(paragraphs):
        if i < len(headings) and len(paragraphs) > 3 and i % 2 == 0:
            parts.append(f"<h2>{headings[i // 2]}</h2>")
        parts.append(f"<p>{text}</p>")
    if rng.random() < 0.3:
        parts.append(f"<ol><li>加强{subject}组织领导。</li><li>强化资金保障。</li><li>严格督查考核。</li></ol>")
    if rng.random() < 0.25:
        rows = "".join(
            f"<tr><td>{place}</td><td>{rng.randint(1, 99)}</td><td>{rng.randint(100, 999)}</td></tr>"
            for place in rng.sample(PLACES, 3)
        )
        parts.append(f"<table><thead><tr><th>单位</th><th>项目数</th><th>金额（万元）</th></tr></thead><tbody>{rows}</tbody></table>")
    if rng.random() < 0.2:
        parts.append(f'<p>详见<a href="https://www.nanan.gov.cn/zwgk/{doc_id}.htm">相关链接</a>。</p>')
    if rng.random() < 0.1:
        parts.append(f'<p><img src="/uploads/{doc_id}.jpg" alt="{subject}现场图片"></p>')
    return "".join(parts)


def _dirty_body(rng: random.Random, paragraphs: list[str], subject: str) -> str:
    """The same kind of body as a legacy system exported it (every trap the cleaner must handle)."""
    parts = ['<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View></w:WordDocument></xml><![endif]-->']
    for text in paragraphs:
        parts.append(
            f'<p class="MsoNormal" style="mso-line-height-rule:exactly;line-height:28pt;font-family:仿宋_GB2312">'
            f'<span style="font-size:16pt">{text}</span><o:p></o:p></p>'
        )
    tricks = (
        '<script type="text/javascript">document.write("统计代码");</script>',
        '<iframe src="http://old-system.example/player.html" width="600">视频播放器</iframe>',
        '<p onclick="openWin()" onmouseover="track(1)">点击查看详情</p>',
        '<a href="javascript:void(window.open(\'/old/print.asp\'))">打印本页</a>',
        f'<div align="center"><font face="宋体" color="#ff0000"><b>{subject}工作联系表',
        f"<table border=1><tr><td>事项<td>{subject}<tr><td>时限<td>5个工作日</table>",
        '<style>.MsoNormal{margin:0}</style>',
    )
    parts.extend(rng.sample(tricks, rng.randint(2, len(tricks))))
    return "".join(parts)


def _doc_no(rng: random.Random, prefix: str, year: int, serial: int) -> str:
    """Mostly canonical, sometimes typed the way legacy systems did (normalized on import)."""
    r = rng.random()
    if r < 0.1:
        return f"{prefix}[{year}]{serial}号"
    if r < 0.15:
        full = str.maketrans("0123456789", "０１２３４５６７８９")
        return f"{prefix}（{str(year).translate(full)}）{str(serial).translate(full)}号"
    if r < 0.2:
        return f"{prefix}〔{year}〕第{serial}号"
    return f"{prefix}〔{year}〕{serial}号"


# The categories sample documents are drawn from (建议提案办理 replies come from the proposals module).
SAMPLE_CATEGORIES = vocabularies.CATEGORIES[:12]


def _plan(rng: random.Random, docs: int, start: int, serials: dict, doc_serials: dict) -> list[dict]:
    """The light metadata of each document, so links (解读 → policy, 废止 → replacement) can look ahead."""
    plans = []
    for i in range(start, start + docs):
        dept_index = rng.randrange(len(DEPARTMENTS))
        category = SAMPLE_CATEGORIES[i % len(SAMPLE_CATEGORIES)] if i < 24 else rng.choices(
            SAMPLE_CATEGORIES, weights=(14, 6, 3, 5, 20, 30, 4, 4, 4, 3, 4, 3)
        )[0]
        topic = vocabularies.TOPICS[i % len(vocabularies.TOPICS)] if i % 2 == 0 else rng.choice(vocabularies.TOPICS)
        day = datetime(2015, 1, 1, tzinfo=CHINA_TZ) + timedelta(days=rng.randrange(365 * 11), minutes=rng.randrange(8 * 60, 18 * 60))
        year = day.year
        key = (dept_index, year)
        serials[key] = serials.get(key, 0) + 1
        subject = rng.choice(SUBJECTS[topic])
        plan = {
            "subject": subject, "title": _title(rng, category, DEPARTMENTS[dept_index][1], subject, year),
            "n": i, "dept": dept_index, "category": category, "topic": topic, "published": day, "year": year,
            "serial": serials[key], "id": f"{DEPARTMENTS[dept_index][0]}-{year}-{i:06d}",
        }
        if category in FORMAL:
            doc_serials[key] = doc_serials.get(key, 0) + 1
            plan["doc_serial"] = doc_serials[key]
        plans.append(plan)
    return plans


def _record(rng: random.Random, plan: dict) -> DocumentRecord:
    slug, dept, prefix = DEPARTMENTS[plan["dept"]]
    subject, title = plan["subject"], plan["title"]
    year, category = plan["year"], plan["category"]
    paragraphs = _paragraphs(rng, dept, subject, year)
    dirty = rng.random() < 0.15
    body = _dirty_body(rng, paragraphs, subject) if dirty else _clean_body(rng, paragraphs, subject, plan["id"])
    written = plan["published"] - timedelta(days=rng.randint(1, 20))
    has_index = rng.random() >= 0.05  # a few legacy records come without 索引号
    validity = None
    if category in ("政策文件", "法规规章", "规划计划"):
        validity = plan.get("validity", vocabularies.VALID)
    n_att = rng.choices((0, 1, 2, 3), weights=(50, 30, 15, 5))[0]
    attachments = [
        {
            "title": f"附件{k}：{subject}{rng.choice(('申报表', '名单', '流程图', '明细表'))}",
            "file": f"/uploads/{plan['id']}-{k}.{rng.choice(ATTACHMENT_TYPES)}",
            "bytes": rng.randint(20_000, 8_000_000),
        }
        for k in range(1, n_att + 1)
    ]
    return {
        "id": plan["id"],
        "site": slug,
        "organ": dept,
        "index_no": f"{organ_code(plan['dept'])}/{year}-{plan['serial']:05d}" if has_index else None,
        "doc_no": _doc_no(rng, prefix, year, plan["doc_serial"]) if "doc_serial" in plan else None,
        "title": title,
        "category": category,
        "topic": plan["topic"],
        "written": written.date().isoformat(),
        "published": plan["published"].isoformat(),
        "validity": validity,
        "keywords": [subject.strip("“”"), category],
        "summary": paragraphs[0],
        "body_html": body,
        "attachments": attachments,
        "lang": "zh-hans",
        "interprets": plan.get("interprets"),
        "replaced_by": plan.get("replaced_by"),
    }


def _link(plans: list[dict], rng: random.Random) -> None:
    """解读 → an earlier policy of the portal; some older policies 失效/废止 → a newer one."""
    by_time = sorted(plans, key=lambda p: p["published"])
    policies: list[dict] = []
    for plan in by_time:
        if plan["category"] == "政策解读" and policies:
            policy = rng.choice(policies[-50:])
            plan["interprets"] = policy["id"]
            title = policy["title"]
            core = title[title.index("《") + 1 : title.index("》")] if "《" in title else title
            plan["title"] = rng.choice((f"《{core}》政策解读", f"一图读懂《{core}》"))
            plan["topic"], plan["subject"] = policy["topic"], policy["subject"]
        if plan["category"] in ("政策文件", "法规规章"):
            # A 失效/废止 policy is replaced by a later one of the same department on the same
            # subject, which says so in its title: a reader following 现行文件 lands on its successor.
            same = [p for p in policies[-300:] if p["dept"] == plan["dept"] and "replaced_by" not in p
                    and p["category"] == plan["category"]]
            if same and rng.random() < 0.5:
                old = rng.choice(same)
                old["replaced_by"] = plan["id"]
                old["validity"] = rng.choice((vocabularies.EXPIRED, vocabularies.REPEALED))
                plan["subject"], plan["topic"] = old["subject"], old["topic"]
                title = old["title"].removesuffix("（修订）")
                plan["title"] = f"{title}（{plan['year']}年修订）" if "修订" not in title else title
            policies.append(plan)


def generate_sample(docs: int = 2400, seed: int = 1, edits: int = 0) -> Iterator[DocumentRecord]:
    """Yield ``docs`` base records, then ``edits`` change records (update / withdraw / create)."""
    rng = random.Random(seed)
    serials: dict[tuple[int, int], int] = {}
    doc_serials: dict[tuple[int, int], int] = {}
    plans = _plan(rng, docs, 0, serials, doc_serials)
    _link(plans, rng)
    titles: dict[str, str] = {}
    for plan in plans:
        record = _record(random.Random(f"{seed}-{plan['n']}"), plan)
        titles[record["id"]] = record["title"]
        yield record
    if not edits:
        return
    ids = [p["id"] for p in plans]
    withdrawn: set[str] = set()
    extra = _plan(rng, edits, docs, serials, doc_serials)
    for k in range(edits):
        r = rng.random()
        if r < 0.25:
            yield {"op": "create", **_record(random.Random(f"{seed}-new-{k}"), extra[k])}
        elif r < 0.45:
            doc_id = rng.choice(ids)
            withdrawn.add(doc_id)
            yield {"op": "withdraw", "id": doc_id}
        else:
            doc_id = rng.choice(ids)
            body_rng = random.Random(f"{seed}-edit-{k}")
            topic = body_rng.choice(vocabularies.TOPICS)
            subject = body_rng.choice(SUBJECTS[topic])
            paragraphs = _paragraphs(body_rng, PORTAL, subject, 2025)
            body = _dirty_body(body_rng, paragraphs, subject) if k % 5 == 0 else "".join(f"<p>{p}</p>" for p in paragraphs)
            yield {"op": "update", "id": doc_id, "title": f"{titles[doc_id]}（修订）", "body_html": body}
