"""Weekly dispatch (周调度): each division's list for the week, built as of a Monday for the
previous Monday–Sunday, and the urging notices (催办) to the handlers concerned.

A week is built once, in one transaction: the division lists, their items, the urging notices and
the notifications together or not at all. A built week is never rebuilt (the lists are a
record); a run finding it built does nothing. A run after missed Mondays builds each missed week
for its own Monday, oldest first, so that each list can say what became of last week's items.

Everything is judged as of the list's Monday from dates (alerts raised, plans submitted and
reviewed, cases closed), so a week built late says what the Monday knew, as far as dates tell.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.ageing import Level, level_expression, open_on_q, over_line_q
from cases.models import Case, Court
from cases.permissions import effective_head

from .models import (
    Alert,
    ClearancePlan,
    DispatchItem,
    DispatchList,
    EngineSettings,
    FollowUpOutcome,
    NotificationKind,
    UrgingNotice,
)
from .notifications import notify
from .selectors import OVER_6M_OR_MORE, day_end, has_standing_plan, latest_standing_expected
from .sql import analyze, insert_select, refresh_statistics, without_jit


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _check_as_of(as_of: dt.date) -> None:
    if as_of.weekday() != 0:
        raise ValidationError({"as_of": [_("A weekly dispatch is built as of a Monday.")]})
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": [_("A weekly dispatch cannot be built for a future date.")]})


def _weeks_to_build(court: Court, as_of: dt.date, catch_up_weeks: int) -> list[dt.date]:
    """The Mondays to build: `as_of`, and the Mondays missed since the last built week."""
    last = DispatchList.objects.filter(division__court=court).aggregate(m=Max("as_of"))["m"]
    if last is None or as_of <= last:
        return [as_of]
    mondays = []
    monday = last + dt.timedelta(days=7)
    while monday <= as_of:
        mondays.append(monday)
        monday += dt.timedelta(days=7)
    return mondays[-max(catch_up_weeks, 1) :]


def _items_query(court: Court, monday: dt.date, week_start: dt.date, missing_days: int):
    """One row per case for the week's lists, in DispatchItem's column order."""
    week_end = monday - dt.timedelta(days=1)
    previous_start = week_start - dt.timedelta(days=7)
    rank = SqlCase(*[When(level=level, then=Value(r)) for level, r in Level.RANK.items()], output_field=IntegerField())
    # Ageing alerts only: the lists are about the 6- and 15-month lines.
    crossed_alerts = (
        Alert.objects.ageing()
        .filter(case=OuterRef("pk"), superseded=False, raised_on__gte=week_start, raised_on__lte=week_end)
        .order_by()
    )
    old_over_6m = Alert.objects.ageing().filter(
        case=OuterRef("pk"), level__in=OVER_6M_OR_MORE, raised_on__lte=monday - dt.timedelta(days=missing_days)
    )
    # order_by(): the models' default orderings would join divisions into every subquery.
    previous_items = DispatchItem.objects.filter(dispatch_list__week_start=previous_start).order_by()
    previous_item = previous_items.filter(case=OuterRef("pk"), dispatch_list__division=OuterRef("division_id"))
    this_list = DispatchList.objects.filter(division=OuterRef("division_id"), week_start=week_start).order_by()
    # Since last week's list (built on `week_start`): a plan submitted, an urging notice answered.
    since = timezone.make_aware(dt.datetime.combine(week_start, dt.time.min))
    plan_filed = ClearancePlan.objects.filter(
        case=OuterRef("pk"), submitted_at__gte=since, submitted_at__lt=day_end(monday)
    )
    answered = UrgingNotice.objects.filter(
        item__case=OuterRef("pk"),
        item__dispatch_list__division=OuterRef("division_id"),
        item__dispatch_list__week_start=previous_start,
        answered_at__lt=day_end(monday),
    )
    is_open = open_on_q(monday)
    if previous_items.exists():
        previous_pk = Subquery(previous_item.values("pk")[:1])
        on_previous_list = Q(pk__in=previous_items.values("case_id"))
    else:
        # No list last week (the first run): nothing to follow up. Leaving the look-ups out also
        # keeps the planner from scanning the empty items table once per row while this very
        # statement fills it, which turned seconds into minutes.
        previous_pk = Value(None, output_field=BigIntegerField())
        on_previous_list = Q(pk__in=[])
    return (
        Case.objects.filter(court=court)
        .annotate(
            d_list=Subquery(this_list.values("pk")[:1]),
            d_level=level_expression(monday, court.warning_window_days),
            d_crossed=Coalesce(
                Subquery(crossed_alerts.annotate(rank=rank).order_by("-rank").values("level")[:1]),
                Value(""),
                output_field=CharField(),
            ),
            d_missing=SqlCase(
                When(is_open & Exists(old_over_6m) & ~has_standing_plan(monday), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            d_expected=latest_standing_expected(monday),
            d_over_15m=SqlCase(
                When(over_line_q(15, monday), then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            d_previous=previous_pk,
        )
        .annotate(
            d_overdue=SqlCase(
                When(is_open & Q(d_expected__lt=monday), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            d_outcome=SqlCase(
                When(d_previous__isnull=True, then=Value("")),
                When(~is_open, then=Value(FollowUpOutcome.CLOSED)),
                When(Exists(plan_filed), then=Value(FollowUpOutcome.PLAN_FILED)),
                When(Exists(answered), then=Value(FollowUpOutcome.ANSWERED)),
                default=Value(FollowUpOutcome.STILL_OPEN),
                output_field=CharField(),
            ),
        )
        # Only cases that can be on a list: open and over 6 months (missing plan, over 15 months),
        # an alert raised in the week, on last week's list, or with a plan (overdue). Uncorrelated
        # IN (…) lists are hashed once, so this costs one scan of the cases; the correlated
        # subqueries above then run for these few rows only.
        .filter(
            (is_open & Q(line_6m__lt=monday))
            | Q(
                pk__in=Alert.objects.ageing()
                .filter(raised_on__gte=week_start, raised_on__lte=week_end)
                .values("case_id")
            )
            | on_previous_list
            | Q(pk__in=ClearancePlan.objects.filter(submitted_at__isnull=False).values("case_id"))
        )
        .filter(
            ~Q(d_crossed="") | Q(d_missing=True) | Q(d_overdue=True) | Q(d_over_15m=True) | Q(d_previous__isnull=False)
        )
        .values_list(
            "d_list",
            "pk",
            "handler_id",
            "d_level",
            "d_crossed",
            "d_missing",
            "d_overdue",
            "d_over_15m",
            "filed_on",
            "d_expected",
            "d_previous",
            "d_outcome",
        )
    )


ITEM_FIELDS = [
    "dispatch_list",
    "case",
    "handler",
    "level",
    "crossed_level",
    "missing_plan",
    "overdue_plan",
    "over_15m",
    "filed_on",
    "expected_close_on",
    "previous_item",
    "outcome",
]


def _build_week(court: Court, monday: dt.date, engine: EngineSettings) -> dict[str, int] | None:
    """Build the week ending the day before `monday`; None when it was built already."""
    week_start = monday - dt.timedelta(days=7)
    if DispatchList.objects.filter(division__court=court, week_start=week_start).exists():
        return None
    now = timezone.now()
    divisions = list(court.divisions.select_related("head", "acting_head"))
    lists = [
        DispatchList(
            division=d,
            week_start=week_start,
            week_end=monday - dt.timedelta(days=1),
            as_of=monday,
            head=effective_head(d, monday),
            built_at=now,
        )
        for d in divisions
    ]
    try:
        with transaction.atomic():
            DispatchList.objects.bulk_create(lists)
    except IntegrityError:
        # Another run built this week at the same moment (it would have had to slip past the lock).
        return None
    items = insert_select(DispatchItem, ITEM_FIELDS, _items_query(court, monday, week_start, engine.missing_plan_days))

    # Urging notices: every case on the lists that needs action and was open on the Monday (its
    # level there is not "closed"), to its handler.
    week_items = DispatchItem.objects.filter(dispatch_list__in=[x.pk for x in lists])
    needs_action = (~Q(crossed_level="") | Q(missing_plan=True) | Q(overdue_plan=True) | Q(over_15m=True)) & ~Q(
        level=Level.CLOSED
    )
    urging_rows = (
        week_items.filter(needs_action, handler__isnull=False)
        .annotate(u_sent_on=Value(monday), u_answer=Value(""))
        .values_list("pk", "handler_id", "u_sent_on", "u_answer")
    )
    urgings = insert_select(UrgingNotice, ["item", "handler", "sent_on", "answer"], urging_rows)
    # The next week built in this run (catch-up) looks these rows up case by case.
    analyze(DispatchItem, UrgingNotice)

    label = _("%(start)s to %(end)s") % {"start": week_start.isoformat(), "end": (monday - dt.timedelta(1)).isoformat()}
    per_list = (
        DispatchList.objects.filter(pk__in=[x.pk for x in lists])
        .annotate(n=Count("items"))
        .filter(n__gt=0, head__isnull=False)
        .select_related("division")
    )
    for dispatch_list in per_list:  # one per division
        notify(
            [dispatch_list.head_id],
            kind=NotificationKind.DISPATCH_READY,
            key=f"dispatch:{dispatch_list.pk}",
            subject=_("Weekly dispatch list of %(division)s for %(week)s: %(count)d cases")
            % {"division": dispatch_list.division.name, "week": label, "count": dispatch_list.n},
            link=reverse("alerts:dispatch_detail", args=[dispatch_list.pk]),
            on=monday,
        )
    per_handler = (  # the items that got a notice, counted without joining the notices
        week_items.filter(needs_action, handler__isnull=False)
        .values("handler_id")
        .annotate(n=Count("id"))
        .order_by("handler_id")
    )
    for row in per_handler:  # one per handler
        notify(
            [row["handler_id"]],
            kind=NotificationKind.URGING,
            key=f"urging:{court.pk}:{week_start.isoformat()}",
            subject=ngettext(
                "Urging notice: %(count)d case needs your answer (week %(week)s)",
                "Urging notices: %(count)d cases need your answer (week %(week)s)",
                row["n"],
            )
            % {"count": row["n"], "week": label},
            link=reverse("alerts:inbox"),
            on=monday,
        )
    return {"lists": len(lists), "items": items, "urging_notices": urgings}


def dispatch_weekly(as_of: dt.date | None = None) -> dict[str, Any]:
    """Build the weekly dispatch as of the Monday `as_of` (this week's Monday by default), and any
    missed weeks before it. Returns what it did, in numbers.

    Call it inside a transaction (`jobs.runs.run_job` does): a failure part-way leaves no list.
    """
    as_of = as_of or monday_of(timezone.localdate())
    _check_as_of(as_of)
    without_jit()
    refresh_statistics(Alert, ClearancePlan, DispatchItem, UrgingNotice)
    totals: dict[str, Any] = {"weeks_built": [], "lists": 0, "items": 0, "urging_notices": 0}
    for court in Court.objects.order_by("pk"):
        engine = EngineSettings.for_court(court)
        for monday in _weeks_to_build(court, as_of, engine.dispatch_catch_up_weeks):
            built = _build_week(court, monday, engine)
            if built is None:
                continue
            totals["weeks_built"].append(monday.isoformat())
            for name, value in built.items():
                totals[name] += value
    return totals
