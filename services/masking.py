"""Masking of personal data on everything public [0083].

- ``mask_name``: a person's name on a public list (许文华 → 许*华, 王会 → 王*, 欧阳文华 → 欧阳*华,
  阿不都热合曼 → 阿****曼, 阿卜杜拉·买买提 → 阿***·***, John Smith → J*** S****); organisations
  stay in full. When in doubt a name is treated as a person's: masking an organisation's name
  costs little, publishing a person's costs a lot.
- ``mask_text``: personal numbers in free text (a letter, a comment, an answer): ID-card numbers
  (18 characters, checksum-validated), bank-card numbers (13–19 digits, Luhn-validated), mobile
  and landline numbers, e-mail addresses.
"""

from __future__ import annotations

import re

# Compound surnames (复姓): the surname is two characters, the given name what follows.
COMPOUND_SURNAMES = frozenset(
    "欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 公冶 太叔 申屠 "
    "公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 "
    "拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 公户 公玉 公仪 梁丘 公仲 公上 公门 公山 公坚 左丘 公伯 "
    "西门 公祖 第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 子书 子桑 即墨 达奚 褚师 吴铭".split()
)
# Common single-character surnames (about the 300 most frequent): a short name starting with one of
# these is a person's even when it ends like an organisation (王会, 李部).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝"
    "路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕"
    "楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈"
    "晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶"
    "斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
# Endings that make a name an organisation's whatever its length.
ORG_SUFFIXES = ("公司", "集团", "企业", "中心", "协会", "学会", "商会", "学校", "小学", "中学", "大学", "学院", "医院",
                "卫生院", "银行", "合作社", "委员会", "研究院", "研究所", "事务所", "商行", "工作室", "办公室", "联合会",
                "基金会", "俱乐部", "经营部", "服务部", "门市部", "营业部", "项目部", "分公司", "政府", "街道", "社区",
                "村委会", "居委会", "业委会", "物业", "酒店", "宾馆", "饭店", "超市", "药房", "诊所", "幼儿园")
# One-character endings (局、院、会、部…): an organisation only for a longer name that does not start
# with a surname — 王会 and 李部 are people.
ORG_ENDINGS = ("厂", "店", "局", "院", "所", "会", "社", "部", "处", "站", "馆", "委", "办", "队", "厅", "行", "场", "园")
LATIN_ORG_WORDS = re.compile(r"\b(co|corp|corporation|company|ltd|limited|inc|llc|gmbh|group|university|bank|"
                             r"association|foundation|institute|school|hospital|center|centre)\b\.?", re.IGNORECASE)
_HAN = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff]+$")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z'\-.]*(?:\s+[A-Za-z][A-Za-z'\-.]*)*$")
_NAME_DOTS = "·•‧・.．"


def _starts_with_surname(name: str) -> bool:
    return name[:2] in COMPOUND_SURNAMES or name[0] in SURNAMES


def is_organisation(name: str) -> bool:
    """Whether ``name`` is an organisation's (shown in full) rather than a person's (masked)."""
    name = name.strip()
    if not name:
        return False
    if name.endswith(ORG_SUFFIXES) or LATIN_ORG_WORDS.search(name):
        return True
    if _LATIN_NAME.match(name) or any(dot in name for dot in _NAME_DOTS):
        return False
    if not _HAN.match(name):
        return len(name) > 10  # mixed text: a long one is a company, a short one a person
    if name.endswith(ORG_ENDINGS) and len(name) >= 3:
        return len(name) >= 5 or not _starts_with_surname(name)
    return False


def _mask_han(name: str) -> str:
    """A Chinese name: the surname stays, the given name is masked but for its last character
    when it has two or more (许文华 → 许*华, 王会 → 王*, 欧阳文华 → 欧阳*华, 阿不都热合曼 → 阿****曼)."""
    surname = name[:2] if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else name[:1]
    given = name[len(surname):]
    if len(given) <= 1:
        return surname + "*" * len(given)
    return surname + "*" * (len(given) - 1) + given[-1]


def _mask_dotted(name: str) -> str:
    """阿卜杜拉·买买提 → 阿***·***: the first character only, separators kept."""
    out, first = [], True
    for ch in name:
        if ch in _NAME_DOTS or ch.isspace():
            out.append(ch)
        elif first:
            out.append(ch)
            first = False
        else:
            out.append("*")
    return "".join(out)


def _mask_latin(name: str) -> str:
    """John Smith → J*** S****: each word's initial."""
    return re.sub(r"[A-Za-z][A-Za-z'\-.]*", lambda m: m.group(0)[0] + "*" * (len(m.group(0)) - 1), name)


def mask_name(name: str) -> str:
    """Mask a person's name for a public list; organisations stay in full."""
    name = (name or "").strip()
    if not name or is_organisation(name):
        return name
    if any(dot in name for dot in _NAME_DOTS) and not _LATIN_NAME.match(name):
        return _mask_dotted(name)
    if _LATIN_NAME.match(name):
        return _mask_latin(name)
    if len(name) == 1:
        return "*"
    if _HAN.match(name):
        return _mask_han(name)
    return name[0] + "*" * (len(name) - 1)


# --- personal numbers in free text ----------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
_DIGIT_RUN = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
# not part of a longer run of digits, with or without separators
_MOBILE = re.compile(r"(?<!\d)(?<!\d[ -])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![ -]?\d)")
_LANDLINE = re.compile(r"(?<!\d)(?<!\d[ -])(\(?0\d{2,3}\)?[ -]?)(\d{3,4})[ -]?(\d{3,4})(?![ -]?\d)")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def is_id_card(number: str) -> bool:
    """A mainland resident ID-card number whose check character is right (GB 11643)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _id_card(match: re.Match) -> str:
    number = match.group(0)
    return number[:6] + "*" * 8 + number[-4:] if is_id_card(number) else number


def _bank_card(match: re.Match) -> str:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    if not 13 <= len(digits) <= 19 or not luhn_ok(digits):
        return raw
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def _landline(match: re.Match) -> str:
    local = match.group(2) + match.group(3)
    if len(local) not in (7, 8):
        return match.group(0)
    return match.group(1) + "*" * (len(local) - 2) + local[-2:]


def mask_text(text: str) -> str:
    """``text`` with ID-card, bank-card, mobile and landline numbers and e-mail addresses masked."""
    if not text:
        return text or ""
    text = _ID_CARD.sub(_id_card, text)
    text = _DIGIT_RUN.sub(_bank_card, text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LANDLINE.sub(_landline, text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
