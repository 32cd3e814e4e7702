"""Throw-away PostgreSQL and Redis servers for the fault tests, never the shared ones.

* PostgreSQL: a cluster named "faults" on port 5433 (`pg_createcluster`, which runs initdb as the
  postgres user), trust authentication on 127.0.0.1, durability off (it holds only test data).
* Redis: a `redis-server` on port 6380, no persistence.

Both are created and started when absent, so a clean machine with only the shared 5432/6379
services can run the tests. The tests may stop and restart these two and nothing else.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5433"))
PG_CLUSTER = "faults"
REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "6380"))
REDIS_DIR = Path(os.environ.get("FAULTS_REDIS_DIR", "/tmp/courtflow-faults-redis"))  # noqa: S108
SECRET_KEY = "fault-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105


class Unavailable(RuntimeError):
    """The machine cannot run these services (no PostgreSQL or Redis installed)."""


def _run(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


# --- PostgreSQL ----------------------------------------------------------------------------


def pg_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
    if not versions or not shutil.which("pg_createcluster"):
        raise Unavailable("PostgreSQL server packages are not installed")
    return versions[-1]


def pg_isready() -> bool:
    return _run("pg_isready", "-q", "-h", "127.0.0.1", "-p", str(PG_PORT), check=False).returncode == 0


def ensure_postgres() -> None:
    """Create (once) and start the fault-test cluster."""
    version = pg_version()
    conf_dir = Path("/etc/postgresql") / version / PG_CLUSTER
    if not conf_dir.exists():
        _run("pg_createcluster", version, PG_CLUSTER, "--port", str(PG_PORT), timeout=300)
        hba = conf_dir / "pg_hba.conf"
        hba.write_text("host all all 127.0.0.1/32 trust\n" + hba.read_text())
        with (conf_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# fault tests only: speed over durability\nfsync = off\nsynchronous_commit = off\n")
            conf.write("full_page_writes = off\nmax_connections = 200\n")
    if not pg_isready():
        start_postgres()


def start_postgres() -> None:
    _run("pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), PG_CLUSTER, "start", check=False)
    wait_for(pg_isready, 60, f"PostgreSQL on port {PG_PORT}")


def stop_postgres(mode: str = "fast") -> None:
    _run("pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), PG_CLUSTER, "stop", "-m", mode, check=False)
    wait_for(lambda: not pg_isready(), 60, "PostgreSQL to stop")


def psql(sql: str, database: str = "postgres") -> str:
    """Run SQL on the fault cluster; returns the unaligned, tuples-only output."""
    result = _run(
        "psql",
        "-X",
        "-q",
        "-A",
        "-t",
        "-h",
        "127.0.0.1",
        "-p",
        str(PG_PORT),
        "-U",
        "postgres",
        "-d",
        database,
        "-c",
        sql,
    )
    return result.stdout.strip()


def fresh_database(name: str) -> str:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:{PG_PORT}/{name}"


def drop_database(name: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Redis ---------------------------------------------------------------------------------


def redis_up() -> bool:
    result = _run("redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "ping", check=False, timeout=5)
    return "PONG" in result.stdout


def start_redis() -> None:
    if not shutil.which("redis-server"):
        raise Unavailable("redis-server is not installed")
    if redis_up():
        return
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    _run(
        "redis-server",
        "--port",
        str(REDIS_PORT),
        "--bind",
        "127.0.0.1",
        "--daemonize",
        "yes",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(REDIS_DIR),
        "--pidfile",
        str(REDIS_DIR / "redis.pid"),
        "--logfile",
        str(REDIS_DIR / "redis.log"),
    )
    wait_for(redis_up, 30, f"Redis on port {REDIS_PORT}")


def stop_redis() -> None:
    _run("redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "shutdown", "nosave", check=False, timeout=10)
    wait_for(lambda: not port_open(REDIS_PORT), 30, "Redis to stop")


def redis_url(db: int = 0) -> str:
    return f"redis://127.0.0.1:{REDIS_PORT}/{db}"


# --- the app against them ------------------------------------------------------------------


def app_env(database_url: str, broker_url: str, **extra: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) pointed at the fault services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TEST_DATABASE"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.faults.settings",
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        COURTFLOW_VAR_DIR=str(ROOT / "var" / "faults"),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
