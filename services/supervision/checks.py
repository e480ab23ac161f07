"""The periodic supervision check: warn, then yellow card, then red card; each at most once per case.

Idempotent by construction: a card is a row under UNIQUE (module, number, level), created before
anyone is told; only rows without ``notified_at`` are sent, and ``notified_at`` is set right after.
Running the check twice (or two checks at once) never sends a card twice.
"""

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from services import conf
from services.cases import CaseInfo, providers
from services.notify import Notification, notify
from services.supervision.models import Card, Rule
from services.workdays import workdays_between

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EffectiveRule:
    warn_days_left: int
    red_after_days: int
    contacts: tuple[str, ...] = ()


@dataclass
class Report:
    checked: int = 0
    issued: Counter = field(default_factory=Counter)
    notified: int = 0
    resolved: int = 0

    def summary(self) -> str:
        issued = "，".join(f"{Card.Level(k).label} {v}" for k, v in self.issued.items()) or "无"
        return f"检查 {self.checked} 件；新发出：{issued}；已通知 {self.notified} 张；随办结销牌 {self.resolved} 张"


def _contacts(rule: Rule | None) -> tuple[str, ...]:
    if rule is None:
        return ()
    text = f"{rule.section_head_contact},{rule.leader_contact}"
    return tuple(c.strip() for c in text.split(",") if c.strip())


class RuleBook:
    """All rules in memory (they are few), resolved item first, then department, then default.

    A case routed to a department record is matched by that department; a case known only by a
    name (a rating's, or a rule typed before departments were records) by the name.
    """

    def __init__(self) -> None:
        self.by_unit: dict[tuple[int | None, str], Rule] = {}
        self.by_name: dict[tuple[str, str], Rule] = {}
        for r in Rule.objects.select_related("unit"):
            if r.unit_id is not None:
                self.by_unit[(r.unit_id, r.item)] = r
            elif not r.department:
                self.by_unit[(None, r.item)] = r  # all departments
            self.by_name[(r.unit.name if r.unit_id else r.department, r.item)] = r
        self.default = EffectiveRule(
            conf.get("GOVSITE_SUPERVISION_WARN_DAYS_LEFT", 2), conf.get("GOVSITE_SUPERVISION_RED_AFTER_DAYS", 5)
        )

    def _get(self, case: CaseInfo, own_department: bool, item: str) -> Rule | None:
        if not own_department:
            return self.by_unit.get((None, item))
        found = self.by_unit.get((case.department_id, item)) if case.department_id is not None else None
        return found or self.by_name.get((case.department, item))

    def resolve(self, case: CaseInfo) -> EffectiveRule:
        """The rule for this case; the section head and the unit leader are the case's department's
        (from its department rule when the item's rule names none)."""
        for own_department, item in ((True, case.item), (False, case.item), (True, "")):
            rule = self._get(case, own_department, item)
            if rule is not None:
                contacts = _contacts(rule)
                if not contacts and (own_department, item) != (True, ""):
                    contacts = _contacts(self._get(case, True, ""))
                return EffectiveRule(rule.warn_days_left, rule.red_after_days, contacts)
        return self.default


def _issue(case: CaseInfo, level: str, today: dt.date, recipients: tuple[str, ...], report: Report) -> None:
    try:
        with transaction.atomic():
            Card.objects.create(
                module=case.module, number=case.number, level=level, title=case.title[:200],
                department=case.department[:100], unit_id=case.department_id, item=case.item[:200], deadline=case.deadline, issued_on=today,
                recipients=",".join(dict.fromkeys(recipients)),
            )
    except IntegrityError:  # another run issued it first
        return
    report.issued[level] += 1


def check_cases(today: dt.date, report: Report) -> None:
    rules = RuleBook()
    for module, provider in providers().items():
        existing: dict[tuple[str, str], Card] = {
            (c.number, c.level): c for c in Card.objects.filter(module=module, resolved_on__isnull=True)
        }
        for case in provider.iter_open():
            report.checked += 1
            rule = rules.resolve(case)
            everyone = case.handler_contacts + rule.contacts
            yellow = existing.get((case.number, Card.Level.YELLOW))
            if today > case.deadline:
                if yellow is None:
                    _issue(case, Card.Level.YELLOW, today, everyone, report)
                elif (case.number, Card.Level.RED) not in existing and (
                    workdays_between(yellow.issued_on, today) >= rule.red_after_days
                ):
                    _issue(case, Card.Level.RED, today, everyone, report)
            elif workdays_between(today, case.deadline) <= rule.warn_days_left:
                if (case.number, Card.Level.WARNING) not in existing:
                    _issue(case, Card.Level.WARNING, today, case.handler_contacts, report)


def resolve_closed(report: Report) -> None:
    """Cards of cases that have since been closed leave the open list."""
    all_providers = providers()
    for card in Card.objects.filter(resolved_on__isnull=True).iterator():
        provider = all_providers.get(card.module)
        case = provider.get(card.number) if provider else None
        if case is None or case.closed_on is not None:
            card.resolved_on = case.closed_on if case else timezone.localdate()
            card.save(update_fields=["resolved_on"])
            report.resolved += 1


def _message(card: Card) -> Notification:
    level = card.get_level_display()
    subject = f"【电子监察{level}】{card.department} {card.number}"
    if card.level == Card.Level.WARNING:
        state = f"将于 {card.deadline} 到期，请抓紧办理"
    elif card.level == Card.Level.YELLOW:
        state = f"已超过办理期限（{card.deadline}），请立即办理并说明原因"
    else:
        state = f"超期（期限 {card.deadline}）且黄牌后仍未办结，已升级督办"
    body = f"{card.title}（{card.item}，编号 {card.number}）{state}。"
    return Notification(subject, body, tuple(r for r in card.recipients.split(",") if r))


def send_pending(report: Report) -> None:
    for card in Card.objects.filter(notified_at__isnull=True, resolved_on__isnull=True).order_by("id"):
        # claim the card first: only the run that flips notified_at from NULL sends it
        claimed = Card.objects.filter(pk=card.pk, notified_at__isnull=True).update(notified_at=timezone.now())
        if not claimed:
            continue
        try:
            notify(_message(card))
        except Exception:
            logger.exception("could not notify %s; it will be retried", card)
            Card.objects.filter(pk=card.pk).update(notified_at=None)
            continue
        report.notified += 1


def run_supervision(today: dt.date | None = None) -> Report:
    today = today or timezone.localdate()
    report = Report()
    check_cases(today, report)
    resolve_closed(report)
    send_pending(report)
    return report
