"""Masking of personal names on public lists (许文华 → 许*华, 李明 → 李*; organisations in full)."""

ORG_MARKERS = ("公司", "集团", "企业", "中心", "协会", "学校", "医院", "银行", "合作社", "委员会", "研究院",
               "研究所", "事务所", "商行", "厂", "店", "局", "院", "所", "会", "社", "部", "处", "站", "馆")


def is_organisation(name: str) -> bool:
    name = name.strip()
    return len(name) > 4 or name.endswith(ORG_MARKERS)


def mask_name(name: str) -> str:
    """Mask a person's name for a public list; organisations stay in full."""
    name = (name or "").strip()
    if not name or is_organisation(name):
        return name
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]

