"""System checks of the job declarations (`manage.py check`, and every runserver and migrate)."""

from __future__ import annotations

from django.core import checks


def schedule_variables(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A COURTFLOW_SCHEDULE_… variable that names no declared beat entry changes nothing: say so
    (a typo, or a job that was removed)."""
    from . import registry
    from .schedules import overrides

    known = {job.schedule.variable for job in registry.scheduled()}
    return [
        checks.Warning(
            f"{name} names no beat entry of a declared job; it changes nothing.",
            hint="Known: " + ", ".join(sorted(known)),
            id="jobs.W001",
        )
        for name in sorted(set(overrides()) - known)
    ]


def register() -> None:
    checks.register(schedule_variables, "jobs")
