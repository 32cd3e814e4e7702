"""Thin Celery tasks of the reports app: parse the date, call the job, return its outcome.

All are idempotent (a draft bulletin is rebuilt whole, a published one is left alone; a day's
snapshot replaces itself; a bulletin is published once) and run under a lock, so they ack late:
a worker that dies mid-run leaves its message unacknowledged, the message goes back to the queue
after the broker's visibility timeout, and the rerun completes the work.

That holds when the whole worker dies (SIGKILL, the machine restarts). When only the prefork pool
process running the task dies (out of memory, SIGKILL) and the worker lives on, Celery acknowledges
the message as failed (WorkerLostError) and it is never delivered again, unless the task says
otherwise: publishing does (retry_on_worker_lost); the other jobs are run again by their next beat
run, which also closes the lost run's JobRun as abandoned.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import services
from .periods import Period


def _trigger(task) -> str:
    return f"task:{task.request.id}" if task.request.id else "task"


@shared_task(
    bind=True, name="reports.tasks.build_bulletin_task", acks_late=True, time_limit=20 * 60, soft_time_limit=19 * 60
)
def build_bulletin_task(self, period: str | None = None) -> list[str]:
    """Build `period` (YYYY-MM); by default last month and any earlier month missed while nothing ran.
    The beat fires this every morning; without `period` it builds once the month's first working day has
    come, until last month's bulletin is built (reports.schedule_days.bulletins_due)."""
    if period:
        # The edge: the task's argument is text; the services take a Period.
        runs = [services.run_bulletin_job(Period.parse(period), trigger=_trigger(self))]
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


@shared_task(
    bind=True,
    name=services.PUBLISH_TASK,
    acks_late=True,
    # The pool process rendering it died: send the task again (in 10 s, to a fresh pool process),
    # at most PUBLISH_ATTEMPTS times in all; should sending fail, the message is requeued instead.
    retry_on_worker_lost=True,
    reject_on_worker_lost=True,
    max_retries=services.PUBLISH_ATTEMPTS - 1,
    default_retry_delay=10,
    time_limit=services.PUBLISH_TIME_LIMIT,
    soft_time_limit=services.PUBLISH_TIME_LIMIT - 60,
)
def publish_bulletin_task(self, bulletin_id: int, user_id: int) -> str:
    """Publish in the background what `services.start_publishing` marked "publishing": rendering a
    bulletin of tens of thousands of cases to PDF takes minutes. Acked late, and sent again when
    the process rendering it is lost (see above); a delivery after the bulletin was published (or
    went back to draft) does nothing. A failure puts the bulletin back to draft with the error on
    it; a publication whose every attempt was lost is put back by the beat task below."""
    return services.publish_started(bulletin_id, user_id)


# Its own soft limit: the project's default (CELERY_TASK_SOFT_TIME_LIMIT) is longer than its hard limit,
# and celery refuses to send such a task, so beat could never start it.
@shared_task(
    name="reports.tasks.return_stalled_publications_task", acks_late=True, time_limit=2 * 60, soft_time_limit=100
)
def return_stalled_publications_task() -> int:
    """Every few minutes: bulletins publishing longer than any worker can render them, with nothing
    rendering them, go back to draft with the reason and a notification (services)."""
    return len(services.return_stalled_publications())
