"""Thin Celery tasks of the cases app."""

from __future__ import annotations

from celery import shared_task

from . import import_uploads


@shared_task(name="cases.tasks.delete_stale_uploads_task", acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def delete_stale_uploads_task() -> int:
    """Delete import uploads older than settings.IMPORT_UPLOAD_MAX_AGE_HOURS (idempotent: acks late)."""
    return import_uploads.delete_stale_uploads()
