"""Files waiting between the import page's preview and its import step.

The import page (cases.views.case_import) keeps each uploaded file in `default_storage` under
imports/<user id>/<uuid><suffix> so that the import step reads exactly what was previewed. The
file is deleted when the import is confirmed or cancelled; a preview nobody confirmed or cancelled
is deleted by the daily cleanup (`delete_stale_uploads`, run by cases.tasks and by
`manage.py delete_stale_uploads`) once older than settings.IMPORT_UPLOAD_MAX_AGE_HOURS.

Kept apart from cases.imports (the upsert itself), which reads any file it is given.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from .models import User

UPLOAD_DIR = "imports"
# What store_upload names a file: no other path (../, another folder) is ever deleted from here.
_STORED_NAME = re.compile(rf"{UPLOAD_DIR}/\d+/[0-9a-f]{{32}}\.(csv|xlsx)")


def store_upload(user: User, upload) -> str:
    """Keep an uploaded file for the preview step; returns its storage name."""
    suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
    return default_storage.save(f"{UPLOAD_DIR}/{user.pk}/{uuid.uuid4().hex}{suffix}", upload)


def discard_upload(name: str) -> None:
    """Delete a stored upload (imported, cancelled or replaced); one already gone is no error."""
    if _STORED_NAME.fullmatch(name):  # never anything else in storage, whatever a session says
        default_storage.delete(name)


def max_age() -> dt.timedelta:
    return dt.timedelta(hours=settings.IMPORT_UPLOAD_MAX_AGE_HOURS)


def delete_stale_uploads(older_than: dt.timedelta | None = None, *, now: dt.datetime | None = None) -> int:
    """Delete the uploads last written more than `older_than` ago (default: the setting): previews
    nobody imported or cancelled. Returns how many files were deleted."""
    cutoff = (now or timezone.now()) - (older_than if older_than is not None else max_age())
    if not default_storage.exists(UPLOAD_DIR):
        return 0
    deleted = 0
    folders, _files = default_storage.listdir(UPLOAD_DIR)
    for folder in folders:  # one per user who ever previewed an import
        _subfolders, names = default_storage.listdir(f"{UPLOAD_DIR}/{folder}")
        for name in names:
            path = f"{UPLOAD_DIR}/{folder}/{name}"
            try:
                stale = default_storage.get_modified_time(path) < cutoff
            except FileNotFoundError:  # imported or cancelled meanwhile
                continue
            if stale:
                default_storage.delete(path)
                deleted += 1
    return deleted
