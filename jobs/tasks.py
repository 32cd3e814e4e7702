"""The job machinery's own Celery task."""

from __future__ import annotations

from celery import shared_task


# Registered under the name it had before the job machinery had an app of its own: beat entries
# (an entry edited in the admin keeps its task), and messages already queued, name it so.
@shared_task(name="alerts.tasks.requeue_waiting_task", acks_late=True, time_limit=2 * 60, soft_time_limit=100)
def requeue_waiting_task() -> dict:
    """Send again what a page could not queue while the broker was away."""
    from .queueing import requeue_waiting

    return requeue_waiting()
