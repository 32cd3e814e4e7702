"""What the case register tells the job machinery (jobs.registry): who may use the jobs page, and
its scheduled housekeeping."""

from jobs.registry import Job, Schedule, register, set_operators

from .permissions import can_run_jobs

set_operators(can_run_jobs)

# Import uploads previewed but never imported or cancelled (cases/import_uploads.py).
register(
    Job(
        name="delete_stale_uploads",
        task="cases.tasks.delete_stale_uploads_task",
        schedule=Schedule("delete-stale-uploads", "30 3 * * *", expires=23 * 3600),
        housekeeping=True,
    )
)
