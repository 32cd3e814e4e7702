"""Sending a job to the Celery queue from a page, without a 500 when the broker is away.

A person who presses "run" while Redis is down must get an answer, and the request must not be
lost. So the send fails fast (no connection retries inside a web request) and, when it fails,
the request is written down as a JobRun in state "waiting" with the task and its arguments.
`requeue_waiting()` (a beat task every few minutes) sends those again once the broker answers;
each waiting row is claimed with a conditional UPDATE, so two beats never send one twice.
The jobs themselves are idempotent, so a request sent twice by other means changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from . import registry
from .models import JobOutcome, JobRun

log = logging.getLogger(__name__)


@dataclass
class Sent:
    queued: bool = False
    waiting_run: JobRun | None = None


def _send(task_name: str, args: list) -> None:
    from courtflow.celery import app

    # One connection attempt and no publish retries: a web request must answer, not wait for
    # kombu's default of retrying the broker for minutes.
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        app.send_task(task_name, args=args, connection=connection, retry=False)


def send_job(task_name: str, args: list, *, job: str, as_of: dt.date, trigger: str) -> Sent:
    """Send `task_name(*args)` after the current transaction commits; record it if the broker fails.

    Outside a transaction (the usual case in a view) the send happens at once and the returned
    `Sent` says whether it was queued or is waiting; inside one it is filled in at commit. `job` is
    the declared job (jobs.registry) the waiting run is recorded under.
    """
    registry.get(job)
    result = Sent()

    def send() -> None:
        try:
            _send(task_name, args)
            result.queued = True
        except Exception as exc:  # kombu/redis raise several types for "broker unreachable"
            log.warning("could not queue %s%s: %s", task_name, args, exc)
            now = timezone.now()
            result.waiting_run = JobRun.objects.create(
                job=job,
                as_of=as_of,
                started_at=now,
                finished_at=now,
                outcome=JobOutcome.WAITING,
                trigger=trigger[:40],
                counts={"task": task_name, "args": args},
                error=f"{type(exc).__name__}: {exc}"[:4000],
            )

    transaction.on_commit(send)
    return result


def requeue_waiting(limit: int = 100) -> dict[str, int]:
    """Send again the jobs that could not be queued; leave them waiting if the broker still fails."""
    sent = failed = 0
    for run in JobRun.objects.filter(outcome=JobOutcome.WAITING).order_by("started_at")[:limit]:
        # Claim: only the process whose UPDATE changed the row sends it.
        if not JobRun.objects.filter(pk=run.pk, outcome=JobOutcome.WAITING).update(outcome=JobOutcome.RESENT):
            continue
        try:
            _send(run.counts["task"], run.counts.get("args", []))
            sent += 1
        except Exception as exc:
            JobRun.objects.filter(pk=run.pk).update(outcome=JobOutcome.WAITING, error=f"{type(exc).__name__}: {exc}")
            failed += 1
            break  # the broker is still away: try the rest next time
    return {"sent": sent, "still_waiting": failed}
