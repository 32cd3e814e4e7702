"""The job machinery's own scheduled housekeeping (jobs.registry: how apps declare their jobs)."""

from .registry import Job, Schedule, register

# Jobs a person started while the broker was away (jobs.queueing).
register(
    Job(
        name="requeue_waiting",
        task="alerts.tasks.requeue_waiting_task",
        schedule=Schedule("requeue-waiting", "*/5 * * * *", expires=4 * 60),
        housekeeping=True,
    )
)
