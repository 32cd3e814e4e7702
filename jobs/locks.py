"""One lock per job, so that two workers, two beat processes or a redelivered task never run the
same job at the same time.

The lock is a second line of defence: every job also writes through unique constraints, so a run
that slipped past the lock still adds nothing twice. What the lock adds is that a second run does
not waste minutes recomputing what the first is writing, and that "is this week already built?"
is asked by one run at a time.

* PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a 64-bit key derived
  from the job name. PostgreSQL frees it when the connection ends, so a worker killed mid-run
  (SIGKILL, OOM, lost node) cannot leave it held.
* SQLite (the embedded default): there are no advisory locks. SQLite already allows one writer
  at a time and our settings open every transaction with BEGIN IMMEDIATE, but a second job would
  only wait 30 s for the write lock and then fail. So the lock is a lease row in `JobLock`,
  claimed with a conditional UPDATE (free or expired → ours). The lease outlives the longest task
  time limit; a worker killed without releasing it blocks the job only until the lease expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .models import JobLock


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL's bigint advisory lock space)."""
    digest = hashlib.blake2b(f"courtflow:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lease_seconds() -> int:
    # Longer than any task may run, so a live holder never loses its lease.
    return int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 30 * 60)) + 5 * 60


def _pg_acquire(key: int, wait: bool, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if cursor.fetchone()[0]:
                return True
            if not wait or time.monotonic() >= deadline:
                return False
            time.sleep(0.5)


def _pg_release(key: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _lease_acquire(name: str, token: str, wait: bool, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    JobLock.objects.get_or_create(name=name)
    while True:
        now = timezone.now()
        claimed = JobLock.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__lt=now), name=name).update(
            holder=token, expires_at=now + dt.timedelta(seconds=lease_seconds())
        )
        if claimed == 1:
            return True
        if not wait or time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def _lease_release(name: str, token: str) -> None:
    JobLock.objects.filter(name=name, holder=token).update(holder="", expires_at=None)


@contextmanager
def job_lock(name: str, *, wait: bool = False, timeout: float = 600) -> Iterator[bool]:
    """Hold the lock named `name` for the block; yields whether it was acquired.

    With `wait=False` (the tasks) a busy lock yields False at once: the other run is doing the
    work. With `wait=True` (an operator at the command line) it waits up to `timeout` seconds.
    Must not be entered inside a transaction on SQLite (the lease has to be visible to others).
    """
    if connection.vendor == "postgresql":
        key = advisory_key(name)
        acquired = _pg_acquire(key, wait, timeout)
        try:
            yield acquired
        finally:
            if acquired:
                _pg_release(key)
    else:
        token = uuid.uuid4().hex
        acquired = _lease_acquire(name, token, wait, timeout)
        try:
            yield acquired
        finally:
            if acquired:
                _lease_release(name, token)
