"""The production install, run the way docker-compose.yml runs it.

A virtual environment made from requirements.txt alone (what the Dockerfile installs, without the
dev tools that could hide a missing runtime dependency) runs the compose file's own commands — the
`migrate` service, `web` (gunicorn), `worker` and `beat` — as processes on 127.0.0.1 against the
real PostgreSQL and Redis, with DEBUG=0, SECRET_KEY_FILE and the compose environment. The commands
and the environment are read from docker-compose.yml (and the static-file step from the
Dockerfile), so this test and the deployment cannot drift apart.

The venv is cached under var/ by the hash of requirements.txt; a clean clone builds it once.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import io
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import pytest
import redis
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
HOST = "127.0.0.1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SMOKE_DB = os.environ.get("TEST_DATABASE_NAME", "test_courtflow") + "_smoke"
# A Redis database of its own: the suite's broker is db 15 (courtflow/test_settings.py).
SMOKE_BROKER = os.environ.get("SMOKE_BROKER_URL", "redis://127.0.0.1:6379/13")

pytestmark = [pytest.mark.slow]


# --- the production venv ------------------------------------------------------------------------


def production_venv() -> Path:
    """A venv from requirements.txt alone, built once per version of the file."""
    requirements = ROOT / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    venv = ROOT / "var" / "prod-venv" / digest
    ready = venv / ".ready"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two suites on one checkout build it once
        if ready.exists():
            return venv
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=120)
        install = subprocess.run(
            [
                str(venv / "bin/python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "-q",
                "-r",
                str(requirements),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert install.returncode == 0, f"pip install -r requirements.txt failed:\n{install.stderr[-3000:]}"
        check = subprocess.run([str(venv / "bin/python"), "-m", "pip", "check"], capture_output=True, text=True)
        assert check.returncode == 0, f"the production requirements are inconsistent:\n{check.stdout}"
        ready.touch()
    return venv


def collected_static(venv: Path, env: dict[str, str], run) -> Path:
    """The image's static files, collected by the Dockerfile's own step: about a minute of
    compression, so kept beside the venv until the static files, the settings or the step change."""
    digest = hashlib.sha256(dockerfile_collectstatic().encode())
    for path in sorted([*(ROOT / "static").rglob("*"), ROOT / "courtflow" / "settings.py", ROOT / "requirements.txt"]):
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    target = venv.parent / "static" / digest.hexdigest()[:16]
    if not (target / ".ready").exists():
        run(
            ["sh", "-c", dockerfile_collectstatic()],
            "the Dockerfile's collectstatic",
            {**env, "COURTFLOW_STATIC_ROOT": str(target)},
        )
        (target / ".ready").touch()
    return target


# --- reading docker-compose.yml and the Dockerfile ----------------------------------------------


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable substitution: ${NAME}, ${NAME:-default}, ${NAME-default}, and $$ for $."""

    def replace(match: re.Match) -> str:
        name, dash, default = match["name"], match["dash"], match["default"] or ""
        current = env.get(name)
        if dash == ":-":
            return current or default
        if dash == "-":
            return default if current is None else current
        return current or ""

    value = re.sub(r"(?<!\$)\$\{(?P<name>\w+)(?:(?P<dash>:?-)(?P<default>[^}]*))?\}", replace, value)
    return value.replace("$$", "$")


def command(service: str, *, env: dict[str, str], rewrite: dict[str, str] | None = None) -> list[str]:
    raw = SERVICES[service]["command"]
    words = shlex.split(raw) if isinstance(raw, str) else list(raw)
    words = [interpolate(word, env) for word in words]
    for old, new in (rewrite or {}).items():
        words = [word.replace(old, new) for word in words]
    return words


def healthcheck(service: str, *, env: dict[str, str], rewrite: dict[str, str]) -> list[str]:
    test = SERVICES[service]["healthcheck"]["test"]
    kind, *rest = test
    if kind == "CMD-SHELL":
        words = ["sh", "-c", rest[0]]
    else:
        assert kind == "CMD", test
        words = rest
    words = [interpolate(word, env) for word in words]
    for old, new in rewrite.items():
        words = [word.replace(old, new) for word in words]
    return words


def dockerfile_env(image_root: Path) -> dict[str, str]:
    """The image's ENV, with its absolute paths moved under `image_root`."""
    env: dict[str, str] = {}
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = str(image_root / value.lstrip("/")) if value.startswith("/") else value
    return env


def dockerfile_collectstatic() -> str:
    """The Dockerfile's static-file step (a shell command line)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(r"RUN ([^&\n]*manage\.py collectstatic[^&\n]*)", text)
    assert match, "the Dockerfile no longer collects static files"
    return match[1].strip()


# --- processes and requests ---------------------------------------------------------------------


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path

    def output(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:]

    def alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            output = self.output()
            errors = re.findall(r"^\w*(?:Error|Exception)\b.*$", output, re.M)
            cause = f" ({errors[-1]})" if errors else ""
            pytest.fail(f"{self.name} exited with {code}{cause}:\n{output}")


@dataclass
class Deployment:
    env: dict[str, str]
    workdir: Path
    port: int
    hostname: str
    services: dict[str, Service] = field(default_factory=dict)

    def run(self, words: list[str], what: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
        started = time.monotonic()
        result = subprocess.run(
            words,
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, (
            f"{what} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
        print(f"smoke: {what}: {time.monotonic() - started:.1f} s", file=sys.stderr)
        return result.stdout

    def manage(self, *args: str) -> str:
        return self.run(["python", "manage.py", *args], f"manage.py {' '.join(args)}")

    def start(self, name: str, words: list[str]) -> Service:
        log = self.workdir / f"{name}.log"
        process = subprocess.Popen(
            words,
            cwd=ROOT,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        service = Service(name, process, log)
        self.services[name] = service
        return service

    def everything_alive(self) -> None:
        for service in self.services.values():
            service.alive()


class Browser:
    """Plain HTTP as the TLS proxy forwards it: the site's Host, X-Forwarded-Proto: https, and the
    cookies that a browser would keep (secure cookies too, which an http cookie jar would drop)."""

    def __init__(self, port: int, host: str):
        self.base = f"http://{HOST}:{port}"
        self.host = host
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, data: bytes | None = None, headers: dict | None = None):
        all_headers = {"Host": self.host, "X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.7"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=all_headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(req, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        body = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until(predicate, seconds: float, deployment: Deployment, what: str, interval: float = 0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        deployment.everything_alive()
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    logs = "\n".join(f"--- {s.name}:\n{s.output(2500)}" for s in deployment.services.values())
    pytest.fail(f"{what}: not within {seconds:.0f} s\n{logs}")


def cjk_count(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def fresh_database() -> None:
    conn = psycopg2.connect(host=HOST, port=5432, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{SMOKE_DB}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{SMOKE_DB}"')
    conn.close()


def sql(query: str, *params):
    conn = psycopg2.connect(host=HOST, port=5432, user="postgres", dbname=SMOKE_DB)
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    finally:
        conn.close()


def next_minute_ahead(seconds: int = 20) -> dt.datetime:
    """The first whole minute at least `seconds` from now, in the court's time."""
    soon = dt.datetime.now(SHANGHAI) + dt.timedelta(seconds=seconds)
    return soon.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


# --- the test -----------------------------------------------------------------------------------


def test_the_production_install_runs_web_worker_and_beat(tmp_path):
    venv = production_venv()
    fresh_database()
    broker = redis.Redis.from_url(SMOKE_BROKER)
    broker.flushdb()

    secret = tmp_path / "django_secret_key"
    secret.write_text("smoke-test-" + hashlib.sha256(os.urandom(32)).hexdigest())
    base = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "HOSTNAME": socket.gethostname(),
    }
    env = {**base, **dockerfile_env(tmp_path / "image")}
    app_env = SERVICES["web"]["environment"]
    env.update({key: interpolate(str(value), base) for key, value in app_env.items()})
    # What the containers reach by service name, here on loopback; the secret as a file.
    env.update(
        {
            "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{SMOKE_DB}",
            "CELERY_BROKER_URL": SMOKE_BROKER,
            "SECRET_KEY_FILE": str(secret),
        }
    )
    assert env["DEBUG"] == "0", "the compose file must run with DEBUG=0"
    site = env["ALLOWED_HOSTS"].split(",")[0]
    port = free_port()
    d = Deployment(env=env, workdir=tmp_path, port=port, hostname=socket.gethostname())
    rewrite = {"0.0.0.0:8000": f"{HOST}:{port}", "localhost:8000": f"localhost:{port}"}

    with ExitStack() as stack:
        stack.callback(stop_all, d)
        # The image's build step, then the migrate service (migrations and the beat schedule).
        env["COURTFLOW_STATIC_ROOT"] = str(collected_static(venv, env, d.run))
        d.run(command("migrate", env=env), "the migrate service")

        # Operators' steps on the running install: a small court, last month's draft, a token.
        seeded = d.manage("seed_demo", "--cases", "400")
        logins = {
            role: (username, name) for role, username, name in re.findall(r"^ +(\w+) +(\S+) +(.+)$", seeded, re.M)
        }
        (officer, officer_name), password = logins["tracking_officer"], "courtflow-demo"
        d.manage("build_bulletin")
        token = re.search(r"[0-9a-f]{40}", d.manage("drf_create_token", officer))[0]

        # Beat's schedule with one job pointed a minute ahead (the variable the settings read),
        # installed as every start does (the migrate service again).
        at = next_minute_ahead()
        d.env = {**env, "COURTFLOW_SCHEDULE_TRACK_DAILY": f"{at.minute} {at.hour} * * *"}
        d.run(command("migrate", env=d.env), "the migrate service with a schedule override")

        web = d.start("web", command("web", env=env, rewrite=rewrite))
        d.start("worker", command("worker", env=env))
        d.start("beat", command("beat", env=env))

        browser = Browser(port, site)

        def healthy():
            try:
                status, _, body = browser.request("GET", "/healthz")
            except OSError:
                return None
            return json.loads(body) if status == 200 else None

        def healthy_with_worker():
            body = healthy()
            return body if body and body["worker"]["ok"] else None

        health = wait_until(healthy_with_worker, 90, d, "/healthz with a worker")
        assert health["database"]["ok"] and health["database"]["vendor"] == "postgresql", health
        assert health["broker"] == {"ok": True, "transport": "redis"}, health
        assert health["worker"]["workers"] >= 1, health

        # The compose file's own health checks pass against these processes.
        d.run(healthcheck("web", env=env, rewrite=rewrite), "the web service's health check")
        d.run(healthcheck("worker", env=env, rewrite=rewrite), "the worker's health check (a ping through Redis)")

        # A person signs in and sees the home page; static files are served from the collected set.
        status, headers, body = browser.request("GET", "/accounts/login/")
        assert status == 200, (status, body[:500])
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1].decode()
        form = f"username={officer}&password={password}&csrfmiddlewaretoken={csrf}".encode()
        status, headers, body = browser.request(
            "POST",
            "/accounts/login/",
            data=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://{site}/accounts/login/",
                "Origin": f"https://{site}",
            },
        )
        assert status == 302, f"login answered {status}:\n{body[:1500].decode(errors='replace')}"
        status, headers, body = browser.request("GET", "/")
        page = body.decode()
        assert status == 200 and officer_name in page and '<html lang="zh-CN">' in page, (status, page[:1500])
        stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', page)
        assert stylesheets, "the home page links no stylesheet"
        for href in stylesheets:
            status, headers, css = browser.request("GET", href)
            assert status == 200 and headers["Content-Type"].startswith("text/css") and css, (href, status)

        # A bulletin published through the API is rendered by the worker.
        api = {"Authorization": f"Token {token}", "Accept": "application/json"}
        status, _, body = browser.request("GET", "/api/v1/bulletins/?status=draft", headers=api)
        assert status == 200, body[:500]
        drafts = json.loads(body)["results"]
        assert drafts, "build_bulletin made no draft"
        pk = drafts[0]["id"]
        status, _, body = browser.request("POST", f"/api/v1/bulletins/{pk}/publish/", headers=api)
        assert status == 202, (status, body[:1000])

        def published():
            _status, _, answer = browser.request("GET", f"/api/v1/bulletins/{pk}/", headers=api)
            bulletin = json.loads(answer)
            assert not bulletin.get("publish_error"), f"publishing failed: {bulletin['publish_error']}"
            return bulletin["status"] == "published"

        wait_until(published, 90, d, "the worker publishing the bulletin")
        status, headers, pdf = browser.request(
            "GET", f"/api/v1/bulletins/{pk}/pdf/", headers={"Authorization": api["Authorization"]}
        )
        assert status == 200 and pdf.startswith(b"%PDF"), (status, pdf[:200])
        assert_pdf_draws_chinese(pdf)

        # Beat sends the job at its minute and the worker runs it.
        started = wait_until(
            lambda: sql("SELECT trigger FROM jobs_jobrun WHERE job = 'track_daily' AND trigger LIKE 'task:%%'"),
            (at - dt.datetime.now(SHANGHAI)).total_seconds() + 60,
            d,
            f"beat sending daily tracking at {at:%H:%M} and the worker running it",
            interval=1,
        )
        assert started
        assert "Sending due task track-daily" in d.services["beat"].output(20000)

        # SIGTERM ends each process cleanly.
        for name in ("web", "worker", "beat"):
            service = d.services[name]
            service.process.send_signal(signal.SIGTERM)
            try:
                code = service.process.wait(60)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{name} did not stop within 60 s of SIGTERM:\n{service.output()}")
            assert code == 0, f"{name} exited with {code} on SIGTERM:\n{service.output()}"
        assert web.process.returncode == 0
        for name in ("web", "worker", "beat"):
            log = d.services[name].output(200000)
            assert "Traceback" not in log, f"{name} logged an error:\n{log[-4000:]}"


def assert_pdf_draws_chinese(pdf: bytes) -> None:
    """Page 1 holds Chinese text, set in a font that draws Chinese (not boxes from a fallback)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert cjk_count(text) >= 20, f"page 1 holds {cjk_count(text)} Chinese characters:\n{text[:500]}"
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    cjk_families = {re.sub(r"\W", "", name).lower() for line in listed.splitlines() for name in line.split(",")}
    embedded = set()
    for page in reader.pages[:1]:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            embedded.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    normalised = {re.sub(r"\W", "", name).lower() for name in embedded}
    assert any(f in cjk_families or any(f.startswith(c) for c in cjk_families) for f in normalised), (
        f"page 1 embeds {sorted(embedded)}, none of the Chinese fonts {sorted(cjk_families)}"
    )


def stop_all(d: Deployment) -> None:
    for service in d.services.values():
        if service.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait(10)
