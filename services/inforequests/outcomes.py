"""Applicant types, outcomes and reasons of a disclosure request: the rows and columns of the
national annual-report format (国务院办公厅政府信息公开办公室《中华人民共和国政府信息公开工作年度报告格式》,
table 三). The one copy: the reply form, the API and the annual report read them from here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicantType(models.TextChoices):
    NATURAL = "natural", _("自然人")
    BUSINESS = "business", _("商业企业")
    RESEARCH = "research", _("科研机构")
    NONPROFIT = "nonprofit", _("社会公益组织")
    LEGAL = "legal", _("法律服务机构")
    OTHER = "other", _("其他")


class Outcome(models.TextChoices):
    DISCLOSED = "disclosed", _("予以公开")
    PARTIAL = "partial", _("部分公开")
    WITHHELD = "withheld", _("不予公开")
    UNAVAILABLE = "unavailable", _("无法提供")
    NOT_PROCESSED = "not_processed", _("不予处理")
    OTHER = "other", _("其他处理")


class Reason(models.TextChoices):
    # 不予公开
    STATE_SECRET = "secret", _("属于国家秘密")
    LAW_FORBIDS = "law", _("其他法律行政法规禁止公开")
    SECURITY = "security", _("危及“三安全一稳定”")
    THIRD_PARTY = "third_party", _("保护第三方合法权益")
    INTERNAL = "internal", _("属于三类内部事务信息")
    PROCESS = "process", _("属于四类过程性信息")
    ENFORCEMENT = "enforcement", _("属于行政执法案卷")
    INQUIRY = "inquiry", _("属于行政查询事项")
    # 无法提供
    NOT_HELD = "not_held", _("本机关不掌握相关政府信息")
    NEEDS_CREATING = "needs_creating", _("没有现成信息需要另行制作")
    STILL_UNCLEAR = "still_unclear", _("补正后申请内容仍不明确")
    # 不予处理
    PETITION = "petition", _("信访举报投诉类申请")
    REPEATED = "repeated", _("重复申请")
    PUBLICATION = "publication", _("要求提供公开出版物")
    MASS_REPEATED = "mass_repeated", _("无正当理由大量反复申请")
    CONFIRMATION = "confirmation", _("要求行政机关确认或重新出具已获取信息")
    # 其他处理
    NO_SUPPLEMENT = "no_supplement", _("申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请")
    NO_FEE = "no_fee", _("申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请")
    OTHER = "other", _("其他")


REASONS: dict[str, tuple[str, ...]] = {
    Outcome.WITHHELD: ("secret", "law", "security", "third_party", "internal", "process", "enforcement", "inquiry"),
    Outcome.UNAVAILABLE: ("not_held", "needs_creating", "still_unclear"),
    Outcome.NOT_PROCESSED: ("petition", "repeated", "publication", "mass_repeated", "confirmation"),
    Outcome.OTHER: ("no_supplement", "no_fee", "other"),
}


def reason_required(outcome: str) -> bool:
    return outcome in REASONS


def reason_allowed(outcome: str, reason: str) -> bool:
    return reason in REASONS.get(outcome, ()) if reason_required(outcome) else not reason
