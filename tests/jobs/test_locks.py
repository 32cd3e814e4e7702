"""One lock per job: a PostgreSQL advisory lock, or a lease row where there is none (SQLite)."""

import datetime as dt
import threading

import time_machine
from django.db import connection

from jobs import locks


def test_the_lock_admits_one_holder(transactional_db):
    holding, release = threading.Event(), threading.Event()

    def holder():
        try:
            with locks.job_lock("track_daily") as acquired:
                assert acquired
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(10)
    with locks.job_lock("track_daily") as acquired:
        assert not acquired
    with locks.job_lock("dispatch_weekly") as acquired:
        assert acquired  # one lock per job
    release.set()
    thread.join()
    with locks.job_lock("track_daily") as acquired:
        assert acquired


def test_the_lease_lock_used_on_sqlite(db):
    assert locks._lease_acquire("job", "first", wait=False, timeout=0)
    assert not locks._lease_acquire("job", "second", wait=False, timeout=0)
    locks._lease_release("job", "second")  # not the holder: nothing happens
    assert not locks._lease_acquire("job", "second", wait=False, timeout=0)
    locks._lease_release("job", "first")
    assert locks._lease_acquire("job", "second", wait=False, timeout=0)
    # A holder killed without releasing blocks the job only until its lease runs out.
    with time_machine.travel(dt.datetime(2030, 1, 1, 7, tzinfo=dt.UTC)):
        assert locks._lease_acquire("job", "third", wait=False, timeout=0)
