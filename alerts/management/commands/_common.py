"""Shared bits of the job commands: the --as-of option and the one-line report."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError

from jobs.models import JobOutcome, JobRun


def parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {value!r}") from exc


def one_line(name: str, run: JobRun) -> str:
    counts = ", ".join(f"{key} {value}" for key, value in run.counts.items() if not isinstance(value, list | dict))
    lists = "".join(
        f", {key} {' '.join(map(str, value)) or '-'}" for key, value in run.counts.items() if isinstance(value, list)
    )
    if run.outcome == JobOutcome.SKIPPED:
        return f"{name} {run.as_of}: skipped, another run holds the lock (run #{run.pk})"
    return f"{name} {run.as_of}: {run.outcome}: {counts}{lists} (run #{run.pk})"
