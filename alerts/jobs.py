"""The jobs of the escalation engine: how each runs (the service, under its lock, recorded as a
JobRun) and their declarations (jobs.registry): daily tracking, weekly dispatch, the daily run check
and notification delivery. Also the one place that tells the tracking officer of a failed run of
any job.

Tasks and management commands are thin shells over these functions.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.models import JobOutcome, JobRun
from jobs.registry import AdminAction, Schedule, on_failure, register
from jobs.registry import Job as Declared
from jobs.runs import run_job

from .dispatch import dispatch_weekly, monday_of
from .models import Job, NotificationKind
from .notifications import deliver_notifications, notify_tracking_officers
from .schedule_days import mondays_due_between
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


def tell_officers_of_failure(run: JobRun) -> None:
    """A run of any job failed: the tracking officer hears of it (jobs.registry.on_failure)."""
    notify_tracking_officers(
        kind=NotificationKind.JOB_FAILED,
        key=f"jobrun:{run.pk}:failed",
        subject=_("%(job)s for %(date)s failed") % {"job": run.job_label, "date": run.as_of.isoformat()},
        body=run.error,
    )


on_failure(tell_officers_of_failure)

register(
    Declared(
        name=Job.TRACK_DAILY,
        label=gettext_lazy("Daily tracking"),
        task="alerts.tasks.track_daily_task",
        schedule=Schedule("track-daily", "0 7 * * *", expires=23 * 3600),
        run=run_track_daily,
        order=10,
        page="alerts:tracking",
        overdue_after_days=1,  # /healthz: degraded when the last run is older than yesterday
        admin_action=AdminAction(
            gettext_lazy("Run daily tracking for today now"), gettext_lazy("Daily tracking was queued.")
        ),
    )
)
register(
    Declared(
        name=Job.DISPATCH_WEEKLY,
        label=gettext_lazy("Weekly dispatch"),
        task="alerts.tasks.dispatch_weekly_task",
        # Daily: the task builds on the week's first working day (alerts/schedule_days.py).
        schedule=Schedule("dispatch-weekly", "0 8 * * *", expires=23 * 3600),
        due=mondays_due_between,
        run=run_dispatch_weekly,
        order=20,
        admin_action=AdminAction(
            gettext_lazy("Build this week's dispatch now"), gettext_lazy("Weekly dispatch was queued.")
        ),
    )
)
register(
    Declared(
        name=Job.DELIVER_NOTIFICATIONS,
        label=gettext_lazy("Notification delivery"),
        task="alerts.tasks.deliver_notifications_task",
        # After the morning jobs and the 10:00 check, so a person's one email of the day carries them;
        # the later hourly runs retry failed sends and mail people first notified in the afternoon.
        schedule=Schedule("deliver-notifications", "30 10-17 * * *", expires=50 * 60),
        order=40,
    )
)
register(
    Declared(
        name=Job.CHECK_DAILY_RUN,
        label=gettext_lazy("Daily run check"),
        task="alerts.tasks.check_daily_run_task",
        schedule=Schedule("check-daily-run", "0 10 * * *", expires=23 * 3600),
        order=50,
    )
)
