"""Running a job: the lock, the JobRun record and one transaction, the same for every job.

`run_job` is what the tasks and management commands of every app call:

    run = run_job("track_daily", as_of, lambda: track_daily(as_of), trigger="beat")

The work runs inside one transaction, so a worker killed mid-way leaves nothing half-built; the
JobRun row is written outside it, so a failure is recorded even though the work rolled back, and
whoever registered for failures is told (jobs.registry.on_failure: alerts tells the tracking
officer). The jobs declared to run before this one (jobs.registry, `before`) run first.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import registry
from .locks import job_lock
from .models import JobOutcome, JobRun

log = logging.getLogger(__name__)


class JobSkipped(Exception):
    """Another run of the same job holds the lock."""


def _summary(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:4000]


@contextmanager
def recording(job: str, as_of: dt.date, *, trigger: str = "") -> Iterator[JobRun]:
    """Record a run of `job`: a JobRun row in state running, then success (with `run.counts`,
    which the block fills) or failed (with the error, and every failure hook told: alerts notifies
    the tracking officer).

    Enter it outside the job's transaction, so that the record survives a rollback. `job` must be
    declared by an installed app (jobs.registry).
    """
    registry.get(job)
    run = JobRun.objects.create(job=job, as_of=as_of, started_at=timezone.now(), trigger=trigger[:40])
    try:
        yield run
    except JobSkipped:
        run.outcome, run.finished_at = JobOutcome.SKIPPED, timezone.now()
        run.save(update_fields=["outcome", "finished_at"])
        raise
    except BaseException as exc:
        run.outcome, run.finished_at, run.error = JobOutcome.FAILED, timezone.now(), _summary(exc)
        try:
            run.save(update_fields=["outcome", "finished_at", "error"])
        except Exception:  # the database may be what failed; never hide the original error
            log.exception("could not record the failure of %s %s", job, as_of)
        else:
            for tell in registry.failure_hooks():  # alerts: the tracking officer is notified
                try:
                    tell(run)
                except Exception:
                    log.exception("could not tell of the failure of %s %s", job, as_of)
        raise
    else:
        run.outcome, run.finished_at = JobOutcome.SUCCESS, timezone.now()
        run.save(update_fields=["outcome", "finished_at", "counts"])


def _close_abandoned(job: str) -> None:
    """Runs of `job` still marked running while we hold its lock died without finishing (a killed
    worker: their transaction rolled back, their record could not be closed). Say so."""
    JobRun.objects.filter(job=job, outcome=JobOutcome.RUNNING).update(
        outcome=JobOutcome.FAILED,
        finished_at=timezone.now(),
        error=_("Abandoned: the worker stopped before the run finished; nothing of it was kept."),
    )


def run_job(
    job: str,
    as_of: dt.date,
    work: Callable[[], Mapping[str, Any] | None],
    *,
    trigger: str = "",
    wait: bool = False,
    atomic: bool = True,
) -> JobRun:
    """Run `work` under the job's lock, in one transaction, recorded as a JobRun.

    A busy lock records a skipped run and returns it (the other run is doing the work) unless
    `wait` is set. Exceptions from `work` are recorded and re-raised. `atomic=False` is for work
    that must commit as it goes (email delivery: a sent email cannot be rolled back).

    First, each job declared to run before `job` runs for the same date, as its own recorded run;
    one that fails stops here (its error is raised, `work` does not run). A job no installed app
    declares is refused (jobs.registry.UnknownJob) before anything is done.
    """
    registry.get(job)
    for earlier in registry.runs_before(job):
        earlier.run(as_of, trigger=trigger, wait=wait)
    with job_lock(job, wait=wait) as acquired:
        try:
            if acquired:
                _close_abandoned(job)
            with recording(job, as_of, trigger=trigger) as run:
                if not acquired:
                    raise JobSkipped(job)
                if atomic:
                    with transaction.atomic():
                        run.counts = dict(work() or {})
                else:
                    run.counts = dict(work() or {})
        except JobSkipped:
            log.info("%s for %s skipped: another run holds the lock", job, as_of)
    run.refresh_from_db()
    return run
