"""Shared bits of the job commands: the one-line report (the --as-of option: common.commands)."""

from __future__ import annotations

from jobs.models import JobOutcome, JobRun


def one_line(name: str, run: JobRun) -> str:
    counts = ", ".join(f"{key} {value}" for key, value in run.counts.items() if not isinstance(value, list | dict))
    lists = "".join(
        f", {key} {' '.join(map(str, value)) or '-'}" for key, value in run.counts.items() if isinstance(value, list)
    )
    if run.outcome == JobOutcome.SKIPPED:
        return f"{name} {run.as_of}: skipped, another run holds the lock (run #{run.pk})"
    return f"{name} {run.as_of}: {run.outcome}: {counts}{lists} (run #{run.pk})"
