"""Import uploads kept between preview and import: the daily cleanup of abandoned ones."""

from __future__ import annotations

import datetime as dt
import os
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cases import import_uploads
from cases.tasks import delete_stale_uploads_task


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _upload(user, name="cases.csv", hours_old=0.0):
    stored = import_uploads.store_upload(user, SimpleUploadedFile(name, b"a,b\n", "text/csv"))
    if hours_old:
        when = (timezone.now() - dt.timedelta(hours=hours_old)).timestamp()
        os.utime(default_storage.path(stored), (when, when))
    return stored


def test_uploads_are_stored_per_user_and_discarded(media, clerk, handler):
    first = _upload(clerk, "cases.XLSX")
    assert first.startswith(f"imports/{clerk.pk}/") and first.endswith(".xlsx")
    assert (media / first).exists()
    import_uploads.discard_upload(first)
    assert not (media / first).exists()
    import_uploads.discard_upload(first)  # already gone: no error
    # A name outside imports/ (a tampered session) is never deleted.
    default_storage.save("bulletins/keep.pdf", SimpleUploadedFile("keep.pdf", b"%PDF"))
    import_uploads.discard_upload("bulletins/keep.pdf")
    import_uploads.discard_upload("imports/../bulletins/keep.pdf")  # inside imports/ by its prefix only
    assert (media / "bulletins/keep.pdf").exists()


def test_cleanup_deletes_uploads_older_than_the_setting(media, settings, clerk, handler):
    assert import_uploads.delete_stale_uploads() == 0  # no imports/ folder yet
    old = _upload(clerk, hours_old=25)
    older = _upload(handler, hours_old=24 * 7)
    fresh = _upload(clerk, hours_old=23)
    assert delete_stale_uploads_task.run() == 2
    assert not default_storage.exists(old) and not default_storage.exists(older)
    assert default_storage.exists(fresh)
    assert delete_stale_uploads_task.run() == 0  # a rerun finds nothing more
    settings.IMPORT_UPLOAD_MAX_AGE_HOURS = 12
    assert import_uploads.delete_stale_uploads() == 1
    assert not default_storage.exists(fresh)


def test_command_deletes_and_says_how_many(media, clerk):
    _upload(clerk, hours_old=3)
    _upload(clerk, hours_old=30)
    out = StringIO()
    call_command("delete_stale_uploads", stdout=out)
    assert out.getvalue().strip() == "delete_stale_uploads: deleted 1 import uploads older than 24 hours."
    out = StringIO()
    call_command("delete_stale_uploads", "--hours", "2", stdout=out)
    assert "deleted 1 " in out.getvalue() and "older than 2 hours" in out.getvalue()
    with pytest.raises(CommandError, match="--hours"):
        call_command("delete_stale_uploads", "--hours", "0", stdout=StringIO())


def test_the_cleanup_is_on_the_beat_schedule(settings):
    from jobs.schedules import default_schedules

    entry = default_schedules()["delete-stale-uploads"]
    assert entry["task"] == delete_stale_uploads_task.name == "cases.tasks.delete_stale_uploads_task"
    assert entry["cron"] == "30 3 * * *" and entry["expires"] < 24 * 3600
    assert settings.IMPORT_UPLOAD_MAX_AGE_HOURS == 24
