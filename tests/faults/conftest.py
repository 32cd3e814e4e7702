"""Fixtures of the fault tests: their own PostgreSQL (5433) and Redis (6380), a migrated demo
court cloned per test, and the app served by gunicorn as in production (DEBUG off)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from . import services

TEMPLATE_DB = "cf_faults_template"
DEMO_PASSWORD = "courtflow-demo"  # noqa: S105 - cases.demo's password for its demo logins


@pytest.fixture(scope="session")
def fault_services() -> None:
    try:
        services.ensure_postgres()
        services.start_redis()
    except services.Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def template_database(fault_services) -> str:
    """A migrated database with a small demo court (about 3,000 cases), cloned by each test."""
    if services.psql(f"SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE_DB}'"):
        services.psql(f'ALTER DATABASE "{TEMPLATE_DB}" WITH IS_TEMPLATE false')
    url = services.fresh_database(TEMPLATE_DB)
    env = services.app_env(url, services.redis_url())
    services.manage(env, "migrate", "--no-input")
    services.manage(env, "collectstatic", "--no-input", "--verbosity", "0")  # DEBUG off: hashed static files
    services.manage(env, "seed_demo", "--cases", "3000", "--seed", "7")
    services.psql(f'ALTER DATABASE "{TEMPLATE_DB}" WITH IS_TEMPLATE true')
    return TEMPLATE_DB


@dataclass
class Instance:
    """One CourtFlow database on the fault cluster, with the environment to run the app on it."""

    name: str
    database_url: str
    redis_db: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def sql(self, query: str) -> str:
        return services.psql(query, self.name)

    def count(self, table: str, where: str = "TRUE") -> int:
        return int(self.sql(f"SELECT count(*) FROM {table} WHERE {where}"))

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return services.manage(self.env, *args, timeout=timeout)


@pytest.fixture
def instance(template_database) -> Iterator[Instance]:
    name = f"cf_faults_{uuid.uuid4().hex[:8]}"
    services.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    url = f"postgres://postgres@127.0.0.1:{services.PG_PORT}/{name}"
    inst = Instance(name=name, database_url=url)
    # Each test its own Redis database, emptied first.
    inst.redis_db = 1
    subprocess.run(
        ["redis-cli", "-p", str(services.REDIS_PORT), "-n", str(inst.redis_db), "flushdb"],
        capture_output=True,
        check=False,
    )
    inst.env = services.app_env(url, services.redis_url(inst.redis_db))
    yield inst
    if not services.pg_isready():
        services.start_postgres()
    if not services.redis_up():
        services.start_redis()
    services.drop_database(name)


class WebServer:
    """gunicorn serving the app, as in production."""

    def __init__(self, env: dict[str, str], workers: int = 2):
        self.port = services.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        log_dir = services.ROOT / "var" / "faults"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"gunicorn-{self.port}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "courtflow.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--no-control-socket",
            ],
            cwd=services.ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        services.wait_for(self._ready, 60, "gunicorn")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + self.log_path.read_text()[-3000:])
        try:
            return requests.get(self.base + "/healthz", timeout=10).status_code in (200, 503)
        except (requests.ConnectionError, requests.Timeout):
            return False

    def session(self, username: str | None = None, password: str = DEMO_PASSWORD) -> requests.Session:
        """A browser-like session, logged in through the login page when `username` is given."""
        session = requests.Session()
        session.base = self.base  # type: ignore[attr-defined]
        if username:
            page = session.get(self.base + "/accounts/login/", timeout=10)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            response = session.post(
                self.base + "/accounts/login/",
                data={"username": username, "password": password, "csrfmiddlewaretoken": token},
                headers={"Referer": self.base + "/accounts/login/"},
                allow_redirects=False,
                timeout=10,
            )
            assert response.status_code == 302, response.text[:500]
        return session

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


@pytest.fixture
def web_server() -> Iterator:
    started: list[WebServer] = []

    def start(env: dict[str, str], workers: int = 2) -> WebServer:
        server = WebServer(env, workers)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {url}: {page.status_code}"
    return match.group(1)


def api_token(instance: Instance, username: str = "integration") -> str:
    out = instance.manage("drf_create_token", username).stdout
    return out.strip().split()[2]


def wait_until(predicate, timeout: float = 30, interval: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Worker:
    """A Celery worker process (solo pool: the task runs in the process we may SIGKILL)."""

    def __init__(self, env: dict[str, str], name: str, *extra: str):
        log_dir = services.ROOT / "var" / "faults"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"worker-{name}-{uuid.uuid4().hex[:6]}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "courtflow", "worker", "-n", f"{name}@%h", "-l", "INFO", *extra],
            cwd=services.ROOT,
            env=env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
        )

    @property
    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 60) -> None:
        services.wait_for(lambda: "ready." in self.output, timeout, "the Celery worker")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def celery_processes() -> Iterator:
    """start("worker", env, name, *args) / start("beat", env, name, *args); all stopped afterwards."""
    started: list = []

    def start(kind: str, env: dict[str, str], name: str, *extra: str):
        if kind == "worker":
            proc = Worker(env, name, *(extra or ("--pool", "solo")))
        else:
            proc = Beat(env, name, *extra)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


class Beat(Worker):
    def __init__(self, env: dict[str, str], name: str, *extra: str):
        log_dir = services.ROOT / "var" / "faults"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"beat-{name}-{uuid.uuid4().hex[:6]}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "courtflow", "beat", "-l", "DEBUG", "--max-interval", "1", *extra],
            cwd=services.ROOT,
            env=env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
        )


def send_task(instance: Instance, name: str, **kwargs) -> None:
    """Put a task message on the instance's broker, as beat or the web would."""
    from celery import Celery

    # CELERY_BROKER_URL in this process's environment (the test settings') would win over a
    # broker given to Celery(), so the connection is named explicitly.
    app = Celery()
    connection = app.connection_for_write(instance.env["CELERY_BROKER_URL"])
    try:
        app.send_task(name, kwargs=kwargs, connection=connection)
    finally:
        connection.release()
        app.close()


def local_today():
    import datetime as dt
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
