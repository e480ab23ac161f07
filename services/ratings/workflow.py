"""Rating rules: who may rate, what a bad rating triggers, defaults, statistics."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.api.errors import ServiceError
from services import conf
from services.cases import CaseInfo, providers
from services.ratings.models import Rating
from services.site import batched
from services.workdays import add_workdays, workdays_between


def rate(case: CaseInfo, level: int, comment: str, key: str, fp: str) -> tuple[Rating, bool]:
    """Record the citizen's rating of a closed case; a bad one starts 核实/整改 and tells the module."""
    if case.closed_on is None:
        raise ServiceError(409, _("该事项尚未办结，办结后才能评价"))
    existing = Rating.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.request_fingerprint != fp:
            raise ServiceError(409, _("该 Idempotency-Key 已用于另一份不同的提交"))
        return existing, False
    bad = level in Rating.BAD
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                module=case.module, number=case.number, level=level, comment=comment,
                department=case.department, item=case.item, idempotency_key=key, request_fingerprint=fp,
                handling=Rating.Handling.VERIFYING if bad else "",
                reply_deadline=add_workdays(timezone.localdate(), conf.get("GOVSITE_RATINGS_RECTIFY_DAYS", 10))
                if bad else None,
            )
            if bad:
                provider = providers().get(case.module)
                if provider is not None:
                    provider.on_bad_rating(case.number)
    except IntegrityError:
        again = Rating.objects.filter(idempotency_key=key).first()
        if again is not None and again.request_fingerprint == fp:
            return again, False
        raise ServiceError(409, _("该事项已经评价过，每件只能评价一次")) from None
    return rating, True


def appeal(rating: Rating, text: str) -> Rating:
    """The citizen appeals the answer to a bad rating, within the configured working days."""
    if not rating.is_bad or rating.handling != Rating.Handling.ANSWERED:
        raise ServiceError(409, _("只有已回复的差评可以申诉"))
    if workdays_between(rating.replied_on, timezone.localdate()) > conf.get("GOVSITE_RATINGS_APPEAL_DAYS", 5):
        raise ServiceError(409, _("已超过申诉期限"))
    rating.appeal = text
    rating.appealed_on = timezone.localdate()
    rating.handling = Rating.Handling.APPEALED
    rating.save()
    return rating


def apply_default_ratings(today: dt.date) -> int:
    """Cases closed more than N days ago and never rated count as 基本满意 (GB/T 39734)."""
    days = conf.get("GOVSITE_RATINGS_DEFAULT_AFTER_DAYS", 7)
    end = today - dt.timedelta(days=days)
    start = end - dt.timedelta(days=90)
    created = 0
    for module, provider in providers().items():
        if not getattr(provider, "ratable", True):
            continue
        rated = set(Rating.objects.filter(module=module).values_list("number", flat=True))
        for case in provider.iter_closed_between(start, end):
            if case.number in rated:
                continue
            try:
                with transaction.atomic():
                    Rating.objects.create(module=module, number=case.number, level=Rating.Level.BASIC,
                                          is_default=True, department=case.department, item=case.item)
                created += 1
            except IntegrityError:
                pass
    return created


def daily_defaults(today: dt.date) -> str:
    """The daily job (``RatingsConfig.periodic``): default ratings, one site build for all of them."""
    with batched("好差评：超期未评价默认为基本满意"):
        n = apply_default_ratings(today)
    return f"好差评：{n} 件超期未评价，默认为基本满意"


def statistics(by: str) -> list[dict]:
    """Counts per level and the satisfaction rate ((5+4+3)/all) per department or item."""
    assert by in ("department", "item")
    levels = {lvl.value: f"l{lvl.value}" for lvl in Rating.Level}
    rows = Rating.objects.values(by).annotate(
        total=Count("id"), **{name: Count("id", filter=Q(level=value)) for value, name in levels.items()},
        defaults=Count("id", filter=Q(is_default=True)),
    ).order_by(by)
    out = []
    for row in rows:
        good = row["l5"] + row["l4"] + row["l3"]
        out.append({
            "name": row[by], "total": row["total"], "defaults": row["defaults"],
            "levels": {str(Rating.Level(v).label): row[n] for v, n in levels.items()},
            "satisfaction_rate": round(100.0 * good / row["total"], 1) if row["total"] else None,
        })
    return out
