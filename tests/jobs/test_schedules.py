"""The beat schedule: the entries the declared jobs ask for, installed into django-celery-beat,
overridden from the environment, and each naming a task a worker knows."""

import io

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from jobs.schedules import _crontab, default_schedules, install_schedules

ENTRIES = {
    "track-daily": ("alerts.tasks.track_daily_task", "0 7 * * *", 23 * 3600),
    "dispatch-weekly": ("alerts.tasks.dispatch_weekly_task", "0 8 * * *", 23 * 3600),
    "build-bulletin": ("reports.tasks.build_bulletin_task", "0 8 * * *", 23 * 3600),
    "snapshot-figures": ("reports.tasks.snapshot_figures_task", "30 7 * * *", 23 * 3600),
    "requeue-waiting": ("alerts.tasks.requeue_waiting_task", "*/5 * * * *", 4 * 60),
    "return-stalled-publications": ("reports.tasks.return_stalled_publications_task", "2-59/5 * * * *", 4 * 60),
    "check-daily-run": ("alerts.tasks.check_daily_run_task", "0 10 * * *", 23 * 3600),
    "delete-stale-uploads": ("cases.tasks.delete_stale_uploads_task", "30 3 * * *", 23 * 3600),
    "deliver-notifications": ("alerts.tasks.deliver_notifications_task", "30 10-17 * * *", 50 * 60),
}


def test_the_declared_jobs_ask_for_the_same_beat_entries_as_ever():
    """Each app declares its own entries; together they are the schedule the project always had."""
    assert {
        name: (entry["task"], entry["cron"], entry["expires"]) for name, entry in default_schedules().items()
    } == ENTRIES


def test_an_environment_variable_moves_or_switches_off_an_entry(settings):
    settings.COURTFLOW_SCHEDULE_OVERRIDES = {
        "COURTFLOW_SCHEDULE_TRACK_DAILY": "0 6 * * *",
        "COURTFLOW_SCHEDULE_CHECK_DAILY_RUN": None,
    }
    schedules = default_schedules()
    assert schedules["track-daily"]["cron"] == "0 6 * * *"
    assert schedules["check-daily-run"]["cron"] is None
    assert schedules["dispatch-weekly"]["cron"] == "0 8 * * *"


def test_settings_refuse_a_malformed_variable_and_check_names_an_unknown_one(monkeypatch, settings):
    from django.core.exceptions import ImproperlyConfigured

    from courtflow import settings as project_settings
    from jobs.checks import schedule_variables

    monkeypatch.setenv("COURTFLOW_SCHEDULE_TRACK_DAILY", "at seven")
    with pytest.raises(ImproperlyConfigured, match="COURTFLOW_SCHEDULE_TRACK_DAILY"):
        project_settings._schedule_overrides()
    monkeypatch.setenv("COURTFLOW_SCHEDULE_TRACK_DAILY", "OFF")
    monkeypatch.setenv("COURTFLOW_SCHEDULE_BUILD_BULLETINS", "0 9 * * *")
    settings.COURTFLOW_SCHEDULE_OVERRIDES = project_settings._schedule_overrides()
    assert settings.COURTFLOW_SCHEDULE_OVERRIDES["COURTFLOW_SCHEDULE_TRACK_DAILY"] is None
    assert [warning.id for warning in schedule_variables()] == ["jobs.W001"]
    assert "COURTFLOW_SCHEDULE_BUILD_BULLETINS" in schedule_variables()[0].msg


def test_install_schedules_is_idempotent_and_keeps_admin_edits(db):
    first = install_schedules()
    n = len(default_schedules())
    assert first["created"] == n == 9
    assert install_schedules() == {"created": 0, "updated": 0, "unchanged": n, "kept_as_edited": 0, "disabled": 0}
    daily = PeriodicTask.objects.get(name="track-daily")
    assert (daily.crontab.minute, daily.crontab.hour, str(daily.crontab.timezone)) == ("0", "7", "Asia/Shanghai")
    weekly = PeriodicTask.objects.get(name="dispatch-weekly").crontab
    # Daily: the tasks themselves wait for the first working day of the week / month.
    assert (weekly.hour, weekly.day_of_week) == ("8", "*")
    monthly = PeriodicTask.objects.get(name="build-bulletin")
    assert (monthly.task, monthly.crontab.day_of_month, monthly.crontab.hour) == (
        "reports.tasks.build_bulletin_task",
        "*",
        "8",
    )

    # An administrator moves the weekly dispatch; a changed default moves the daily run.
    edited = PeriodicTask.objects.get(name="dispatch-weekly")
    edited.crontab = _crontab("30 9 * * 1")
    edited.save()
    schedules = default_schedules()
    schedules["track-daily"]["cron"] = "0 6 * * *"
    schedules["check-daily-run"]["cron"] = None
    counts = install_schedules(schedules)
    assert (counts["updated"], counts["kept_as_edited"], counts["disabled"]) == (1, 1, 1)
    assert PeriodicTask.objects.get(name="track-daily").crontab.hour == "6"
    assert PeriodicTask.objects.get(name="dispatch-weekly").crontab.hour == "9"
    assert not PeriodicTask.objects.get(name="check-daily-run").enabled


def test_every_beat_entry_names_a_registered_task(db):
    from courtflow.celery import app

    call_command("install_schedules", stdout=io.StringIO())
    app.loader.import_default_modules()
    names = list(PeriodicTask.objects.values_list("task", flat=True))
    assert len(names) == 9 and "reports.tasks.snapshot_figures_task" in names
    assert "reports.tasks.return_stalled_publications_task" in names
    assert "cases.tasks.delete_stale_uploads_task" in names
    missing = [name for name in names if name not in app.tasks]
    assert missing == []


def test_beat_can_send_every_scheduled_task(db):
    """Celery refuses to send a task whose soft time limit (the project's default when it sets none)
    is longer than its hard limit: beat logs an error at each firing and the task never runs."""
    from courtflow.celery import app

    app.loader.import_default_modules()
    for entry in default_schedules().values():
        task = app.tasks[entry["task"]]
        assert task.soft_time_limit is None or task.time_limit is None or task.soft_time_limit <= task.time_limit, (
            entry["task"]
        )
