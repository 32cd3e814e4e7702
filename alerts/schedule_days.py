"""Which day the weekly dispatch and the monthly bulletin run on.

The beat fires both tasks every morning. Each builds once its day has come — the first working
day (China's official calendar, make-up working days included: limits.calendar) on or after its
anchor, the week's Monday or the month's 1st — and it has not yet succeeded for that anchor; it
builds for the anchor's own dates (the weekly list as of its Monday, last month's bulletin as of
its last day). On a day the worker was down, the next morning's run does it.

The tasks ask `mondays_due` / `bulletin_due` for today; the jobs page asks `builds_on` for the days
ahead (the next day a firing will really build). Both read the same two rules below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container
from functools import cache

from limits.calendar import IsWorking, next_working_day, working_calendar

from .dispatch import monday_of
from .models import Job, JobOutcome, JobRun

WEEK = dt.timedelta(days=7)


def weekly_dispatch_day(monday: dt.date, is_working: IsWorking | None = None) -> dt.date:
    """The day the dispatch of the week starting `monday` runs."""
    return next_working_day(monday, is_working)


def bulletin_day(day: dt.date, is_working: IsWorking | None = None) -> dt.date:
    """The day the bulletin of the month before `day`'s month is built."""
    return next_working_day(day.replace(day=1), is_working)


def bulletin_as_of(day: dt.date) -> dt.date:
    """The date the bulletin built in `day`'s month is as of: the last day of the month before."""
    return day.replace(day=1) - dt.timedelta(days=1)


def _built(job: str, since: dt.date) -> set[dt.date]:
    """The dates `job` has succeeded for, from `since` on."""
    return set(
        JobRun.objects.filter(job=job, as_of__gte=since, outcome=JobOutcome.SUCCESS).values_list("as_of", flat=True)
    )


def _mondays_due(today: dt.date, built: Container[dt.date], is_working: IsWorking) -> list[dt.date]:
    this_monday = monday_of(today)
    due = []
    for monday in (this_monday - WEEK, this_monday):
        day = weekly_dispatch_day(monday, is_working)
        if this_monday <= day <= today and monday not in built:
            due.append(monday)
    return due


def _bulletin_due(today: dt.date, built: Container[dt.date], is_working: IsWorking) -> bool:
    return today >= bulletin_day(today, is_working) and bulletin_as_of(today) not in built


def mondays_due(today: dt.date) -> list[dt.date]:
    """The Mondays whose dispatch should be built on `today`: this week's once its dispatch day
    has come, and last week's when a holiday pushed its dispatch day into this week (Spring
    Festival) — each until it has succeeded."""
    last_monday = monday_of(today) - WEEK
    return _mondays_due(today, _built(Job.DISPATCH_WEEKLY, last_monday), working_calendar(last_monday, today))


def bulletin_due(today: dt.date) -> bool:
    """True once this month's bulletin day has come and last month's bulletin has not been built."""
    first = today.replace(day=1)
    return _bulletin_due(today, _built(Job.BUILD_BULLETIN, bulletin_as_of(today)), working_calendar(first, today))


def builds_on(job: str, first: dt.date, last: dt.date) -> Callable[[dt.date], bool]:
    """A function day → True when the beat's firing of `job` on that day (from `first` to `last`)
    will do its work, judged on what has been built so far: for the weekly dispatch and the
    monthly bulletin, a day on which `mondays_due` / `bulletin_due` will not be empty; for every
    other job, any day. Two queries (the calendar and the built dates) whatever the span."""
    if job == Job.DISPATCH_WEEKLY:
        since, rule = monday_of(first) - WEEK, _mondays_due
    elif job == Job.BUILD_BULLETIN:
        since, rule = bulletin_as_of(first), _bulletin_due
    else:
        return lambda day: True
    built = _built(job, since)
    is_working = working_calendar(since, last)
    return cache(lambda day: bool(rule(day, built, is_working)))
