"""The jobs of CourtFlow, each declared by the app that owns it.

An app declares its jobs in its own module `<app>/jobs.py`, at import time:

    from django.utils.translation import gettext_lazy as _
    from jobs.registry import Job, Schedule, register

    register(
        Job(
            name="snapshot_figures",                       # JobRun.job: at most 30 characters
            label=_("Dashboard figures"),                  # the jobs page, /healthz, notifications
            task="reports.tasks.snapshot_figures_task",    # the Celery task beat fires, by its exact name
            schedule=Schedule("snapshot-figures", "30 7 * * *", expires=23 * 3600),
            order=60,                                      # its place on the jobs page
        )
    )

`JobsConfig.ready()` calls `discover()`, which imports the `jobs` module of every installed app, so
every process (web, worker, beat, a management command) knows every job before it serves anything.
This is an explicit registration: nothing here listens to Django signals, and this app imports no
other app of CourtFlow. A job's name is stored in `JobRun.job` as a plain string (no choices), so an
app that adds a job needs no migration anywhere.

What a declaration may say (all but `name` optional):

* `label`: what people read. Jobs without one are housekeeping (see below).
* `task` and `schedule`: the Celery task beat fires and its default beat entry (jobs.schedules
  installs it; `COURTFLOW_SCHEDULE_<ENTRY>` overrides its cron). The jobs page matches beat's entries
  to jobs by this exact task name.
* `due(first, last)`: for a task that beat fires every morning but that works only on some days
  (the weekly dispatch, the monthly bulletin). It reads what it needs for the days `first` … `last` at
  once and returns a function day → the runs due that day (empty when the firing does nothing). The
  task asks it for today; the jobs page asks it for the days ahead. Without it every firing works.
* `run(as_of, trigger=..., wait=...)`: a run for a date, now, in this process, returning its JobRun.
  A job with `run` can be started from the jobs page, now or queued: queued, its `task` is sent with
  `queue_args(as_of)` (default: the date as YYYY-MM-DD).
* `before`: names of jobs this one must precede on the same date. Whenever one of those runs (beat,
  page, command), `jobs.runs.run_job` first runs this job for that date (its own lock, transaction
  and JobRun); if it fails, the later job does not run. E.g. a clock upkeep declared with
  `before=("track_daily",)`. Such a job must declare `run`.
* `order`: its place on the jobs page and in /healthz, and among jobs that run before the same job
  (smaller first).
* `page`: the URL name of the job's own page, linked from the jobs panel on the home page.
* `overdue_after_days`: /healthz says "degraded" when the job's last run is for a date more days
  than this before today.
* `admin_action`: a "queue it now" action on the job runs' admin page.
* `housekeeping=True`: a scheduled task that records no JobRun (sending waiting jobs again, deleting
  stale uploads): installed in beat, not shown on the jobs page nor in /healthz.

Besides the jobs, two hooks that a higher app registers at start-up (from its `jobs` module):
`on_failure(callback)` (who hears of a failed run: alerts tells the tracking officer) and
`set_operators(rule)` (who may use the jobs page: cases.permissions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

if TYPE_CHECKING:
    from .models import JobRun

# `due(first, last)` → day → the runs due that day.
DueRule = Callable[[dt.date, dt.date], Callable[[dt.date], Sequence[Any]]]

NAME_MAX_LENGTH = 30  # JobRun.job


class UnknownJob(LookupError):
    """No installed app declares a job of this name."""


@dataclass(frozen=True)
class Schedule:
    """A job's default beat entry: `entry` is its name in django-celery-beat (PeriodicTask.name),
    `cron` five fields in Asia/Shanghai, `expires` seconds after which a message that waited for a
    stopped worker is dropped (just under the period)."""

    entry: str
    cron: str
    expires: int | None = None

    @property
    def variable(self) -> str:
        """The environment variable that overrides the cron: COURTFLOW_SCHEDULE_TRACK_DAILY."""
        return "COURTFLOW_SCHEDULE_" + self.entry.upper().replace("-", "_")


@dataclass(frozen=True)
class AdminAction:
    """An action on the job runs' admin page that queues the job's task, without arguments."""

    description: Any
    message: Any


@dataclass(frozen=True)
class Job:
    name: str
    label: Any = ""
    task: str = ""
    schedule: Schedule | None = None
    due: DueRule | None = None
    run: Callable[..., JobRun] | None = None
    queue_args: Callable[[dt.date], list] | None = None
    before: tuple[str, ...] = ()
    order: int = 50
    page: str = ""
    overdue_after_days: int | None = None
    admin_action: AdminAction | None = None
    housekeeping: bool = False

    @property
    def runnable(self) -> bool:
        """Whether the jobs page can start it (now or queued)."""
        return self.run is not None and bool(self.task) and not self.housekeeping

    def task_args(self, as_of: dt.date) -> list:
        """The arguments of its task for a run for `as_of` sent to the queue."""
        return self.queue_args(as_of) if self.queue_args else [as_of.isoformat()]


_jobs: dict[str, Job] = {}
_failure_hooks: list[Callable[[JobRun], None]] = []
_operators: list[Callable[[Any], bool]] = []


def _sort_key(job: Job) -> tuple[int, str]:
    return (job.order, job.name)


def register(job: Job) -> Job:
    """Declare `job`. Its name and its task are unique among the declared jobs."""
    if not job.name or len(job.name) > NAME_MAX_LENGTH:
        raise ImproperlyConfigured(f"A job's name has 1 to {NAME_MAX_LENGTH} characters: {job.name!r}.")
    if job.name in _jobs:
        raise ImproperlyConfigured(f"Two jobs are declared as {job.name!r}.")
    if job.schedule is not None and not job.task:
        raise ImproperlyConfigured(f"The job {job.name!r} has a schedule but no task.")
    if not job.housekeeping and not job.label:
        raise ImproperlyConfigured(f"The job {job.name!r} needs a label (or housekeeping=True).")
    for other in _jobs.values():
        if job.task and other.task == job.task:
            raise ImproperlyConfigured(f"The jobs {other.name!r} and {job.name!r} name the same task {job.task!r}.")
        if job.schedule and other.schedule and other.schedule.entry == job.schedule.entry:
            raise ImproperlyConfigured(
                f"The jobs {other.name!r} and {job.name!r} name the beat entry {job.schedule.entry!r}."
            )
    _jobs[job.name] = job
    return job


def unregister(name: str) -> None:
    """Forget a job (for tests that declare one of their own)."""
    _jobs.pop(name, None)


def discover() -> None:
    """Import the `jobs` module of every installed app (once per process), then check the whole."""
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "jobs"):
            import_module(f"{config.name}.jobs")
    check()


def check() -> None:
    """The order declared with `before` names declared jobs, runnable ones, and has no cycle."""
    for job in _jobs.values():
        for name in job.before:
            if name not in _jobs:
                raise ImproperlyConfigured(f"The job {job.name!r} runs before {name!r}, which no app declares.")
            if job.run is None:
                raise ImproperlyConfigured(f"The job {job.name!r} runs before {name!r} but declares no `run`.")
    for job in _jobs.values():
        _check_no_cycle(job.name, [])


def _check_no_cycle(name: str, path: list[str]) -> None:
    if name in path:
        raise ImproperlyConfigured("Jobs that run before each other: " + " → ".join([*path, name]))
    for earlier in runs_before(name):
        _check_no_cycle(earlier.name, [*path, name])


# --- reading the declarations -----------------------------------------------------------------


def get(name: str) -> Job:
    try:
        return _jobs[name]
    except KeyError:
        raise UnknownJob(name) from None


def label_of(name: str) -> str:
    """The label people read for a job name; the name itself for a job no app declares any more."""
    job = _jobs.get(name)
    return str(job.label) if job is not None and job.label else name


def all_jobs() -> list[Job]:
    """Every declared job, housekeeping included, in their order."""
    return sorted(_jobs.values(), key=_sort_key)


def listed() -> list[Job]:
    """The jobs that record runs: the jobs page, /healthz and the admin show these, in their order."""
    return [job for job in all_jobs() if not job.housekeeping]


def runnable() -> list[Job]:
    """The jobs a person can start from the jobs page, in their order."""
    return [job for job in listed() if job.runnable]


def by_task(jobs: Iterable[Job] | None = None) -> dict[str, Job]:
    """Jobs by the exact name of the Celery task beat fires for them."""
    return {job.task: job for job in (listed() if jobs is None else jobs) if job.task}


def scheduled() -> list[Job]:
    """The jobs with a default beat entry, housekeeping included."""
    return [job for job in all_jobs() if job.schedule is not None]


def runs_before(name: str) -> list[Job]:
    """The jobs declared to run before `name` on the same date, in their order."""
    return [job for job in all_jobs() if name in job.before]


# --- hooks a higher app registers -------------------------------------------------------------


def on_failure(callback: Callable[[JobRun], None]) -> Callable[[JobRun], None]:
    """Call `callback(run)` after a run failed and its record was saved (jobs.runs). A callback
    that raises is logged; it never hides the job's own error."""
    if callback not in _failure_hooks:
        _failure_hooks.append(callback)
    return callback


def failure_hooks() -> list[Callable[[JobRun], None]]:
    return list(_failure_hooks)


def set_operators(rule: Callable[[Any], bool]) -> None:
    """Who may see the jobs page, start a job there and see the jobs panel: `rule(user)`. One rule;
    the access policy that owns the roles registers it (cases)."""
    _operators[:] = [rule]


def may_operate(user) -> bool:
    """Whether `user` may use the jobs page. Nobody, until an app has said who may."""
    return bool(_operators) and _operators[0](user)
