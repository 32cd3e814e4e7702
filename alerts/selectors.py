"""Reads shared by pages, API, jobs and the bulletin: tracking lists, missing and overdue plans,
slip statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Case as SqlCase,
)
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from cases import permissions
from cases.ageing import Level, open_on_q
from cases.models import Case, Division, User

from .models import Alert, ClearancePlan, PlanStatus

STANDING = [PlanStatus.SUBMITTED, PlanStatus.APPROVED]
OVER_6M_OR_MORE = [Level.OVER_6M, Level.APPROACHING_15M, Level.OVER_15M]


def day_end(on: dt.date) -> dt.datetime:
    """The first instant after the local day `on`: "submitted by `on`" is "submitted before this"."""
    return timezone.make_aware(dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min))


def standing_plans(as_of: dt.date | None = None) -> QuerySet[ClearancePlan]:
    """Plan versions that stood on `as_of`: submitted by then and not returned by then.

    Without a date: submitted or approved now. Submitted versions never change except by review,
    so the dates tell the state on any past day.
    """
    if as_of is None:
        return ClearancePlan.objects.filter(status__in=STANDING)
    cutoff = day_end(as_of)
    return ClearancePlan.objects.filter(submitted_at__lt=cutoff).exclude(
        status=PlanStatus.RETURNED, reviewed_at__lt=cutoff
    )


def has_standing_plan(as_of: dt.date | None = None, case_ref: str = "pk") -> Exists:
    return Exists(standing_plans(as_of).filter(case=OuterRef(case_ref)))


def latest_standing_expected(as_of: dt.date | None = None, case_ref: str = "pk") -> Subquery:
    """The expected closing date of the latest standing version of the case's plan."""
    return Subquery(
        standing_plans(as_of).filter(case=OuterRef(case_ref)).order_by("-version").values("expected_close_on")[:1]
    )


def active_alerts(as_of: dt.date | None = None) -> QuerySet[Alert]:
    """Alerts of either family active on `as_of` (today by default): raised by then, not resolved
    by then. Add `.ageing()` or `.time_limit()` for one family."""
    as_of = as_of or timezone.localdate()
    return Alert.objects.filter(superseded=False, raised_on__lte=as_of).filter(
        Q(resolved_on__isnull=True) | Q(resolved_on__gt=as_of)
    )


def tracking_list(
    user: User,
    as_of: dt.date | None = None,
    *,
    division: Division | None = None,
    handler: User | None = None,
    followed_only: bool = False,
) -> QuerySet[Alert]:
    """The day's tracking list (日跟踪): active alerts on `as_of` the user may see, with the case,
    its division and handler loaded. `followed_only` narrows a tracking officer's list to the
    divisions they are the named tracking officer of (Division.tracking_officer); the policy in
    cases.permissions decides what anyone may see.

    The list is a query over alerts, not a stored copy: alerts carry their raised and resolved
    dates, so the list of any past day is the same query with that day. Ageing alerts only: the
    list follows the 6- and 15-month lines (time-limit alerts are in the inbox, the case page and
    the API).
    """
    as_of = as_of or timezone.localdate()
    qs = active_alerts(as_of).ageing()
    qs = qs.filter(permissions.visible_cases_q(user, "case__"))
    if division is not None:
        qs = qs.filter(case__division=division)
    if handler is not None:
        qs = qs.filter(case__handler=handler)
    if followed_only:
        qs = qs.filter(case__division__tracking_officer=user)
    level_rank = SqlCase(
        *[When(level=level, then=Value(rank)) for level, rank in Level.RANK.items()], output_field=IntegerField()
    )
    return (
        qs.select_related("case", "case__division", "case__handler", "acknowledged_by")
        .annotate(level_rank=level_rank, has_plan=has_standing_plan(None, "case_id"))
        .order_by("-level_rank", "case__line_6m", "case__id")
    )


def tracking_counts(as_of: dt.date, court_id: int | None = None) -> list[dict[str, Any]]:
    """Active ageing alerts on `as_of` per division and level (what the daily run reports)."""
    qs = active_alerts(as_of).ageing()
    if court_id is not None:
        qs = qs.filter(case__court_id=court_id)
    return list(
        qs.values("case__division_id", "case__division__code", "level")
        .annotate(count=Count("id"))
        .order_by("case__division__code", "level")
    )


def missing_plan_cases(as_of: dt.date, days: int = 7, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """Cases open on `as_of` whose over-6-months (or higher) alert was raised `days` or more days
    before, with no standing plan on `as_of` (none submitted, or only returned ones)."""
    qs = Case.objects.all() if queryset is None else queryset
    old_alert = Alert.objects.ageing().filter(
        case=OuterRef("pk"), level__in=OVER_6M_OR_MORE, raised_on__lte=as_of - dt.timedelta(days=days)
    )
    return qs.filter(open_on_q(as_of)).filter(Exists(old_alert)).exclude(has_standing_plan(as_of))


def overdue_plan_cases(as_of: dt.date, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """Cases open on `as_of` whose latest standing plan expected them closed before `as_of`."""
    qs = Case.objects.all() if queryset is None else queryset
    return (
        qs.filter(open_on_q(as_of))
        .annotate(expected_close_on=latest_standing_expected(as_of))
        .filter(expected_close_on__lt=as_of)
    )


def plan_slips(as_of: dt.date | None = None, handlers: QuerySet[User] | None = None) -> list[dict[str, Any]]:
    """How often each handler's expected closing dates slip.

    A submitted version *slipped* when its expected closing date passed (before `as_of`) with
    the case still open on that date. Every version counts, so a handler who keeps moving the
    date shows it. Returns one row per handler: plans due by `as_of`, slipped, and the rate.
    """
    as_of = as_of or timezone.localdate()
    due = ClearancePlan.objects.filter(submitted_at__isnull=False, expected_close_on__lt=as_of)
    if handlers is not None:
        due = due.filter(author__in=handlers)
    slipped = Q(case__closed_on__isnull=True) | Q(case__closed_on__gt=F("expected_close_on"))
    rows = (
        due.values("author_id", "author__username", "author__name")
        .annotate(due=Count("id"), slipped=Count("id", filter=slipped))
        .order_by("-slipped", "author__username")
    )
    return [{**row, "rate": round(row["slipped"] / row["due"], 3) if row["due"] else 0.0} for row in rows]
