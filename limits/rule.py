"""The statutory time limit (审限): a second clock beside the ageing lines. One rule, one place.

Deadline, in this order (issue 6, DOMAIN.md):

1. filing date + base limit of the case's rule (months land on the same day-number,
   clipped to the month's end; days are added as days: the filing day is not counted);
2. + each approved extension, in step order (months clipped likewise);
3. + excluded days: each period counts end − start + 1 days; a running period counts up
   to the as-of date; overlapping periods count once (the union of their days);
4. if that day is a rest day or holiday, the next working day (make-up working days on
   weekends are working days), from the WorkingDay table.

Two faces of the rule, which a test proves agree for many generated cases:

* `deadline()` / `days_remaining()` / `limit_status()`: pure functions;
* `deadline_expression()` / `days_remaining_expression()` / `limit_status_expression()`
  and `annotate_clock()`: queryset expressions over fields stored on the case by
  `cases.limits_services.recompute_clock` (`limit_raw`, `limit_paused_from`, `deadline`).

How a running period is stored without a daily write per case: `clock_state()` splits the
count into what is fixed (`raw`: filing + base + extensions + excluded days up to the day
before `paused_from`) and what grows by one each day from `paused_from` on (the running
period). As of D the raw deadline is raw + max(0, D − paused_from + 1). When a recorded
closed period runs past the start of a running one, `paused_from` is the day after the
later of the two, so an as-of date inside that overlap is counted as at its end.

The figures' definitions (on-time closure rate, average excluded days, extension rate,
overruns) are `limit_aggregates` and `limit_rates` here; reading them, and the hidden-overrun
list, are limits/selectors.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _

from cases.ageing import open_on_q as ageing_open_on_q
from common.sql import AddDays, DaysBetween

from .calendar import IsWorking, next_working_day, working_calendar

ONE_DAY = dt.timedelta(days=1)


class LimitStatus:
    WITHIN = "within"
    WARNING = "warning"
    OVERDUE = "overdue"

    CHOICES = [(WITHIN, _("Within the limit")), (WARNING, _("Near the limit")), (OVERDUE, _("Over the limit"))]


def warning_days() -> int:
    """Days before the deadline from which a case shows as `warning` (setting LIMIT_WARNING_DAYS)."""
    return int(getattr(settings, "LIMIT_WARNING_DAYS", 30))


# --- the pure rule ----------------------------------------------------------------------


def add_length(day: dt.date, length: int, unit: str) -> dt.date:
    """`day` + a length in months (same day-number, clipped to the month's end) or days."""
    if unit == "months":
        return day + relativedelta(months=length)
    if unit == "days":
        return day + dt.timedelta(days=length)
    raise ValueError(f"unknown unit {unit!r}")


Period = tuple[dt.date, dt.date | None]  # (first day, last day or None while running)
Length = tuple[int, str]  # (length, "months" | "days")


def union_days(spans: Iterable[tuple[dt.date, dt.date]]) -> int:
    """Number of days in the union of closed day ranges [start, end] (end before start: empty)."""
    total = 0
    last: dt.date | None = None
    for start, end in sorted(spans):
        if end < start:
            continue
        if last is not None and start <= last:
            start = last + ONE_DAY
        if end >= start:
            total += (end - start).days + 1
        last = end if last is None else max(last, end)
    return total


@dataclass(frozen=True)
class ClockState:
    """What the case stores: see the module docstring."""

    nominal: dt.date  # filing + base + approved extensions
    raw: dt.date  # nominal + excluded days counted up to the day before paused_from
    paused_from: dt.date | None  # first not-yet-counted day of a running period
    excluded_days: int  # excluded days counted in `raw`


def nominal_end(filed_on: dt.date, base: Length, extensions: Sequence[Length] = ()) -> dt.date:
    """Filing date + base limit + each approved extension, in order; no excluded days."""
    day = add_length(filed_on, *base)
    for length, unit in extensions:
        day = add_length(day, length, unit)
    return day


def clock_state(
    filed_on: dt.date, base: Length, extensions: Sequence[Length] = (), periods: Iterable[Period] = ()
) -> ClockState:
    nominal = nominal_end(filed_on, base, extensions)
    periods = list(periods)
    closed = [(start, end) for start, end in periods if end is not None]
    running = [start for start, end in periods if end is None]
    if not running:
        days = union_days(closed)
        return ClockState(nominal, nominal + dt.timedelta(days=days), None, days)
    start = min(running)
    last_recorded = max([start - ONE_DAY, *(end for _s, end in closed)])
    days = union_days([*closed, (start, last_recorded)])
    return ClockState(nominal, nominal + dt.timedelta(days=days), last_recorded + ONE_DAY, days)


def raw_on(state: ClockState, as_of: dt.date) -> dt.date:
    """The deadline before the working-day step, as of `as_of` (a running period grows)."""
    if state.paused_from is not None and as_of >= state.paused_from:
        return state.raw + dt.timedelta(days=(as_of - state.paused_from).days + 1)
    return state.raw


def excluded_days_on(state: ClockState, as_of: dt.date) -> int:
    return (raw_on(state, as_of) - state.nominal).days


def deadline_on(state: ClockState, as_of: dt.date, is_working: IsWorking | None = None) -> dt.date:
    raw = raw_on(state, as_of)
    return next_working_day(raw, is_working or working_calendar(raw, raw))


def deadline(
    filed_on: dt.date,
    base: Length,
    extensions: Sequence[Length],
    periods: Iterable[Period],
    as_of: dt.date,
    is_working: IsWorking | None = None,
) -> dt.date:
    """THE deadline: the last day of the time limit as of `as_of` (module docstring)."""
    return deadline_on(clock_state(filed_on, base, extensions, periods), as_of, is_working)


def days_remaining(deadline_day: dt.date, as_of: dt.date) -> int:
    """Days left to the deadline (0 on the deadline itself), negative when overdue."""
    return (deadline_day - as_of).days


def limit_status(remaining: int, warning: int | None = None) -> str:
    if remaining < 0:
        return LimitStatus.OVERDUE
    if remaining <= (warning_days() if warning is None else warning):
        return LimitStatus.WARNING
    return LimitStatus.WITHIN


def pick_rule(rules: Iterable, category: str, stage: str, procedure: str, variant: str = ""):
    """The most specific active rule for a case: variant must match (an unknown variant falls
    back to the plain row), a row naming the procedure beats a row for any procedure."""
    candidates = [r for r in rules if r.active and r.category == category and r.stage == stage]
    for wanted_variant in dict.fromkeys([variant, ""]):
        rows = [r for r in candidates if r.variant == wanted_variant]
        for row in rows:
            if row.procedure == procedure:
                return row
        for row in rows:
            if row.procedure == "":
                return row
    return None


@dataclass(frozen=True)
class Clock:
    """Everything the case page shows about the time limit on `as_of`."""

    as_of: dt.date
    rule: object | None
    base_end: dt.date | None  # filing + base limit
    extended_end: dt.date | None  # + approved extensions
    excluded_days: int
    deadline: dt.date | None
    days_remaining: int | None  # None for a closed case
    status: str | None
    running_period: bool
    provisional: bool  # the deadline falls in a year of weekends-only calendar


def case_clock(case, as_of: dt.date) -> Clock:
    """The clock of one case from its stored state (what the UI and the API detail read)."""
    from .calendar import is_provisional

    if case.limit_rule_id is None or case.limit_raw is None:
        return Clock(as_of, None, None, None, 0, None, None, None, False, False)
    rule = case.limit_rule
    state = ClockState(case.limit_nominal, case.limit_raw, case.limit_paused_from, case.limit_excluded_days)
    closed = case.closed_on is not None and case.closed_on <= as_of
    measured = case.closed_on if closed else as_of
    day = deadline_on(state, measured)
    remaining = None if closed else days_remaining(day, as_of)
    return Clock(
        as_of=as_of,
        rule=rule,
        base_end=add_length(case.filed_on, rule.base_length, rule.base_unit),
        extended_end=case.limit_nominal,
        excluded_days=excluded_days_on(state, measured),
        deadline=day,
        days_remaining=remaining,
        status=None if remaining is None else limit_status(remaining),
        running_period=case.limit_paused_from is not None and measured >= case.limit_paused_from,
        provisional=is_provisional(day),
    )


def limit_fields(case, as_of: dt.date) -> tuple[dt.date | None, int | None, str | None]:
    """(deadline, days remaining, limit status) of one case on `as_of`; all None unless the
    case is open on `as_of` and has a time limit. Reads `annotate_clock`'s annotations when
    the case came through it (lists: no query per case); else the stored state, with one
    calendar query only while a period runs."""
    if hasattr(case, "limit_deadline") and hasattr(case, "days_remaining"):
        return case.limit_deadline, case.days_remaining, case.limit_status
    from cases.ageing import is_open_on

    if case.limit_raw is None or not is_open_on(case.filed_on, case.closed_on, as_of):
        return None, None, None
    if case.limit_paused_from is None:
        day = case.deadline
    else:
        state = ClockState(case.limit_nominal, case.limit_raw, case.limit_paused_from, case.limit_excluded_days)
        day = deadline_on(state, as_of)
    remaining = days_remaining(day, as_of)
    return day, remaining, limit_status(remaining)


# --- queryset expressions -----------------------------------------------------------------


class AddLength(Func):
    """date + N months (clipped to the month's end, as `add_length`) or N days. PostgreSQL's
    date + interval clips like dateutil; SQLite's date() modifiers do not, so SQLite is refused."""

    output_field = DateField()
    arity = 2

    def __init__(self, day, length, *, unit: str):
        if unit not in ("months", "days"):
            raise ValueError(unit)
        self.unit = unit
        super().__init__(day, length)

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError("AddLength needs PostgreSQL")

    def as_postgresql(self, compiler, connection, **extra):
        interval = "1 month" if self.unit == "months" else "1 day"
        return super().as_sql(
            compiler,
            connection,
            template=f"CAST((%(expressions)s * INTERVAL '{interval}') AS date)",
            arg_joiner=" + ",
            **extra,
        )


def raw_expression(as_of: dt.date, ref=F, prefix: str = ""):
    """SQL twin of `raw_on`: limit_raw + max(0, as_of − limit_paused_from + 1)."""
    grown = Greatest(
        DaysBetween(Value(as_of, output_field=DateField()), ref(f"{prefix}limit_paused_from")) + Value(1),
        Value(0),
        output_field=IntegerField(),
    )
    return AddDays(ref(f"{prefix}limit_raw"), Coalesce(grown, Value(0), output_field=IntegerField()))


def deadline_expression(as_of: dt.date, prefix: str = ""):
    """SQL twin of `deadline_on` for the stored state; NULL for a case with no rule.

    Running clocks use the stored `deadline` (kept current by the services and by
    `refresh_deadlines` after calendar changes); a clock with a running period is recomputed
    as of `as_of` through the WorkingDay table.
    """
    from .models import WorkingDay

    first_working = (
        WorkingDay.objects.filter(day__gte=raw_expression(as_of, OuterRef, prefix), is_working=True)
        .order_by("day")
        .values("day")[:1]
    )
    paused = Coalesce(Subquery(first_working, output_field=DateField()), raw_expression(as_of, F, prefix))
    return Case(
        When(Q(**{f"{prefix}limit_paused_from__isnull": False}), then=paused),
        default=F(f"{prefix}deadline"),
        output_field=DateField(),
    )


def open_on_q(as_of: dt.date, prefix: str = "") -> Q:
    """Open on `as_of` (the ageing rule) and under a time limit."""
    return ageing_open_on_q(as_of, prefix) & Q(**{f"{prefix}limit_raw__isnull": False})


def open_on_parts(as_of: dt.date, prefix: str = "") -> tuple[Q, Q]:
    """`open_on_q` as two disjoint conditions whose OR it is: not closed, and closed after `as_of`.
    For statements run once per part, each answered by its own index (a partial index of open
    cases, the closing-date index); `open_on_q` itself is an OR no single index answers."""
    p = prefix
    base = Q(**{f"{p}filed_on__lte": as_of, f"{p}limit_raw__isnull": False})
    return base & Q(**{f"{p}closed_on__isnull": True}), base & Q(**{f"{p}closed_on__gt": as_of})


def days_remaining_expression(as_of: dt.date, prefix: str = ""):
    """SQL twin of `days_remaining`: NULL unless the case is open on `as_of` and has a rule."""
    return Case(
        When(
            open_on_q(as_of, prefix),
            then=DaysBetween(deadline_expression(as_of, prefix), Value(as_of, output_field=DateField())),
        ),
        default=None,
        output_field=IntegerField(),
    )


def limit_status_expression(as_of: dt.date, warning: int | None = None, prefix: str = ""):
    """SQL twin of `limit_status`, over `days_remaining` already annotated."""
    warning = warning_days() if warning is None else warning
    return Case(
        When(Q(days_remaining__isnull=True), then=Value(None)),
        When(Q(days_remaining__lt=0), then=Value(LimitStatus.OVERDUE)),
        When(Q(days_remaining__lte=warning), then=Value(LimitStatus.WARNING)),
        default=Value(LimitStatus.WITHIN),
        output_field=CharField(),
    )


def annotate_clock(qs: QuerySet, as_of: dt.date, warning: int | None = None) -> QuerySet:
    """Add `limit_deadline` (NULL when closed by `as_of`), `days_remaining` and `limit_status`.

    What lists, the API (`as_of`) and the jobs use: one statement for any number of cases.
    """
    return qs.annotate(
        limit_deadline=Case(
            When(open_on_q(as_of), then=deadline_expression(as_of)), default=None, output_field=DateField()
        ),
        days_remaining=days_remaining_expression(as_of),
    ).annotate(limit_status=limit_status_expression(as_of, warning))


def overdue_q(as_of: dt.date) -> Q:
    """Open on `as_of` and past the deadline: `overdue_on_q` (kept under this name for callers)."""
    return overdue_on_q(as_of)


# --- figures ------------------------------------------------------------------------------
# THE definitions of the time-limit figures. `limit_figures` (live), the daily figure snapshot
# and the monthly bulletin (reports.services) all aggregate through `limit_aggregates`, so
# "closed on time", "overdue", "hidden flag", "extended" and the excluded days are written once.


def closed_with_limit_q(start: dt.date, end: dt.date) -> Q:
    """Closed in [start, end] with a time limit (a deadline stored at closing)."""
    return Q(closed_on__gte=start, closed_on__lte=end, deadline__isnull=False)


def closed_on_time_q() -> Q:
    """A closed case whose closing date is on or before its deadline (the deadline stored at
    closing, running periods counted up to the closing date)."""
    return Q(closed_on__lte=F("deadline"))


def extended_q() -> Q:
    """The case has at least one approved extension.

    An uncorrelated IN (not EXISTS): PostgreSQL hashes the few extended cases once ("hashed
    SubPlan") instead of probing the extension table for every case of a snapshot or bulletin."""
    from .models import Extension, ExtensionStatus

    return Q(pk__in=Extension.objects.filter(status=ExtensionStatus.APPROVED).values("case_id"))


def overdue_on_q(as_of: dt.date) -> Q:
    """Open on `as_of` with a time limit, and past its deadline as of that day (days remaining < 0)."""
    return open_on_q(as_of) & Q(LessThan(deadline_expression(as_of), Value(as_of, output_field=DateField())))


def hidden_flag_on_q(as_of: dt.date) -> Q:
    """Open on `as_of` with a hidden-overrun flag running that day (raised on or before it, not
    cleared by it). Counted per case, however many rules it trips."""
    from .models import HiddenOverrunFlag

    # Uncorrelated IN, hashed once, as in `extended_q`.
    running = HiddenOverrunFlag.objects.filter(first_flagged_on__lte=as_of).filter(
        Q(cleared_on__isnull=True) | Q(cleared_on__gt=as_of)
    )
    return open_on_q(as_of) & Q(pk__in=running.values("case_id"))


def closed_excluded_days_expression():
    """Excluded days of a closed case, counted up to its closing date (the stored count plus a
    period still running at closing): the deadline's excluded-day measure, `excluded_days_on`."""
    running = Greatest(
        DaysBetween(F("closed_on"), F("limit_paused_from")) + Value(1), Value(0), output_field=IntegerField()
    )
    return F("limit_excluded_days") + Coalesce(running, Value(0), output_field=IntegerField())


def limit_aggregates(start: dt.date, end: dt.date) -> dict:
    """Aggregates over cases, to use in `.aggregate()` / `.annotate()` of a (grouped) case query:

    * closed: closed in [start, end] with a time limit;
    * closed_on_time: of those, closed on or before the deadline;
    * excluded_days: their excluded days in total (divide by `closed` for the average);
    * extended: of those, with an approved extension;
    * overdue: open on `end` and past the deadline;
    * hidden_flags: open on `end` with a running hidden-overrun flag.

    The query must include the cases closed in the range and those open on `end`.
    """
    closed = closed_with_limit_q(start, end)
    return {
        "closed": Count("pk", filter=closed),
        "closed_on_time": Count("pk", filter=closed & closed_on_time_q()),
        "excluded_days": Coalesce(Sum(closed_excluded_days_expression(), filter=closed), Value(0)),
        "extended": Count("pk", filter=closed & extended_q()),
        "overdue": Count("pk", filter=overdue_on_q(end)),
        "hidden_flags": Count("pk", filter=hidden_flag_on_q(end)),
    }


def limit_rates(closed: int, on_time: int, excluded_days: int, extended: int) -> dict:
    """The ratios people read, from the stored counts: on_time_rate, average_excluded_days and
    extension_rate (0–1 and days; None when nothing closed)."""
    if not closed:
        return {"on_time_rate": None, "average_excluded_days": None, "extension_rate": None}
    return {
        "on_time_rate": on_time / closed,
        "average_excluded_days": excluded_days / closed,
        "extension_rate": extended / closed,
    }
