"""The jobs as operators and beat call them: the service, under its lock, recorded as a JobRun.

Tasks and management commands are thin shells over these functions.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from .dispatch import dispatch_weekly, monday_of
from .models import Job, JobOutcome, JobRun, NotificationKind
from .notifications import deliver_notifications, notify_tracking_officers
from .runs import run_job
from .tracking import track_daily


def run_track_daily(as_of: dt.date | None = None, *, trigger: str = "", wait: bool = False) -> JobRun:
    as_of = as_of or timezone.localdate()
    return run_job(Job.TRACK_DAILY, as_of, lambda: track_daily(as_of), trigger=trigger, wait=wait)


def run_dispatch_weekly(as_of: dt.date | None = None, *, trigger: str = "", wait: bool = False) -> JobRun:
    as_of = as_of or monday_of(timezone.localdate())
    return run_job(Job.DISPATCH_WEEKLY, as_of, lambda: dispatch_weekly(as_of), trigger=trigger, wait=wait)


def run_deliver_notifications(today: dt.date | None = None, *, trigger: str = "") -> JobRun:
    today = today or timezone.localdate()
    # Not atomic: each digest's claim and "sent" mark must commit as soon as it is true.
    return run_job(
        Job.DELIVER_NOTIFICATIONS, today, lambda: deliver_notifications(today), trigger=trigger, atomic=False
    )


def check_daily_run(today: dt.date | None = None) -> dict[str, bool]:
    """Tell the tracking officer when no daily tracking succeeded for `today` (run at 10:00)."""
    today = today or timezone.localdate()
    ran = JobRun.objects.filter(job=Job.TRACK_DAILY, as_of=today, outcome=JobOutcome.SUCCESS).exists()
    if not ran:
        notify_tracking_officers(
            kind=NotificationKind.DAILY_RUN_MISSING,
            key=f"daily-missing:{today.isoformat()}",
            subject=_("No daily tracking has run for %(date)s") % {"date": today.isoformat()},
            body=_("Check the worker and beat, then run: python manage.py track_daily --as-of %(date)s")
            % {"date": today.isoformat()},
            on=today,
        )
    return {"daily_run_found": ran}


def run_check_daily_run(today: dt.date | None = None, *, trigger: str = "") -> JobRun:
    today = today or timezone.localdate()
    return run_job(Job.CHECK_DAILY_RUN, today, lambda: check_daily_run(today), trigger=trigger)
