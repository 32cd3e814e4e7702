"""Which day the weekly dispatch and the monthly bulletin run on.

The beat fires both tasks every morning. Each builds once its day has come — the first working
day (China's official calendar, make-up working days included: cases.calendar) on or after its
anchor, the week's Monday or the month's 1st — and it has not yet succeeded for that anchor; it
builds for the anchor's own dates (the weekly list as of its Monday, last month's bulletin as of
its last day). On a day the worker was down, the next morning's run does it.
"""

from __future__ import annotations

import datetime as dt

from cases.calendar import next_working_day

from .dispatch import monday_of
from .models import Job, JobOutcome, JobRun


def weekly_dispatch_day(monday: dt.date) -> dt.date:
    """The day the dispatch of the week starting `monday` runs."""
    return next_working_day(monday)


def _succeeded(job: str, as_of: dt.date) -> bool:
    return JobRun.objects.filter(job=job, as_of=as_of, outcome=JobOutcome.SUCCESS).exists()


def mondays_due(today: dt.date) -> list[dt.date]:
    """The Mondays whose dispatch should be built on `today`: this week's once its dispatch day
    has come, and last week's when a holiday pushed its dispatch day into this week (Spring
    Festival) — each until it has succeeded."""
    this_monday = monday_of(today)
    due = []
    for monday in (this_monday - dt.timedelta(days=7), this_monday):
        day = weekly_dispatch_day(monday)
        if this_monday <= day <= today and not _succeeded(Job.DISPATCH_WEEKLY, monday):
            due.append(monday)
    return due


def bulletin_day(day: dt.date) -> dt.date:
    """The day the bulletin of the month before `day`'s month is built."""
    return next_working_day(day.replace(day=1))


def bulletin_due(today: dt.date) -> bool:
    """True once this month's bulletin day has come and last month's bulletin has not been built."""
    last_day = today.replace(day=1) - dt.timedelta(days=1)
    return today >= bulletin_day(today) and not _succeeded(Job.BUILD_BULLETIN, last_day)
