"""Which monthly bulletins are due: the one answer, for the beat's morning run and the jobs page.

The beat fires the bulletin task every morning. Last month's bulletin is due from the month's
bulletin day — its first working day on or after the 1st (China's official calendar, make-up
working days included: limits.calendar) — until it is built, and is built as of its last day. With
it, every month since the latest bulletin that has none (beat down for months) is due, each for its
own date, at most CATCH_UP_MONTHS of them. Built means the court has a bulletin of that month
(draft, publishing or published): the bulletin rows are what is judged, never the job runs.

`bulletins_due_between` is that rule; the task asks it for today (`bulletins_due`, through
reports.services.build_due_bulletins), the jobs page for the days ahead (it is the job's `due`,
reports/jobs.py).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Sequence
from functools import cache

from django.db.models import Subquery

from cases.models import Court
from limits.calendar import IsWorking, next_working_day, working_calendar

from .models import Bulletin
from .periods import Period

# How far back the monthly run looks for bulletins that were never built (beat down for months).
CATCH_UP_MONTHS = 12


def bulletin_day(day: dt.date, is_working: IsWorking | None = None) -> dt.date:
    """The day the bulletin of the month before `day`'s month is built."""
    return next_working_day(day.replace(day=1), is_working)


def _due(today: dt.date, built: Sequence[Period], is_working: IsWorking) -> list[Period]:
    """The months due on `today`, given the court's bulletin periods `built` (sorted)."""
    if today < bulletin_day(today, is_working):
        return []
    last = Period.last_month(today)
    earlier = built[: bisect_right(built, last)]  # the bulletins up to last month
    if earlier and earlier[-1] == last:
        return []
    periods = [last]
    if earlier:
        missing = earlier[-1].next()
        while missing < last and len(periods) <= CATCH_UP_MONTHS:
            periods.append(missing)
            missing = missing.next()
    return sorted(set(periods))


def _court_bulletins(court: Court | None):
    if court is not None:
        return Bulletin.objects.filter(court=court)
    # The default court (Court.default()) inside the same query.
    return Bulletin.objects.filter(court=Subquery(Court.objects.order_by("id").values("id")[:1]))


def bulletins_due_between(
    first: dt.date, last: dt.date, court: Court | None = None
) -> Callable[[dt.date], list[Period]]:
    """A function day → the months whose bulletin the beat's firing on that day (from `first` to
    `last`) builds, oldest first, judged on the bulletins built so far (of `court`, default the
    default court). Two queries (the court's bulletin months and the calendar) whatever the span."""
    upto = str(Period.last_month(last))
    built = sorted(_court_bulletins(court).filter(period__lte=upto).values_list("period", flat=True))
    is_working = working_calendar(first.replace(day=1), last)
    return cache(lambda day: _due(day, built, is_working))


def bulletins_due(today: dt.date, court: Court | None = None) -> list[Period]:
    """The months whose bulletin should be built on `today` (bulletins_due_between)."""
    return bulletins_due_between(today, today, court)(today)
