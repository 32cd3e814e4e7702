"""Thin Celery tasks: parse the date, call the job, return its outcome.

All of them are idempotent (a rerun for the same date adds nothing, and a running one makes a
second skip on the lock), so they ack late: a worker lost mid-run gets its task redelivered.
Their time limits stay under CELERY_TASK_TIME_LIMIT, and Redis's visibility_timeout is set longer
than that in settings, so a task still running is never redelivered to a second worker.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import jobs
from .schedule_days import mondays_due


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _trigger(task) -> str:
    return f"task:{task.request.id}" if task.request.id else "task"


@shared_task(bind=True, acks_late=True, time_limit=15 * 60, soft_time_limit=14 * 60)
def track_daily_task(self, as_of: str | None = None) -> str:
    return jobs.run_track_daily(_date(as_of), trigger=_trigger(self)).outcome


@shared_task(bind=True, acks_late=True, time_limit=20 * 60, soft_time_limit=19 * 60)
def dispatch_weekly_task(self, as_of: str | None = None) -> str:
    """The beat fires this every morning; without `as_of` it builds, as of its Monday, each week whose
    dispatch day (the first working day on or after Monday) has come and whose list is not built yet."""
    if as_of:
        return jobs.run_dispatch_weekly(_date(as_of), trigger=_trigger(self)).outcome
    mondays = mondays_due(timezone.localdate())
    if not mondays:
        return "not a dispatch day"
    return ", ".join(jobs.run_dispatch_weekly(monday, trigger=_trigger(self)).outcome for monday in mondays)


@shared_task(bind=True, acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def deliver_notifications_task(self, today: str | None = None) -> str:
    return jobs.run_deliver_notifications(_date(today), trigger=_trigger(self)).outcome


@shared_task(bind=True, acks_late=True, time_limit=2 * 60, soft_time_limit=100)
def check_daily_run_task(self, today: str | None = None) -> str:
    return jobs.run_check_daily_run(_date(today), trigger=_trigger(self)).outcome
