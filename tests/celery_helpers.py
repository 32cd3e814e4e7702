"""Celery for the tests: the real Redis queue the test settings send to, a broker that is away,
and a real worker subprocess on a queue of its own against the test database.

The fixtures are registered for the whole suite in tests/conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def wait_for(predicate, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def broker_queue():
    """The real Redis queue the test settings send to, emptied before and after."""
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery")
    yield client
    client.delete("celery")


@pytest.fixture
def broker_away():
    """Point the Celery app at a port where nothing listens, as when Redis is down. Yields a
    function that brings the broker back (also done at teardown)."""
    from courtflow.celery import app

    def back():
        app.conf.broker_write_url = None
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # the connection that sends tasks
    app._pool = None
    app.amqp._producer_pool = None
    yield back
    back()


@dataclass
class Worker:
    queue: str
    log: Path
    broker: str
    pid: int = 0

    def output(self, tail: int = 4000) -> str:
        return self.log.read_text()[-tail:]

    def pool_processes(self) -> list[int]:
        """The worker's prefork pool processes: its child processes, from /proc."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[1]) == self.pid:  # field 4 of /proc/PID/stat, after "(comm)": the parent
                children.append(int(stat.parent.name))
        return children


@contextmanager
def celery_worker(
    tmp_path: Path, *, broker: str, env: dict[str, str] | None = None, pool: str = "solo"
) -> Iterator[Worker]:
    """A real `celery worker` (solo pool, or `pool="prefork"` with one pool process) consuming a
    queue of its own on `broker`, with the test database; yields once it is ready (on Redis a
    message sent before the worker has bound its queue would be dropped), stops it and deletes its
    queue afterwards."""
    queue = f"e2e-{uuid.uuid4().hex[:8]}"  # our own queue: other suites share the server
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "courtflow.test_settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "CELERY_BROKER_URL": broker,
        **(env or {}),
    }
    log = tmp_path / f"worker-{queue}.log"
    pool_args = ["--pool", pool] + (["--concurrency", "1"] if pool == "prefork" else [])
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "courtflow", "worker", *pool_args, "-Q", queue, "-l", "INFO"],
        cwd=ROOT,
        env=full_env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    worker = Worker(queue=queue, log=log, broker=broker, pid=process.pid)
    try:
        assert wait_for(lambda: "ready." in log.read_text(), 60), worker.output(3000)
        yield worker
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        client = redis.Redis.from_url(broker)
        for key in client.scan_iter(f"*{queue}*"):  # our queue and its bindings
            client.delete(key)
        client.close()


@contextmanager
def default_queue(name: str) -> Iterator[None]:
    """Send the project's tasks (jobs.queueing.send_job) to queue `name` for the block: the
    router reads the default queue at each send."""
    from courtflow.celery import app

    before = app.conf.task_default_queue
    app.conf.task_default_queue = name
    try:
        yield
    finally:
        app.conf.task_default_queue = before
