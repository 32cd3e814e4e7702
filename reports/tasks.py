"""Thin Celery tasks of the reports app: parse the date, call the job, return its outcome.

Both are idempotent (a draft bulletin is rebuilt whole, a published one is left alone; a day's
snapshot replaces itself) and run under a job lock, so they ack late: a worker lost mid-run has
its task redelivered and the rerun completes the work.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from alerts.schedule_days import bulletin_due
from cases.models import User

from . import services
from .models import Bulletin


def _trigger(task) -> str:
    return f"task:{task.request.id}" if task.request.id else "task"


@shared_task(
    bind=True, name="reports.tasks.build_bulletin_task", acks_late=True, time_limit=20 * 60, soft_time_limit=19 * 60
)
def build_bulletin_task(self, period: str | None = None) -> list[str]:
    """Build `period` (YYYY-MM); by default last month and any earlier month missed while nothing ran.
    The beat fires this every morning; without `period` it builds once the month's first working day has
    come, until last month's bulletin is built."""
    if period:
        runs = [services.run_bulletin_job(period, trigger=_trigger(self))]
    elif not bulletin_due(timezone.localdate()):
        return []
    else:
        runs = services.build_due_bulletins(trigger=_trigger(self))
    return [f"{run.as_of}: {run.outcome}" for run, _result in runs]


@shared_task(
    bind=True, name="reports.tasks.snapshot_figures_task", acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60
)
def snapshot_figures_task(self, as_of: str | None = None) -> str:
    """Write the dashboard figures of `as_of` (YYYY-MM-DD; default today, Asia/Shanghai)."""
    day = dt.date.fromisoformat(as_of) if as_of else None
    return services.run_snapshot_job(day, trigger=_trigger(self)).outcome


@shared_task(bind=True, name="reports.tasks.publish_bulletin_task", time_limit=25 * 60, soft_time_limit=24 * 60)
def publish_bulletin_task(self, bulletin_id: int, user_id: int) -> str:
    """Publish in the background: rendering a bulletin of tens of thousands of cases to PDF takes
    minutes. Not acked late: publishing twice is refused, so a redelivery would only fail."""
    bulletin = Bulletin.objects.get(pk=bulletin_id)
    user = User.objects.get(pk=user_id)
    return services.publish_bulletin(bulletin, user).title
