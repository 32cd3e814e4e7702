"""Reads shared by pages, API, jobs and the bulletin: tracking lists, missing and overdue plans,
slip statistics; and the reads of this app's pages, panels and case-page section."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
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
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cases import permissions
from cases.ageing import Level, open_on_q
from cases.models import Case, Court, Division, User
from cases.roles import Role

from .models import (
    Alert,
    ClearancePlan,
    DispatchItem,
    DispatchList,
    EngineSettings,
    Notification,
    PlanStatus,
    UrgingNotice,
)

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


# --- pages -----------------------------------------------------------------------------------
# The reads of the alerts pages and of their panels on the home page and sections on the case
# page; each a fixed number of queries whatever the number of rows.

PANEL_ROWS = 8
PAGE_ROWS = 200


def missing_plan_days(user: User) -> int:
    """After how many days an over-6-months alert without a plan counts as missing one (the
    user's court's engine settings; 7 without a court)."""
    court = user.court if user.court_id else Court.default()
    return EngineSettings.for_court(court).missing_plan_days if court else 7


def unread_notifications(user: User, shown: int = 5) -> tuple[int, list[Notification]]:
    """How many notifications the user has not read, and the latest `shown` of them."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return unread.count(), list(unread.order_by("-created_at", "-id")[:shown])


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first; those about an alert carry it (either family), with
    who acknowledged it, and their case."""
    qs = (
        Notification.objects.filter(recipient=user)
        .select_related("case", "alert", "alert__acknowledged_by")
        .order_by("-created_at", "-id")
    )
    return qs.filter(read_at__isnull=True) if unread_only else qs


def urging_to_answer(user: User, shown: int) -> list[UrgingNotice]:
    """The first `shown` urging notices the handler has not answered, newest first, with their
    case and list."""
    return list(
        UrgingNotice.objects.filter(handler=user, answered_at__isnull=True)
        .select_related("item__case", "item__dispatch_list")
        .order_by("-sent_on", "id")[:shown]
    )


def own_urging_notice(user: User, pk: int) -> UrgingNotice:
    """One of the handler's urging notices, with its case; 404 for anyone else's."""
    return get_object_or_404(UrgingNotice.objects.select_related("item__case"), pk=pk, handler=user)


def own_cases(user: User) -> QuerySet[Case]:
    """The cases the user handles (and may see)."""
    return permissions.visible_cases(user).filter(handler=user)


def returned_plans(user: User) -> QuerySet[ClearancePlan]:
    """The user's cases whose latest plan version was returned (a new version is due)."""
    later = ClearancePlan.objects.filter(case=OuterRef("case"), version__gt=OuterRef("version"))
    return (
        ClearancePlan.objects.filter(case__handler=user, status=PlanStatus.RETURNED)
        .exclude(Exists(later))
        .select_related("case", "reviewer")
        .order_by("-reviewed_at")
    )


def draft_plans(user: User) -> QuerySet[ClearancePlan]:
    return ClearancePlan.objects.filter(case__handler=user, status=PlanStatus.DRAFT).select_related("case")


def reviewing_division_ids(user: User) -> set[int]:
    """The divisions whose submitted plans the user reviews on the plans page: those they head or
    stand in for today; every division for an administrator."""
    if user.has_role(Role.ADMIN):
        return set(Division.objects.values_list("id", flat=True))
    return permissions.headed_division_ids(user)


def plans_waiting(division_ids: Iterable[int]) -> QuerySet[ClearancePlan]:
    """Submitted plans of these divisions' cases, oldest submission first, with case, division and author."""
    return (
        ClearancePlan.objects.filter(status=PlanStatus.SUBMITTED, case__division_id__in=division_ids)
        .select_related("case", "case__division", "author")
        .order_by("submitted_at")
    )


def dispatch_lists_to_acknowledge(division_ids: Iterable[int]) -> QuerySet[DispatchList]:
    return (
        DispatchList.objects.filter(division_id__in=division_ids, acknowledged_at__isnull=True)
        .select_related("division")
        .order_by("-as_of")
    )


@dataclass
class PlansToFile:
    """The handler's panel on the home page: own cases missing a plan, plans returned, urging
    notices to answer (the first few of each)."""

    missing: list[Case]
    returned: list[ClearancePlan]
    urging: list[UrgingNotice]


def plans_to_file(user: User, as_of: dt.date, shown: int = PANEL_ROWS) -> PlansToFile:
    missing = missing_plan_cases(as_of, missing_plan_days(user), own_cases(user)).order_by("filed_on")
    return PlansToFile(
        missing=list(missing[:shown]),
        returned=list(returned_plans(user)[:shown]),
        urging=urging_to_answer(user, shown),
    )


@dataclass
class HeadDesk:
    """A division head's panel on the home page: plans to approve, dispatch lists to acknowledge."""

    waiting: list[ClearancePlan]
    lists: list[DispatchList]


def head_desk(division_ids: Iterable[int], shown: int = PANEL_ROWS, lists_shown: int = 5) -> HeadDesk:
    return HeadDesk(
        waiting=list(plans_waiting(division_ids)[:shown]),
        lists=list(dispatch_lists_to_acknowledge(division_ids)[:lists_shown]),
    )


@dataclass
class PlansPage:
    """The clearance plans page: what waits for the head's review, and the handler's own cases
    missing a plan, returned, drafted and overdue."""

    is_head: bool
    waiting: list[ClearancePlan]
    missing: list[Case]
    returned: list[ClearancePlan]
    drafts: list[ClearancePlan]
    overdue: list[Case]


def plans_page(user: User, as_of: dt.date, limit: int = PAGE_ROWS) -> PlansPage:
    headed = reviewing_division_ids(user)
    mine = own_cases(user)
    missing = missing_plan_cases(as_of, missing_plan_days(user), mine).select_related("division")
    return PlansPage(
        is_head=bool(headed),
        waiting=list(plans_waiting(headed)[:limit]),
        missing=list(missing.order_by("filed_on")[:limit]),
        returned=list(returned_plans(user)[:limit]),
        drafts=list(draft_plans(user)[:limit]),
        overdue=list(overdue_plan_cases(as_of, mine).order_by("expected_close_on")[:limit]),
    )


def plan_sources(case: Case) -> tuple[ClearancePlan | None, ClearancePlan | None]:
    """The case's open draft and its latest filed version (what the plan form starts from)."""
    draft = case.plans.filter(status=PlanStatus.DRAFT).first()
    previous = case.plans.exclude(status=PlanStatus.DRAFT).order_by("-version").first()
    return draft, previous


def visible_plan(user: User, pk: int) -> ClearancePlan:
    """A plan of a case the user may see, with its case and division; 404 otherwise (a plan of a
    case one may not see is "not found", as a plan that does not exist)."""
    visible = ClearancePlan.objects.filter(permissions.visible_cases_q(user, "case__"))
    return get_object_or_404(visible.select_related("case", "case__division"), pk=pk)


def visible_alert(user: User, pk: int) -> Alert:
    visible = Alert.objects.filter(permissions.visible_cases_q(user, "case__"))
    return get_object_or_404(visible.select_related("case"), pk=pk)


@dataclass
class CaseAlerts:
    """The case page's section of this app: the case's plan versions, its alerts and the
    dispatch lists it was on."""

    plans: list[ClearancePlan]
    alerts: list[Alert]
    dispatch: list[DispatchItem]

    @property
    def draft(self) -> ClearancePlan | None:
        return next((p for p in self.plans if p.status == PlanStatus.DRAFT), None)

    @property
    def waiting(self) -> ClearancePlan | None:
        return next((p for p in self.plans if p.status == PlanStatus.SUBMITTED), None)


def case_alerts(case: Case) -> CaseAlerts:
    """Three queries."""
    return CaseAlerts(
        plans=list(case.plans.select_related("author", "reviewer").order_by("-version")),
        alerts=list(
            case.alerts.filter(superseded=False).select_related("acknowledged_by").order_by("-raised_on", "-id")
        ),
        dispatch=list(
            DispatchItem.objects.filter(case=case)
            .select_related("dispatch_list", "dispatch_list__division")
            .order_by("-dispatch_list__as_of")
        ),
    )


# --- tracking page ---------------------------------------------------------------------------


def tracking_ids(qs: QuerySet[Alert]) -> QuerySet:
    """The first of the tracking page's two steps: the alert ids in page order, sorted on the alerts
    table alone (within a level the alert's line date orders cases as the 6-month line does)."""
    return qs.order_by("-level_rank", "line_date", "case_id").values_list("pk", flat=True)


def tracking_rows(qs: QuerySet[Alert], ids: list[int]) -> list[Alert]:
    """The second step: those alerts, in that order, with their case, division, handler and plan
    flag (sorting the joined rows would hash the case table)."""
    rows = {a.pk: a for a in qs.filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


def tracking_page_list(
    user: User, as_of: dt.date, *, division: Division | None = None, level: str = ""
) -> QuerySet[Alert]:
    """The tracking page's list: `tracking_list`, narrowed to one level when one is asked for."""
    qs = tracking_list(user, as_of, division=division)
    return qs.filter(level=level) if level else qs


def division_among(divisions: QuerySet[Division], raw: str) -> Division | None:
    """The division a filter names (`raw`, the id as typed), if it is one of `divisions`."""
    if not raw.isdecimal():  # not isdigit(): int("²") fails
        return None
    return divisions.filter(pk=int(raw)).first()


# --- weekly dispatch -------------------------------------------------------------------------


def visible_dispatch_lists(user: User) -> QuerySet[DispatchList]:
    """The dispatch lists of the divisions the user sees (all for the court-wide roles), with
    division, head and who acknowledged."""
    qs = DispatchList.objects.select_related("division", "head", "acknowledged_by")
    if permissions.is_court_wide(user):
        return qs
    return qs.filter(division__in=permissions.visible_divisions(user))


def dispatch_lists(user: User) -> QuerySet[DispatchList]:
    """The dispatch lists page: newest week first, divisions in their order."""
    return visible_dispatch_lists(user).order_by("-as_of", "division__sort_order")


def visible_dispatch_list(user: User, pk: int) -> DispatchList:
    return get_object_or_404(visible_dispatch_lists(user), pk=pk)


def dispatch_items(dispatch_list: DispatchList) -> QuerySet[DispatchItem]:
    """A list's items, over 15 months first then oldest first, with case, handler and urging notice."""
    return dispatch_list.items.select_related("case", "handler", "urging").order_by("-over_15m", "filed_on", "case_id")
