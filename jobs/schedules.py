"""Installing the default beat schedule into django-celery-beat, and when an entry fires next.

The defaults are declared with the jobs (jobs.registry: each job's `schedule`), by the app that owns
each job; `COURTFLOW_SCHEDULE_<ENTRY>` in the environment overrides an entry's cron or switches it
off (parsed strictly in settings: COURTFLOW_SCHEDULE_OVERRIDES). `install_schedules` runs on every
start: an entry is created when missing; an entry still on the default it was installed with follows
a changed default; an entry edited in the admin is left as edited. The default an entry was
installed with is kept in its description.

Also here: when a crontab entry fires next (`next_firing`), for the jobs page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from . import registry

MARK = "courtflow default: "

# How far ahead `next_firing` looks: any entry firing at least once a year is found.
HORIZON_DAYS = 400


def _crontab(cron: str) -> CrontabSchedule:
    minute, hour, day_of_month, month_of_year, day_of_week = cron.split()
    schedule, _created = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=settings.TIME_ZONE,
    )
    return schedule


def _cron_of(task: PeriodicTask) -> str | None:
    c = task.crontab
    if c is None:
        return None
    return f"{c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"


def overrides() -> dict[str, str | None]:
    """COURTFLOW_SCHEDULE_<ENTRY> variables as settings read them: variable → cron, or None for off."""
    return dict(getattr(settings, "COURTFLOW_SCHEDULE_OVERRIDES", {}))


def default_schedules() -> dict[str, dict]:
    """The beat entries the declared jobs ask for, overrides applied: entry name → {"task", "cron"
    (None: switched off), "expires"}. In the order of the jobs."""
    changed = overrides()
    out = {}
    for job in registry.scheduled():
        schedule = job.schedule
        cron = changed.get(schedule.variable, schedule.cron)
        out[schedule.entry] = {"task": job.task, "cron": cron, "expires": schedule.expires}
    return out


@transaction.atomic
def install_schedules(schedules: dict | None = None) -> dict[str, int]:
    schedules = default_schedules() if schedules is None else schedules
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept_as_edited": 0, "disabled": 0}
    for name, entry in schedules.items():
        cron = entry["cron"]
        task = PeriodicTask.objects.select_for_update().filter(name=name).first()
        if cron is None:
            if task is not None and task.enabled:
                task.enabled = False
                task.save()
                counts["disabled"] += 1
            continue
        description = f"{MARK}{cron}"
        if task is None:
            PeriodicTask.objects.create(
                name=name,
                task=entry["task"],
                crontab=_crontab(cron),
                expire_seconds=entry.get("expires"),
                description=description,
            )
            counts["created"] += 1
            continue
        installed = task.description[len(MARK) :] if task.description.startswith(MARK) else None
        if _cron_of(task) != installed:
            counts["kept_as_edited"] += 1
            continue
        if installed == cron and task.task == entry["task"] and task.expire_seconds == entry.get("expires"):
            counts["unchanged"] += 1
            continue
        task.task, task.crontab, task.expire_seconds = entry["task"], _crontab(cron), entry.get("expires")
        task.description = description
        task.save()
        counts["updated"] += 1
    return counts


def next_firing(
    crontab: CrontabSchedule,
    after: dt.datetime,
    *,
    day_ok: Callable[[dt.date], bool] = lambda day: True,
    days: int = HORIZON_DAYS,
) -> dt.datetime | None:
    """The first time after `after` at which `crontab` fires on a local (Asia/Shanghai) date that
    `day_ok` accepts, within `days` days; None if there is none.

    Counted forward from `after` in the crontab's own time zone, as celery's crontab matches a day:
    its month, day of month and weekday all in the entry's sets. Not from beat's `last_run_at` or
    celery's `remaining_estimate`: that gives a time relative to celery's own "now" (added to the
    page's earlier "now" it lands a few milliseconds before the minute, 06:59 for 07:00), and a
    time in the past when beat was stopped for a while. A malformed entry raises ParseException.
    """
    schedule = crontab.schedule
    tz = schedule.tz
    start = after.astimezone(tz)
    times = [dt.time(hour, minute) for hour in sorted(schedule.hour) for minute in sorted(schedule.minute)]
    day = start.date()
    for _ in range(days):
        if (
            day.month in schedule.month_of_year
            and day.day in schedule.day_of_month
            and day.isoweekday() % 7 in schedule.day_of_week  # celery counts Sunday as 0
        ):
            for time in times:
                firing = dt.datetime.combine(day, time, tzinfo=tz)
                if firing > after and day_ok(timezone.localdate(firing)):
                    return firing
        day += dt.timedelta(days=1)
    return None
