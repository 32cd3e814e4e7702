"""Reads of the job machinery, shared by the jobs page, the home panel, /healthz and the apps' rules
of which runs are due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from celery.schedules import ParseException
from django.db.models import Max
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from . import registry
from .models import JobOutcome, JobRun
from .schedules import HORIZON_DAYS, next_firing

RECENT_RUNS = 30


def succeeded_dates(job: str, since: dt.date) -> set[dt.date]:
    """The dates `job` has succeeded for, from `since` on."""
    return set(
        JobRun.objects.filter(job=job, as_of__gte=since, outcome=JobOutcome.SUCCESS).values_list("as_of", flat=True)
    )


@dataclass
class JobState:
    """One job on the jobs page: its last run, that run's duration, and its next real run."""

    job: str
    label: str
    run: JobRun | None
    seconds: float | None
    next_run: dt.datetime | None


def next_runs(now: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """The next time beat will start each job and the job will do its work (Asia/Shanghai).

    From the enabled crontab entries of django-celery-beat, matched to the declared jobs by the
    exact task name (jobs.registry: `task`). A job with a `due` rule (the weekly dispatch, the
    monthly bulletin: fired every morning, building only on their day) has as next run the first
    firing on a day its rule finds a run due, judged on what is built now. A job with no enabled
    entry (switched off) has none. One query for the entries, and what each `due` rule reads (two
    queries for each of those two jobs).
    """
    now = now or timezone.now()
    jobs = registry.by_task()
    entries = PeriodicTask.objects.filter(enabled=True, crontab__isnull=False, task__in=list(jobs)).select_related(
        "crontab"
    )
    today = timezone.localdate(now)
    horizon = today + dt.timedelta(days=HORIZON_DAYS)
    day_rules: dict[str, Callable[[dt.date], bool]] = {}
    out: dict[str, dt.datetime] = {}
    for entry in entries:
        job = jobs[entry.task]
        if entry.expires is not None and entry.expires <= now:
            continue  # beat disables an expired entry instead of running it
        after = max(now, entry.start_time) if entry.start_time else now
        if job.name not in day_rules:
            day_rules[job.name] = _works_on(job, today, horizon)
        try:
            firing = next_firing(entry.crontab, after, day_ok=day_rules[job.name])
        except (ParseException, ValueError):
            continue  # a malformed entry edited in the admin must not break the page
        if firing is None or (entry.expires is not None and firing > entry.expires):
            continue
        if job.name not in out or firing < out[job.name]:  # two entries for one job: the earlier
            out[job.name] = timezone.localtime(firing)
    return out


def _works_on(job: registry.Job, first: dt.date, last: dt.date) -> Callable[[dt.date], bool]:
    """day → whether beat's firing of `job` on that day does its work."""
    if job.due is None:
        return lambda day: True
    due: Callable[[dt.date], Sequence[Any]] = job.due(first, last)
    return lambda day: bool(due(day))


def last_runs() -> dict[str, JobRun]:
    """The last run of each job that has run, by job name (one query)."""
    last_ids = JobRun.objects.values("job").annotate(last=Max("pk")).values("last")
    return {run.job: run for run in JobRun.objects.filter(pk__in=last_ids)}


def job_states(now: dt.datetime | None = None) -> list[JobState]:
    """Every declared job that records runs, in the registry's order, with its last run and its
    next real run."""
    runs = last_runs()
    upcoming = next_runs(now)
    states = []
    for job in registry.listed():
        run = runs.get(job.name)
        seconds = None
        if run is not None and run.finished_at:
            seconds = round((run.finished_at - run.started_at).total_seconds(), 1)
        states.append(
            JobState(job=job.name, label=str(job.label), run=run, seconds=seconds, next_run=upcoming.get(job.name))
        )
    return states


def recent_runs(limit: int = RECENT_RUNS) -> list[JobRun]:
    """The latest runs of every job, newest first, each with `count_pairs` for the page."""
    recent = list(JobRun.objects.order_by("-started_at", "-id")[:limit])
    for run in recent:
        # Counts are a dict whose keys may shadow attribute names in templates ("items").
        counts = run.counts if isinstance(run.counts, dict) else {}
        run.count_pairs = sorted(counts.items())
    return recent


def health(today: dt.date | None = None) -> tuple[dict[str, dict], bool]:
    """/healthz's section on the jobs: the last run of each declared job that has run (one small
    indexed query each: a handful of jobs), and whether one is overdue (its declared
    `overdue_after_days`: the daily tracking's last run older than yesterday)."""
    today = today or timezone.localdate()
    out: dict[str, dict] = {}
    overdue = False
    for job in registry.listed():
        run = JobRun.objects.filter(job=job.name).order_by("-started_at").first()
        if run is None:
            continue
        out[job.name] = {
            "as_of": run.as_of.isoformat(),
            "outcome": run.outcome,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        }
        if job.overdue_after_days is not None and run.as_of < today - dt.timedelta(days=job.overdue_after_days):
            overdue = True
    return out, overdue
