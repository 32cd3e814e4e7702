"""Installing the default beat schedule (settings.COURTFLOW_SCHEDULES) into django-celery-beat.

Run on every start. An entry is created when missing; an entry still on the default it was
installed with follows a changed default; an entry edited in the admin is left as edited.
The default an entry was installed with is kept in its description.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

MARK = "courtflow default: "


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


@transaction.atomic
def install_schedules(schedules: dict | None = None) -> dict[str, int]:
    schedules = settings.COURTFLOW_SCHEDULES if schedules is None else schedules
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
