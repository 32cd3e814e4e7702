"""Which day the weekly dispatch runs on, and which weeks are due.

The beat fires the dispatch task every morning. It builds once its day has come — the first
working day (China's official calendar, make-up working days included: limits.calendar) on or
after the week's Monday — and the week has not yet succeeded; it builds as of the week's own
Monday. On a day the worker was down, the next morning's run does it.

`mondays_due_between` is the one rule: the task asks it for today (`mondays_due`), the jobs page
for the days ahead (it is the job's `due`, alerts/jobs.py). The monthly bulletin's days are the
reports app's (reports/schedule_days.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container
from functools import cache

from jobs.selectors import succeeded_dates
from limits.calendar import IsWorking, next_working_day, working_calendar

from .dispatch import monday_of
from .models import Job

WEEK = dt.timedelta(days=7)


def weekly_dispatch_day(monday: dt.date, is_working: IsWorking | None = None) -> dt.date:
    """The day the dispatch of the week starting `monday` runs."""
    return next_working_day(monday, is_working)


def _mondays_due(today: dt.date, built: Container[dt.date], is_working: IsWorking) -> list[dt.date]:
    this_monday = monday_of(today)
    due = []
    for monday in (this_monday - WEEK, this_monday):
        day = weekly_dispatch_day(monday, is_working)
        if this_monday <= day <= today and monday not in built:
            due.append(monday)
    return due


def mondays_due_between(first: dt.date, last: dt.date) -> Callable[[dt.date], list[dt.date]]:
    """A function day → the Mondays whose dispatch the beat's firing on that day (from `first` to
    `last`) builds, judged on what has been built so far: this week's once its dispatch day has
    come, and last week's when a holiday pushed its dispatch day into this week (Spring Festival)
    — each until it has succeeded. Two queries (the built weeks and the calendar) whatever the span."""
    since = monday_of(first) - WEEK
    built = succeeded_dates(Job.DISPATCH_WEEKLY, since)
    is_working = working_calendar(since, last)
    return cache(lambda day: _mondays_due(day, built, is_working))


def mondays_due(today: dt.date) -> list[dt.date]:
    """The Mondays whose dispatch should be built on `today` (mondays_due_between)."""
    return mondays_due_between(today, today)(today)
