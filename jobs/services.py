"""Starting a declared job by hand (the jobs page): now, in this process, or queued for a worker."""

from __future__ import annotations

import datetime as dt

from .queueing import Sent, send_job
from .registry import Job


def start_job(job: Job, as_of: dt.date, *, trigger: str, now: bool) -> Sent | None:
    """Run `job` for a date now (its declared `run`), or send its task after commit (with its
    declared `queue_args`).

    A send that fails (broker away) is recorded and sent again later (jobs.queueing); the returned
    `Sent` says which happened. A date the job refuses raises the job's ValidationError.
    """
    if now:
        job.run(as_of, trigger=trigger)
        return None
    return send_job(job.task, job.task_args(as_of), job=job.name, as_of=as_of, trigger=trigger)
