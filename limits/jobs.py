"""The statutory clock's job: its daily upkeep, run before daily tracking (jobs.registry)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.models import JobRun
from jobs.registry import Job, register
from jobs.runs import run_job

from . import services

CLOCK_UPKEEP = "clock_upkeep"


def run_clock_upkeep(as_of: dt.date | None = None, *, trigger: str = "", wait: bool = False) -> JobRun:
    """Bring the running clocks' stored deadlines to `as_of` and check for hidden overruns, under
    the job's lock, in one transaction, recorded as a JobRun."""
    as_of = as_of or timezone.localdate()
    return run_job(CLOCK_UPKEEP, as_of, lambda: services.daily_limits_job(as_of), trigger=trigger, wait=wait)


register(
    Job(
        name=CLOCK_UPKEEP,
        label=_("Statutory clocks"),
        # No beat entry of its own: whenever daily tracking runs for a date (beat, the jobs page, the
        # command), this runs first for that date, so the time-limit alerts read today's clocks.
        run=run_clock_upkeep,
        before=("track_daily",),
        order=5,
    )
)
